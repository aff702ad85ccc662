"""Badges (SVG and shields endpoint JSON) and the public verification page."""
from datetime import timedelta

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


@pytest.mark.parametrize("verdict, status, color", [("clean", "verified", "#4c1"), ("low", "verified", "#97ca00"),
                                                    ("medium", "failed", "#dfb317"), ("critical", "failed", "#e05d44")])
def test_svg_badge_says_sigil_and_the_verdict_in_its_colour(client, alice, settings, verdict, status, color):
    v = Verification(owner=alice, source_type="pip", source_ref="tidy", status=status, score=1, verdict=verdict)
    v.stamp()
    v.save()
    response = client.get(f"/badge/{v.public_id}.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    svg = response.content.decode()
    assert svg.startswith("<svg") and ">sigil</text>" in svg and f">{verdict}</text>" in svg and color in svg
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["ETag"]
    assert f'xlink:href="{settings.SIGIL_PUBLIC_URL}/verifications/{v.public_id}"' in svg


def test_badge_etag_answers_304_when_unchanged(client, verified):
    first = client.get(f"/badge/{verified.public_id}.svg")
    again = client.get(f"/badge/{verified.public_id}.svg", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again["ETag"] == first["ETag"]


def test_badge_says_expired_after_expires_at(client, verified):
    verified.expires_at = timezone.now() - timedelta(seconds=1)
    verified.save()
    svg = client.get(f"/badge/{verified.public_id}.svg").content.decode()
    assert ">expired</text>" in svg and "#9f9f9f" in svg
    assert client.get(f"/badge/{verified.public_id}.json").json()["message"] == "expired"


def test_badge_json_follows_the_shields_endpoint_schema(client, verified):
    response = client.get(f"/badge/{verified.public_id}.json")
    assert response.status_code == 200
    assert response.json() == {"schemaVersion": 1, "label": "sigil", "message": "low", "color": "green",
                               "cacheSeconds": 300}
    assert response["ETag"] and response["Cache-Control"] == "public, max-age=300"


def test_badge_text_is_escaped():
    from marketplace.badges import render_svg

    svg = render_svg('<script>alert("x")</script>&', link='https://x.example/"><script>')
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&amp;" in svg
    assert 'xlink:href="https://x.example/&quot;&gt;&lt;script&gt;"' in svg


def test_unknown_badge_is_404(client, db):
    assert client.get("/badge/ver_000000000000.svg").status_code == 404
    assert client.get("/badge/ver_000000000000.json").status_code == 404
    assert client.post("/badge/ver_000000000000.svg").status_code in (404, 405)


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


def test_badge_url_points_at_the_public_url(alice_api, fake_npm, settings, client):
    body = alice_api.post_json("/v1/verify", {"source_type": "npm", "source_ref": "leftpad-ok"}).json()
    path = body["badge_url"].removeprefix(settings.SIGIL_PUBLIC_URL)
    assert path == f"/badge/{body['verification_id']}.svg"
    assert client.get(path).status_code == 200
    assert client.get(body["page_url"].removeprefix(settings.SIGIL_PUBLIC_URL)).status_code == 200
