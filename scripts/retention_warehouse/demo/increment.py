"""Split a generated data set into a base and a one-increment delivery of late and changed rows.

`split_increment` takes a folder written by `warehouse generate` (Parquet) and holds back the
last `days` days: the base folder keeps everything before them, and an increment folder gets, per
entity, one file that a later `warehouse load` appends:

- new rows: customers who signed up, orders placed and survey answers given on those days;
- late rows: a share of the orders placed in the `late_days` before them, which arrive only now;
- changed rows: new versions of orders the base already holds (newer `updated_at`): a refund on a
  delivered order, a placed or shipped order delivered, and a customer's first counted order
  cancelled (the customer's cohort moves, or the customer has no counted order any more);
- changed accounts, which move survey matches: new versions of accounts with a new email (their
  answers given by email no longer match them), and new sign-ups with the email of an earlier
  answer that matched no account (the answer now matches them);
- late orders of accounts that share an email: for earlier answers given by an email several
  accounts hold, an order of one of them placed a minute before the answer, which makes it the
  account that ordered last and so the one the answer belongs to.

The bench appends the increment after a full build and times the incremental run; a pytest builds
the same split incrementally and with --full-refresh and requires identical marts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import duckdb

from retention_warehouse.sql import quote_literal

LATE_SHARE_PCT = 3
"""Percent of the orders of the late window that arrive only with the increment."""
REFUND_SHARE_PCT = 3
"""Percent of the delivered orders of the late window refunded in part by the increment."""
CANCEL_FIRST_ORDER_SHARE_PCT = 10
"""Percent of the customers whose first counted order falls in the late window who see it cancelled
(by default; `split_increment` takes another share)."""
REFUND_RATE = 0.3
"""A late refund returns this share of what was paid."""
CHANGED_EMAIL_SHARE_PCT = 20
"""Percent of the accounts that survey answers matched by email who change their email."""
CLAIMING_SIGNUPS = 5
"""New accounts that sign up with the email of an earlier answer no account matched."""
SHARED_EMAIL_ORDERS = 20
"""Earlier answers, given by an email several accounts share, that get a late order of one of them."""


@dataclass(frozen=True)
class IncrementSummary:
    first_day: date
    last_day: date
    new_rows: dict[str, int]
    late_orders: int
    changed_orders: int
    files: list[Path]
    changed_emails: int = 0
    claiming_signups: int = 0


def _parquet_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.parquet") if "-increment-" not in p.name)


def _file_list(files: list[Path]) -> str:
    return "[" + ", ".join(quote_literal(str(p)) for p in files) + "]"


def _execute(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> duckdb.DuckDBPyConnection:
    """Run `sql` with those of `params` it names ($name): DuckDB refuses parameters a query does not use."""
    return con.execute(sql, {name: value for name, value in params.items() if f"${name}" in sql})


def _copy(con: duckdb.DuckDBPyConnection, sql: str, path: Path) -> int:
    """Write a query's rows to a Parquet file (zstd), as the generator does; return the row count."""
    tmp = path.with_name(path.name + ".tmp")
    con.execute(f"copy ({sql}) to {quote_literal(str(tmp))} (format parquet, compression zstd)")
    tmp.replace(path)
    return con.execute(f"select count(*) from read_parquet({quote_literal(str(path))})").fetchone()[0]


