"""The GraphiQL page in headless Chromium with every other host blocked: a Task query typed
into it, with a bearer token in its headers editor, shows the Task in the result pane."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import httpx2
import pytest

from tests.oidc_provider import OidcProvider
from tests.serve import gateway_process

CLIENTS = Path(__file__).resolve().parents[1] / "clients"
# Git-ignored; a person can look at what the page showed.
SCREENSHOT = Path(__file__).resolve().parents[2] / "tests" / "out" / "graphiql.png"
CHROMIUM = "/usr/bin/chromium"
BROWSER_TIMEOUT = 180.0
UNAUTHENTICATED_ON_LOAD = (
    "console: Failed to load resource: the server responded with a status of 401 (Unauthorized)"
)
QUERY = 'query { task(id: "demo-task-0001") { id status description } }'


def test_a_task_query_runs_through_the_page_offline(
    oidc_provider: OidcProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    node = shutil.which("node")
    assert node is not None, "node is needed to drive Chromium"
    assert Path(CHROMIUM).is_file(), "Debian's chromium is missing: make chromium"
    assert (CLIENTS / "node_modules" / "puppeteer-core").is_dir(), f"run npm ci in {CLIENTS}"
    token = oidc_provider.mint()
    headers = json.dumps({"Authorization": f"Bearer {token}"})
    settings = {
        "GATEWAY_SEED_DEMO": "true",
        "GATEWAY_AUTH_MODE": "jwt",
        "GATEWAY_AUTH_ISSUER": oidc_provider.issuer,
        "GATEWAY_AUTH_AUDIENCE": oidc_provider.audience,
    }
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)
    with gateway_process(settings) as url:
        finished = subprocess.run(
            [node, "graphiql_page.mjs", f"{url}/graphql", QUERY, headers, str(SCREENSHOT)],
            cwd=CLIENTS,
            env={"PATH": "/usr/bin:/bin", "CHROMIUM": CHROMIUM, "HOME": str(SCREENSHOT.parent)},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=BROWSER_TIMEOUT,
            check=False,
        )
        direct = httpx2.post(
            f"{url}/graphql",
            json={"query": QUERY},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10.0,
        ).json()
    assert finished.returncode == 0, finished.stderr[-3000:]
    seen = json.loads(finished.stdout)

    assert seen["typed"] == QUERY
    assert json.loads(seen["shown"]) == direct
    assert direct["data"]["task"]["id"] == "demo-task-0001"
    assert "query: Query" in seen["explorer"] and "mutation: Mutation" in seen["explorer"]
    assert seen["elsewhere"] == []  # the page asked no other host for anything
    # The only error: the schema asked for on load, before the token was in the editor.
    assert set(seen["problems"]) <= {UNAUTHENTICATED_ON_LOAD}
    assert SCREENSHOT.stat().st_size > 0
    with capsys.disabled():
        print(f"\nGraphiQL screenshot: {SCREENSHOT}")
