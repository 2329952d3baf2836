"""Ingestion on Spark: the raw files read by Spark itself into the metastore's `raw` tables.

The same load as on DuckDB (ingest/loader.py: file-level errors, the sha256 no-op, replaced and
missing files, the load audit), with the rows landing where the Spark build reads them, so no row
passes through a DuckDB file or the driver. Each landing table is partitioned by `_source_file`: a
file's rows are one partition, written with one dynamic-overwrite insert (a failed read writes
nothing; a reload replaces exactly that file's rows) and removed by dropping it.

Rows read as on DuckDB: CSV every column as text (an empty field is null), Parquet values as Spark's
text of them; the file's row number from each scan partition's row count and position
(`monotonically_increasing_id` holds both), so no single task numbers a whole file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from retention_warehouse.config import RAW_SCHEMA
from retention_warehouse.ingest.contract import ENTITIES, Entity
from retention_warehouse.ingest.loader import (FileError, LoadedFile, check_columns, file_format_of,
                                                ignored_columns_of, source_column_of)

PARTITION_ROW_BITS = 33
"""monotonically_increasing_id() is the partition id shifted left by 33 bits plus the row's index in it."""
ERROR_CHARACTERS = 300
"""How much of Spark's message a FileError quotes (the first line, which may hold the offending record)."""

AUDIT_COLUMNS = ("file_path string, data_dir string, file_sha256 string, entity string, file_format string, "
                 "rows_read bigint, ignored_columns string, loaded_at timestamp")
IMPORT_AUDIT_COLUMNS = "audit_file string, measure string, measure_value string, loaded_at timestamp"


