"""Every built-in signature compiles with RE2, matches its examples and spares its benign lines."""

import json

import pytest
import re2

from scans.engine import TAGS, Rule
from domain.pack import BUILTIN_PACK_PATH

from .conftest import builtin_rules

PACK = json.loads(BUILTIN_PACK_PATH.read_text())


def test_pack_is_a_list_of_unique_sequential_ids():
    ids = [entry["id"] for entry in PACK]
    assert ids == [f"sig_{i:03d}" for i in range(1, len(PACK) + 1)]
    assert len({entry["name"] for entry in PACK}) == len(PACK)


def test_pack_covers_every_phase_and_ecosystem():
    assert {entry["phase"] for entry in PACK} == {1, 2, 3, 4, 5, 6}
    assert {entry["ecosystem"] for entry in PACK} == {"npm", "pypi", "generic"}
    assert 60 <= len(PACK) <= 200


def test_builtin_rules_returns_rules_with_their_tags():
    rules = builtin_rules()
    assert len(rules) == len(PACK)
    assert all(isinstance(r, Rule) for r in rules)
    by_id = {r.id: r for r in rules}
    assert by_id["sig_018"].tags == {"exec", "eval"}
    assert by_id["sig_059"].tags == {"fetch", "send"}


def test_pack_tags_come_from_the_vocabulary():
    for entry in PACK:
        assert isinstance(entry["tags"], list)
        assert set(entry["tags"]) <= set(TAGS), entry["id"]


@pytest.mark.parametrize("entry", PACK, ids=[e["id"] + "_" + e["name"] for e in PACK])
def test_signature_matches_examples_and_spares_benign_lines(entry):
    assert entry["severity"] in ("low", "medium", "high", "critical")
    assert entry["phase"] in range(1, 7)
    assert isinstance(entry["weight"], int) and entry["weight"] > 0
    assert isinstance(entry["file_globs"], list)
    assert entry["description"]
    regex = re2.compile("(?m)" + entry["pattern"])
    assert entry["examples"]["match"], "each signature needs a line it must match"
    assert entry["examples"]["benign"], "each signature needs a benign line it must not match"
    for line in entry["examples"]["match"]:
        assert regex.search(line), f"{entry['id']} should match {line!r}"
    for line in entry["examples"]["benign"]:
        assert not regex.search(line), f"{entry['id']} should not match {line!r}"
