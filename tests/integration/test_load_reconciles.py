"""The generated data's load behind the built warehouse: every file's counts reconcile (read = loaded +
rejected) and the rows read are the rows in the files."""

from __future__ import annotations

import duckdb
import pyarrow.parquet as pq


def test_counts_reconcile_for_every_file(built_warehouse) -> None:
    audit = built_warehouse.query(
        "select file_path, entity, rows_read, rows_loaded, rows_rejected from raw.load_audit")
    assert audit, "nothing was loaded"
    for path, entity, read, loaded, rejected in audit:
        assert read == loaded + rejected, path
        in_raw = built_warehouse.query(f"select count(*) from raw.{entity} where _source_file = ?", [path])[0][0]
        in_rejected = built_warehouse.query(
            f"select count(*) from raw.{entity}_rejected where _source_file = ?", [path])[0][0]
        assert (in_raw, in_rejected) == (loaded, rejected), path
    totals = built_warehouse.load_report.totals()
    assert totals["rows_read"] == totals["rows_loaded"] + totals["rows_rejected"]
    assert totals["rows_rejected"] > 0, "the demo data must exercise the quarantine"


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
