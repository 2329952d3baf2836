"""Validate raw files against the contract and load them into the `raw` schema.

Every row read ends up either in `raw.<entity>` or in `raw.<entity>_rejected` (with file,
row, column, reason and the row as it was read), and `raw.load_audit` records per file
rows read = rows loaded + rows rejected. Each file loads in one transaction; a file that
cannot be read as a whole raises `FileError` and leaves nothing behind.

`validate` runs the same code against an in-memory database, so a dry run and a load can
never disagree.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from retention_warehouse.config import RAW_SCHEMA
from retention_warehouse.sql import quote_identifier, quote_literal
from retention_warehouse.ingest.contract import (
    EARLIEST_TIMESTAMP,
    ENTITIES,
    FILE_SUFFIXES,
    MAX_AMOUNT,
    Column,
    Entity,
)

SAMPLE_LIMIT = 20
"""How many rejected rows a report keeps per file for display."""


class FileError(Exception):
    """A whole file cannot be loaded: unreadable, wrong format, missing a required column."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass
class RejectedRow:
    source_file: str
    source_row: int
    column_name: str
    reason: str


@dataclass
class FileResult:
    """What happened to one file."""

    path: str
    entity: str
    sha256: str
    status: str
    """loaded, unchanged (same content already loaded), replaced, or failed."""
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    ignored_columns: tuple[str, ...] = ()
    error: str | None = None
    sample_rejections: list[RejectedRow] = field(default_factory=list)

    def reconciles(self) -> bool:
        return self.rows_read == self.rows_loaded + self.rows_rejected


@dataclass
class LoadReport:
    files: list[FileResult] = field(default_factory=list)

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "failed"]

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    def totals(self) -> dict[str, int]:
        return {
            "files": len(self.files),
            "files_failed": len(self.failed),
            "rows_read": sum(f.rows_read for f in self.files),
            "rows_loaded": sum(f.rows_loaded for f in self.files),
            "rows_rejected": self.rows_rejected,
        }

    def validation_json(self, limit: int) -> list[dict[str, object]]:
        """Per file, what `warehouse validate --format json` reports: verdict, counts, the first failures."""
        return [
            {
                "path": f.path, "entity": f.entity, "status": "failed" if f.status == "failed" else "checked",
                "rows_read": f.rows_read, "rows_passed": f.rows_loaded, "rows_failed": f.rows_rejected,
                "error": f.error, "ignored_columns": list(f.ignored_columns),
                "first_failures": [
                    {"row": r.source_row, "column": r.column_name, "reason": r.reason}
                    for r in f.sample_rejections[:limit]
                ],
            }
            for f in self.files
        ]


# --------------------------------------------------------------------------- SQL text

SQL_TYPES = {
    "id": "varchar",
    "string": "varchar",
    "email": "varchar",
    "enum": "varchar",
    "timestamp": "timestamptz",
    "date": "date",
    "money": "decimal(18, 2)",
    "score": "integer",
}


def raw_text(column: Column) -> str:
    """The value as read, as trimmed text ('' for null)."""
    return f"coalesce(trim(cast(src.{quote_identifier(column.name)} as varchar)), '')"


def typed_value(column: Column) -> str:
    """SQL converting the source value to the contract type (null when it does not convert)."""
    text = f"nullif({raw_text(column)}, '')"
    if column.kind == "enum":
        values = column.allowed_values()
        # Normalise case the way the seed spells its values (currencies upper, statuses lower).
        return f"upper({text})" if values and all(v.isupper() for v in values) else f"lower({text})"
    if column.kind in ("id", "string", "email"):
        return text
    if column.kind == "score":
        return f"try_cast(try_cast({text} as double) as integer)"
    return f"try_cast({text} as {SQL_TYPES[column.kind]})"


