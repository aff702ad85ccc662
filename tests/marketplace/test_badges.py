"""Badges (SVG and shields endpoint JSON) and the public verification page."""
from datetime import timedelta

from xml.etree import ElementTree

import pytest
from django.utils import timezone

from marketplace.models import Verification


@pytest.fixture
def verified(alice):
    v = Verification(owner=alice, source_type="npm", source_ref="leftpad-ok", source_version="1.2.0",
                     status="verified", score=3, verdict="low",
                     details={"phases_clean": [1, 3, 4, 5, 6], "phases_flagged": [{"phase": 2, "score": 3, "note": "eval"}],
                              "publisher_reputation": 70, "known_threats": 0},
                     phases=[{"phase": 2, "name": "code_patterns", "score": 3, "findings": ["eval() in <b>x.js</b>:1"]}])
    v.stamp()
    v.save()
    return v


SVG = "{http://www.w3.org/2000/svg}"


def badge_texts(response) -> tuple[list[str], list[str], str]:
    """Parse the SVG: (texts, [label colour, message colour], title), as a reader's browser would."""
    root = ElementTree.fromstring(response.content)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    # The painted halves: the grey label rect and the message rect beside it (x = the label's width).
    painted = next(g for g in root.iter(f"{SVG}g") if g.get("clip-path"))
    halves = [r for r in painted.iter(f"{SVG}rect") if r.get("fill", "").startswith("#")]
    return texts, [r.get("fill") for r in halves], root.find(f"{SVG}title").text


def _stored(alice, status, verdict, **fields):
    v = Verification(owner=alice, source_type="pip", source_ref="tidy", status=status, score=1, verdict=verdict,
                     **fields)
    v.stamp()
    v.save()
    return v


@pytest.mark.parametrize("verdict, status, color", [("clean", "verified", "#4c1"), ("low", "verified", "#4c1"),
                                                    ("medium", "failed", "#fe7d37"), ("critical", "failed", "#fe7d37")])
