"""The response media type a GraphQL-over-HTTP client asked for in its Accept header."""

from __future__ import annotations

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"


def _quality(accept: str, media_type: str) -> tuple[float, bool]:
    """How much ``accept`` wants ``media_type`` (its q), and whether it names it exactly."""
    kind = media_type.split("/")[0]
    best: tuple[int, float] = (-1, 0.0)  # (specificity, q) of the most specific matching range
    for part in accept.split(","):
        fields = [field.strip() for field in part.split(";")]
        media_range = fields[0].lower()
        specificity = {media_type: 2, f"{kind}/*": 1, "*/*": 0}.get(media_range)
        if specificity is None or specificity < best[0]:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        best = (specificity, q)
    return best[1], best[0] == 2


def response_media_type(accept: str | None) -> str:
    """``application/graphql-response+json`` when the client names it and wants it at least
    as much as ``application/json``; otherwise ``application/json``, which every client
    reads (also for a missing Accept or a bare ``*/*``, as the GraphQL-over-HTTP spec asks)."""
    if not accept:
        return JSON
    graphql_q, named = _quality(accept, GRAPHQL_RESPONSE_JSON)
    json_q, _ = _quality(accept, JSON)
    if named and graphql_q > 0 and graphql_q >= json_q:
        return GRAPHQL_RESPONSE_JSON
    return JSON
