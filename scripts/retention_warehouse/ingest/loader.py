"""Ingestion: raw files into the landing tables of the `raw` schema, as they are.

Every row of a file lands in `raw.<entity>` once, every contract column as the text that was read
(an optional column the file lacks as null), with the file, its row number, its sha256 and the load
time; a Parquet column that already has the contract's type lands typed in `<name>__typed` instead
(TYPED_STORAGE: the fast path, no text written or parsed back). Which rows are valid is decided in dbt, by the contract
check models (models/staging/<source>/base/), on every engine alike; nothing here checks a row.

What stays here are the file-level problems, found before a row lands: a file that cannot be read, is
empty, lacks a required column or was written with another delimiter fails as a whole (`FileError`)
and leaves nothing behind. Each file loads in one transaction; `raw.load_audit` records per file the
rows read, so raw rows reconcile with the files. Loading the same content again is a no-op (by
sha256), a changed file replaces its earlier rows, and a file that was loaded from this folder before
and is gone today is reported by every load (`LoadReport.missing`), its rows removed only on request.

That flow is written once, here, over a `Landing`: where the rows go. `DuckDBLanding` is the DuckDB
file's raw schema; `ingest/spark_landing.py` lands the same files in Spark's metastore, read by Spark
itself, with the same file-level errors and audit.
"""

from __future__ import annotations

import codecs
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import duckdb

from retention_warehouse.config import RAW_SCHEMA
from retention_warehouse.ingest.contract import ENTITIES, ENTITY_BY_NAME, FILE_SUFFIXES, Column, Entity
from retention_warehouse.sql import quote_identifier

OTHER_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe"}
"""Delimiters a CSV export is often written with; the contract's files are comma-separated."""