def column_checks(column: Column) -> list[tuple[str, str]]:
    """(condition true for a bad row, reason SQL) for one column, in the order they apply.

    Conditions see `_raw_<name>` (text as read) and `<name>` (typed value).
    """
    raw = f"_raw_{column.name}"
    typed = quote_identifier(column.name)
    present = f"{raw} <> ''"
    shown = f"'''' || left({raw}, 80) || ''''"
    checks: list[tuple[str, str]] = []
    if column.required:
        checks.append((f"{raw} = ''", "'missing required value'"))
    if column.kind == "timestamp":
        checks += [
            (f"{present} and {typed} is null", f"'not a timestamp: ' || {shown}"),
            (f"{typed} > _load_started_at", f"'timestamp in the future: ' || {shown}"),
            (f"{typed} < timestamptz '{EARLIEST_TIMESTAMP}'", f"'timestamp before {EARLIEST_TIMESTAMP}: ' || {shown}"),
        ]
    elif column.kind == "date":
        checks.append((f"{present} and {typed} is null", f"'not a date: ' || {shown}"))
    elif column.kind == "money":
        exact = f"try_cast({raw} as decimal(38, 10))"
        checks += [
            (f"{present} and {exact} is null", f"'not a number: ' || {shown}"),
            (f"{exact} is not null and {exact} <> {typed}", f"'more than 2 decimal places: ' || {shown}"),
            (f"{typed} < 0", f"'negative amount: ' || {shown}"),
            (f"{typed} > {MAX_AMOUNT}", f"'absurd amount (over {MAX_AMOUNT:,}): ' || {shown}"),
        ]
    elif column.kind == "score":
        number = f"try_cast({raw} as double)"
        checks += [
            (f"{present} and {number} is null", f"'not a number: ' || {shown}"),
            (f"{number} <> floor({number})", f"'not a whole number: ' || {shown}"),
            (f"{number} < 0 or {number} > 10", f"'score outside 0-10: ' || {shown}"),
        ]
    elif column.kind == "enum":
        allowed = ", ".join(quote_literal(v) for v in column.allowed_values())
        checks.append(
            (
                f"{present} and {typed} not in ({allowed})",
                f"'unknown value ' || {shown} || ' (allowed: {', '.join(column.allowed_values())})'",
            )
        )
    elif column.kind == "email":
        checks.append(
            (
                f"{present} and not regexp_full_match({raw}, '[^@\\s]+@[^@\\s]+\\.[^@\\s]+')",
                f"'not an email address: ' || {shown}",
            )
        )
    elif column.kind == "id":
        checks.append((f"length({raw}) > 64", f"'identifier longer than 64 characters: ' || {shown}"))
    return [(f"({condition})", reason) for condition, reason in checks]


def row_checks(entity: Entity) -> list[tuple[str, str, str]]:
    """Every check of an entity as (column, condition, reason SQL), in the order they apply."""
    checks = [(c.name, cond, reason) for c in entity.columns for cond, reason in column_checks(c)]
    if entity.customer_must_exist:
        checks.append(
            (
                "customer_id",
                "(_raw_customer_id <> '' and not _customer_is_known)",
                "'unknown customer: ' || '''' || left(_raw_customer_id, 80) || ''''",
            )
        )
    checks += [(col, f"({cond})", quote_literal(reason)) for col, cond, reason in entity.extra_checks]
    return checks


def raw_table_ddl(entity: Entity) -> str:
    columns = ",\n    ".join(
        f"{quote_identifier(c.name)} {SQL_TYPES[c.kind]}" for c in entity.columns
    )
    return f"""
create table if not exists {RAW_SCHEMA}.{entity.name} (
    {columns},
    _source_file varchar not null,
    _source_row bigint not null,
    _file_sha256 varchar not null,
    _loaded_at timestamptz not null
)"""


def rejected_table_ddl(entity: Entity) -> str:
    return f"""
create table if not exists {RAW_SCHEMA}.{entity.name}_rejected (
    _source_file varchar not null,
    _source_row bigint not null,
    column_name varchar not null,
    reason varchar not null,
    raw_record varchar not null,
    _file_sha256 varchar not null,
    _loaded_at timestamptz not null
)"""