def test_svg_badge_says_the_state_and_its_date_not_the_verdict(client, alice, settings, verdict, status, color):
    v = _stored(alice, status, verdict)
    response = client.get(f"/badge/{v.public_id}.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    texts, fills, title = badge_texts(response)
    message = f"{status} {v.verified_at:%Y-%m-%d}"
    assert texts == ["sigil", message] and title == f"sigil: {message}"
    assert fills[1] == color and verdict not in texts
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["ETag"]
    svg = response.content.decode()
    assert f'xlink:href="{settings.SIGIL_PUBLIC_URL}/verifications/{v.public_id}"' in svg


def test_revoked_badge_is_red_with_the_revocation_date(client, alice):
    v = _stored(alice, "verified", "low")
    v.revoke(reason="a threat recorded later matches it", feed_version=7, threat="THR-2026-0001",
             now=timezone.now() + timedelta(days=3))
    v.save()
    texts, fills, _ = badge_texts(client.get(f"/badge/{v.public_id}.svg"))
    assert texts == ["sigil", f"revoked {v.revoked_at:%Y-%m-%d}"] and fills[1] == "#e05d44"
    assert client.get(f"/badge/{v.public_id}.json").json() == {
        "schemaVersion": 1, "label": "sigil", "message": f"revoked {v.revoked_at:%Y-%m-%d}", "color": "red",
        "cacheSeconds": 300}


def test_revoked_beats_expired_on_the_badge(client, alice):
    v = _stored(alice, "verified", "clean")
    v.revoke(reason="x", feed_version=1)
    v.expires_at = timezone.now() - timedelta(days=1)
    v.save()
    assert badge_texts(client.get(f"/badge/{v.public_id}.svg"))[0][1].startswith("revoked ")


@pytest.mark.parametrize("status, word", [("pending", "pending"), ("error", "error")])
def test_unfinished_results_say_so_in_grey(client, alice, status, word):
    v = Verification.objects.create(owner=alice, source_type="pip", source_ref="tidy", status=status)
    texts, fills, _ = badge_texts(client.get(f"/badge/{v.public_id}.svg"))
    assert texts == ["sigil", word] and fills[1] == "#9f9f9f"


@pytest.mark.parametrize("ident", ["ver_000000000000", "ver_SHOUTING1234", "nonsense", "ver_%3Cscript%3E"])
def test_unknown_id_gets_a_not_found_badge_with_404(client, db, ident):
    response = client.get(f"/badge/{ident}.svg")
    assert response.status_code == 404
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    texts, fills, title = badge_texts(response)
    assert texts == ["sigil", "not found"] and fills[1] == "#9f9f9f" and title == "sigil: not found"
    assert response["Cache-Control"] == "public, max-age=60"
    as_json = client.get(f"/badge/{ident}.json")
    assert as_json.status_code == 404 and as_json.json()["message"] == "not found"


def test_badge_etag_answers_304_when_unchanged(client, verified):
    first = client.get(f"/badge/{verified.public_id}.svg")
    again = client.get(f"/badge/{verified.public_id}.svg", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again["ETag"] == first["ETag"]


def test_badge_says_expired_after_expires_at(client, verified):
    verified.expires_at = timezone.now() - timedelta(seconds=1)
    verified.save()
    texts, fills, _ = badge_texts(client.get(f"/badge/{verified.public_id}.svg"))
    assert texts == ["sigil", f"expired {verified.expires_at:%Y-%m-%d}"] and fills[1] == "#9f9f9f"
    assert client.get(f"/badge/{verified.public_id}.json").json()["message"].startswith("expired ")


def test_badge_json_follows_the_shields_endpoint_schema(client, verified):
    response = client.get(f"/badge/{verified.public_id}.json")
    assert response.status_code == 200
    assert response.json() == {"schemaVersion": 1, "label": "sigil",
                               "message": f"verified {verified.verified_at:%Y-%m-%d}", "color": "brightgreen",
                               "cacheSeconds": 300}
    assert response["ETag"] and response["Cache-Control"] == "public, max-age=300"


def test_badge_text_is_escaped():
    from marketplace.badges import render_svg

    svg = render_svg('<script>alert("x")</script>&', link='https://x.example/"><script>')
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&amp;" in svg
    assert 'xlink:href="https://x.example/&quot;&gt;&lt;script&gt;"' in svg


def test_badges_are_read_only(client, db):
    assert client.post("/badge/ver_000000000000.svg").status_code == 405


def test_public_page_shows_the_result_and_nothing_about_the_requester(client, verified):
    response = client.get(f"/verifications/{verified.public_id}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "leftpad-ok" in html and "1.2.0" in html and "low" in html and "code_patterns" in html
    assert verified.verified_at.strftime("%Y-%m-%d") in html
    assert f"/badge/{verified.public_id}.svg" in html
    assert "&lt;b&gt;x.js&lt;/b&gt;" in html and "<b>x.js</b>" not in html
    assert "alice" not in html.lower() and verified.owner.public_id not in html


def test_public_page_of_a_url_source_hides_its_query(client, alice):
    v = Verification(owner=alice, source_type="url", source_ref="https://dl.example.com/a.tgz?token=SECRET123",
                     status="verified", score=0, verdict="clean", phases=[])
    v.stamp()
    v.save()
    html = client.get(f"/verifications/{v.public_id}").content.decode()
    assert "dl.example.com/a.tgz" in html and "SECRET123" not in html


@pytest.mark.django_db(transaction=True)  # the verification is queued on commit (transaction.on_commit)
def test_badge_url_points_at_the_public_url(alice_api, fake_npm, settings, client):
    body = alice_api.post_json("/v1/verify", {"source_type": "npm", "source_ref": "leftpad-ok"}).json()
    path = body["badge_url"].removeprefix(settings.SIGIL_PUBLIC_URL)
    assert path == f"/badge/{body['verification_id']}.svg"
    assert client.get(path).status_code == 200
    assert client.get(body["page_url"].removeprefix(settings.SIGIL_PUBLIC_URL)).status_code == 200


def test_public_page_of_a_revoked_result_shows_its_history_with_the_threat_linked(client, verified, settings):
    verified.rechecked_at, verified.rechecked_version = timezone.now(), 3
    verified.revoke(reason="threat THR-2026-0042 (critical malware) matches its artifact hash", feed_version=4,
                    threat="THR-2026-0042")
    verified.save()
    html = client.get(f"/verifications/{verified.public_id}").content.decode()
    assert f"Verified on {verified.verified_at:%Y-%m-%d}" in html
    assert f"Revoked on {verified.revoked_at:%Y-%m-%d}" in html and "matches its artifact hash" in html
    assert f'href="{settings.SIGIL_PUBLIC_URL}/threats/THR-2026-0042"' in html
    assert "Re-checked against feed version 3" in html
    assert f"revoked {verified.revoked_at:%Y-%m-%d}" in html


def test_public_page_says_when_a_passing_result_was_re_checked(client, verified):
    verified.rechecked_at, verified.rechecked_version = timezone.now(), 12
    verified.save()
    html = client.get(f"/verifications/{verified.public_id}").content.decode()
    assert "Re-checked against feed version 12" in html and "still passes" in html
    assert f"verified {verified.verified_at:%Y-%m-%d}" in html and "verdict low" in html
