import json
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from signatures.constants import Severity, SignatureStatus
from signatures.models import Signature
from signatures.selectors import combination_tags_uncarried
from signatures.services import signature_withdraw
from tests.signatures.factories import make_signature

pytestmark = pytest.mark.django_db

PACK = [
    {
        "id": "sig_001", "phase": 1, "name": "npm_postinstall_exec", "description": "postinstall runs a shell",
        "pattern": r"\"postinstall\"\s*:\s*\"[^\"]*\b(curl|wget|bash)\b", "severity": "critical", "weight": 10,
        "ecosystem": "npm", "file_globs": ["package.json"],
        "examples": {"match": ['"postinstall": "curl x | bash"'], "benign": ['"postinstall": "node-gyp"']},
    },
    {
        "id": "sig_002", "phase": 2, "name": "python_pickle_rce", "description": "pickle loads",
        "pattern": r"pickle\.(loads|load)\s*\(", "severity": "high", "weight": 5, "ecosystem": "pypi", "file_globs": [],
    },
]


def write_pack(tmp_path, entries, name="pack.json"):
    path = tmp_path / name
    path.write_text(json.dumps(entries))
    return str(path)


def load(path):
    out = StringIO()
    call_command("load_signature_pack", "--path", path, stdout=out, stderr=StringIO())
    return out.getvalue()


def snapshot():
    return {s.public_id: (s.change_seq, s.updated_at, s.pattern) for s in Signature.objects.all()}


def test_loading_creates_the_pack_signatures_with_their_ids(tmp_path):
    output = load(write_pack(tmp_path, PACK))
    assert "2 created" in output
    first = Signature.objects.get(public_id="sig_001")
    assert (first.phase, first.severity, first.ecosystem, first.file_globs, first.origin) == (
        1, Severity.CRITICAL, "npm", ["package.json"], "builtin")
    assert Signature.objects.get(public_id="sig_002").number == 2


def test_loading_twice_changes_nothing(tmp_path):
    path = write_pack(tmp_path, PACK)
    load(path)
    before = snapshot()
    output = load(path)
    assert "0 created, 0 updated, 2 unchanged" in output
    assert snapshot() == before
    assert Signature.objects.count() == 2


def test_a_changed_entry_is_updated_in_place_and_only_it_moves_in_the_feed(tmp_path):
    load(write_pack(tmp_path, PACK))
    before = snapshot()
    changed = [dict(PACK[0]), dict(PACK[1], weight=7)]
    output = load(write_pack(tmp_path, changed, "v2.json"))
    assert "1 updated, 1 unchanged" in output
    after = snapshot()
    assert after["sig_001"] == before["sig_001"]
    assert after["sig_002"][0] > before["sig_002"][0]
    assert Signature.objects.get(public_id="sig_002").weight == 7
    assert Signature.objects.count() == 2


def test_a_withdrawn_builtin_stays_withdrawn(tmp_path):
    path = write_pack(tmp_path, PACK)
    load(path)
    signature_withdraw(signature=Signature.objects.get(public_id="sig_001"))
    load(path)
    assert Signature.objects.get(public_id="sig_001").status == SignatureStatus.WITHDRAWN


def test_an_id_taken_by_a_report_signature_is_skipped(tmp_path):
    make_signature(origin="report", origin_report="rpt_abcdefghijkl")  # takes sig_001
    output = load(write_pack(tmp_path, PACK))
    assert "1 created" in output and "1 skipped" in output
    assert Signature.objects.get(public_id="sig_001").origin == "report"


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        (dict(PACK[1], pattern="pickle.(loads"), "missing )"),
        (dict(PACK[1], id="signature-2"), "id must look like sig_001"),
        (dict(PACK[1], severity="urgent"), "Severity"),
        (dict(PACK[1], phase=9), "phase"),
        ({k: v for k, v in PACK[1].items() if k != "pattern"}, "missing pattern"),
        (dict(PACK[0]), "duplicate id"),
    ],
)
def test_an_invalid_pack_loads_nothing_and_names_the_problem(tmp_path, entry, problem):
    with pytest.raises(CommandError) as excinfo:
        load(write_pack(tmp_path, [PACK[0], entry]))
    assert problem in str(excinfo.value)
    assert Signature.objects.count() == 0


def test_a_missing_explicit_path_is_an_error(tmp_path):
    with pytest.raises(CommandError):
        load(str(tmp_path / "nope.json"))


def test_the_shipped_pack_loads_on_an_empty_database_and_is_idempotent(tmp_path):
    out = StringIO()
    call_command("load_signature_pack", stdout=out, stderr=StringIO())  # the default path, as scripts/serve runs it
    assert "builtin_pack.json" in out.getvalue()
    assert Signature.objects.filter(origin="builtin").count() > 0
    # Reload from a copy: the shipped file may be edited while tests run.
    shipped = Path(settings.BASE_DIR) / "signatures" / "data" / "builtin_pack.json"
    copy = write_pack(tmp_path, json.loads(shipped.read_text()), "shipped.json")
    load(copy)
    before = snapshot()
    assert "0 created, 0 updated" in load(copy)
    assert snapshot() == before


def test_the_shipped_pack_carries_every_tag_a_combination_needs_until_one_is_withdrawn():
    call_command("load_signature_pack", stdout=StringIO(), stderr=StringIO())
    assert Signature.objects.get(public_id="sig_115").tags == ["shell"]
    assert combination_tags_uncarried() == set()

    signature_withdraw(signature=Signature.objects.get(public_id="sig_115"))  # the only "shell" signature
    assert combination_tags_uncarried() == {"shell"}
