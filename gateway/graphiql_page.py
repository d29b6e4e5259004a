"""The development GraphiQL page: HTML whose scripts, styles and fonts all come from this
package (gateway/static/graphiql), so it works on a network that reaches no other host."""

from __future__ import annotations

from pathlib import Path

from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

ASSETS = Path(__file__).parent / "static" / "graphiql"
# Where the assets are served; the page at /graphql names them relative to itself.
ASSETS_PATH = "/graphiql"

# The browser itself refuses anything from another host; GraphiQL's components set inline
# styles and its CSS embeds its fonts as data: URLs.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)

_PAGE = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>GraphiQL · FHIR Task gateway</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="graphiql/vendor/graphiql.min.css">
    <link rel="stylesheet" href="graphiql/page.css">
  </head>
  <body data-bearer="{bearer}">
    <div id="graphiql">Loading GraphiQL…</div>
    <script src="graphiql/vendor/react.production.min.js"></script>
    <script src="graphiql/vendor/react-dom.production.min.js"></script>
    <script src="graphiql/vendor/graphiql.min.js"></script>
    <script src="graphiql/page.js"></script>
  </body>
</html>
"""


def graphiql_page(bearer: bool) -> HTMLResponse:
    """The page; with ``bearer`` (callers authenticate) its headers editor opens with an
    Authorization header to complete."""
    html = _PAGE.format(bearer="true" if bearer else "false")
    return HTMLResponse(html, headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY})


def graphiql_assets() -> StaticFiles:
    """The page's scripts, styles and their licenses."""
    return StaticFiles(directory=ASSETS)
