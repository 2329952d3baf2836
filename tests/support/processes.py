"""Watching helper processes (BI readers) from a test: the JSON lines they wrote, and waiting on them."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

WAIT_SECONDS = 180
"""Upper bound on waiting for a reader (a guard against hanging, not a performance check)."""


def lines(path: Path) -> list[dict[str, Any]]:
    """The complete JSON lines a reader has written so far (a line still being written is left out)."""
    text = path.read_text() if path.exists() else ""
    return [json.loads(line) for line in text[:text.rfind("\n") + 1].splitlines()]


def wait_until(condition: Callable[[], Any], processes: list[subprocess.Popen], what: str) -> None:
    """Poll `condition` until it holds; fail when a process exited early or after WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        dead = [p.args for p in processes if p.poll() is not None]
        assert not dead, f"reader exited early: {dead}"
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.2)
