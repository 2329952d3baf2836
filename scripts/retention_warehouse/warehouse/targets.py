"""The engines a warehouse can live on, reached the way dbt reaches them: through profiles.yml.

Targets `duckdb` (the default), `postgres` and `spark` are outputs of profiles.yml. The Python
steps (export-raw, fit-models, report) read the same output, rendered the way dbt renders it, so dbt
and the CLI never disagree about where a warehouse is. Each engine offers two things: run a query
and return its rows, and replace a table with the rows of an Arrow table.
"""

from __future__ import annotations

import importlib.util
import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import duckdb
import jinja2
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import yaml

from retention_warehouse.config import PROJECT_ROOT
from retention_warehouse.sql import quote_identifier

TARGETS = ("duckdb", "postgres", "spark")
ENGINE_MODULES = {"postgres": ("dbt.adapters.postgres", "psycopg2"), "spark": ("dbt.adapters.spark", "pyspark")}
"""What a target other than the embedded DuckDB needs installed: its dbt adapter and its driver."""
PROFILE_NAME = "retention_warehouse"
COPY_BATCH_ROWS = 100_000
"""Rows sent to PostgreSQL per COPY."""


class TargetError(Exception):
    """A target cannot be used: unknown, misconfigured, or its server cannot be reached."""


class MissingTableError(TargetError):
    """A query read a table or view that the target does not have (not built yet?)."""


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple]


class Warehouse(Protocol):
    target: str

    def query(self, sql: str) -> QueryResult:
        """Run one statement and return its rows (none for statements that return none)."""

    def replace_table(self, schema: str, table: str, data: pa.Table) -> None:
        """Create or replace `schema.table` with exactly the rows and column types of `data`."""


# --------------------------------------------------------------------------- profiles.yml


def profiles_dir() -> Path:
    """Where dbt looks for profiles.yml: $DBT_PROFILES_DIR (the Makefile sets it), else the project."""
    return Path(os.environ.get("DBT_PROFILES_DIR") or PROJECT_ROOT)


def _env_var(name: str, default: str | None = None) -> str:
    if name in os.environ:
        return os.environ[name]
    if default is None:
        raise TargetError(f"profiles.yml needs environment variable {name}, which is not set")
    return default


def _render(value: Any, environment: jinja2.Environment) -> Any:
    if isinstance(value, str):
        return environment.from_string(value).render(env_var=_env_var)
    if isinstance(value, dict):
        return {key: _render(item, environment) for key, item in value.items()}
    if isinstance(value, list):
        return [_render(item, environment) for item in value]
    return value


