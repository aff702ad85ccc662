import pytest
from django.core.exceptions import ValidationError

from scans.engine import Rule
from signatures.constants import MAX_PATTERN_LENGTH, Severity, SignatureStatus
from signatures.models import Signature
from signatures.selectors import signature_active_rules, signatures_fingerprint
from signatures.services import SignatureStateError, signature_create, signature_update, signature_withdraw
from tests.signatures.factories import make_signature

pytestmark = pytest.mark.django_db


def test_created_signatures_get_zero_padded_sequential_ids():
    first, second = make_signature(), make_signature()
    assert (first.public_id, second.public_id) == ("sig_001", "sig_002")
    assert second.change_seq > first.change_seq
    assert Signature.objects.get(public_id="sig_002").severity == Severity.MEDIUM


def test_ids_grow_past_three_digits():
    make_signature(public_id="sig_999")
    assert make_signature().public_id == "sig_1000"


def test_promoting_a_report_records_its_id():
    signature = signature_create(
        phase=4, name="aws_creds_read", description="Reads AWS credentials", pattern=r"\.aws/credentials",
        severity="critical", weight=10, ecosystem="npm", file_globs=["*.js"], origin="report",
        origin_report="rpt_abcdefghijkl",
    )
    stored = Signature.objects.get(pk=signature.pk)
    assert (stored.origin, stored.origin_report, stored.severity) == ("report", "rpt_abcdefghijkl", Severity.CRITICAL)


def test_report_origin_without_report_id_is_rejected():
    with pytest.raises(ValidationError) as excinfo:
        make_signature(origin="report", origin_report="")
    assert "origin_report" in excinfo.value.message_dict


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("eval(", "missing )"),
        ("(?<=x)y", "RE2"),
        ("a" * (MAX_PATTERN_LENGTH + 1), f"limit is {MAX_PATTERN_LENGTH}"),
        ("", "non-empty"),
    ],
)
def test_invalid_pattern_is_rejected_with_a_message_naming_the_problem(pattern, expected):
    with pytest.raises(ValidationError) as excinfo:
        make_signature(pattern=pattern)
    assert expected in " ".join(excinfo.value.message_dict["pattern"])
    assert Signature.objects.count() == 0


def test_update_with_invalid_pattern_keeps_the_stored_one():
    signature = make_signature(pattern="ok")
    with pytest.raises(ValidationError):
        signature_update(signature=signature, pattern="[unclosed")
    assert Signature.objects.get(pk=signature.pk).pattern == "ok"


@pytest.mark.parametrize("globs", [[["nested"]], [1, 2], [""], ["x"] * 21])
def test_file_globs_must_be_a_short_list_of_strings(globs):
    with pytest.raises(ValidationError) as excinfo:
        make_signature(file_globs=globs)
    assert "file_globs" in excinfo.value.message_dict


def test_unknown_severity_is_rejected():
    with pytest.raises(ValidationError) as excinfo:
        make_signature(severity="catastrophic")
    assert "severity" in excinfo.value.message_dict


def test_every_change_bumps_updated_at_and_change_seq():
    signature = make_signature()
    before_seq, before_at = signature.change_seq, signature.updated_at
    signature_update(signature=signature, weight=7)
    stored = Signature.objects.get(pk=signature.pk)
    assert stored.weight == 7
    assert stored.change_seq > before_seq
    assert stored.updated_at >= before_at
    updated_seq = stored.change_seq
    signature_withdraw(signature=stored, reason="false positives")
    withdrawn = Signature.objects.get(pk=signature.pk)
    assert withdrawn.change_seq > updated_seq
    assert (withdrawn.status, withdrawn.withdrawn_reason) == (SignatureStatus.WITHDRAWN, "false positives")
    assert withdrawn.withdrawn_at is not None


def test_withdrawing_twice_is_a_state_error():
    signature = make_signature()
    signature_withdraw(signature=signature)
    with pytest.raises(SignatureStateError):
        signature_withdraw(signature=signature)


def test_update_refuses_fields_outside_the_editable_set():
    signature = make_signature()
    with pytest.raises(ValueError):
        signature_update(signature=signature, status="withdrawn")


def test_active_rules_are_engine_rules_without_withdrawn_ones():
    keep = make_signature(severity="high", file_globs=["package.json"], ecosystem="npm")
    signature_withdraw(signature=make_signature())
    rules = signature_active_rules()
    assert rules == [Rule(id=keep.public_id, phase=2, name=keep.name, description="Test rule", pattern=r"eval\s*\(",
                          severity="high", weight=3, ecosystem="npm", file_globs=("package.json",))]


def test_fingerprint_changes_on_create_update_and_withdraw():
    seen = {signatures_fingerprint()}
    signature = make_signature()
    seen.add(signatures_fingerprint())
    signature_update(signature=signature, description="changed")
    seen.add(signatures_fingerprint())
    signature_withdraw(signature=signature)
    seen.add(signatures_fingerprint())
    assert len(seen) == 4
    assert signatures_fingerprint() == signatures_fingerprint()


@pytest.mark.parametrize("tags", [["not-a-tag"], "exec", [["exec"]], ["exec", "exec"]])
def test_tags_must_come_from_the_vocabulary(tags):
    with pytest.raises(ValidationError) as excinfo:
        make_signature(tags=tags)
    assert "tags" in excinfo.value.message_dict


def test_tags_are_stored_and_updated():
    signature = make_signature(tags=["exec"])
    signature_update(signature=signature, tags=["fetch", "send"])
    assert Signature.objects.get(pk=signature.pk).tags == ["fetch", "send"]
