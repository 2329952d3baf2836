"""Build a fixture once per test session, across pytest-xdist workers, and hand each worker its own copy.

The session's workers share one base temporary folder. The first worker to ask for a fixture builds
it there under a file lock; the others wait for the lock, find it built, and copy it (a file copy is
a second, a build is tens of seconds). A build that fails leaves no marker, so the next asker builds
again and fails with its own error.
"""

from __future__ import annotations

import fcntl
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

T = TypeVar("T")
DONE = ".built"
"""Marker file: the folder holds a complete build, and the pickled value it returned."""


def session_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder every worker of this session sees: the parent of a worker's base temp, else the base temp."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if base.name.startswith("popen-gw") else base
    shared = root / "shared"
    shared.mkdir(exist_ok=True)
    return shared


def build_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], T]) -> tuple[Path, T]:
    """The folder `name` built by `build(folder)` once this session, and what `build` returned (pickled)."""
    folder = session_root(tmp_path_factory) / name
    with open(folder.with_name(f"{name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (folder / DONE).exists():
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir()
                value = build(folder)
                (folder / DONE).write_bytes(pickle.dumps(value))
            return folder, pickle.loads((folder / DONE).read_bytes())
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def copy_of(folder: Path, destination: Path, ignore: Callable[[Any, list[str]], set[str]] | None = None) -> Path:
    """This worker's own copy of a shared build (tests may write to it)."""
    shutil.copytree(folder, destination, ignore=ignore or shutil.ignore_patterns(DONE), dirs_exist_ok=True)
    return destination
