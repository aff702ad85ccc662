import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import User
from tests.accounts.factories import PASSWORD, UserFactory
from sigil.api.authentication import issue_access_token
from sigil.celery import app as celery_app



@pytest.fixture(autouse=True)
def _rate_limit_clock_stands_still(monkeypatch):
    """Rate-limit windows are fixed minutes: a test that straddles a boundary would see its
    counter reset halfway. Hold django-ratelimit's clock at the test's start (tests that need
    time to pass patch it again themselves)."""
    import time
    import types

    import django_ratelimit.core

    started = time.time()
    monkeypatch.setattr(django_ratelimit.core, "time", types.SimpleNamespace(time=lambda: started))


@pytest.fixture(autouse=True)
def _fresh_cache_and_eager_tasks(request):
    """Counters start at zero in every test; tasks run in-process unless a test needs a worker."""
    cache.clear()
    if request.node.get_closest_marker("live_worker") is None:
        celery_app.conf.task_always_eager = True
    yield
    cache.clear()


@pytest.fixture
def allow(settings):
    """Allow fake servers (host:port on loopback, plain http) through the guarded client."""
    settings.SIGIL_OUTBOUND_ALLOWLIST = []

    def _allow(*servers):
        settings.SIGIL_OUTBOUND_ALLOWLIST = [*settings.SIGIL_OUTBOUND_ALLOWLIST, *(s.hostport for s in servers)]

    return _allow


def make_user(email: str, *, tier: str = "free", **extra) -> User:
    return UserFactory(email=email, tier=tier, **extra)


class Api(APIClient):
    """An APIClient that speaks JSON and can act as a user by bearer token."""

    def as_user(self, user):
        self.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_access_token(user)}")
        return self

    def post_json(self, path, body, **extra):
        return self.post(path, body, format="json", **extra)


@pytest.fixture
def api():
    return Api()


@pytest.fixture
def alice(db):
    return make_user("alice@example.com", name="Alice", tier="pro")


@pytest.fixture
def bob(db):
    return make_user("bob@example.com", name="Bob", tier="pro")


@pytest.fixture
def carol(db):
    """An analyst: staff, in the Analysts group when that group exists."""
    from django.contrib.auth.models import Group

    user = make_user("carol@example.com", name="Carol", tier="team", is_staff=True)
    group = Group.objects.filter(name="Analysts").first()
    if group:
        user.groups.add(group)
    return user


@pytest.fixture
def alice_api(alice):
    return Api().as_user(alice)


@pytest.fixture
def bob_api(bob):
    return Api().as_user(bob)
