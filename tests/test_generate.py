"""The demo data generator: deterministic, streaming, and realistic enough to mean something."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from scripts.generate import CHUNK_CUSTOMERS, GeneratorConfig, generate, iter_chunks
from scripts.load import load_directory


def digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_same_files_other_seed_other_files(tmp_path: Path) -> None:
    generate(GeneratorConfig(customers=300, seed=1), tmp_path / "a")
    generate(GeneratorConfig(customers=300, seed=1), tmp_path / "b")
    generate(GeneratorConfig(customers=300, seed=2), tmp_path / "c")
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")


def test_chunks_cover_every_customer_once() -> None:
    chunks = list(iter_chunks(2 * CHUNK_CUSTOMERS + 5))
    assert [c[0] for c in chunks] == [0, 1, 2]
    assert sum(size for _, _, size in chunks) == 2 * CHUNK_CUSTOMERS + 5
    assert chunks[-1][1] == 2 * CHUNK_CUSTOMERS


def test_config_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        GeneratorConfig(customers=10)
    with pytest.raises(ValueError):
        GeneratorConfig(bad_row_rate=0.5)


@pytest.mark.parametrize("file_format", ["parquet", "csv"])
def test_only_the_manual_upload_files_have_bad_rows(tmp_path: Path, file_format: str) -> None:
    data = tmp_path / "raw"
    summary = generate(GeneratorConfig(customers=200, seed=3, file_format=file_format), data)
    with duckdb.connect() as con:
        report = load_directory(con, data)
    assert not report.failed
    for f in report.files:
        if "manual-upload" in f.path:
            assert f.rows_rejected >= summary.bad_rows[f.entity], f.path
        else:
            assert f.rows_rejected == 0, (f.path, f.sample_rejections[:3])


@pytest.fixture(scope="module")
def behaviour(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    data = tmp_path_factory.mktemp("behaviour") / "raw"
    generate(GeneratorConfig(customers=4000, seed=11), data)
    con = duckdb.connect()
    load_directory(con, data)
    con.execute("""
        create table orders as
        select order_id, customer_id, status, timezone('UTC', ordered_at) as ordered_at,
            actual_delivery_date > promised_delivery_date as was_late
        from raw.orders
        qualify row_number() over (partition by order_id order by updated_at desc) = 1
    """)
    return con


def test_detractors_buy_again_less_often_than_promoters(behaviour: duckdb.DuckDBPyConnection) -> None:
    rates = dict(behaviour.execute("""
        select case when r.score <= 6 then 'detractor' when r.score >= 9 then 'promoter' else 'passive' end,
            avg(case when exists (
                select 1 from orders o where o.customer_id = r.customer_id
                and o.ordered_at > timezone('UTC', r.responded_at)
            ) then 1.0 else 0.0 end)
        from raw.survey_responses r where r.customer_id is not null group by 1
    """).fetchall())
    assert rates["detractor"] < rates["promoter"] - 0.1, rates


def test_late_deliveries_get_lower_scores(behaviour: duckdb.DuckDBPyConnection) -> None:
    late, on_time = behaviour.execute("""
        select avg(score) filter (where was_late), avg(score) filter (where not was_late)
        from (
            select r.score, (select bool_or(o.was_late) from orders o where o.customer_id = r.customer_id
                and o.ordered_at < timezone('UTC', r.responded_at)
                and o.ordered_at > timezone('UTC', r.responded_at) - interval 20 day) as was_late
            from raw.survey_responses r where r.customer_id is not null
        )
    """).fetchone()
    assert late < on_time - 1, (late, on_time)


def test_december_is_busier_than_june(behaviour: duckdb.DuckDBPyConnection) -> None:
    by_month = dict(behaviour.execute(
        "select month(ordered_at), count(*) from orders where year(ordered_at) = 2025 group by 1").fetchall())
    assert by_month[12] > 1.2 * by_month[6], by_month


def test_some_customers_lapse_and_come_back(behaviour: duckdb.DuckDBPyConnection) -> None:
    reactivated = behaviour.execute("""
        select count(distinct customer_id) from (
            select customer_id, ordered_at - lag(ordered_at) over (partition by customer_id order by ordered_at) as gap
            from orders where status not in ('cancelled', 'payment_failed')
        ) where gap > interval 180 day
    """).fetchone()[0]
    assert reactivated >= 20


def test_guest_accounts_share_emails_and_orders_arrive_late(behaviour: duckdb.DuckDBPyConnection) -> None:
    shared = behaviour.execute(
        "select count(*) from (select email from raw.customers group by email having count(*) > 1)").fetchone()[0]
    assert shared >= 20
    updated = behaviour.execute("""
        select count(*) from raw.orders a join raw.orders b using (order_id)
        where a._source_file <> b._source_file and a.status = 'shipped' and b.status = 'delivered'
    """).fetchone()[0]
    assert updated >= 20
