"""Write–audit–publish on PostgreSQL, with a BI tool reading the marts throughout.

The module fixture copies the database the engine tests built (`retention`: raw tables COPY'd from
the files as an EL tool would, and marts from `warehouse build --target postgres`) into database
`publish`, runs `warehouse grant-bi` on it, starts a BI reader process (SQLAlchemy +
psycopg as the BI role, tests/postgres_bi_reader.py) and then, while it reads, publishes twice
through the CLI from a copy of the project: one build with as-of date 2025-06-30, which must be
swapped in, and one whose singular test fails on purpose, which must leave `marts` as it was.
The swap itself is also tested alone on tiny schemas: it waits for an open read, and it gives up
(publishing nothing) when readers never let go.
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from retention_warehouse.cli import app
from retention_warehouse.config import PROJECT_ROOT
from retention_warehouse.publish.bi_role import (
    BI_PASSWORD_ENV,
    BI_ROLE_ENV,
    OLD_SCHEMA,
    WORK_SCHEMA,
    BiRole,
    bi_role_problems,
    ensure_bi_role,
    grant_marts,
)
from retention_warehouse.publish.outcome import PublishError
from retention_warehouse.publish.postgres_schemas import (
    check_work_schema,
    prepare_work_schema,
    publish_postgres_schemas,
    swap_in,
    take_publish_lock,
)
from retention_warehouse.warehouse.targets import connect
from tests.support.postgres_bi_reader import URL_ENV, bi_engine, read_marts
from tests.support.processes import lines, wait_until
from tests.support.warehouses import WITHOUT_UNIT_TESTS, env

BI_ROLE = "retention_bi"
PUBLISHED_AS_OF = "2025-06-30"
FAILED_AS_OF = "2025-09-30"
FORCED_FAILURE = "assert_publish_is_blocked"
PROJECT_PARTS = ("dbt_project.yml", "models", "macros", "seeds", "data-tests", "analyses")
AS_OF_SQL = "select as_of_date::text from marts.dim_warehouse_build"
MARTS_SCHEMAS_SQL = "select nspname from pg_namespace where nspname like 'marts%' order by 1"
TINY_DATABASES = itertools.count()


@dataclass
class PublishRun:
    environment: dict[str, str]
    bi_url: str
    initial: dict[str, Any]
    published_exit: int
    published_output: str
    published: dict[str, Any]
    published_as_of: list[tuple]
    schemas_after_publish: list[str]
    failed_exit: int
    failed_output: str
    after_failed: dict[str, Any]
    records: list[dict[str, Any]]
    windows: list[tuple[float, float]]


def superuser_rows(environment: dict[str, str], sql: str) -> list[tuple]:
    with env(**environment), connect("postgres") as warehouse:
        return warehouse.query(sql).rows


def project_copy(destination: Path) -> Path:
    destination.mkdir(parents=True)
    for part in PROJECT_PARTS:
        source = PROJECT_ROOT / part
        if source.is_dir():
            shutil.copytree(source, destination / part)
        else:
            shutil.copy(source, destination / part)
    return destination


def bi_url(server, database: str, password: str) -> str:
    return f"postgresql+psycopg://{BI_ROLE}:{password}@{server.host}:{server.port}/{database}"


def publish_cli(project: Path, work: Path, environment: dict[str, str], as_of_date: str,
                *extra: str) -> tuple[int, str, tuple[float, float]]:
    started = time.time()
    result = CliRunner().invoke(app, [
        "publish", "--project-dir", str(project), "--target-path", str(work / "target"), "--no-freshness",
        "--vars", f'{{as_of_date: "{as_of_date}"}}', *extra], env={**environment, **WITHOUT_UNIT_TESTS})
    return result.exit_code, " ".join(result.output.split()), (started, time.time())


@pytest.fixture(scope="module")
def publish_run(postgres_warehouse, postgres_server, built_warehouse,
                tmp_path_factory: pytest.TempPathFactory) -> PublishRun:
    work = tmp_path_factory.mktemp("postgres-publish")
    # A file-level copy of what the engine tests built: a second instead of another build.
    postgres_server.create_database("publish", template=postgres_server.database)
    password = secrets.token_urlsafe(16)
    environment = {**postgres_server.environment("publish"), "WAREHOUSE_DB_PATH": str(built_warehouse.db_path),
                   BI_ROLE_ENV: BI_ROLE, BI_PASSWORD_ENV: password}
    runner = CliRunner()
    done = runner.invoke(app, ["grant-bi"], env=environment)
    assert done.exit_code == 0, done.output
    url = bi_url(postgres_server, "publish", password)
    engine = bi_engine(url)
    initial = read_marts(engine)
    project = project_copy(work / "project")
    out, stop = work / "bi.jsonl", work / "stop"
    reader = subprocess.Popen([sys.executable, "-m", "tests.support.postgres_bi_reader", str(out), str(stop)],
                              cwd=PROJECT_ROOT, env={**os.environ, URL_ENV: url})
    try:
        wait_until(lambda: lines(out), [reader], "the BI reader's first read")
        published_exit, published_output, published_window = publish_cli(
            project, work, {**environment, "DBT_TARGET": "postgres"}, PUBLISHED_AS_OF)
        published = read_marts(engine)
        published_as_of = superuser_rows(environment, AS_OF_SQL)
        schemas = [name for (name,) in superuser_rows(environment, MARTS_SCHEMAS_SQL)]
        (project / "data-tests" / f"{FORCED_FAILURE}.sql").write_text(
            "-- Fails on purpose (tests/engines/test_postgres_publish.py): a build whose test fails must not be published.\n"
            "select build_id from {{ ref('dim_warehouse_build') }}\n")
        failed_exit, failed_output, failed_window = publish_cli(
            project, work, environment, FAILED_AS_OF, "--target", "postgres")
        after_failed = read_marts(engine)
        wait_until(lambda: lines(out)[-1]["started"] > failed_window[1], [reader],
                   "the BI reader to read after the failed publish")
    finally:
        stop.touch()
        reader.wait(timeout=60)
    return PublishRun(environment, url, initial, published_exit, published_output, published, published_as_of, schemas,
                      failed_exit, failed_output, after_failed, lines(out), [published_window, failed_window])


def test_publish_swaps_in_the_tested_build(publish_run: PublishRun) -> None:
    assert publish_run.published_exit == 0, publish_run.published_output
    build_id = publish_run.published["build_id"]
    assert build_id != publish_run.initial["build_id"]
    assert f"Published build {build_id}" in publish_run.published_output
    assert "schema marts" in publish_run.published_output
    assert publish_run.schemas_after_publish == ["marts"], "marts__work became marts and the old marts is gone"
    assert publish_run.published["fingerprint"] != publish_run.initial["fingerprint"]
    assert set(publish_run.published["tables"]) == set(publish_run.initial["tables"])
    assert publish_run.published_as_of == [(PUBLISHED_AS_OF,)]


def test_a_failing_test_leaves_marts_and_its_build_id_unchanged(publish_run: PublishRun) -> None:
    assert publish_run.failed_exit == 1, publish_run.failed_output
    assert f"test.retention_warehouse.{FORCED_FAILURE}" in publish_run.failed_output
    assert "not published" in publish_run.failed_output and "schema marts is unchanged" in publish_run.failed_output
    assert publish_run.after_failed == publish_run.published
    assert superuser_rows(publish_run.environment, AS_OF_SQL) == [(PUBLISHED_AS_OF,)]
    left = superuser_rows(publish_run.environment, f"select build_id, as_of_date::text from {WORK_SCHEMA}.dim_warehouse_build")
    assert len(left) == 1 and left[0][0] != publish_run.published["build_id"] and left[0][1] == FAILED_AS_OF, (
        "the failed build stays in marts__work for a look")


def test_the_bi_reader_never_fails_and_never_sees_a_mix_of_builds(publish_run: PublishRun) -> None:
    records = publish_run.records
    errors = [r["error"] for r in records if not r["ok"]]
    assert errors == [], f"{len(errors)} failed reads of {len(records)}, first: {errors[0]}"
    expected = {publish_run.initial["build_id"]: publish_run.initial["fingerprint"],
                publish_run.published["build_id"]: publish_run.published["fingerprint"]}
    for record in records:
        assert record["build_id"] == record["build_id_at_end"], record
        assert record["fingerprint"] == expected[record["build_id"]], (
            f"a read at {record['started']} saw marts that are not all of build {record['build_id']}")
        assert record["rows_read"] > 0
    seen = [r["build_id"] for r in records]
    assert [b for i, b in enumerate(seen) if i == 0 or b != seen[i - 1]] == list(expected), "one swap, in order"
    during = [r for r in records if any(start <= r["started"] and r["ended"] <= end
                                        for start, end in publish_run.windows)]
    assert len(during) >= 10, "the BI tool read while the builds ran"


REFUSED = {
    "insert into a mart": "insert into marts.dim_warehouse_build (build_id) values ('forged')",
    "update a mart": "update marts.dim_customers set customer_id = customer_id",
    "delete from a mart": "delete from marts.fct_nps",
    "truncate a mart": "truncate marts.fct_nps",
    "drop a mart": "drop table marts.fct_nps",
    "create a table in marts": "create table marts.bi_scratch (n integer)",
    "create a table in public": "create table public.bi_scratch (n integer)",
    "create a schema": "create schema bi_scratch",
    "read raw": "select count(*) from raw.orders",
    "read staging": "select count(*) from staging.stg_shop__orders",
    "read intermediate": "select count(*) from intermediate.int_orders_enriched",
    "read the seeds": "select count(*) from reference.order_statuses",
    "read the failed build in marts__work": f"select count(*) from {WORK_SCHEMA}.dim_warehouse_build",
}


@pytest.mark.parametrize("statement", REFUSED.values(), ids=REFUSED.keys())
def test_the_bi_role_is_refused_everything_but_reading_marts(publish_run: PublishRun, statement: str) -> None:
    import psycopg
    from sqlalchemy import exc, text

    with bi_engine(publish_run.bi_url).connect() as connection:
        with pytest.raises(exc.DBAPIError) as refused:
            connection.execute(text(statement))
    assert isinstance(refused.value.orig, psycopg.errors.InsufficientPrivilege), refused.value


def test_the_bi_role_has_a_password_and_nothing_but_marts(publish_run: PublishRun) -> None:
    hashed = superuser_rows(publish_run.environment, f"select rolpassword from pg_authid where rolname = '{BI_ROLE}'")
    assert hashed[0][0].startswith("SCRAM-SHA-256$"), "set from WAREHOUSE_BI_PASSWORD, hashed before it was sent"
    with env(**publish_run.environment), connect("postgres") as warehouse, warehouse.connection.cursor() as cursor:
        assert bi_role_problems(cursor, BI_ROLE) == []


# --------------------------------------------------------------------------- the swap alone, on tiny schemas

SWAP_ROLE = "retention_bi_swap"


@pytest.fixture
def tiny(postgres_server) -> Iterator[dict[str, str]]:
    """A database with marts (build `old`) and marts__work (build `new`), each a build table and a fact."""
    name = f"swap_{next(TINY_DATABASES)}"
    postgres_server.create_database(name)
    environment = postgres_server.environment(name)
    with env(**environment), connect("postgres") as warehouse:
        connection = warehouse.connection
        with connection.cursor() as cursor:
            cursor.execute("create schema marts")
            for table in ("dim_warehouse_build", "fct_facts"):
                cursor.execute(f"create table marts.{table} as select 'old'::text as build_id")
            ensure_bi_role(cursor, BiRole(SWAP_ROLE))
            grant_marts(cursor, SWAP_ROLE)
        connection.commit()
        prepare_work_schema(connection, SWAP_ROLE)
        with connection.cursor() as cursor:
            for table in ("dim_warehouse_build", "fct_facts"):
                cursor.execute(f"create table {WORK_SCHEMA}.{table} as select 'new'::text as build_id")
        connection.commit()
    yield environment


def bi_connection(environment: dict[str, str]) -> Any:
    import psycopg

    return psycopg.connect(host=environment["PGHOST"], port=environment["PGPORT"], dbname=environment["PGDATABASE"],
                           user=SWAP_ROLE)


def builds(cursor: Any) -> tuple[str, str]:
    build = cursor.execute("select build_id from marts.dim_warehouse_build").fetchone()[0]
    fact = cursor.execute("select build_id from marts.fct_facts").fetchone()[0]
    return build, fact


def test_the_swap_waits_for_an_open_read_and_the_read_sees_one_build(tiny: dict[str, str]) -> None:
    swapped: list[float] = []
    with bi_connection(tiny) as reader, env(**tiny), connect("postgres") as warehouse:
        cursor = reader.cursor()
        assert cursor.execute("select build_id from marts.dim_warehouse_build").fetchone() == ("old",)
        swap = threading.Thread(target=lambda: (swap_in(warehouse.connection, SWAP_ROLE, "new", 30),
                                                swapped.append(time.time())))
        swap.start()
        time.sleep(0.5)
        assert swap.is_alive(), "the swap must wait while a read holds the old tables"
        assert builds(cursor) == ("old", "old"), "the open read kept one build"
        reader.commit()
        released = time.time()
        swap.join(timeout=30)
        assert swapped and swapped[0] >= released
        assert builds(cursor) == ("new", "new"), "the BI role reads the swapped-in tables (default privileges)"
        reader.commit()
    assert superuser_rows(tiny, MARTS_SCHEMAS_SQL) == [("marts",)], f"{WORK_SCHEMA} became marts, {OLD_SCHEMA} is gone"


def test_the_swap_gives_up_when_readers_never_let_go(tiny: dict[str, str]) -> None:
    with bi_connection(tiny) as reader, env(**tiny), connect("postgres") as warehouse:
        builds(reader.cursor())
        with pytest.raises(PublishError, match=f"not swapped. The tested build is in {WORK_SCHEMA}"):
            swap_in(warehouse.connection, SWAP_ROLE, "new", wait_seconds=0.3)
        reader.commit()
    assert superuser_rows(tiny, "select build_id from marts.fct_facts") == [("old",)]
    assert superuser_rows(tiny, f"select build_id from {WORK_SCHEMA}.fct_facts") == [("new",)]


def test_marts_that_are_not_tables_are_refused(tiny: dict[str, str]) -> None:
    superuser_rows(tiny, f"create view {WORK_SCHEMA}.fct_view as select * from {WORK_SCHEMA}.fct_facts")
    with env(**tiny), connect("postgres") as warehouse, pytest.raises(PublishError, match="fct_view"):
        check_work_schema(warehouse.connection, "new")


def test_one_publish_at_a_time_and_no_loading_on_postgres(tiny: dict[str, str], tmp_path: Path) -> None:
    arguments = {"project_dir": PROJECT_ROOT, "target_path": tmp_path, "log_path": tmp_path}
    with pytest.raises(PublishError, match="export-raw --target postgres"):
        publish_postgres_schemas(data_dir=tmp_path, **arguments)
    with env(**tiny), connect("postgres") as holder:
        take_publish_lock(holder.connection)
        with pytest.raises(PublishError, match="another publish is running"):
            publish_postgres_schemas(bi_role=BiRole(SWAP_ROLE), **arguments)
