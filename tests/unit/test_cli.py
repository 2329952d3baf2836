"""The `warehouse` CLI: help everywhere, exit codes 0/1/2, JSON output for CI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from retention_warehouse.cli import app
from retention_warehouse.config import DB_PATH_ENV
from tests.support.raw_files import ORDER_HEADER, raw_dir

runner = CliRunner()


@pytest.mark.parametrize("command", [[], ["generate"], ["load"], ["validate"], ["publish"], ["export-raw"], ["fit-clv"],
                                     ["fit-models"], ["build"], ["report"], ["evaluate-churn"], ["grant-bi"]])
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


def test_validate_is_a_dry_run_with_json_output(tmp_path: Path) -> None:
    data = raw_dir(tmp_path, [
        ORDER_HEADER,
        "O1,C1,2024-02-01T10:00:00Z,delivered,100.00,0,0,USD,2024-02-05,2024-02-04",
        "O2,C1,2024-02-01T10:00:00Z,delivered,1e9,0,0,USD,2024-02-05,2024-02-04",
    ])
    db = tmp_path / "w.duckdb"
    result = runner.invoke(app, ["validate", "--data-dir", str(data), "--format", "json"], env={DB_PATH_ENV: str(db)})
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["totals"] == {"files": 2, "files_failed": 0, "rows_read": 5, "rows_loaded": 4, "rows_rejected": 1}
    orders = next(f for f in payload["files"] if f["entity"] == "orders")
    assert orders["first_failures"] == [
        {"row": 2, "column": "gross_amount", "reason": "absurd amount (over 1,000,000): '1e9'"}]
    assert not db.exists(), "validate must not write the warehouse"


def test_validate_passes_clean_data(tmp_path: Path) -> None:
    data = raw_dir(tmp_path)
    result = runner.invoke(app, ["validate", "--data-dir", str(data)])
    assert result.exit_code == 0, result.output


def test_load_exits_0_with_quarantined_rows_and_1_when_strict(tmp_path: Path) -> None:
    data = raw_dir(tmp_path, [ORDER_HEADER, "O1,C404,2024-02-01T10:00:00Z,placed,1.00,0,0,USD,,"])
    environment = {DB_PATH_ENV: str(tmp_path / "w.duckdb")}
    result = runner.invoke(app, ["load", "--data-dir", str(data)], env=environment)
    assert result.exit_code == 0, result.output
    assert "rejected 1" in result.output
    strict = runner.invoke(app, ["load", "--data-dir", str(data), "--strict"], env=environment)
    assert strict.exit_code == 1


def test_generate_then_load_through_the_cli(tmp_path: Path) -> None:
    data = tmp_path / "raw"
    generated = runner.invoke(app, ["generate", "--out", str(data), "--customers", "150", "--format", "csv"])
    assert generated.exit_code == 0, generated.output
    db = tmp_path / "custom" / "place.duckdb"
    loaded = runner.invoke(app, ["load", "--data-dir", str(data)], env={DB_PATH_ENV: str(db)})
    assert loaded.exit_code == 0, loaded.output
    assert db.exists(), "WAREHOUSE_DB_PATH moves the warehouse file"
