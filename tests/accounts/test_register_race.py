"""Issue 11, point 5: registrations of one email that race each other answer 409, never 400."""
import threading

import pytest
from django.db import connection

from accounts import services
from accounts.models import User
from tests.conftest import Api

PASSWORD = "a-long-and-unusual-passphrase-1"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("emails", [("race@example.com", "race@example.com"), ("race@example.com", "RACE@example.com")])
def test_racing_registrations_get_one_201_and_409s(monkeypatch, emails):
    # Both requests pass the "is the email taken?" check before either stores its row: the
    # interleaving black-box testing hit by chance, made certain with a barrier.
    barrier = threading.Barrier(len(emails), timeout=20)
    real_validate = services.validate_password

    def validate_then_wait(password, user=None):
        real_validate(password, user=user)
        barrier.wait()

    monkeypatch.setattr(services, "validate_password", validate_then_wait)
    answers = []

    def register(email):
        try:
            response = Api().post_json("/v1/auth/register", {"email": email, "password": PASSWORD})
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(email,)) for email in emails]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    statuses = sorted(status for status, _ in answers)
    assert statuses == [201, 409], answers
    conflict = next(body for status, body in answers if status == 409)
    assert conflict == {"detail": "An account with this email already exists.", "code": "CONFLICT", "status": 409}
    assert User.objects.filter(email__iexact="race@example.com").count() == 1
