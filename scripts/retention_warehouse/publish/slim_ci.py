"""Slim CI: build and test only what a change touched, deferring to the published build for the rest.

A publish keeps the manifest of the build it published beside the published file
(`<name>.state/manifest.json`). `changed_build` copies the published file to `ci/<name>` (same file
name, so the same catalog name the manifest's relations carry) and runs

    dbt build --select state:modified+ --defer --state <name>.state

there: the models, seeds and snapshots whose definition differs from the published build's, everything
downstream of them, and their data and unit tests. An unchanged parent is never rebuilt: the copy
holds the published build's relation (`--defer` would send a ref to the published relation where
the CI file lacked one). The published file itself is never written.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retention_warehouse.config import DB_PATH_ENV
from retention_warehouse.publish.outcome import PublishError
from retention_warehouse.warehouse.dbt_runner import (NodeFailure, ProgressCallback, failures_of, invoke,
                                                      node_results, progress_callback)
from retention_warehouse.warehouse.project import vars_argument

MANIFEST = "manifest.json"
CHANGED_SELECTOR = ("--select", "state:modified+")


def state_dir_for(published: Path) -> Path:
    """The published build's dbt state (its manifest.json), beside the published file."""
    return published.parent / f"{published.stem}.state"


def ci_path_for(published: Path) -> Path:
    """Where a slim CI run builds: a copy of the published file under the same name, in `ci/` beside it."""
    return published.parent / "ci" / published.name


def _staged(published: Path) -> Path:
    return state_dir_for(published) / f".{MANIFEST}.staged"


def stage_state(target_path: Path, published: Path) -> None:
    """Put the manifest of the build just made aside, before any later dbt command rewrites it
    (source freshness writes one of its own, without the build's vars)."""
    manifest = target_path / MANIFEST
    if not manifest.exists():
        raise PublishError(f"{manifest} is missing: the build's manifest cannot be kept for slim CI")
    _staged(published).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(manifest, _staged(published))


def promote_state(published: Path) -> Path:
    """The staged manifest becomes the published build's state (one rename, right after the swap)."""
    state = state_dir_for(published) / MANIFEST
    os.replace(_staged(published), state)
    return state


def save_state(target_path: Path, published: Path) -> Path:
    """Keep `target_path`'s manifest as the state of the build in `published`."""
    stage_state(target_path, published)
    return promote_state(published)


@dataclass(frozen=True)
class ChangedBuild:
    """What a slim CI run built and tested, and where."""

    work_path: Path
    state_dir: Path
    ran: dict[str, list[str]]
    """unique_ids of the nodes that ran, by resource type (model, seed, test, unit_test, ...)."""
    failures: list[NodeFailure]

    @property
    def ok(self) -> bool:
        return not self.failures


def changed_build(
    published: Path, *, project_dir: Path, target_path: Path, log_path: Path,
    dbt_vars: dict[str, Any] | None = None, on_progress: ProgressCallback | None = None,
) -> ChangedBuild:
    """`dbt build --select state:modified+ --defer` against a copy of the published file."""
    state = state_dir_for(published)
    if not (state / MANIFEST).exists():
        raise PublishError(f"no published build's manifest at {state / MANIFEST}: slim CI compares a change with "
                           "the published build, so run `warehouse publish` (or `make build`) first")
    if not published.exists():
        raise PublishError(f"{published} does not exist: run `warehouse publish` (or `make build`) first")
    work = ci_path_for(published)
    work.parent.mkdir(parents=True, exist_ok=True)
    work.with_name(f"{work.name}.wal").unlink(missing_ok=True)  # of a CI run killed before
    shutil.copyfile(published, work)
    result = invoke(["build", *CHANGED_SELECTOR, "--defer", "--state", str(state), *vars_argument(dbt_vars or {})],
                    project_dir=project_dir, target_path=target_path, log_path=log_path,
                    env={DB_PATH_ENV: str(work)},
                    callbacks=[progress_callback(on_progress)] if on_progress else [])
    # A parse error, a broken model file or a manifest dbt cannot read stops dbt before any node:
    # then there is no result to list, and failures_of reports the invocation's error.
    ran: dict[str, list[str]] = {}
    for node_result in node_results(result):
        ran.setdefault(str(node_result.node.resource_type), []).append(node_result.node.unique_id)
    return ChangedBuild(work, state, {kind: sorted(ids) for kind, ids in sorted(ran.items())}, failures_of(result))