def split_increment(data_dir: Path, increment_dir: Path, days: int = 1, late_days: int = 14,
                    cancel_first_order_pct: int = CANCEL_FIRST_ORDER_SHARE_PCT) -> IncrementSummary:
    """Hold back the last `days` days of `data_dir` (rewritten in place) as files in `increment_dir`."""
    if days < 1 or late_days < 1:
        raise ValueError("days and late_days must be at least 1")
    if not 0 <= cancel_first_order_pct <= 100:
        raise ValueError("cancel_first_order_pct must be between 0 and 100")
    order_files = _parquet_files(data_dir / "orders")
    customer_files = _parquet_files(data_dir / "customers")
    response_files = _parquet_files(data_dir / "survey_responses")
    if not (order_files and customer_files):
        raise ValueError(f"{data_dir}: expected Parquet files in customers/ and orders/ (warehouse generate)")
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"create temp table orders as select * from read_parquet({_file_list(order_files)}, filename = true)")
    last_day = con.execute("select max(cast(ordered_at as date)) from orders").fetchone()[0]
    first_day = last_day - timedelta(days=days - 1)
    late_from = first_day - timedelta(days=late_days)
    changed_at = datetime.combine(first_day, time(12), tzinfo=timezone.utc)
    params = {"first_day": first_day, "late_from": late_from, "changed_at": changed_at}
    _execute(
        con,
        f"""
        create temp table held_back as
        select order_id from orders
        where cast(ordered_at as date) >= $first_day
            or (cast(ordered_at as date) >= $late_from and hash(order_id) % 100 < {LATE_SHARE_PCT})
        """,
        params,
    )
    first_orders = f"""
        select order_id from (
            select order_id, customer_id, ordered_at, row_number() over (
                partition by customer_id order by ordered_at, order_id) as position
            from orders where status not in ('cancelled', 'payment_failed')
        ) where position = 1 and cast(ordered_at as date) >= $late_from and cast(ordered_at as date) < $first_day
            and hash(customer_id) % 100 < {cancel_first_order_pct}
    """
    _execute(
        con,
        f"""
        create temp table changed as
        with latest as (
            select * exclude (filename) from orders
            where cast(ordered_at as date) >= $late_from and cast(ordered_at as date) < $first_day
                and order_id not in (select order_id from held_back)
            qualify row_number() over (partition by order_id order by updated_at desc) = 1
        )
        select * replace (
            case
                when order_id in ({first_orders}) then 'cancelled'
                when status in ('placed', 'shipped') then 'delivered'
                else status
            end as status,
            case
                when order_id in ({first_orders}) then 0
                when status = 'delivered' and hash(order_id) % 100 < {REFUND_SHARE_PCT}
                    then round((gross_amount - coalesce(discount_amount, 0)) * {REFUND_RATE}, 2)
                else refunded_amount
            end as refunded_amount,
            case
                when order_id in ({first_orders}) then null
                when status in ('placed', 'shipped') then $first_day
                else actual_delivery_date
            end as actual_delivery_date,
            greatest(updated_at, $changed_at) + interval 1 hour as updated_at
        )
        from latest
        where order_id in ({first_orders})
            or status in ('placed', 'shipped')
            or (status = 'delivered' and hash(order_id) % 100 < {REFUND_SHARE_PCT})
        """,
        params,
    )
    increment_dir.mkdir(parents=True, exist_ok=True)
    stamp = first_day.isoformat()
    files: list[Path] = []
    new_rows: dict[str, int] = {}
    for path in order_files:
        _copy(con, f"select * exclude (filename) from orders where filename = {quote_literal(str(path))} "
                   "and order_id not in (select order_id from held_back)", path)
    out = increment_dir / "orders" / f"orders-increment-{stamp}.parquet"
    out.parent.mkdir(parents=True, exist_ok=True)
    late = _execute(con, "select count(*) from orders where order_id in (select order_id from held_back) "
                         "and cast(ordered_at as date) < $first_day", params).fetchone()[0]
    changed = con.execute("select count(*) from changed").fetchone()[0]
    shared_email_orders = _shared_email_orders(con, customer_files, response_files, params)
    total = _copy(con, "select * exclude (filename) from orders where order_id in (select order_id from held_back) "
                       "union all by name select * from changed "
                       "union all by name select * from shared_email_orders order by ordered_at, order_id", out)
    late += shared_email_orders
    new_rows["orders"] = total - late - changed
    files.append(out)
    for entity, entity_files, column in (("customers", customer_files, "signup_at"),
                                         ("survey_responses", response_files, "responded_at")):
        if not entity_files:
            continue
        source = f"read_parquet({_file_list(entity_files)}, filename = true)"
        con.execute(f"create or replace temp table rows as select * from {source}")
        held = f"cast({column} as date) >= $first_day"
        out = increment_dir / entity / f"{entity}-increment-{stamp}.parquet"
        out.parent.mkdir(parents=True, exist_ok=True)
        _execute(con, f"create or replace temp table kept as select * from rows where not ({held})", params)
        _execute(con, f"create or replace temp table held as select * exclude (filename) from rows where {held}",
                 params)
        for path in entity_files:
            _copy(con, f"select * exclude (filename) from kept where filename = {quote_literal(str(path))}", path)
        if entity == "customers" and response_files:
            changed_emails, claiming_signups = _changed_accounts(con, response_files, params)
            new_rows[entity] = _copy(con, "select * from held union all by name select * from changed_accounts", out)
            new_rows[entity] -= changed_emails
        else:
            new_rows[entity] = _copy(con, "select * from held", out)
        files.append(out)
    con.close()
    return IncrementSummary(first_day, last_day, new_rows, late, changed, files,
                            changed_emails, claiming_signups)


_EMAIL_KEY = ("case when {email} like '%+%@%' and {email} not like '+%' "
              "then split_part(split_part({email}, '@', 1), '+', 1) || '@' || split_part({email}, '@', 2) "
              "else {email} end")
"""The models' survey match key (macro email_match_key: the plus-address tag dropped), in DuckDB SQL."""