class FileError(Exception):
    """A whole file cannot be loaded: unreadable, wrong format, missing a required column."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass
class FileResult:
    """What happened to one file."""

    path: str
    entity: str
    sha256: str
    status: str
    """loaded, unchanged (same content already loaded), replaced, or failed."""
    rows_read: int = 0
    ignored_columns: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class MissingFile:
    """A file loaded from this folder before that is not there any more."""

    path: str
    entity: str
    rows: int
    removed: bool
    """Its rows were removed by this load (`remove_missing`); else they are still in raw."""


@dataclass
class LoadReport:
    files: list[FileResult] = field(default_factory=list)
    missing: list[MissingFile] = field(default_factory=list)

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "failed"]

    def totals(self) -> dict[str, int]:
        return {
            "files": len(self.files),
            "files_failed": len(self.failed),
            "rows_read": sum(f.rows_read for f in self.files),
            "files_missing": len(self.missing),
        }


# --------------------------------------------------------------------------- tables

METADATA_COLUMNS = ("_source_file", "_source_row", "_file_sha256", "_loaded_at")
"""The columns ingestion adds to every landing row (an EL tool's table may have none of them)."""


TYPED_STORAGE = {"timestamp": "timestamptz", "date": "date", "money": "double", "score": "bigint"}
"""The typed fast path: beside each timestamp, date, amount and score column, a column `<name>__typed`
of this type holds the value of a Parquet column that already has a matching type (PARQUET_TYPES),
with the text column left null; the checks then use it without parsing text (contract_checked)."""
PARQUET_TYPES = {
    "timestamp": {"TIMESTAMP WITH TIME ZONE", "TIMESTAMP"},  # a time without zone is UTC, as in text
    "date": {"DATE"},
    "money": {"DOUBLE", "FLOAT"},  # a DECIMAL column lands as its text: exact, whatever its scale
    "score": {"BIGINT", "INTEGER", "SMALLINT", "TINYINT"},
}
"""DuckDB's types of a Parquet file's columns that land typed, per contract kind."""


def typed_column(column: Column) -> str | None:
    """The name of the column that holds the contract column's typed values, if its kind has one."""
    return f"{column.name}__typed" if column.kind in TYPED_STORAGE else None


def landing_table_ddl(entity: Entity) -> str:
    columns = ",\n    ".join(f"{quote_identifier(c.name)} varchar" for c in entity.columns)
    return f"""
create table if not exists {RAW_SCHEMA}.{entity.name} (
    {columns},
    _source_file varchar not null,
    _source_row bigint not null,
    _file_sha256 varchar not null,
    _loaded_at timestamptz not null
)"""


def typed_columns_ddl(entity: Entity) -> list[str]:
    """Add the typed fast path's columns (also to a landing table made before they existed)."""
    return [f"alter table {RAW_SCHEMA}.{entity.name} add column if not exists "
            f"{quote_identifier(name)} {TYPED_STORAGE[c.kind]}"
            for c in entity.columns if (name := typed_column(c)) is not None]


AUDIT_DDL = f"""
create table if not exists {RAW_SCHEMA}.load_audit (
    file_path varchar primary key,
    data_dir varchar not null,
    file_sha256 varchar not null,
    entity varchar not null,
    file_format varchar not null,
    rows_read bigint not null,
    ignored_columns varchar not null,
    loaded_at timestamptz not null
)"""


IMPORT_AUDIT_FILE = "import_audit.json"
"""An importer (such as `warehouse import-cdnow`) may leave this beside the entity folders: a JSON
object of measures about how the source was turned into raw files. It is loaded as it is."""

IMPORT_AUDIT_DDL = f"""
create table if not exists {RAW_SCHEMA}.import_audit (
    audit_file varchar not null,
    measure varchar not null,
    measure_value varchar,
    loaded_at timestamptz not null,
    primary key (audit_file, measure)
)"""


def _check_layout(con: duckdb.DuckDBPyConnection) -> None:
    """Refuse a warehouse file whose raw tables an earlier version (which checked rows itself) wrote."""
    old = con.execute(
        "select table_name from information_schema.tables where table_schema = ? and table_name like '%\\_rejected'"
        " escape '\\' limit 1", [RAW_SCHEMA]).fetchone()
    if old is not None:
        raise FileError(Path(RAW_SCHEMA), f"{RAW_SCHEMA}.{old[0]} is from an earlier version of the loader, which "
                        "checked rows itself; load into a new warehouse file (delete this one, or set "
                        "WAREHOUSE_DB_PATH) and load the files again")


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    _check_layout(con)
    con.execute(AUDIT_DDL)
    con.execute(IMPORT_AUDIT_DDL)
    for entity in ENTITIES:
        con.execute(landing_table_ddl(entity))
        for statement in typed_columns_ddl(entity):
            con.execute(statement)


# --------------------------------------------------------------------------- files


def discover_files(data_dir: Path) -> list[tuple[Entity, Path]]:
    """Every data file under `data_dir`, in load order (entity, then file name).

    A file in an entity folder with an unsupported suffix is a FileError, not skipped:
    nothing is silently left out.
    """
    if not data_dir.is_dir():
        raise FileError(data_dir, "data directory does not exist")
    found: list[tuple[Entity, Path]] = []
    for entity in ENTITIES:
        folder = data_dir / entity.name
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
            found.append((entity, path))
    return found


def file_digest(path: Path, check_utf8: bool) -> tuple[str, str | None]:
    """The file's sha256 and, for a text file, the first place it is not UTF-8 (None when it all is).

    One read of the file for both, on every engine: Spark would read bad bytes as replacement
    characters, so the encoding is checked here, before any engine reads the file.
    """
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, problem = 0, None
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            if check_utf8 and problem is None:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as exc:
                    problem = f"not UTF-8 text (byte 0x{block[exc.start]:02x} at offset {offset + exc.start:,})"
            offset += len(block)
    if check_utf8 and problem is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            problem = "not UTF-8 text (the file ends inside a character)"
    return digest.hexdigest(), problem


def sha256_of(path: Path) -> str:
    return file_digest(path, check_utf8=False)[0]


def file_format_of(path: Path) -> str:
    file_format = FILE_SUFFIXES.get(path.suffix.lower())
    if file_format is None:
        raise FileError(path, f"unsupported file type '{path.suffix}'; expected one of {sorted(FILE_SUFFIXES)}")
    if path.stat().st_size == 0:
        raise FileError(path, "file is empty (not even a header row)")
    return file_format


def other_delimiter(found: list[str]) -> str | None:
    """The name of another delimiter the header was written with, when it reads as one column."""
    if len(found) != 1:
        return None
    counts = {name: found[0].count(char) for char, name in OTHER_DELIMITERS.items()}
    best = max(counts, key=lambda name: counts[name])
    return best if counts[best] > 0 else None


def check_columns(path: Path, entity: Entity, found: list[str]) -> tuple[str, ...]:
    """Raise FileError for a wrong delimiter or missing required columns; return columns the contract does not know."""
    lowered = [name.strip().lower() for name in found]
    missing = [name for name in entity.required_in_file if name not in lowered]
    if missing:
        delimiter = other_delimiter(found)
        if delimiter is not None:
            raise FileError(path, f"the header is delimited by {delimiter}s, not commas: the contract's CSV files "
                            f"are comma-separated (found one column '{found[0][:80]}')")
        raise FileError(
            path,
            f"missing required column(s) {', '.join(missing)}; found {', '.join(found) or 'none'}. "
            f"A {entity.name} file needs: {', '.join(entity.required_in_file)}",
        )
    known = {c.name for c in entity.columns}
    return tuple(name for name, low in zip(found, lowered) if low not in known)


def source_column_of(column: Column, found: list[str]) -> str | None:
    """The file's column that holds a contract column (names compare case-insensitively), or None."""
    return next((name for name in found if name.strip().lower() == column.name), None)


def import_audit_rows(data_dir: Path) -> tuple[str, list[tuple[str, str | None]]] | None:
    """The import audit beside `data_dir`'s entity folders, if it has one: its path and (measure, value) pairs."""
    path = data_dir / IMPORT_AUDIT_FILE
    if not path.is_file():
        return None
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FileError(path, f"not a JSON document: {exc}") from exc
    if not isinstance(payload, dict) or any(isinstance(v, (dict, list)) for v in payload.values()):
        raise FileError(path, "expected one JSON object of measure: scalar value pairs")
    return path.as_posix(), [(measure, None if value is None else str(value)) for measure, value in payload.items()]


# --------------------------------------------------------------------------- where rows land


def ignored_columns_of(audited: str) -> tuple[str, ...]:
    """The load audit's comma-separated ignored columns as a tuple."""
    return tuple(name for name in audited.split(",") if name)


@dataclass(frozen=True)
class LoadedFile:
    """What the load audit holds about one file."""

    path: str
    data_dir: str
    entity: str
    sha256: str
    rows_read: int
    ignored_columns: tuple[str, ...]


class Landing(Protocol):
    """The raw schema of one engine: landing tables and load audit. Every method acts on one file at a time."""

    def prepare(self) -> None:
        """Create the raw schema, the landing tables and the audits where missing."""

    def loaded(self) -> dict[str, LoadedFile]:
        """Every file of the load audit, by path."""

    def land(self, entity: Entity, path: Path, rel_path: str, sha: str, data_dir: str) -> tuple[str, int, tuple[str, ...]]:
        """Replace the rows of `rel_path` with the file's and record it in the audit, all or nothing.
        Return the file's format, rows read and the columns the contract does not know; raise FileError."""

    def forget(self, entity: Entity, rel_path: str) -> None:
        """Remove the rows and the audit record of a file."""

    def replace_import_audit(self, audit_file: str, measures: list[tuple[str, str | None]]) -> None:
        """Replace the import audit's measures of `audit_file`."""


class DuckDBLanding:
    """The raw schema of a DuckDB file; each file lands in one transaction."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def prepare(self) -> None:
        ensure_raw_schema(self.con)

    def loaded(self) -> dict[str, LoadedFile]:
        rows = self.con.execute(f"select file_path, data_dir, entity, file_sha256, rows_read, ignored_columns "
                                f"from {RAW_SCHEMA}.load_audit").fetchall()
        return {row[0]: LoadedFile(*row[:5], ignored_columns_of(row[5])) for row in rows}

    def _read(self, path: Path) -> str:
        """Materialise a file as temp table `_src`, every column as read; return its format.

        DuckDB keeps insertion order on create-table-as (preserve_insertion_order), so rowids are
        consecutive in file order: the n-th data row (after the header) gets source row n.
        """
        file_format = file_format_of(path)
        if file_format == "csv":
            reader = (
                "read_csv(?, header = true, all_varchar = true, delim = ',', quote = '\"', "
                "escape = '\"', strict_mode = true, auto_detect = true, sample_size = -1)"
            )
        else:
            reader = "read_parquet(?)"
        try:
            self.con.execute(f"create or replace temp table _src as select * from {reader}", [str(path)])
        except duckdb.Error as exc:
            first_line = str(exc).strip().splitlines()[0]
            raise FileError(path, f"cannot be read as {file_format.upper()}: {first_line}") from exc
        return file_format

    def _insert(self, entity: Entity, found: dict[str, str], rel_path: str, sha: str) -> int:
        """Every row of `_src` into the landing table, in file order; the number of rows. A Parquet
        value whose type is the contract's lands typed (the fast path), every other value as text."""
        targets: list[str] = []
        values: list[str] = []
        names = list(found)
        for c in entity.columns:
            name = source_column_of(c, names)
            typed = typed_column(c)
            fast = name is not None and typed is not None and found[name] in PARQUET_TYPES[c.kind]
            source = f"src.{quote_identifier(name)}" if name is not None else "null"
            targets.append(quote_identifier(c.name))
            values.append("cast(null as varchar)" if fast else f"cast({source} as varchar)")
            if typed is not None:
                targets.append(quote_identifier(typed))
                values.append(f"cast({source if fast else 'null'} as {TYPED_STORAGE[c.kind]})")
        self.con.execute(
            f"""
            insert into {RAW_SCHEMA}.{entity.name} ({", ".join(targets)}, {", ".join(METADATA_COLUMNS)})
            select {", ".join(values)}, ?, rowid - (select min(rowid) from _src) + 1, ?, current_timestamp
            from _src as src
            order by rowid
            """,
            [rel_path, sha],
        )
        return self.con.execute("select count(*) from _src").fetchone()[0]

    def land(self, entity: Entity, path: Path, rel_path: str, sha: str, data_dir: str) -> tuple[str, int, tuple[str, ...]]:
        self.con.begin()
        try:
            file_format = self._read(path)
            found = dict(self.con.execute("select column_name, column_type from (describe _src)").fetchall())
            ignored = check_columns(path, entity, list(found))
            self._delete(entity, rel_path)
            rows_read = self._insert(entity, found, rel_path, sha)
            self.con.execute(
                f"insert into {RAW_SCHEMA}.load_audit values (?, ?, ?, ?, ?, ?, ?, current_timestamp)",
                [rel_path, data_dir, sha, entity.name, file_format, rows_read, ",".join(ignored)],
            )
            self.con.execute("drop table if exists _src")
            self.con.commit()
        except BaseException:
            self.con.rollback()
            raise
        return file_format, rows_read, ignored

    def _delete(self, entity: Entity, rel_path: str) -> None:
        self.con.execute(f"delete from {RAW_SCHEMA}.{entity.name} where _source_file = ?", [rel_path])
        self.con.execute(f"delete from {RAW_SCHEMA}.load_audit where file_path = ?", [rel_path])

    def forget(self, entity: Entity, rel_path: str) -> None:
        self.con.begin()
        try:
            self._delete(entity, rel_path)
            self.con.commit()
        except BaseException:
            self.con.rollback()
            raise

    def replace_import_audit(self, audit_file: str, measures: list[tuple[str, str | None]]) -> None:
        self.con.begin()
        try:
            self.con.execute(f"delete from {RAW_SCHEMA}.import_audit where audit_file = ?", [audit_file])
            self.con.executemany(f"insert into {RAW_SCHEMA}.import_audit values (?, ?, ?, now())",
                                 [[audit_file, measure, value] for measure, value in measures])
            self.con.commit()
        except BaseException:
            self.con.rollback()
            raise


# --------------------------------------------------------------------------- the load


def load_file(landing: Landing, entity: Entity, path: Path, rel_path: str, data_dir: str,
              previous: LoadedFile | None) -> FileResult:
    """Land one file, all or nothing. Never raises for a bad file: it reports it."""
    try:
        file_format = file_format_of(path)
    except FileError as exc:
        return FileResult(rel_path, entity.name, sha256_of(path), "failed", error=exc.problem)
    sha, not_utf8 = file_digest(path, check_utf8=file_format == "csv")
    if previous is not None and previous.sha256 == sha:
        return FileResult(rel_path, entity.name, sha, "unchanged", previous.rows_read, previous.ignored_columns)
    if not_utf8 is not None:
        return FileResult(rel_path, entity.name, sha, "failed", error=f"cannot be read as CSV: {not_utf8}")
    try:
        _, rows_read, ignored = landing.land(entity, path, rel_path, sha, data_dir)
    except FileError as exc:
        return FileResult(rel_path, entity.name, sha, "failed", error=exc.problem)
    return FileResult(rel_path, entity.name, sha, "replaced" if previous is not None else "loaded", rows_read, ignored)


def handle_missing(landing: Landing, loaded: dict[str, LoadedFile], data_dir: str, present: set[str],
                   remove: bool) -> list[MissingFile]:
    """Report the files loaded from `data_dir` before that are gone from it; remove their rows when asked."""
    gone: list[MissingFile] = []
    for path, before in sorted(loaded.items()):
        if before.data_dir != data_dir or path in present:
            continue
        if remove:
            landing.forget(ENTITY_BY_NAME[before.entity], path)
        gone.append(MissingFile(path, before.entity, before.rows_read, removed=remove))
    return gone


def landing_of(target: duckdb.DuckDBPyConnection | Landing) -> Landing:
    return DuckDBLanding(target) if isinstance(target, duckdb.DuckDBPyConnection) else target


def load_directory(
    target: duckdb.DuckDBPyConnection | Landing,
    data_dir: Path,
    on_file: Callable[[FileResult], None] | None = None,
    files: Iterable[tuple[Entity, Path]] | None = None,
    remove_missing: bool = False,
) -> LoadReport:
    """Land every file under `data_dir` in the raw schema of `target` (a DuckDB connection, or a Landing)."""
    landing = landing_of(target)
    landing.prepare()
    report = LoadReport()
    folder = str(data_dir.resolve())
    loaded = landing.loaded()
    for entity, path in files if files is not None else discover_files(data_dir):
        rel_path = path.relative_to(data_dir).as_posix()
        result = load_file(landing, entity, path, rel_path, folder, loaded.get(rel_path))
        report.files.append(result)
        if on_file is not None:
            on_file(result)
    report.missing = handle_missing(landing, loaded, folder, {f.path for f in report.files}, remove_missing)
    load_import_audit(landing, data_dir)
    return report


def load_import_audit(target: duckdb.DuckDBPyConnection | Landing, data_dir: Path) -> int:
    """Replace the raw.import_audit rows of `data_dir`'s import audit, if it has one; return measures loaded."""
    audit = import_audit_rows(data_dir)
    if audit is None:
        return 0
    landing_of(target).replace_import_audit(*audit)
    return len(audit[1])
