"""The plain pass over well-formed phases agrees with PhaseSerializer, which words every error."""
import copy
import random

import pytest
from rest_framework.exceptions import ValidationError

from scans.api.serializers import PhaseSerializer, PhasesField, _well_formed_phases
from tests.intel.factories import scan_body

ODD_VALUES = [None, True, 0, 1, 6, 7, -1, 10**7, 1.5, "", " padded", "padded ", "nul\x00", "\ud800", "install_hooks",
              "code_patterns", [], {}, ["fine"], [" padded"], [1], ["x"] * 501, ["y" * 1001], "z" * 1001, {"phase": 1}]


def _mutations(count: int, seed: int = 7):
    rng = random.Random(seed)
    for _ in range(count):
        phases = copy.deepcopy(scan_body(15)["phases"])
        for _ in range(rng.randint(1, 3)):
            target = rng.choice(phases) if phases else None
            roll = rng.random()
            if roll < 0.1:
                phases.append(copy.deepcopy(phases[0]) if phases else {})
            elif roll < 0.2 and phases:
                phases[rng.randrange(len(phases))] = rng.choice(ODD_VALUES)
            elif isinstance(target, dict):
                key = rng.choice(["phase", "name", "score", "findings", "extra"])
                if roll < 0.35:
                    target.pop(key, None)
                elif key == "findings":
                    target[key] = [rng.choice(ODD_VALUES), "fine"]
                else:
                    target[key] = rng.choice(ODD_VALUES)
        yield phases


def _serializer_outcome(phases):
    serializer = PhaseSerializer(many=True, max_length=6, data=phases)
    return serializer.is_valid(), serializer.errors or [dict(p) for p in serializer.validated_data]


def test_the_plain_pass_accepts_only_what_phase_serializer_accepts_unchanged():
    taken_plain = declined = 0
    for phases in _mutations(3000):
        accepted, result = _serializer_outcome(phases)
        if _well_formed_phases(phases):
            taken_plain += 1
            assert accepted and PhasesField().to_internal_value(phases) == result, phases
            continue
        declined += 1
        # Declined input goes to PhaseSerializer itself: the same answer, errors included.
        try:
            value = PhasesField().to_internal_value(phases)
        except ValidationError as exc:
            assert not accepted and exc.detail == result, phases
        else:
            assert accepted and value == result, phases
    assert taken_plain > 50 and declined > 1000  # both paths were exercised


@pytest.mark.parametrize("finding", [" leading", "trailing\n", "nul\x00byte", "lone \ud800 surrogate", "x" * 1001])
def test_findings_the_serializer_would_trim_or_refuse_are_not_taken_on_the_plain_pass(finding):
    phases = [{"phase": 1, "name": "install_hooks", "score": 0, "findings": [finding]}]
    assert not _well_formed_phases(phases)
