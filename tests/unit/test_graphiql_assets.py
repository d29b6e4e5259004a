"""The GraphiQL page names only files the package ships, and nothing it ships loads from
another host (no absolute URL in the page, no remote stylesheet or font)."""

from __future__ import annotations

import re

from gateway.graphiql_page import ASSETS, graphiql_page

STYLESHEETS = [ASSETS / "page.css", ASSETS / "vendor" / "graphiql.min.css"]


def test_the_page_names_only_shipped_files() -> None:
    html = bytes(graphiql_page(bearer=False).body).decode()
    named = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "://" not in html
    assert named and all(name == "data:," or name.startswith("graphiql/") for name in named)
    for name in named:
        if name != "data:,":
            assert (ASSETS / name.removeprefix("graphiql/")).is_file(), name


def test_stylesheets_load_nothing_from_elsewhere() -> None:
    for sheet in STYLESHEETS:
        text = sheet.read_text(encoding="utf-8")
        assert "@import" not in text
        urls = re.findall(r"url\(\s*['\"]?([^'\")]+)", text)
        assert all(url.startswith("data:") for url in urls), sheet.name


def test_the_browser_is_told_to_refuse_other_hosts() -> None:
    policy = graphiql_page(bearer=True).headers["content-security-policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy
    assert "http" not in policy
