"""The `warehouse` CLI: help everywhere, exit codes 0/1/2, JSON output for CI."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from retention_warehouse.cli import app
from retention_warehouse.config import DB_PATH_ENV

runner = CliRunner()


@pytest.mark.parametrize("command", [[], ["generate"], ["load"], ["validate"], ["publish"], ["export-raw"], ["fit-clv"],
                                     ["fit-models"], ["build"], ["report"], ["evaluate-churn"], ["grant-bi"],
                                     ["ci"]])
def test_help_everywhere(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert runner.invoke(app, ["generate", "--format", "xml", "--out", str(tmp_path)]).exit_code == 2
    assert runner.invoke(app, ["generate", "--customers", "5"]).exit_code == 2
    assert runner.invoke(app, ["load", "--data-dir", str(tmp_path / "nope")],
                         env={DB_PATH_ENV: str(tmp_path / "w.duckdb")}).exit_code == 2
    assert runner.invoke(app, ["export-raw", "--target", "duckdb"]).exit_code == 2
    assert runner.invoke(app, ["build", "--target", "oracle"]).exit_code == 2
    for fit in ("fit-models", "fit-clv"):
        assert runner.invoke(app, [fit, "--target", "postgres", "--vars", "[not, a, mapping]"]).exit_code == 2


def test_export_raw_without_a_loaded_warehouse_exits_1(tmp_path: Path) -> None:
    result = runner.invoke(app, ["export-raw", "--target", "postgres"], env={DB_PATH_ENV: str(tmp_path / "none.duckdb")})
    assert result.exit_code == 1
    assert "run `warehouse load` first" in result.output


def test_slim_ci_without_a_published_build_exits_1(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ci"], env={DB_PATH_ENV: str(tmp_path / "none.duckdb")})
    assert result.exit_code == 1
    assert "run `warehouse publish`" in " ".join(result.output.split())


def test_load_refuses_postgres_and_says_where_its_raw_tables_come_from(tmp_path: Path) -> None:
    result = runner.invoke(app, ["load", "--target", "postgres", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "EL tool" in " ".join(result.output.split())


def test_generate_then_load_through_the_cli(tmp_path: Path) -> None:
    data = tmp_path / "raw"
    generated = runner.invoke(app, ["generate", "--out", str(data), "--customers", "150", "--format", "csv"])
    assert generated.exit_code == 0, generated.output
    db = tmp_path / "custom" / "place.duckdb"
    loaded = runner.invoke(app, ["load", "--data-dir", str(data), "--no-check"], env={DB_PATH_ENV: str(db)})
    assert loaded.exit_code == 0, loaded.output
    assert db.exists(), "WAREHOUSE_DB_PATH moves the warehouse file"
