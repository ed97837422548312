"""``/docs`` works offline: Swagger UI is served by Yizhan itself, pinned, and nothing on the
page comes from another origin (FastAPI's default loads it from cdn.jsdelivr.net).

The browser test drives Debian's headless Chromium as tests/api/test_map_browser.py does, against
a real uvicorn server, with every request to anywhere but that server refused.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Final
from urllib.parse import urljoin, urlsplit

import pytest
import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, ConsoleMessage, Route

from api.app import create_app
from api.routes.docs import PINNED, SERVED, VERSION, asset
from api.settings import Settings
from tests.api.chromium import CHROMIUM_ARGS, launched_chromium
from tests.api.test_workers import free_port

VENDOR: Final = Path(__file__).resolve().parents[2] / "api" / "docs_vendor" / "swagger-ui"
ORIGIN: Final = "http://testserver"  # TestClient's
ABSOLUTE: Final = re.compile(r"""(?:https?:)?//[^\s"'<>)]+""", re.IGNORECASE)
URL_ATTRIBUTES: Final = frozenset({"href", "src", "srcset", "action", "poster", "formaction"})
TYPES: Final = {
    "/static/docs/swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "/static/docs/swagger-ui.css": "text/css; charset=utf-8",
    "/static/docs/favicon-32x32.png": "image/png",
}


class Page(HTMLParser):
    """A page's URL-carrying attributes and the text of its scripts and styles (its other
    text, which a browser never fetches, is left out)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.attributes: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.code: list[str] = []
        self._in_code = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_code = tag in ("script", "style")
        self.attributes += [(tag, name, value or "") for name, value in attrs]

    def handle_endtag(self, tag: str) -> None:
        self._in_code = False

    def handle_data(self, data: str) -> None:
        if self._in_code:
            self.code.append(data)

    def references(self) -> list[str]:
        """Every URL the page names outside its text: attribute values, and absolute and
        quoted same-origin paths inside its inline script (``url: '/openapi.json'``)."""
        found = [v for _, name, v in self.attributes if name in URL_ATTRIBUTES and v]
        for code in self.code:
            found += ABSOLUTE.findall(code)
            found += re.findall(r"""['"](/(?!/)[^'"\s]*)['"]""", code)
        return found


def parsed(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def foreign(page_url: str, references: list[str]) -> list[str]:
    """The references that resolve to another origin than the page's."""
    origin = urlsplit(page_url)[:2]
    return [r for r in references if urlsplit(urljoin(page_url, r))[:2] != origin]


# -- the page and its files ----------------------------------------------------------------------


def test_docs_names_only_same_origin_urls(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = parsed(response.text)
    references = page.references()
    assert foreign(f"{ORIGIN}/docs", references) == []
    assert set(TYPES) | {"/openapi.json"} <= set(references)
    # The checker does see a CDN URL where FastAPI's default page puts one.
    cdn = '<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js">'
    assert foreign(f"{ORIGIN}/docs", parsed(cdn).references()) == [
        "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"
    ]
    assert "cdn.jsdelivr.net" not in response.text
    assert "<title>Yizhan 驿站 - Swagger UI</title>" in response.text


def test_the_checker_sees_foreign_urls_in_scripts_too() -> None:
    page = parsed(
        "<p>see https://example.org</p><script>fetch('//evil.example/x');"
        "const u = 'https://cdn.example/a.js', v = '/openapi.json';</script>"
        '<link rel="stylesheet" href="http://cdn.example/a.css">'
    )
    assert foreign(f"{ORIGIN}/docs", page.references()) == [
        "http://cdn.example/a.css",
        "//evil.example/x",
        "https://cdn.example/a.js",
    ]


@pytest.mark.parametrize("path", sorted(TYPES))
def test_each_referenced_file_is_served_with_its_type_etag_and_cache(
    client: TestClient, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == TYPES[path]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "public, max-age=86400"
    name = path.rsplit("/", 1)[1]
    assert hashlib.sha256(response.content).hexdigest() == PINNED[name]
    assert response.content == (VENDOR / name).read_bytes()
    etag = response.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)

    again = client.get(path, headers={"If-None-Match": f"W/{etag}"})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200

    head = client.head(path)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(response.content))


