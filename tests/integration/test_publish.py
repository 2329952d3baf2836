"""Write–audit–publish on a tiny dbt project: only a build whose every node passed reaches the
published file; a failed test, a failed model or a failed load leave it byte for byte as it was."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from retention_warehouse.cli import app
from retention_warehouse.config import DB_PATH_ENV, PROJECT_ROOT
from retention_warehouse.publish.duckdb_file import (
    publish_duckdb_file,
    publish_lock,
    wal_of,
    work_path_for,
)
from retention_warehouse.publish.outcome import PublishError, PublishOutcome
from retention_warehouse.publish.slim_ci import MANIFEST, state_dir_for
from tests.support.raw_files import CUSTOMER_HEADER, raw_dir, write
from tests.support.warehouses import file_sha256

FIXTURE = Path(__file__).parents[1] / "support" / "projects" / "publish_project"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(FIXTURE, project)
    (project / "macros").mkdir()
    shutil.copy(PROJECT_ROOT / "macros" / "project" / "generate_schema_name.sql", project / "macros")
    return project


def publish(project: Path, published: Path, **kwargs) -> PublishOutcome:
    return publish_duckdb_file(published, project_dir=project, target_path=project / "target",
                               log_path=project / "logs", check_freshness=False, **kwargs)


def build_id_of(path: Path) -> str:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("select build_id from marts.dim_warehouse_build").fetchone()[0]


def test_a_passing_build_is_published_and_a_failing_one_is_not(project: Path, tmp_path: Path) -> None:
    published = tmp_path / "warehouse" / "retention.duckdb"
    first = publish(project, published)
    assert first.published and not first.failures, first.failures
    assert build_id_of(published) == first.build_id
    assert first.mart_rows == {"dim_warehouse_build": 1, "fct_numbers": 5}
    assert not first.work_path.exists(), "the work file became the published file"
    state = state_dir_for(published) / MANIFEST
    assert state.read_bytes() == (project / "target" / MANIFEST).read_bytes(), "the published build's manifest is kept"
    before, state_before = file_sha256(published), file_sha256(state)

    failed_test = publish(project, published, dbt_vars={"max_number": 3})
    assert not failed_test.published
    assert [(f.unique_id, f.status) for f in failed_test.failures] == [
        ("test.publish_fixture.assert_numbers_within_limit", "fail")]
    assert file_sha256(published) == before
    assert build_id_of(failed_test.work_path) == failed_test.build_id, "the failed build stays in the work file"

    failed_model = publish(project, published, dbt_vars={"break_model": True})
    assert not failed_model.published
    assert [(f.unique_id, f.status) for f in failed_model.failures] == [("model.publish_fixture.fct_numbers", "error")]
    assert "no_such_column" in failed_model.failures[0].message
    assert file_sha256(published) == before
    assert file_sha256(state) == state_before, "slim CI must compare with the build that is published"


def test_the_work_file_keeps_the_published_name_so_views_keep_their_catalog(tmp_path: Path) -> None:
    published = tmp_path / "warehouse" / "cdnow.duckdb"
    assert work_path_for(published) == tmp_path / "warehouse" / "work" / "cdnow.duckdb"


def test_raw_data_is_loaded_into_the_work_copy_and_carried_forward(project: Path, tmp_path: Path) -> None:
    published = tmp_path / "retention.duckdb"
    data = raw_dir(tmp_path)
    loaded = publish(project, published, data_dir=data)
    assert loaded.published and loaded.load_report.totals()["rows_read"] == 3
    again = publish(project, published, data_dir=data)
    assert [f.status for f in again.load_report.files] == ["unchanged"], "the load audit came along in the copy"
    write(data / "customers" / "broken.csv", [CUSTOMER_HEADER, '"unterminated'])
    before = file_sha256(published)
    broken = publish(project, published, data_dir=data)
    assert not broken.published and broken.load_report.failed
    assert file_sha256(published) == before


def test_one_publish_at_a_time_and_never_over_a_live_writer(project: Path, tmp_path: Path) -> None:
    published = tmp_path / "retention.duckdb"
    with publish_lock(published), pytest.raises(PublishError, match="another publish"):
        publish(project, published)
    duckdb.connect(str(published)).close()
    wal_of(published).write_bytes(b"")
    with pytest.raises(PublishError, match="wal exists"):
        publish(project, published)


def test_publish_command_names_the_failing_test_and_exits_1(project: Path, tmp_path: Path) -> None:
    published = tmp_path / "retention.duckdb"
    args = ["publish", "--project-dir", str(project), "--target-path", str(tmp_path / "target"), "--no-freshness"]
    failed = CliRunner().invoke(app, [*args, "--vars", "{max_number: 2}"], env={DB_PATH_ENV: str(published)})
    assert failed.exit_code == 1
    output = " ".join(failed.output.split())
    assert "test.publish_fixture.assert_numbers_within_limit" in output
    assert f"not published: {published} is unchanged" in output
    unknown = CliRunner().invoke(app, args, env={DB_PATH_ENV: str(published), "DBT_TARGET": "spark"})
    assert unknown.exit_code == 2
    assert "no publish strategy for dbt target 'spark'" in " ".join(unknown.output.split())