def spark_literal(text: str) -> str:
    """A Spark SQL string literal (backslashes are escapes in Spark's literals)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def spark_errors() -> tuple[type[BaseException], ...]:
    """What Spark raises for a file it cannot read: its own errors and uncaptured Java exceptions."""
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import PySparkException

    return PySparkException, Py4JJavaError


def unreadable(path: Path, file_format: str, exc: BaseException) -> FileError:
    lines = str(exc).strip().splitlines()
    return FileError(path, f"cannot be read as {file_format.upper()}: {(lines[0] if lines else '')[:ERROR_CHARACTERS]}")


class SparkLanding:
    """The raw database of a Spark session's metastore (`schema`, default raw)."""

    def __init__(self, session: Any, schema: str = RAW_SCHEMA) -> None:
        self.session = session
        self.schema = schema
        self._audit_rows: list[tuple] | None = None
        """The load audit as this landing last read or wrote it (one process writes a raw schema at a time)."""

    def _table(self, name: str) -> str:
        return f"{self.schema}.{name}"

    def prepare(self) -> None:
        self.session.sql(f"create database if not exists {self.schema}")
        for entity in ENTITIES:
            columns = ", ".join(f"`{c.name}` string" for c in entity.columns)
            self.session.sql(f"""
                create table if not exists {self._table(entity.name)} (
                    {columns}, _source_row bigint, _file_sha256 string, _loaded_at timestamp, _source_file string)
                using parquet partitioned by (_source_file)""")
        self.session.sql(f"create table if not exists {self._table('load_audit')} ({AUDIT_COLUMNS}) using parquet")
        self.session.sql(f"create table if not exists {self._table('import_audit')} ({IMPORT_AUDIT_COLUMNS}) using parquet")

    def _audit(self) -> list[tuple]:
        if self._audit_rows is None:
            self._audit_rows = [tuple(row) for row in self.session.table(self._table("load_audit")).collect()]
        return self._audit_rows

    def _write_audit(self, rows: list[tuple]) -> None:
        frame = self.session.createDataFrame(rows, AUDIT_COLUMNS)
        frame.write.insertInto(self._table("load_audit"), overwrite=True)
        self._audit_rows = rows

    def loaded(self) -> dict[str, LoadedFile]:
        return {row[0]: LoadedFile(row[0], row[1], row[3], row[2], int(row[5]), ignored_columns_of(row[6]))
                for row in self._audit()}

    def _read(self, path: Path, file_format: str) -> Any:
        reader = self.session.read
        try:
            if file_format == "csv":
                return reader.options(header=True, inferSchema=False, multiLine=True, mode="FAILFAST", quote='"',
                                      escape='"', encoding="UTF-8").csv(str(path))
            return reader.parquet(str(path))
        except spark_errors() as exc:
            raise unreadable(path, file_format, exc) from exc

    def _rows(self, entity: Entity, path: Path, file_format: str, rel_path: str,
              sha: str) -> tuple[Any, int, tuple[str, ...]]:
        """The file's rows as landing rows (in the table's column order), how many, the columns ignored."""
        from pyspark.sql import functions as F

        frame = self._read(path, file_format)
        found = list(frame.columns)
        ignored = check_columns(path, entity, found)
        values = []
        for column in entity.columns:
            name = source_column_of(column, found)
            value = F.col(f"`{name}`").cast("string") if name is not None else F.lit(None).cast("string")
            if file_format == "csv":  # as DuckDB reads CSV: an empty field, quoted or not, is null
                value = F.when(value != "", value)
            values.append(value.alias(column.name))
        numbered = frame.select(*values, F.monotonically_increasing_id().alias("_position"))
        try:  # one pass that reads no column (Parquet: the footers only)
            counts = dict(tuple(row) for row in frame.groupBy(F.spark_partition_id()).count().collect())
        except spark_errors() as exc:
            raise unreadable(path, file_format, exc) from exc
        offsets, total = [], 0
        for partition in range(max(counts, default=-1) + 1):
            offsets.append(total)
            total += counts.get(partition, 0)
        partition_of = F.shiftright("_position", PARTITION_ROW_BITS)
        index = F.col("_position").bitwiseAND((1 << PARTITION_ROW_BITS) - 1)
        offset = F.element_at(F.array(*(F.lit(o) for o in offsets or [0])), (partition_of + 1).cast("int"))
        landing = numbered.select(
            *(F.col(c.name) for c in entity.columns),
            (offset + index + 1).cast("bigint").alias("_source_row"),
            F.lit(sha).alias("_file_sha256"),
            F.current_timestamp().alias("_loaded_at"),
            F.lit(rel_path).alias("_source_file"),
        )
        return landing, total, ignored

    def land(self, entity: Entity, path: Path, rel_path: str, sha: str, data_dir: str) -> tuple[str, int, tuple[str, ...]]:
        file_format = file_format_of(path)
        landing, rows_read, ignored = self._rows(entity, path, file_format, rel_path, sha)
        conf = self.session.conf
        before = conf.get("spark.sql.sources.partitionOverwriteMode")
        conf.set("spark.sql.sources.partitionOverwriteMode", "dynamic")
        try:
            landing.write.insertInto(self._table(entity.name), overwrite=True)
        except spark_errors() as exc:
            raise unreadable(path, file_format, exc) from exc
        finally:
            conf.set("spark.sql.sources.partitionOverwriteMode", before)
        audit = [row for row in self._audit() if row[0] != rel_path]
        loaded_at = self.session.sql("select current_timestamp()").collect()[0][0]
        self._write_audit(audit + [(rel_path, data_dir, sha, entity.name, file_format, rows_read, ",".join(ignored),
                                    loaded_at)])
        return file_format, rows_read, ignored

    def forget(self, entity: Entity, rel_path: str) -> None:
        self.session.sql(f"alter table {self._table(entity.name)} drop if exists "
                         f"partition (_source_file = {spark_literal(rel_path)})")
        self._write_audit([row for row in self._audit() if row[0] != rel_path])

    def replace_import_audit(self, audit_file: str, measures: list[tuple[str, str | None]]) -> None:
        table = self._table("import_audit")
        kept = [tuple(row) for row in self.session.table(table).collect() if row[0] != audit_file]
        loaded_at = self.session.sql("select current_timestamp()").collect()[0][0]
        rows = kept + [(audit_file, measure, value, loaded_at) for measure, value in measures]
        self.session.createDataFrame(rows, IMPORT_AUDIT_COLUMNS).write.insertInto(table, overwrite=True)
