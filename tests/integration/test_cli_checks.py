"""`warehouse load` and `warehouse validate` with the contract checks: the verdicts, the exit codes, and a
dry run that writes nothing. (The checks run in dbt, so these are integration tests.)"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from retention_warehouse.cli import app
from retention_warehouse.config import DB_PATH_ENV
from tests.support.raw_files import ORDER_HEADER, query, raw_dir

runner = CliRunner()


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
    checks = ["--target-path", str(tmp_path / "target")]
    result = runner.invoke(app, ["load", "--data-dir", str(data), *checks], env=environment)
    assert result.exit_code == 0, result.output
    assert "rejected 1" in result.output and "fct_rejected_rows" in result.output
    assert query(tmp_path / "w.duckdb", "select source_row, column_name, reason from marts.fct_rejected_rows") == [
        (1, "customer_id", "unknown customer: 'C404'")]
    strict = runner.invoke(app, ["load", "--data-dir", str(data), "--strict", *checks], env=environment)
    assert strict.exit_code == 1
