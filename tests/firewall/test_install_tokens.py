"""Install tokens: created in the API (secret shown once, stored hashed), listed, revoked; the
proxy accepts them as HTTP Basic password or bearer and answers 401 with WWW-Authenticate otherwise."""
import hashlib

from firewall.models import InstallToken
from tests.conftest import make_user
from tests.firewall.conftest import basic


def test_a_token_is_shown_once_and_stored_only_hashed(alice_api, alice):
    response = alice_api.post_json("/v1/install-tokens", {"name": "laptop"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["token"].startswith("sigil_it_") and len(body["token"]) > 40
    assert body["id"].startswith("itk_") and body["name"] == "laptop" and body["revoked_at"] is None
    row = InstallToken.objects.get(public_id=body["id"])
    assert row.user == alice and row.token_hash == hashlib.sha256(body["token"].encode()).hexdigest()
    assert body["token"] not in str(InstallToken.objects.filter(pk=row.pk).values().first())
    listed = alice_api.get("/v1/install-tokens").json()["tokens"]
    assert [t["id"] for t in listed] == [body["id"]]
    assert "token" not in listed[0] and listed[0]["hint"] == body["token"][:13]


def test_tokens_need_a_login_and_are_per_user(api, alice_api, bob_api):
    assert api.get("/v1/install-tokens").status_code == 401
    token_id = alice_api.post_json("/v1/install-tokens", {}).json()["id"]
    assert bob_api.get("/v1/install-tokens").json()["tokens"] == []
    response = bob_api.delete(f"/v1/install-tokens/{token_id}")
    assert response.status_code == 404 and response.json()["code"] == "NOT_FOUND"
    assert InstallToken.objects.get(public_id=token_id).revoked_at is None


def test_a_revoked_token_is_refused_by_the_proxy(client, alice_api):
    created = alice_api.post_json("/v1/install-tokens", {"name": "ci"}).json()
    # The proxy's answer without an upstream is not what we test here: only that auth passed (not 401).
    assert client.get("/simple/nothing-here/", HTTP_AUTHORIZATION=basic(created["token"])).status_code != 401
    revoked = alice_api.delete(f"/v1/install-tokens/{created['id']}")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] and "token" not in revoked.json()
    assert alice_api.get("/v1/install-tokens").json()["tokens"][0]["revoked_at"] is not None
    response = client.get("/simple/nothing-here/", HTTP_AUTHORIZATION=basic(created["token"]))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="Sigil firewall"'
    assert "revoked" in response.json()["detail"] and response.json()["code"] == "UNAUTHORIZED"


def test_no_token_or_a_jwt_or_garbage_is_401_with_a_challenge(client, alice_api, db):
    for header in (None, "Basic !!!notbase64", "Bearer eyJhbGciOiJIUzI1NiJ9.x.y", basic("sigil_it_forged"), "Digest x"):
        extra = {"HTTP_AUTHORIZATION": header} if header else {}
        response = client.get("/simple/anything/", **extra)
        assert response.status_code == 401, header
        assert response["WWW-Authenticate"].startswith("Basic realm=")
        assert response.json()["status"] == 401


def test_a_deactivated_user_s_token_is_refused(client, db):
    from firewall.services import install_token_create

    user = make_user("gone@example.com")
    raw = install_token_create(user=user)[1]
    user.is_active = False
    user.save()
    assert client.get("/simple/x/", HTTP_AUTHORIZATION=basic(raw)).status_code == 401


def test_min_release_age_setting_is_per_user_and_validated(alice_api, bob_api):
    assert alice_api.get("/v1/firewall/settings").json() == {"min_release_age_hours": 0}
    assert alice_api.put("/v1/firewall/settings", {"min_release_age_hours": 48}, format="json").json() == {
        "min_release_age_hours": 48}
    assert bob_api.get("/v1/firewall/settings").json() == {"min_release_age_hours": 0}
    response = alice_api.put("/v1/firewall/settings", {"min_release_age_hours": -1}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "BAD_REQUEST"


def test_the_npm_challenge_says_what_sigil_needs(client, db):
    # npm prints a challenge it does not know ("Unable to authenticate, need: …"); Basic or Bearer
    # would make it print advice about `npm login` and npmjs.com instead.
    response = client.get("/npm/dep-js")
    assert response.status_code == 401 and response.json()["code"] == "UNAUTHORIZED"
    assert response["WWW-Authenticate"] == ('SigilInstallToken realm="Sigil firewall", error_description="an '
                                            'install token is required (create one with `sigil firewall token '
                                            'create`)"')
    revoked = client.get("/npm/dep-js", HTTP_AUTHORIZATION="Bearer sigil_it_forged")
    assert revoked["WWW-Authenticate"].endswith('error_description="the install token is invalid or revoked"')
