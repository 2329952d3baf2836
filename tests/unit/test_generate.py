"""The demo data generator: deterministic, streaming, and realistic enough to mean something."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from retention_warehouse.demo.generator import (
    CHUNK_CUSTOMERS,
    GeneratorConfig,
    generate,
    iter_chunks,
)
from retention_warehouse.ingest.loader import load_directory


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
def test_every_file_lands_whole(tmp_path: Path, file_format: str) -> None:
    """Both formats land every generated row (which of them are bad is tests/integration/test_load_reconciles.py)."""
    data = tmp_path / "raw"
    summary = generate(GeneratorConfig(customers=200, seed=3, file_format=file_format), data)
    with duckdb.connect() as con:
        report = load_directory(con, data)
    assert not report.failed
    landed: dict[str, int] = {}
    for f in report.files:
        landed[f.entity] = landed.get(f.entity, 0) + f.rows_read
    assert landed == {entity: rows for entity, rows in summary.rows.items() if rows}


@pytest.fixture(scope="module")
def behaviour(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    data = tmp_path_factory.mktemp("behaviour") / "raw"
    generate(GeneratorConfig(customers=4000, seed=11), data)
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute("create schema raw")
    # The generator's typed Parquet files as written (the CSV uploads add the bad rows: not wanted here).
    for folder in sorted(p for p in data.iterdir() if p.is_dir()):
        con.execute(f"create view raw.{folder.name} as select * rename (filename as _source_file) "
                    f"from read_parquet('{folder}/*.parquet', filename = true, union_by_name = true)")
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


def test_tickets_follow_late_deliveries_and_returns(behaviour: duckdb.DuckDBPyConnection) -> None:
    rates = dict(behaviour.execute("""
        select case when o.status = 'returned' then 'returned' when o.was_late then 'late' else 'other' end,
            avg(case when exists (
                select 1 from raw.support_tickets t where t.customer_id = o.customer_id
                and t.category in ('delivery_delay', 'return_refund')
                and timezone('UTC', t.opened_at) between o.ordered_at and o.ordered_at + interval 30 day
            ) then 1.0 else 0.0 end)
        from orders o where o.status in ('delivered', 'returned') group by 1
    """).fetchall())
    assert rates["late"] > 0.3 and rates["returned"] > 0.3 and rates["other"] < 0.1, rates
    unanswered = behaviour.execute(
        "select avg(case when first_response_at is null then 1.0 else 0.0 end) from raw.support_tickets").fetchone()[0]
    assert 0.05 < unanswered < 0.3, unanswered


def test_ignored_complaints_drive_customers_away(behaviour: duckdb.DuckDBPyConnection) -> None:
    """Customers whose complaint went unanswered for more than 2 days order again less often."""
    rates = dict(behaviour.execute("""
        select coalesce(t.first_response_at > t.opened_at + interval 2 day, true) as ignored,
            avg(case when exists (
                select 1 from orders o where o.customer_id = t.customer_id and o.ordered_at > timezone('UTC', t.opened_at)
            ) then 1.0 else 0.0 end)
        from raw.support_tickets t
        where t.category in ('delivery_delay', 'damaged_item', 'return_refund', 'billing')
            and t.opened_at < timestamptz '2025-06-30'
        group by 1
    """).fetchall())
    assert rates[True] < rates[False] - 0.1, rates


def test_campaigns_assign_lapsed_customers_once_at_random(behaviour: duckdb.DuckDBPyConnection) -> None:
    lapse = {"winback_60d": 60, "reminder_120d": 120}
    rows = behaviour.execute("""
        select a.campaign_id, a.arm, count(distinct a.customer_id), count(*),
            min(date_diff('day', (select max(o.ordered_at) from orders o where o.customer_id = a.customer_id
                and o.ordered_at < timezone('UTC', a.assigned_at)), timezone('UTC', a.assigned_at)))
        from raw.campaign_assignments a
        where a.assignment_id not like 'X%'  -- the manual-upload file repeats a sample row on purpose
        group by 1, 2
    """).fetchall()
    by_arm = {(campaign, arm): (customers, assignments, days) for campaign, arm, customers, assignments, days in rows}
    for (campaign, _), (customers, assignments, days) in by_arm.items():
        assert customers == assignments  # once per campaign
        assert days >= lapse[campaign]  # only after the campaign's lapse without any order
    for campaign in lapse:
        treated, control = by_arm[(campaign, "treatment")][0], by_arm[(campaign, "control")][0]
        assert abs(treated - control) < 0.1 * (treated + control)  # 50/50


def test_the_win_back_campaign_has_a_true_effect_and_the_reminder_none(behaviour: duckdb.DuckDBPyConnection) -> None:
    """90-day retention of the first, fully observed assignments, treatment minus control."""
    lift = dict(behaviour.execute("""
        with outcomes as (
            select a.campaign_id, a.arm, exists (
                select 1 from orders o where o.customer_id = a.customer_id
                and o.status not in ('cancelled', 'payment_failed')
                and o.ordered_at > timezone('UTC', a.assigned_at)
                and o.ordered_at <= timezone('UTC', a.assigned_at) + interval 90 day
            ) as retained
            from raw.campaign_assignments a
            where a.assignment_id not like 'X%' and a.assigned_at + interval 90 day < timestamptz '2026-01-01'
        )
        select campaign_id, avg(retained::int) filter (where arm = 'treatment')
            - avg(retained::int) filter (where arm = 'control')
        from outcomes group by 1
    """).fetchall())
    assert lift["winback_60d"] > 0.1, lift  # a quarter of the treated who would not have ordered do
    assert abs(lift["reminder_120d"]) < 0.06, lift


def test_new_streams_leave_every_earlier_row_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the two new effects switched off, the same seed writes the same customers, and every order
    written with them on is there too, but for the won-back orders (the ghosts' orders are missing)."""
    import retention_warehouse.demo.generator as gen

    generate(GeneratorConfig(customers=300, seed=5), tmp_path / "on")
    monkeypatch.setattr(gen, "IGNORED_COMPLAINT_DROPOUT", 0.0)
    monkeypatch.setattr(gen, "CAMPAIGNS", tuple(replace(c, winback_probability=0.0) for c in gen.CAMPAIGNS))
    generate(GeneratorConfig(customers=300, seed=5), tmp_path / "off")
    on, off = digest(tmp_path / "on"), digest(tmp_path / "off")
    assert on["customers/customers-00000.parquet"] == off["customers/customers-00000.parquet"]
    with duckdb.connect() as con:
        columns = "order_id, customer_id, ordered_at, status, gross_amount, discount_amount, actual_delivery_date"
        only_on, only_off, won_back = con.execute(f"""
            with on_rows as (select {columns} from '{tmp_path}/on/orders/*.parquet'),
                off_rows as (select {columns} from '{tmp_path}/off/orders/*.parquet')
            select (select count(*) from (select * from on_rows except select * from off_rows)),
                (select count(*) from (select * from off_rows except select * from on_rows)),
                (select count(*) from on_rows where discount_amount = round(gross_amount * 0.15, 2)
                    and order_id > (select max(order_id) from off_rows))
        """).fetchone()
    assert only_on == won_back > 0  # only the won-back orders are new
    assert only_off > 0  # the orders ghosts never placed
