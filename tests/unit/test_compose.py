"""compose.yaml: two gateway replicas of the image that share Redis and the cursor secret, each
published on the port the image's health check asks."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from tests.dockerfile import read_image

COMPOSE = Path(__file__).resolve().parents[2] / "compose.yaml"


def services() -> dict[str, dict[str, Any]]:
    loaded = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    result: dict[str, dict[str, Any]] = loaded["services"]
    return result


def gateways() -> dict[str, dict[str, Any]]:
    return {name: s for name, s in services().items() if s.get("build") == "."}


def test_two_replicas_share_redis_and_the_cursor_secret() -> None:
    replicas = gateways()
    assert len(replicas) == 2
    envs = [replica["environment"] for replica in replicas.values()]
    redis_url = envs[0]["GATEWAY_REDIS_URL"]
    assert all(env["GATEWAY_REDIS_URL"] == redis_url for env in envs)
    assert all(env["GATEWAY_CURSOR_SECRET"] == envs[0]["GATEWAY_CURSOR_SECRET"] for env in envs)
    redis_host = urlsplit(redis_url).hostname
    assert redis_host in services()
    assert "redis-server" in services()[redis_host]["command"]
    for replica in replicas.values():
        assert replica["depends_on"][redis_host]["condition"] == "service_healthy"
    # Several replicas cannot share an embedded store: they need a FHIR server.
    assert all(env["GATEWAY_FHIR_BASE_URL"].startswith("${GATEWAY_FHIR_BASE_URL:?") for env in envs)


def test_each_replica_is_published_on_the_port_its_health_check_asks() -> None:
    image = read_image()
    # The image's health check reads GATEWAY_PORT; compose must not replace it with another.
    assert "GATEWAY_PORT" in image.healthcheck[-1]
    published = set()
    for replica in gateways().values():
        port = replica["environment"].get("GATEWAY_PORT", image.env["GATEWAY_PORT"])
        assert "healthcheck" not in replica
        [mapping] = replica["ports"]
        host_port, container_port = mapping.split(":")
        assert container_port == port
        published.add(host_port)
    assert len(published) == 2