def require_engine(target: str) -> None:
    """Raise TargetError, saying how to install them, when the target's dbt adapter or driver is missing.

    The PostgreSQL and Spark drivers are the optional extras `postgres` and `spark`: `make build` installs
    neither (DuckDB needs none), `make test` installs both.
    """
    missing = [name for name in ENGINE_MODULES.get(target, ()) if not _installed(name)]
    if missing:
        raise TargetError(f"target {target} needs {', '.join(missing)}, which is not installed: run "
                          f"`uv sync --extra {target}` (or `make setup-all`, which installs every engine)")


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def target_settings(target: str, directory: Path | None = None) -> dict[str, Any]:
    """The `target` output of the project's profile, with env_var() rendered as dbt renders it."""
    if target not in TARGETS:
        raise TargetError(f"unknown target '{target}'; expected one of {', '.join(TARGETS)}")
    path = (directory or profiles_dir()) / "profiles.yml"
    try:
        outputs = yaml.safe_load(path.read_text(encoding="utf-8"))[PROFILE_NAME]["outputs"]
    except (OSError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise TargetError(f"{path}: cannot read profile {PROFILE_NAME}: {exc}") from exc
    if target not in outputs:
        raise TargetError(f"{path}: profile {PROFILE_NAME} has no output '{target}'")
    return _render(outputs[target], jinja2.Environment(undefined=jinja2.StrictUndefined))


# --------------------------------------------------------------------------- DuckDB


class DuckDBWarehouse:
    target = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def query(self, sql: str) -> QueryResult:
        try:
            cursor = self.con.execute(sql)
        except duckdb.CatalogException as exc:
            raise MissingTableError(str(exc).strip().splitlines()[0]) from exc
        columns = [d[0] for d in cursor.description] if cursor.description else []
        return QueryResult(columns, cursor.fetchall() if columns else [])

    def replace_table(self, schema: str, table: str, data: pa.Table) -> None:
        self.con.execute(f"create schema if not exists {schema}")
        self.con.register("_replacement", data)
        try:
            self.con.execute(f"create or replace table {schema}.{table} as select * from _replacement")
        finally:
            self.con.unregister("_replacement")


# --------------------------------------------------------------------------- PostgreSQL


def postgres_type(arrow_type: pa.DataType) -> str:
    """The PostgreSQL column type that holds an Arrow type without loss."""
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "text"
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_int8(arrow_type) or pa.types.is_int16(arrow_type):
        return "smallint"
    if pa.types.is_int32(arrow_type):
        return "integer"
    if pa.types.is_int64(arrow_type):
        return "bigint"
    if pa.types.is_float32(arrow_type):
        return "real"
    if pa.types.is_float64(arrow_type):
        return "double precision"
    if pa.types.is_decimal(arrow_type):
        return f"numeric({arrow_type.precision}, {arrow_type.scale})"
    if pa.types.is_date(arrow_type):
        return "date"
    if pa.types.is_timestamp(arrow_type):
        return "timestamptz" if arrow_type.tz else "timestamp"
    raise TargetError(f"no PostgreSQL type for Arrow type {arrow_type}")


def csv_batches(data: pa.Table, rows_per_batch: int = COPY_BATCH_ROWS) -> Iterator[bytes]:
    """The rows of `data` as CSV for COPY: every value quoted, so '' stays '' and null stays null."""
    options = pa_csv.WriteOptions(include_header=False, quoting_style="all_valid")
    for batch in data.to_batches(max_chunksize=rows_per_batch):
        buffer = io.BytesIO()
        pa_csv.write_csv(pa.Table.from_batches([batch], schema=data.schema), buffer, options)
        yield buffer.getvalue()


class PostgresWarehouse:
    target = "postgres"

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def query(self, sql: str) -> QueryResult:
        from psycopg2 import errors

        try:
            with self.connection.cursor() as cursor:
                cursor.execute(sql)
                columns = [d[0] for d in cursor.description] if cursor.description else []
                rows = cursor.fetchall() if columns else []
        except (errors.UndefinedTable, errors.InvalidSchemaName) as exc:
            self.connection.rollback()
            raise MissingTableError(str(exc).strip().splitlines()[0]) from exc
        except Exception:
            self.connection.rollback()
            raise
        self.connection.commit()
        return QueryResult(columns, rows)

    def replace_table(self, schema: str, table: str, data: pa.Table) -> None:
        """Drop and create the table and COPY the rows in, in one transaction.

        The drop cascades to the views dbt built on the table; the next dbt build makes them again.
        """
        name = f"{quote_identifier(schema)}.{quote_identifier(table)}"
        columns = ", ".join(f"{quote_identifier(f.name)} {postgres_type(f.type)}" for f in data.schema)
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(f"create schema if not exists {quote_identifier(schema)}")
                cursor.execute(f"drop table if exists {name} cascade")
                cursor.execute(f"create table {name} ({columns})")
                for chunk in csv_batches(data):
                    cursor.copy_expert(f"copy {name} from stdin with (format csv)", io.BytesIO(chunk))
            self.connection.commit()
        except Exception:
            self.connection.rollback()
            raise


# --------------------------------------------------------------------------- Spark


def spark_session(settings: dict[str, Any]) -> Any:
    """The SparkSession dbt-spark's session method uses: same builder, same settings.

    dbt-spark asks for the session with SparkSession.builder.getOrCreate() before every statement,
    so a dbt run in this process reuses the one made here (one JVM, one metastore connection).
    """
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.enableHiveSupport()
    for key, value in settings.get("server_side_parameters", {}).items():
        builder = builder.config(str(key), str(value))
    # dbt-spark forces ANSI mode off whatever the profile says; do the same so SQL behaves alike.
    return builder.config("spark.sql.ansi.enabled", "false").getOrCreate()


class SparkWarehouse:
    target = "spark"

    def __init__(self, session: Any) -> None:
        self.session = session

    def query(self, sql: str) -> QueryResult:
        from pyspark.errors import AnalysisException

        try:
            frame = self.session.sql(sql)
        except AnalysisException as exc:
            if exc.getCondition() in ("TABLE_OR_VIEW_NOT_FOUND", "SCHEMA_NOT_FOUND"):
                raise MissingTableError(str(exc).strip().splitlines()[0]) from exc
            raise
        columns = list(frame.columns)
        if not columns:
            return QueryResult([], [])
        table = frame.toArrow()
        return QueryResult(columns, [tuple(row.values()) for row in table.to_pylist()])

    def replace_table(self, schema: str, table: str, data: pa.Table) -> None:
        """Write the rows as Parquet, read them with Spark and save them as a Parquet table.

        Parquet carries decimals, dates and UTC timestamps exactly, which a pandas round trip does not.
        """
        self.session.sql(f"create database if not exists {schema}")
        staging = Path(tempfile.mkdtemp(prefix=f"warehouse-{table}-"))
        try:
            path = staging / f"{table}.parquet"
            pq.write_table(data, path)
            frame = self.session.read.parquet(str(path))
            frame.write.mode("overwrite").format("parquet").saveAsTable(f"{schema}.{table}")
        finally:
            shutil.rmtree(staging, ignore_errors=True)


# --------------------------------------------------------------------------- connect


def describe(target: str) -> str:
    """Where a target's warehouse is, for messages (no password)."""
    settings = target_settings(target)
    if target == "duckdb":
        return str(settings["path"])
    if target == "postgres":
        return f"postgresql://{settings['user']}@{settings['host']}:{settings['port']}/{settings['dbname']}"
    parameters = settings.get("server_side_parameters", {})
    return f"spark {parameters.get('spark.master', '')} {parameters.get('spark.sql.warehouse.dir', '')}".strip()


@contextmanager
def connect(target: str, read_only: bool = False) -> Iterator[Warehouse]:
    """A connection to the warehouse of `target`, as profiles.yml describes it."""
    settings = target_settings(target)
    if target == "duckdb":
        path = Path(settings["path"])
        if read_only and not path.is_file():
            raise TargetError(f"{path} does not exist: build the warehouse first (make build)")
        path.parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(path), read_only=read_only) as con:
            con.execute("set TimeZone = 'UTC'")
            yield DuckDBWarehouse(con)
    elif target == "postgres":
        require_engine(target)
        import psycopg2

        try:
            connection = psycopg2.connect(
                host=settings["host"], port=int(settings["port"]), user=settings["user"],
                password=settings.get("password") or None, dbname=settings["dbname"],
                options="-c TimeZone=UTC",
            )
        except psycopg2.OperationalError as exc:
            detail = str(exc).strip().splitlines()[0]
            raise TargetError(
                f"cannot connect to PostgreSQL at {settings['host']}:{settings['port']} database "
                f"{settings['dbname']} as {settings['user']} (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD): {detail}"
            ) from exc
        try:
            yield PostgresWarehouse(connection)
        finally:
            connection.close()
    else:
        require_engine(target)
        yield SparkWarehouse(spark_session(settings))