def test_openapi_json_is_there_for_the_page(client: TestClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/v1/stations/nearest" in paths
    assert not {p for p in paths if p == "/docs" or p.startswith("/static/")}


def test_other_files_redoc_and_the_oauth2_redirect_are_not_served(client: TestClient) -> None:
    for path in [
        "/static/docs/LICENSE",
        "/static/docs/swagger-ui.css.map",
        "/static/docs/",
        "/redoc",
        "/docs/oauth2-redirect",
    ]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"
    assert client.post("/docs").status_code == 405


def test_the_page_follows_a_root_path(demo_db: Path) -> None:
    with TestClient(create_app(Settings(db=demo_db)), root_path="/yizhan") as client:
        response = client.get("/docs")
    assert response.status_code == 200
    references = parsed(response.text).references()
    assert {"/yizhan/openapi.json", "/yizhan/static/docs/swagger-ui-bundle.js"} <= set(references)


def test_vendored_files_are_the_pinned_ones_and_the_readme_says_so() -> None:
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    assert f"swagger-ui-dist | {VERSION} | Apache-2.0" in readme
    assert f"swagger-ui-dist-{VERSION}.tgz" in readme
    assert sorted(p.name for p in VENDOR.iterdir()) == sorted([*PINNED, "README.md"])
    for name, digest in PINNED.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest
        assert f"`{name}`" in readme and digest in readme
    assert set(SERVED) <= set(PINNED)
    assert "Apache License" in (VENDOR / "LICENSE").read_text(encoding="utf-8")


def test_a_changed_vendored_file_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    asset.cache_clear()
    monkeypatch.setitem(PINNED, "swagger-ui.css", "0" * 64)
    try:
        with pytest.raises(RuntimeError, match="not the pinned swagger-ui-dist"):
            asset("swagger-ui.css")
    finally:
        asset.cache_clear()


# -- in a real browser, offline --------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(demo_db: Path) -> Iterator[str]:
    """A real uvicorn server in a thread over the demo GeoPackage; its base URL."""
    app = create_app(Settings(db=demo_db))
    config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launched_chromium(CHROMIUM_ARGS) as launched:
        yield launched


@dataclass
class Requests:
    served: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.mark.browser
def test_swagger_ui_renders_the_operations_with_every_remote_request_refused(
    browser: Browser, server: str
) -> None:
    seen = Requests()
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    try:
        page = context.new_page()

        def local_only(route: Route) -> None:
            url = route.request.url
            if url.startswith(("data:", "about:", "blob:")) or url.startswith(f"{server}/"):
                seen.served.append(url)
                route.continue_()
            else:
                seen.refused.append(url)
                route.abort()

        def console(msg: ConsoleMessage) -> None:
            if msg.type == "error":
                seen.errors.append(f"console: {msg.text}")

        page.route("**/*", local_only)
        page.on("console", console)
        page.on("pageerror", lambda exc: seen.errors.append(f"page error: {exc}"))
        page.goto(f"{server}/docs", wait_until="load")

        nearest = page.locator(".opblock", has_text="/v1/stations/nearest").first
        nearest.wait_for(state="visible", timeout=20_000)
        summary = nearest.locator(".opblock-summary-path").first.text_content() or ""
        assert "/v1/stations/nearest" in summary.replace("\u200b", "")
        assert page.locator(".opblock").count() > 10
        assert "Yizhan" in (page.locator(".info .title").text_content() or "")
        # The stylesheet applied: an operation block is laid out as Swagger UI styles it.
        assert nearest.evaluate("node => getComputedStyle(node).borderStyle") == "solid"

        # "Try it out" calls this server from the page, and shows the answer.
        health = page.locator(".opblock", has_text="/healthz").first
        health.locator(".opblock-summary").first.click()
        health.locator("button.try-out__btn").click()
        health.locator("button.execute").click()
        status = health.locator(".live-responses-table .response .response-col_status").first
        status.wait_for(timeout=20_000)
        assert (status.text_content() or "").strip() == "200"

        assert seen.refused == []
        assert seen.errors == []
        paths = {urlsplit(url).path for url in seen.served}
        assert {"/docs", "/openapi.json", "/healthz", *TYPES} - {
            "/static/docs/favicon-32x32.png"
        } <= paths
    finally:
        context.close()