AUDIT_DDL = f"""
create table if not exists {RAW_SCHEMA}.load_audit (
    file_path varchar primary key,
    file_sha256 varchar not null,
    entity varchar not null,
    file_format varchar not null,
    rows_read bigint not null,
    rows_loaded bigint not null,
    rows_rejected bigint not null,
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


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    con.execute(AUDIT_DDL)
    con.execute(IMPORT_AUDIT_DDL)
    for entity in ENTITIES:
        con.execute(raw_table_ddl(entity))
        con.execute(rejected_table_ddl(entity))


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


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_source(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """Materialise a file as temp table `_src`; return its format.

    DuckDB keeps insertion order on create-table-as (preserve_insertion_order), so rowids are
    consecutive in file order: the n-th data row (after the header) gets source row n.
    """
    file_format = FILE_SUFFIXES.get(path.suffix.lower())
    if file_format is None:
        raise FileError(path, f"unsupported file type '{path.suffix}'; expected one of {sorted(FILE_SUFFIXES)}")
    if path.stat().st_size == 0:
        raise FileError(path, "file is empty (not even a header row)")
    if file_format == "csv":
        reader = (
            "read_csv(?, header = true, all_varchar = true, delim = ',', quote = '\"', "
            "escape = '\"', strict_mode = true, auto_detect = true, sample_size = -1)"
        )
    else:
        reader = "read_parquet(?)"
    try:
        con.execute(f"create or replace temp table _src as select * from {reader}", [str(path)])
    except duckdb.Error as exc:
        first_line = str(exc).strip().splitlines()[0]
        raise FileError(path, f"cannot be read as {file_format.upper()}: {first_line}") from exc
    return file_format


def source_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [row[0] for row in con.execute("select column_name from (describe _src)").fetchall()]


def check_columns(path: Path, entity: Entity, found: list[str]) -> tuple[str, ...]:
    """Raise FileError for missing required columns; return columns the contract does not know."""
    lowered = [name.strip().lower() for name in found]
    missing = [name for name in entity.required_in_file if name not in lowered]
    if missing:
        raise FileError(
            path,
            f"missing required column(s) {', '.join(missing)}; found {', '.join(found) or 'none'}. "
            f"A {entity.name} file needs: {', '.join(entity.required_in_file)}",
        )
    known = {c.name for c in entity.columns}
    return tuple(name for name, low in zip(found, lowered) if low not in known)


def select_source_column(column: Column, found: list[str]) -> str:
    """The source column matching a contract column (case-insensitive), or null if optional and absent."""
    for name in found:
        if name.strip().lower() == column.name:
            return f"src.{quote_identifier(name)} as {quote_identifier(column.name)}"
    return f"null as {quote_identifier(column.name)}"


def build_checked_table(con: duckdb.DuckDBPyConnection, entity: Entity, found: list[str]) -> None:
    """Temp table `_checked`: every source row with typed values and its first failing check."""
    renamed = ", ".join(select_source_column(c, found) for c in entity.columns)
    raw_columns = ", ".join(f"{raw_text(c)} as _raw_{c.name}" for c in entity.columns)
    typed_columns = ", ".join(f"{typed_value(c)} as {quote_identifier(c.name)}" for c in entity.columns)
    checks = row_checks(entity)
    error_column = " ".join(f"when {cond} then {quote_literal(col)}" for col, cond, _ in checks)
    error_reason = " ".join(f"when {cond} then {reason}" for _, cond, reason in checks)
    customer_join = ""
    customer_known = "true"
    if entity.customer_must_exist:
        customer_join = (
            f"left join (select distinct customer_id from {RAW_SCHEMA}.customers) as known "
            "on known.customer_id = typed.customer_id"
        )
        customer_known = "known.customer_id is not null"
    pk = quote_identifier(entity.primary_key)
    con.execute(
        f"""
        create or replace temp table _checked as
        with renamed as (
            select rowid - (select min(rowid) from _src) + 1 as _source_row, {renamed} from _src as src
        ),
        typed as (
            select src._source_row, {raw_columns}, {typed_columns}, current_timestamp as _load_started_at
            from renamed as src
        ),
        flagged as (
            select typed.*,
                case {error_column} end as _error_column,
                case {error_reason} end as _error_reason
            from (select typed.*, {customer_known} as _customer_is_known from typed {customer_join}) as typed
        ),
        first_rows as (
            -- A hash aggregate and a join: at scale much cheaper than a window that sorts every row.
            select {pk}, min(_source_row) as _pk_first_row
            from flagged
            where _error_reason is null
            group by {pk}
        ),
        ranked as (
            select flagged.*, first_rows._pk_first_row
            from flagged
            left join first_rows on flagged._error_reason is null and flagged.{pk} = first_rows.{pk}
        )
        select * exclude (_error_column, _error_reason, _pk_first_row),
            case when _error_reason is null and _source_row > _pk_first_row then {quote_literal(entity.primary_key)}
                else _error_column end as _error_column,
            case when _error_reason is null and _source_row > _pk_first_row
                then 'duplicate {entity.primary_key} ''' || {pk} || ''' in the same file (first at row '
                    || _pk_first_row || ')'
                else _error_reason end as _error_reason
        from ranked
        """
    )


def insert_checked(con: duckdb.DuckDBPyConnection, entity: Entity, rel_path: str, sha: str) -> None:
    columns = ", ".join(quote_identifier(c.name) for c in entity.columns)
    record = ", ".join(f"{quote_literal(c.name)}: _raw_{c.name}" for c in entity.columns)
    params = [rel_path, sha]
    con.execute(
        f"""
        insert into {RAW_SCHEMA}.{entity.name}
        select {columns}, ?, _source_row, ?, _load_started_at
        from _checked where _error_reason is null order by _source_row
        """,
        params,
    )
    con.execute(
        f"""
        insert into {RAW_SCHEMA}.{entity.name}_rejected
        select ?, _source_row, _error_column, _error_reason, to_json({{{record}}}), ?, _load_started_at
        from _checked where _error_reason is not null order by _source_row
        """,
        params,
    )


def forget_file(con: duckdb.DuckDBPyConnection, entity: Entity, rel_path: str) -> None:
    """Remove every row an earlier version of this file loaded."""
    for table in (entity.name, f"{entity.name}_rejected"):
        con.execute(f"delete from {RAW_SCHEMA}.{table} where _source_file = ?", [rel_path])
    con.execute(f"delete from {RAW_SCHEMA}.load_audit where file_path = ?", [rel_path])


def load_file(
    con: duckdb.DuckDBPyConnection, entity: Entity, path: Path, rel_path: str
) -> FileResult:
    """Load one file in one transaction. Never raises for a bad file: it reports it."""
    sha = sha256_of(path)
    previous = con.execute(
        f"select file_sha256, rows_read, rows_loaded, rows_rejected from {RAW_SCHEMA}.load_audit where file_path = ?",
        [rel_path],
    ).fetchone()
    if previous is not None and previous[0] == sha:
        return FileResult(rel_path, entity.name, sha, "unchanged", *previous[1:])
    con.begin()
    try:
        file_format = read_source(con, path)
        found = source_columns(con)
        ignored = check_columns(path, entity, found)
        build_checked_table(con, entity, found)
        rows_read, rows_rejected = con.execute(
            "select count(*), count(*) filter (where _error_reason is not null) from _checked"
        ).fetchone()
        source_rows = con.execute("select count(*) from _src").fetchone()[0]
        if source_rows != rows_read:
            raise FileError(path, f"internal error: read {source_rows} rows but checked {rows_read}")
        if previous is not None:
            forget_file(con, entity, rel_path)
        insert_checked(con, entity, rel_path, sha)
        con.execute(
            f"insert into {RAW_SCHEMA}.load_audit values (?, ?, ?, ?, ?, ?, ?, ?, current_timestamp)",
            [rel_path, sha, entity.name, file_format, rows_read, rows_read - rows_rejected, rows_rejected,
             ",".join(ignored)],
        )
        sample = [
            RejectedRow(rel_path, *row)
            for row in con.execute(
                "select _source_row, _error_column, _error_reason from _checked "
                f"where _error_reason is not null order by _source_row limit {SAMPLE_LIMIT}"
            ).fetchall()
        ]
        con.execute("drop table if exists _checked")
        con.execute("drop table if exists _src")
        con.commit()
    except FileError as exc:
        con.rollback()
        return FileResult(rel_path, entity.name, sha, "failed", error=exc.problem)
    except BaseException:
        con.rollback()
        raise
    return FileResult(
        rel_path,
        entity.name,
        sha,
        "replaced" if previous is not None else "loaded",
        rows_read,
        rows_read - rows_rejected,
        rows_rejected,
        ignored,
        sample_rejections=sample,
    )


def load_directory(
    con: duckdb.DuckDBPyConnection,
    data_dir: Path,
    on_file: Callable[[FileResult], None] | None = None,
    files: Iterable[tuple[Entity, Path]] | None = None,
) -> LoadReport:
    """Load every file under `data_dir` into the raw schema of `con`."""
    ensure_raw_schema(con)
    report = LoadReport()
    for entity, path in files if files is not None else discover_files(data_dir):
        rel_path = path.relative_to(data_dir).as_posix()
        result = load_file(con, entity, path, rel_path)
        if not result.reconciles():
            raise RuntimeError(f"{path}: rows read {result.rows_read} != loaded + rejected")
        report.files.append(result)
        if on_file is not None:
            on_file(result)
    load_import_audit(con, data_dir)
    return report


def load_import_audit(con: duckdb.DuckDBPyConnection, data_dir: Path) -> int:
    """Replace raw.import_audit rows of `data_dir`'s import audit, if it has one; return measures loaded."""
    path = data_dir / IMPORT_AUDIT_FILE
    if not path.is_file():
        return 0
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FileError(path, f"not a JSON document: {exc}") from exc
    if not isinstance(payload, dict) or any(isinstance(v, (dict, list)) for v in payload.values()):
        raise FileError(path, "expected one JSON object of measure: scalar value pairs")
    audit_file = path.as_posix()
    con.begin()
    try:
        con.execute(f"delete from {RAW_SCHEMA}.import_audit where audit_file = ?", [audit_file])
        con.executemany(
            f"insert into {RAW_SCHEMA}.import_audit values (?, ?, ?, now())",
            [[audit_file, measure, None if value is None else str(value)] for measure, value in payload.items()],
        )
        con.commit()
    except duckdb.Error:
        con.rollback()
        raise
    return len(payload)

