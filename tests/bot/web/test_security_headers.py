"""Security headers on every page and API answer; the API docs from our own origin."""

from __future__ import annotations

from tests.bot.web.conftest import World, sign_in


def test_pages_and_api_answers_carry_the_headers_and_are_not_kept(world: World) -> None:
    client = world.client
    headers = sign_in(world, "admin")
    for path, extra in (("/", {}), ("/console", {}), ("/api/me", headers), ("/healthz", {})):
        client.cookies.clear()
        response = client.get(path, headers=extra, follow_redirects=False)
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, path
        assert "unsafe-eval" not in policy and "script-src 'self' 'unsafe-inline'" not in policy
        assert (
            response.headers["x-frame-options"] == "DENY"
            and response.headers["x-content-type-options"] == "nosniff"
        )
        assert response.headers["referrer-policy"] == "same-origin"
        assert response.headers["cache-control"] == "no-store", path  # people's questions and figures
    static = client.get("/static/chat.js")
    assert static.status_code == 200 and static.headers.get("cache-control") != "no-store"
    assert static.headers["x-content-type-options"] == "nosniff"


def test_the_api_docs_load_nothing_from_elsewhere(world: World) -> None:
    client = world.client
    page = client.get("/docs")
    assert page.status_code == 200 and "/docs/assets/swagger-ui-bundle.js" in page.text
    assert "http://" not in page.text and "https://" not in page.text and "<script>" not in page.text
    assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/static/docs.js").status_code == 200
    assert client.get("/openapi.json").json()["info"]["title"] == "changebot"
