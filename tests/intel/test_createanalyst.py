"""`manage.py createanalyst EMAIL`: a staff account in the Analysts group that can triage reports."""
import io
import sys

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def _run(monkeypatch, *args, stdin=""):
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    out = io.StringIO()
    call_command("createanalyst", *args, stdout=out)
    return out.getvalue()


def test_creates_a_staff_analyst_who_can_open_the_reports_in_admin(client, monkeypatch, django_user_model):
    out = _run(monkeypatch, "dana@example.com", "--password-stdin", stdin=PASSWORD + "\n")

    user = django_user_model.objects.get(email="dana@example.com")
    assert "Created analyst dana@example.com" in out
    assert user.is_staff and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == ["Analysts"]
    assert client.login(username="dana@example.com", password=PASSWORD)
    assert client.get("/admin/intel/report/").status_code == 200
    assert client.get("/admin/accounts/user/").status_code == 403  # analysts do not manage accounts


def test_promotes_an_existing_account_and_keeps_its_password(client, monkeypatch):
    make_user("erin@example.com")

    out = _run(monkeypatch, "ERIN@example.com")

    assert "Promoted analyst erin@example.com" in out
    assert client.login(username="erin@example.com", password=PASSWORD)
    assert client.get("/admin/intel/report/").status_code == 200


def test_a_weak_password_or_none_creates_nothing(monkeypatch, django_user_model):
    with pytest.raises(CommandError, match="too common"):
        _run(monkeypatch, "frank@example.com", "--password-stdin", stdin="password\n")
    with pytest.raises(CommandError, match="--password-stdin"):
        _run(monkeypatch, "frank@example.com")  # not a terminal, no password given
    assert not django_user_model.objects.filter(email="frank@example.com").exists()
