"""The generated data's load behind the built warehouse: every file's counts reconcile (read = landed =
passed + quarantined), the rows read are the rows in the files, and only the deliberately bad rows are
quarantined."""

from __future__ import annotations

import duckdb
import pyarrow.parquet as pq

from retention_warehouse.demo.generator import GeneratorConfig, generate
from retention_warehouse.warehouse.contract_checks import file_verdicts
from tests.support.warehouses import SMALL_CUSTOMERS, SMALL_SEED


def test_counts_reconcile_for_every_file(built_warehouse) -> None:
    """Per file: rows read = rows landed = rows staged or superseded + rows quarantined."""
    audit = built_warehouse.query("select file_path, entity, rows_read from raw.load_audit")
    assert audit, "nothing was loaded"
    for path, entity, read in audit:
        landed = built_warehouse.query(f"select count(*) from raw.{entity} where _source_file = ?", [path])[0][0]
        assert landed == read, path
    verdicts = file_verdicts(built_warehouse.query, limit=1)
    assert set(verdicts) == {path for path, _, _ in audit}
    assert sum(v.rows_rejected for v in verdicts.values()) == built_warehouse.query(
        "select count(*) from marts.fct_rejected_rows")[0][0] > 0, "the demo data must exercise the quarantine"


def test_only_the_deliberately_bad_rows_are_quarantined(built_warehouse, tmp_path) -> None:
    """The generator writes its bad rows into the manual-upload files only, and says how many per entity."""
    summary = generate(GeneratorConfig(customers=SMALL_CUSTOMERS, seed=SMALL_SEED), tmp_path / "again")
    rejected = built_warehouse.query(
        "select entity, source_file, count(*) from marts.fct_rejected_rows group by entity, source_file")
    assert all("manual-upload" in path for _, path, _ in rejected), rejected
    per_entity: dict[str, int] = {}
    for entity, _, count in rejected:
        per_entity[entity] = per_entity.get(entity, 0) + count
    for entity, bad in summary.bad_rows.items():
        assert per_entity.get(entity, 0) >= bad, (entity, per_entity, summary.bad_rows)


def test_rows_read_match_the_files(built_warehouse) -> None:
    """What the audit says was read is what the files hold, so nothing vanished before checking."""
    for path, fmt, read in built_warehouse.query("select file_path, file_format, rows_read from raw.load_audit"):
        file = built_warehouse.data_dir / path
        if fmt == "parquet":
            assert pq.ParquetFile(file).metadata.num_rows == read
        else:
            with duckdb.connect() as con:
                count = con.execute("select count(*) from read_csv(?, header = true, all_varchar = true)",
                                    [str(file)]).fetchone()[0]
            assert count == read
