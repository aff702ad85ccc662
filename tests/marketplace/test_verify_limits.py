"""Caps and failure handling: git size/time caps, symlinks, unexpected errors never leave pending."""
import os

import pytest

from marketplace.models import Verification
from marketplace.registries import FetchError, GitFetcher, TransientFetchError
from tests.fakes.servers import FakeGit


@pytest.fixture
def git_with_symlink(allow):
    with FakeGit({"acme/links": {"README.md": "hi\n", "passwd": ("symlink", "/etc/passwd")}}) as server:
        allow(server)
        yield server


def test_git_symlinks_are_checked_out_as_plain_files(git_with_symlink):
    artifact = GitFetcher().fetch(git_with_symlink.repo_url("acme/links"), None)
    try:
        path = os.path.join(artifact.directory, "passwd")
        assert not os.path.islink(path)
        with open(path) as fh:
            assert fh.read() == "/etc/passwd"
    finally:
        artifact.cleanup()


def test_git_checkout_over_the_size_cap_is_refused(fake_git, settings):
    settings.SIGIL_VERIFY_MAX_ARTIFACT_BYTES = 10
    with pytest.raises(FetchError, match="larger than 10 bytes"):
        GitFetcher().fetch(fake_git.repo_url("acme/tool"), None)


def test_git_clone_over_the_time_cap_is_killed(fake_git, settings):
    settings.SIGIL_GIT_TIMEOUT_SECONDS = 0
    with pytest.raises(TransientFetchError, match="longer than 0 seconds"):
        GitFetcher().fetch(fake_git.repo_url("acme/tool"), None)


@pytest.mark.django_db(transaction=True)  # the verification is queued on commit (transaction.on_commit)
def test_an_unexpected_error_is_recorded_not_left_pending(alice_api, settings):
    settings.SIGIL_VERIFY_FETCHERS = {"pip": "tests.fakes.fetchers.ExplodingFetcher"}
    response = alice_api.post_json("/v1/verify", {"source_type": "pip", "source_ref": "tidy"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "error" and body["badge_url"] is None
    assert "boom" not in body["error"]  # internals stay in the logs
    assert Verification.objects.get().status == "error"
