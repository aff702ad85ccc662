"""Rule parsing, pattern validation, compilation and verdict mapping."""

import pytest

from scans.engine import (
    PHASE_NAMES,
    InvalidPattern,
    Rule,
    compile_rules,
    validate_pattern,
    verdict_for_score,
)


def rule(pattern="eval\\(", rid="sig_900", **kw):
    d = {"id": rid, "phase": 2, "name": "x", "description": "d", "pattern": pattern,
         "severity": "low", "weight": 1, "ecosystem": "generic"}
    d.update(kw)
    return Rule.from_dict(d)


def test_from_dict_ignores_extra_keys_and_defaults_globs_to_empty():
    r = Rule.from_dict({"id": "sig_001", "phase": 1, "name": "n", "description": "d", "pattern": "a",
                        "severity": "high", "weight": 3, "ecosystem": "npm", "created_at": "2026-01-01T00:00:00Z"})
    assert r.file_globs == ()
    assert r.ecosystem == "npm" and r.weight == 3


def test_from_dict_keeps_globs_as_tuple():
    assert rule(file_globs=["package.json"]).file_globs == ("package.json",)


def test_rule_is_frozen():
    with pytest.raises(Exception):
        rule().pattern = "x"


@pytest.mark.parametrize("pattern", ["(?<=a)b", "a(?=b)", "(unclosed", r"\1"])
def test_validate_pattern_rejects_non_re2(pattern):
    with pytest.raises(InvalidPattern):
        validate_pattern(pattern)


def test_validate_pattern_accepts_re2():
    assert validate_pattern(r"pickle\.(loads|load)\s*\(") is None


def test_compile_rules_names_the_bad_rule():
    with pytest.raises(InvalidPattern) as exc:
        compile_rules([rule(), rule("(?!x)y", rid="sig_777")])
    assert exc.value.rule_id == "sig_777"


def test_compiled_set_matches_in_one_pass():
    compiled = compile_rules([rule("foo", "sig_1"), rule("bar", "sig_2"), rule("baz", "sig_3")])
    assert sorted(compiled.match(b"foo and baz")) == [0, 2]


@pytest.mark.parametrize(
    "score,verdict",
    [(0, "clean"), (1, "low"), (9, "low"), (10, "medium"), (24, "medium"), (25, "high"), (49, "high"),
     (50, "critical"), (500, "critical")],
)
def test_verdict_for_score_boundaries(score, verdict):
    assert verdict_for_score(score) == verdict


def test_phase_names():
    assert PHASE_NAMES == {1: "install_hooks", 2: "code_patterns", 3: "network_exfil", 4: "credentials",
                           5: "obfuscation", 6: "provenance"}
