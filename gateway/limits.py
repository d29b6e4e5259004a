"""The gateway's fixed bounds: page sizes, tree walks, subtask lists, FHIR request shape, retries.

Schema descriptions that state a bound are built from these names, so the contract and the
code cannot disagree. Bounds an operator tunes are Settings instead (gateway/config.py):
GATEWAY_MAX_DEPTH, GATEWAY_MAX_ALIASES and GATEWAY_MAX_TOKENS (the cost of one query),
GATEWAY_MAX_BODY_BYTES (a /graphql request body), GATEWAY_UPSTREAM_*_TIMEOUT and
GATEWAY_UPSTREAM_MAX_CONNECTIONS (requests to the FHIR server), GATEWAY_MAX_CONNECTIONS and
GATEWAY_MAX_SUBSCRIPTIONS_PER_CONNECTION (live subscriptions). The embedded store's bounds
as a FHIR server (its _count ceiling, parameters per search, batch entries, request bodies)
are that server's own policy and stay with it in gateway/store/.
"""

from __future__ import annotations

from typing import Final

# `first` of every cursor-paged list.
MAX_PAGE_SIZE: Final = 100
DEFAULT_PAGE_SIZE: Final = 20

# Task.subtaskTree: levels below the Task (`maxDepth`), and Tasks one walk may return.
MAX_TREE_DEPTH: Final = 20
DEFAULT_TREE_DEPTH: Final = 10
MAX_TREE_TASKS: Final = 1000

# Task.subtasks lists every child or refuses (QUERY_TOO_COMPLEX); tasks(filter: {partOf})
# pages through any number.
MAX_SUBTASKS: Final = 100

# Task.history: versions one call lists (`first`).
MAX_HISTORY: Final = 100
DEFAULT_HISTORY: Final = 20
# Task.suggestedAssignees(first).
MAX_SUGGESTIONS: Final = 20
DEFAULT_SUGGESTIONS: Final = 5

# Automatic persisted queries kept in one process's memory (GATEWAY_APQ_CACHE_SIZE documents):
# also at most this much text in all, since one document may be as long as a request body.
MAX_APQ_MEMORY_CHARS: Final = 32 * 1024 * 1024

# About 50 ids keep a GET under common servers' ~8 KB URL cap.
IDS_PER_SEARCH: Final = 50
# Common servers cap request lines near 8 KB; past this a search goes as POST [type]/_search.
MAX_QUERY_CHARS: Final = 1800
# FhirClient.search_all: page size asked for, and pages followed before it gives up.
SEARCH_ALL_PAGE_SIZE: Final = 1000
SEARCH_ALL_MAX_PAGES: Final = 50
# taskStats/taskTurnaround read matching Tasks in pages of this size (the embedded store's
# and common servers' _count ceiling); how many they may read is GATEWAY_STATS_MAX_TASKS.
STATS_PAGE_SIZE: Final = 1000
# The one retry of a GET turned away with 429/503: the longest Retry-After waited for,
# and the pause when the server names none.
MAX_RETRY_PAUSE_S: Final = 2
DEFAULT_RETRY_PAUSE_S: Final = 0.25

# Appending a note commutes with any other write, so a conflict is re-read and re-applied.
# Each round of a compare-and-set lets at least one writer through, so N concurrent notes
# all land within N attempts; a short random pause keeps retries from colliding again.
NOTE_ATTEMPTS: Final = 5
NOTE_RETRY_PAUSE_S: Final = 0.02

# Live subscriptions: changes buffered per subscriber before it counts as fallen behind (its
# connection is closed with 1013 rather than memory growing), and the Tasks whose last version
# the change hub keeps. WebSocket keep-alive: GATEWAY_WEBSOCKET_PING_INTERVAL.
SUBSCRIBER_BUFFER: Final = 256
CHANGES_REMEMBERED: Final = 10_000
# A WebSocket's connection_init must come within this; Retry-After of a process that is full.
CONNECTION_INIT_TIMEOUT_S: Final = 10.0
FULL_RETRY_AFTER_S: Final = 5
# Seconds a stopping process waits for open requests; live HTTP subscriptions never end by
# themselves, so after this they are cut and the shutdown (lock release, store close) runs.
SHUTDOWN_GRACE_S: Final = 5