def _latest_accounts(source: str) -> str:
    """The latest version of each account in `source` (a table, subquery or read_parquet call), as SQL."""
    return (f"(select * from {source} "
            "qualify row_number() over (partition by customer_id order by updated_at desc) = 1)")


def _shared_email_orders(con: duckdb.DuckDBPyConnection, customer_files: list[Path], response_files: list[Path],
                         params: dict) -> int:
    """Temp table `shared_email_orders`: late orders that change which account earlier answers match.

    For the latest SHARED_EMAIL_ORDERS answers before the held-back days, given without a customer id
    by an email that several accounts of the base hold, the account with the largest id among those
    signed up by then gets a delivered order placed one minute before the answer. Reads the temp
    table `orders` (for a template row) and the original customer and response files."""
    if not response_files:
        con.execute("create or replace temp table shared_email_orders as "
                    "select * exclude (filename) from orders limit 0")
        return 0
    _execute(con, f"""
        create or replace temp table shared_email_orders as
        with accounts as (
            select customer_id, lower(trim(email)) as email, signup_at
            from {_latest_accounts(f"read_parquet({_file_list(customer_files)}) "
                                   "where email is not null and cast(signup_at as date) < $first_day")}
        ),
        shared as (
            select email from accounts group by email having count(*) > 1
        ),
        answers as (
            select response_id, lower(trim(email)) as email, responded_at
            from read_parquet({_file_list(response_files)})
            where customer_id is null and cast(responded_at as date) < $first_day
                and lower(trim(email)) in (select email from shared)
        ),
        picked as (
            select answers.response_id, answers.responded_at, max(accounts.customer_id) as customer_id
            from answers
            inner join accounts
                on answers.email = accounts.email and accounts.signup_at < answers.responded_at - interval 1 minute
            group by answers.response_id, answers.responded_at
            -- the latest such answers: on a large data set their orders stay within the late days
            order by answers.responded_at desc, answers.response_id
            limit {SHARED_EMAIL_ORDERS}
        ),
        template as (
            select * exclude (filename) from orders
            where status = 'delivered' and coalesce(refunded_amount, 0) = 0
            order by order_id limit 1
        )
        select template.* replace (
            'SHARED' || lpad(cast(row_number() over (order by picked.response_id) as varchar), 4, '0') as order_id,
            picked.customer_id as customer_id,
            picked.responded_at - interval 1 minute as ordered_at,
            cast(picked.responded_at as date) + 3 as promised_delivery_date,
            cast(picked.responded_at as date) + 2 as actual_delivery_date,
            $changed_at as updated_at
        )
        from picked cross join template
    """, params)
    return con.execute("select count(*) from shared_email_orders").fetchone()[0]


def _changed_accounts(con: duckdb.DuckDBPyConnection, response_files: list[Path], params: dict) -> tuple[int, int]:
    """Temp table `changed_accounts`: accounts with a new email and new sign-ups claiming old answers.

    Reads the temp tables `kept` (the base's customer rows) and `held` (new sign-ups)."""
    answers = f"read_parquet({_file_list(response_files)})"
    latest = _latest_accounts("(select * exclude (filename) from kept)")
    _execute(con, f"""
        create or replace temp table changed_accounts as
        with answered_by_email as (
            select distinct lower(trim(email)) as email from {answers}
            where customer_id is null and email is not null and cast(responded_at as date) < $first_day
        ),
        moved as (
            select * replace (
                'moved.' || lower(customer_id) || '@example.org' as email,
                greatest(updated_at, $changed_at) + interval 1 hour as updated_at
            )
            from {latest} as accounts
            where lower(trim(email)) in (select email from answered_by_email)
                and hash(customer_id) % 100 < {CHANGED_EMAIL_SHARE_PCT}
        ),
        unclaimed as (
            select email from answered_by_email
            where {_EMAIL_KEY.format(email="email")} not in (
                select {_EMAIL_KEY.format(email="lower(trim(email))")} from kept where email is not null
            )
            order by email
            limit {CLAIMING_SIGNUPS}
        ),
        template as (
            select * from {latest} order by customer_id limit 1
        )
        select * from moved
        union all by name
        select template.* replace (
            'CLAIM' || lpad(cast(row_number() over (order by unclaimed.email) as varchar), 4, '0') as customer_id,
            unclaimed.email as email,
            $changed_at as signup_at,
            $changed_at as updated_at
        )
        from unclaimed cross join template
    """, params)
    changed_emails = con.execute("select count(*) from changed_accounts where customer_id not like 'CLAIM%'").fetchone()[0]
    return changed_emails, con.execute("select count(*) from changed_accounts").fetchone()[0] - changed_emails
