"""Command line: ``python -m gateway serve | seed | export-schema | trusted-documents``."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from gateway.config import Settings

# uvicorn's exit status when the application does not start.
STARTUP_FAILURE = 3


def _serve(settings: Settings, host: str | None, port: int | None) -> int:
    import uvicorn

    from gateway.app import create_app
    from gateway.limits import SHUTDOWN_GRACE_S
    from gateway.observability import configure_logging

    host, port = host or settings.host, port or settings.port
    # Listen before the app exists: a busy port fails here, before the store is opened and
    # the demo clinic is loaded by the app's startup.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        print(f"gateway: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 1

    with sock:
        configure_logging(settings.log_level)
        config = uvicorn.Config(
            create_app(settings),
            host=host,
            port=port,
            log_level=settings.log_level,
            # uvicorn's access log prints query strings, which can carry GraphQL variables (PHI).
            access_log=False,
            proxy_headers=True,
            timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
        )
        server = uvicorn.Server(config)
        url_host = f"[{host}]" if family == socket.AF_INET6 else host
        logging.getLogger("gateway.serve").info("bound to http://%s:%d", url_host, port)
        server.run(sockets=[sock])
    return 0 if server.started else STARTUP_FAILURE


def _seed(settings: Settings, allow_external: bool) -> int:
    from gateway.seed import seed_with_settings

    if not settings.embedded and not allow_external:
        print(
            "refusing to load demo data into the external FHIR server at GATEWAY_FHIR_BASE_URL; "
            "pass --allow-external if that is really meant",
            file=sys.stderr,
        )
        return 2
    if not settings.embedded and settings.effective_fhir_auth == "passthrough":
        # Passthrough sends only callers' tokens, and a command line has no caller.
        print(
            "refusing to load demo data with GATEWAY_FHIR_AUTH=passthrough: the gateway has no "
            "FHIR credentials of its own; seed with GATEWAY_FHIR_AUTH=static or client_credentials",
            file=sys.stderr,
        )
        return 2

    written, present = asyncio.run(seed_with_settings(settings))
    print(f"demo clinic: {written} resources written, {present} already present")
    return 0


def _export_schema(output: str | None) -> int:
    from gateway.schema import build_schema

    sdl = build_schema().as_str() + "\n"
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(sdl)
    else:
        sys.stdout.write(sdl)
    return 0


def _trusted_documents(folder: str, output: str | None) -> int:
    from gateway.http import TrustedDocumentsError, build_manifest
    from gateway.schema import build_schema

    try:
        manifest = build_manifest(Path(folder), build_schema()._schema)
    except TrustedDocumentsError as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        return 2
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _settings_problems(exc: ValidationError) -> str:
    """One line naming each refused setting, without its value (it may be a secret)."""
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        message = error["msg"].removeprefix("Value error, ")
        if error["loc"]:
            message = f"GATEWAY_{str(error['loc'][0]).upper()}: {message}"
        problems.append(message)
    return "; ".join(problems)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gateway", description="GraphQL gateway over FHIR Tasks")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP server")
    serve.add_argument("--host", help="listen address (default GATEWAY_HOST)")
    serve.add_argument("--port", type=int, help="listen port (default GATEWAY_PORT)")
    seed = commands.add_parser("seed", help="load the demo clinic (idempotent)")
    seed.add_argument(
        "--allow-external",
        action="store_true",
        help="also load it into an external FHIR server (GATEWAY_FHIR_BASE_URL)",
    )
    export = commands.add_parser("export-schema", help="print the GraphQL SDL")
    export.add_argument("--output", help="write to this file instead of stdout")
    trusted = commands.add_parser(
        "trusted-documents",
        help="write the manifest of trusted documents from a folder of .graphql operations",
    )
    trusted.add_argument("folder", help="folder of .graphql files, one document each")
    trusted.add_argument("--output", help="write to this file instead of stdout")
    args = parser.parse_args(argv)

    if args.command == "export-schema":
        return _export_schema(args.output)
    if args.command == "trusted-documents":
        return _trusted_documents(args.folder, args.output)
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"gateway: {_settings_problems(exc)}", file=sys.stderr)
        return 2
    if args.command == "serve":
        from gateway.http import TrustedDocumentsError

        try:
            return _serve(settings, args.host, args.port)
        except TrustedDocumentsError as exc:
            print(f"gateway: GATEWAY_TRUSTED_DOCUMENTS: {exc}", file=sys.stderr)
            return 2
    return _seed(settings, args.allow_external)


if __name__ == "__main__":
    sys.exit(main())
