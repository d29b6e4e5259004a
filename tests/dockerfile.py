"""Reads the Dockerfile's final stage (ENV, CMD, HEALTHCHECK) so tests run what the image runs."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path

DOCKERFILE = Path(__file__).resolve().parents[1] / "Dockerfile"


@dataclass(frozen=True)
class Image:
    env: dict[str, str]
    command: list[str]
    healthcheck: list[str]


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = "\n".join(lines).replace("\\\n", " ")
    found = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, arguments = line.strip().partition(" ")
            found.append((keyword.upper(), arguments.strip()))
    return found


def read_image(path: Path = DOCKERFILE) -> Image:
    """The final stage's environment, CMD and HEALTHCHECK command (exec forms)."""
    instructions = _instructions(path.read_text(encoding="utf-8"))
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    env: dict[str, str] = {}
    command: list[str] = []
    healthcheck: list[str] = []
    for keyword, arguments in instructions[last_from + 1 :]:
        if keyword == "ENV":
            for pair in shlex.split(arguments):
                name, _, value = pair.partition("=")
                env[name] = value
        elif keyword == "CMD":
            command = json.loads(arguments)
        elif keyword == "HEALTHCHECK":
            healthcheck = json.loads(arguments[arguments.index("CMD ") + 4 :])
    return Image(env=env, command=command, healthcheck=healthcheck)
