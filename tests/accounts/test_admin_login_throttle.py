"""Issue 11, point 2: /admin/login/ is throttled like POST /v1/auth/login (per account, per address)."""
import pytest
from django.test import Client

from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

URL = "/admin/login/"


@pytest.fixture
def root(db):
    return make_user("root@example.com", is_staff=True, is_superuser=True)


def admin_login(client, username, password, address="203.0.113.7"):
    return client.post(URL, {"username": username, "password": password, "next": "/admin/"},
                       REMOTE_ADDR=address)


def test_wrong_passwords_for_one_account_are_throttled_then_even_the_right_one_waits(root, settings):
    settings.SIGIL_LOGIN_FAILURES_PER_EMAIL = 5
    client = Client()
    answers = [admin_login(client, "root@example.com", f"wrong-{i}", address=f"203.0.113.{i}").status_code
               for i in range(25)]
    assert answers[:5] == [200] * 5  # the form again, with Django's error
    assert set(answers[5:]) == {429}
    blocked = admin_login(client, "ROOT@example.com", PASSWORD, address="198.51.100.1")
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    assert b"Too many failed login attempts" in blocked.content
    assert "_auth_user_id" not in client.session


def test_failures_from_one_address_are_throttled_across_accounts(root, settings):
    settings.SIGIL_LOGIN_FAILURES_PER_ADDRESS = 4
    client = Client()
    for i in range(4):
        assert admin_login(client, f"nobody{i}@example.com", "x").status_code == 200
    assert admin_login(client, "root@example.com", PASSWORD).status_code == 429
    assert admin_login(Client(), "root@example.com", PASSWORD, address="198.51.100.1").status_code == 302


def test_admin_and_api_failures_share_one_counter(api, root, settings):
    settings.SIGIL_LOGIN_FAILURES_PER_EMAIL = 3
    for _ in range(3):
        assert api.post_json("/v1/auth/login", {"email": "root@example.com", "password": "nope-nope"},
                             REMOTE_ADDR="198.51.100.9").status_code == 401
    assert admin_login(Client(), "root@example.com", PASSWORD).status_code == 429


def test_right_password_logs_in_and_get_is_never_throttled(root, settings):
    settings.SIGIL_LOGIN_FAILURES_PER_EMAIL = 1
    client = Client()
    assert admin_login(client, "root@example.com", PASSWORD).status_code == 302
    assert "_auth_user_id" in client.session
    other = Client()
    admin_login(other, "root@example.com", "wrong")
    assert other.get(URL).status_code == 200
