"""The raw contract's verdicts: which rows of which file were quarantined, and why.

The rules themselves are dbt models (models/staging/<source>/base/base_*_checked.sql, with the macros
in macros/contract/), so they run on every engine the same way. This module runs just those models on
a DuckDB file or a target (`run_checks`) and reads their verdict per file (`file_verdicts`): what `warehouse load`
and `warehouse validate` report, and what `warehouse publish --strict` refuses on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from retention_warehouse.config import DB_PATH_ENV, RAW_SCHEMA
from retention_warehouse.warehouse.dbt_runner import NodeFailure, failures_of, invoke

QUARANTINE = "marts.fct_rejected_rows"
"""Every quarantined raw row of every entity, with file, row, column and reason."""

CHECKS = ["build", "--select", "+fct_rejected_rows", "--exclude-resource-type", "unit_test",
          "--indirect-selection", "cautious"]
"""The dbt run of the checks alone: the seeds they read, the checked base models and the quarantine mart,
with the data tests on those (the per-entity reconciliation among them)."""


class ChecksFailed(Exception):
    """The contract check models did not build: the named dbt nodes failed."""

    def __init__(self, failures: list[NodeFailure]) -> None:
        super().__init__("the contract checks did not build: " + "; ".join(
            f"{f.unique_id} ({f.status}): {(f.message or '').splitlines()[0] if f.message else ''}" for f in failures))
        self.failures = failures


@dataclass(frozen=True)
class RejectedRow:
    source_file: str
    source_row: int
    column_name: str
    reason: str


@dataclass
class FileVerdict:
    """The checks' verdict on one loaded file."""

    path: str
    entity: str
    rows_read: int
    rows_rejected: int
    first_failures: list[RejectedRow] = field(default_factory=list)

    @property
    def rows_passed(self) -> int:
        return self.rows_read - self.rows_rejected


def run_checks(db_path: Path | None, *, project_dir: Path, target_path: Path, log_path: Path,
               env: dict[str, str] | None = None, target: str = "duckdb") -> None:
    """Build the contract checks on `target` (the DuckDB file `db_path`, or the output of profiles.yml when
    None); raise ChecksFailed when a node failed."""
    where = {DB_PATH_ENV: str(db_path)} if db_path is not None else {}
    failures = failures_of(invoke([*CHECKS, "--target", target], project_dir=project_dir, target_path=target_path,
                                  log_path=log_path, env={**where, "DBT_TARGET": target, **(env or {})}))
    if failures:
        raise ChecksFailed(failures)


def file_verdicts(query: Callable[[str], list[tuple]], limit: int) -> dict[str, FileVerdict]:
    """Per loaded file (raw.load_audit), its rows and the rows the checks quarantined, the first `limit` named."""
    verdicts = {
        path: FileVerdict(path, entity, int(rows_read), int(rejected))
        for path, entity, rows_read, rejected in query(f"""
            select audit.file_path, audit.entity, audit.rows_read, count(rejected.source_row)
            from {RAW_SCHEMA}.load_audit as audit
            left join {QUARANTINE} as rejected on rejected.source_file = audit.file_path
            group by audit.file_path, audit.entity, audit.rows_read
            order by audit.file_path""")
    }
    for source_file, source_row, column_name, reason in query(f"""
            select source_file, source_row, column_name, reason from (
                select source_file, source_row, column_name, reason,
                    row_number() over (partition by source_file order by source_row) as nth
                from {QUARANTINE}
                where source_file is not null
            ) as ranked
            where nth <= {int(limit)}
            order by source_file, source_row"""):
        if source_file in verdicts:
            verdicts[source_file].first_failures.append(
                RejectedRow(source_file, int(source_row), column_name, reason))
    return verdicts
