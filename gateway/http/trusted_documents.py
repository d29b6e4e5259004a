"""Trusted documents: the manifest ``{"<sha256 hex>": "<document>"}`` of the operations that
clients ship with, read at startup and written from a folder of ``.graphql`` files."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from graphql import GraphQLError, GraphQLSchema, parse, validate

SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class TrustedDocumentsError(ValueError):
    """A manifest or a folder of operations that cannot be used; the message says where."""


def sha256_hex(document: str) -> str:
    """The id of a document: the hex SHA-256 of its UTF-8 text, as Apollo and Codegen hash it."""
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def load_manifest(path: str | Path) -> dict[str, str]:
    """The manifest at ``path``; every key must be the SHA-256 of its document."""
    try:
        manifest = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise TrustedDocumentsError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise TrustedDocumentsError(f"{path} is not JSON: {exc}") from exc
    if not isinstance(manifest, dict):
        raise TrustedDocumentsError(
            f'{path} must be a JSON object {{"<sha256 hex>": "<document>"}}'
        )
    documents: dict[str, str] = {}
    for key, document in manifest.items():
        if not isinstance(document, str):
            raise TrustedDocumentsError(f"{path}: the document of {key} is not a string")
        if sha256_hex(document) != key.lower():
            raise TrustedDocumentsError(f"{path}: {key} is not the SHA-256 of its document")
        documents[key.lower()] = document
    return documents


def build_manifest(folder: Path, schema: GraphQLSchema) -> dict[str, str]:
    """One entry per ``.graphql`` file under ``folder``, each a whole document (its operations
    and the fragments they use) that must be valid against ``schema``."""
    if not folder.is_dir():
        raise TrustedDocumentsError(f"{folder} is not a folder")
    manifest: dict[str, str] = {}
    for path in sorted(folder.rglob("*.graphql")):
        document = path.read_text(encoding="utf-8").strip()
        name = path.relative_to(folder)
        try:
            errors = validate(schema, parse(document))
        except GraphQLError as exc:
            errors = [exc]
        if errors:
            raise TrustedDocumentsError(f"{name}: {errors[0].message}")
        manifest[sha256_hex(document)] = document
    if not manifest:
        raise TrustedDocumentsError(f"{folder} holds no .graphql files")
    return manifest
