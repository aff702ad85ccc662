"""The plain pass over well-formed scan bodies gives exactly the answers of the serializer's fields."""
import copy
import random

import pytest
from rest_framework import serializers
from rest_framework.fields import empty

from scans.api.serializers import ScanInputSerializer, well_formed_scan
from tests.intel.factories import HASH_A, scan_body

ODD_VALUES = [None, True, 0, 1, 6, 7, -1, 15, 10**7, 1.5, "", " ", " padded", "padded ", "nul\x00", "\ud800",
              "install_hooks", "code_patterns", "medium", "npm", HASH_A, HASH_A.upper(), HASH_A.removeprefix("sha256:"),
              [], {}, ["fine"], [" padded"], [1], ["x"] * 501, ["y" * 1001], "z" * 1001, "q" * 201, "v" * 65,
              {"phase": 1}, {"python": 3}, {"python": -1}, {"python": True}, {"k" * 65: 1}]
TOP_KEYS = ["quarantine_id", "source_type", "source_ref", "source_hash", "score", "verdict", "phases", "file_stats",
            "cli_version", "unknown"]
PHASE_KEYS = ["phase", "name", "score", "findings", "extra"]


class FieldsOnly(ScanInputSerializer):
    """The serializer without the plain pass: the reference answer."""

    def run_validation(self, data=empty):
        return serializers.Serializer.run_validation(self, data)


def _mutated_bodies(count: int, seed: int = 11):
    rng = random.Random(seed)
    for _ in range(count):
        body = scan_body(rng.choice([0, 15]))
        body["phases"] = copy.deepcopy(body["phases"])
        for _ in range(rng.randint(0, 3)):
            roll = rng.random()
            phases = [p for p in body.get("phases", []) if isinstance(p, dict)] if isinstance(body.get("phases"), list) else []
            if roll < 0.3:
                key = rng.choice(TOP_KEYS)
                if rng.random() < 0.3:
                    body.pop(key, None)
                else:
                    body[key] = rng.choice(ODD_VALUES)
            elif roll < 0.4 and isinstance(body.get("phases"), list):
                body["phases"].append(copy.deepcopy(rng.choice(phases)) if phases else rng.choice(ODD_VALUES))
            elif roll < 0.5 and phases:
                body["phases"].reverse()
            elif phases:
                phase = rng.choice(phases)
                key = rng.choice(PHASE_KEYS)
                if rng.random() < 0.2:
                    phase.pop(key, None)
                elif key == "findings":
                    phase[key] = [rng.choice(ODD_VALUES), "fine"]
                else:
                    phase[key] = rng.choice(ODD_VALUES)
        yield body


def _outcome(serializer_class, body):
    serializer = serializer_class(data=body)
    return (True, dict(serializer.validated_data)) if serializer.is_valid() else (False, serializer.errors)


def test_the_plain_pass_answers_exactly_as_the_fields_do():
    plain = declined = 0
    for body in _mutated_bodies(4000):
        expected = _outcome(FieldsOnly, body)
        assert _outcome(ScanInputSerializer, body) == expected, body
        if well_formed_scan(body) is None:
            declined += 1
        else:
            plain += 1
            assert expected[0], body  # the plain pass never accepts what the fields refuse
    assert plain > 500 and declined > 1500  # both paths were exercised


@pytest.mark.parametrize("change", [
    {"quarantine_id": " padded"}, {"source_ref": "trailing\n"}, {"cli_version": "nul\x00"},
    {"source_hash": HASH_A.upper()}, {"source_hash": HASH_A.removeprefix("sha256:")},
    {"quarantine_id": "lone \ud800 surrogate"},
])
def test_bodies_the_fields_would_trim_normalise_or_refuse_skip_the_plain_pass(change):
    assert well_formed_scan({**scan_body(), **change}) is None
