"""Slim CI (`warehouse ci`): a change builds and tests only what it touched, against the published build."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from retention_warehouse.cli import app
from retention_warehouse.config import DB_PATH_ENV, PROJECT_ROOT
from retention_warehouse.publish.outcome import PublishError
from retention_warehouse.publish.slim_ci import MANIFEST, changed_build, save_state, state_dir_for
from tests.support.warehouses import file_sha256

PROJECT_PARTS = ("dbt_project.yml", "models", "macros", "seeds", "data-tests", "analyses")
CHANGED_MART = "model.retention_warehouse.fct_campaign_lift"
RUNNABLE = ("model", "seed", "snapshot", "test", "exposure")
"""What `dbt build` reports a result for (an exposure is reported as a no-op)."""


def project_copy(destination: Path) -> Path:
    for part in PROJECT_PARTS:
        source = PROJECT_ROOT / part
        if source.is_dir():
            shutil.copytree(source, destination / part)
        else:
            destination.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination / part)
    return destination


def downstream(manifest: dict, unique_id: str) -> set[str]:
    """`unique_id` and every node below it that a build runs, by the manifest's child map."""
    found, todo = set(), [unique_id]
    while todo:
        node = todo.pop()
        if node not in found:
            found.add(node)
            todo += manifest["child_map"].get(node, [])
    return {node for node in found if node.split(".")[0] in RUNNABLE}


def published_copy(built_warehouse, folder: Path) -> Path:
    """The fixture build as a publish leaves it: the file, and its manifest kept beside it."""
    published = folder / built_warehouse.db_path.name
    published.parent.mkdir(parents=True)
    shutil.copyfile(built_warehouse.db_path, published)
    save_state(built_warehouse.target_dir, published)
    return published


def test_a_changed_mart_builds_only_itself_and_its_children(built_warehouse, tmp_path) -> None:
    published = published_copy(built_warehouse, tmp_path / "published")
    project = project_copy(tmp_path / "project")
    mart_sql = project / "models" / "marts" / "campaigns" / "fct_campaign_lift.sql"
    mart_sql.write_text(mart_sql.read_text().replace("select * from final", "select * from final -- a reviewed change"))
    before = file_sha256(published)

    outcome = changed_build(published, project_dir=project, target_path=tmp_path / "target", log_path=tmp_path / "logs")

    assert outcome.ok, outcome.failures
    manifest = json.loads((tmp_path / "target" / MANIFEST).read_text())
    tested_here = {uid for uid, test in manifest["unit_tests"].items() if test["depends_on"]["nodes"] == [CHANGED_MART]}
    ran = {uid for ids in outcome.ran.values() for uid in ids}
    assert ran == downstream(manifest, CHANGED_MART) | tested_here
    assert outcome.ran["model"] == [CHANGED_MART]
    assert tested_here and outcome.ran["unit_test"] == sorted(tested_here)
    # its data tests: two expressions and unique (its contract holds not_null on DuckDB)
    assert len(outcome.ran["test"]) >= 3
    assert file_sha256(published) == before, "slim CI wrote to the published file"
    assert outcome.work_path.parent == published.parent / "ci"


def test_without_a_published_build_slim_ci_says_what_to_run_first(tmp_path) -> None:
    published = tmp_path / "retention.duckdb"
    with pytest.raises(PublishError, match=r"retention\.state/manifest\.json.*run `warehouse publish`"):
        changed_build(published, project_dir=PROJECT_ROOT, target_path=tmp_path / "target", log_path=tmp_path / "logs")
    assert not state_dir_for(published).exists()


def test_a_change_dbt_cannot_parse_fails_slim_ci(built_warehouse, tmp_path) -> None:
    """A broken model stops dbt before any node runs: that is a failure to report, not "nothing changed"."""
    published = published_copy(built_warehouse, tmp_path / "published")
    project = project_copy(tmp_path / "project")
    mart_sql = project / "models" / "marts" / "campaigns" / "fct_campaign_lift.sql"
    mart_sql.write_text(mart_sql.read_text().replace("select * from final", "select * from {{ ref('final' }}"))
    outcome = CliRunner().invoke(app, ["ci", "--project-dir", str(project), "--target-path", str(tmp_path / "target")],
                                 env={DB_PATH_ENV: str(published), "COLUMNS": "200"})
    assert outcome.exit_code == 1, outcome.output
    assert "nothing changed" not in outcome.output
    assert "fct_campaign_lift" in outcome.output
