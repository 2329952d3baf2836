"""Reading commands: report (headline numbers and the HTML dashboard) and evaluate-churn (the backtest verdict)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from retention_warehouse.cli.common import (OutputFormat, Target, check_format, check_target, console, fail, table,
                                            yes_no)
from retention_warehouse.config import db_path
from retention_warehouse.reporting.churn_evaluation import evaluate_churn
from retention_warehouse.reporting.dashboard import render
from retention_warehouse.reporting.headline import Headline, headline
from retention_warehouse.warehouse.targets import MissingTableError, TargetError, connect, describe


def _print_headline(numbers: Headline, where: str) -> None:
    summary = table(f"Warehouse {where}", ("measure", "value"), right=("value",))
    summary.add_row("customers with a counted order", f"{numbers.customers:,}")
    summary.add_row("counted orders", f"{numbers.orders:,}")
    summary.add_row("net revenue (USD)", f"{numbers.net_revenue_usd:,.2f}")
    summary.add_row("orders from", f"{numbers.first_order_date} to {numbers.last_order_date}")
    if numbers.mean_crr_pct is not None:
        summary.add_row("mean monthly CRR / churn rate",
                        f"{numbers.mean_crr_pct:.2f}% / {numbers.mean_churn_rate_pct:.2f}%")
    console.print(summary)
    cohorts = table("Cohort sizes (month of first counted order)", ("cohort", "customers"), right=("customers",))
    for cohort, size in numbers.cohort_sizes:
        cohorts.add_row(cohort.isoformat()[:7], f"{size:,}")
    console.print(cohorts)
    columns = ("month", "retention", "cohorts")
    pooled = table("Pooled cohort retention (active / cohort customers, all cohorts observed)", columns, right=columns)
    for k, rate, n in numbers.pooled_retention:
        pooled.add_row(str(k), f"{rate:.3f}", str(n))
    console.print(pooled)


def report_command(
    output_format: OutputFormat = "table",
    target: Target = "duckdb",
    html_path: Annotated[
        Optional[Path],
        typer.Option("--html", help="Dashboard file (default reports/<warehouse file name>.html, reports/<target>.html)."),
    ] = None,
) -> None:
    """Headline numbers from the published marts, and the HTML dashboard of them.

    Prints customers, orders, revenue, cohorts and pooled retention; writes one self-contained HTML
    file (cohort heat map, CRR and churn, revenue retention, repeat purchase, CLV distribution).
    """
    check_format(output_format)
    check_target(target)
    html_path = html_path or Path("reports") / (f"{db_path().stem}.html" if target == "duckdb" else f"{target}.html")
    try:
        where = describe(target)
        with connect(target, read_only=True) as warehouse:
            def query(sql: str) -> list[tuple]:
                return warehouse.query(sql).rows

            numbers = headline(query)
            page = render(query, where)
    except MissingTableError as exc:
        fail(f"{where} has no built marts: {exc}")
    except TargetError as exc:
        fail(exc)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(page, encoding="utf-8")
    console.print(f"dashboard: {html_path} (open it in a browser; no network needed)")
    if output_format == "json":
        typer.echo(json.dumps({"database": where, "html": str(html_path), **numbers.as_json()}, indent=2))
    else:
        _print_headline(numbers, where)


def evaluate_churn_command(output_format: OutputFormat = "table", target: Target = "duckdb") -> None:
    """The churn score's backtest against the recency-only baseline, and the model's coefficients.

    Reads marts.fct_churn_risk_backtest and marts.fct_churn_model_coefficients of the built warehouse.
    """
    check_format(output_format)
    check_target(target)
    try:
        where = describe(target)
        with connect(target, read_only=True) as warehouse:
            evaluation = evaluate_churn(lambda sql: warehouse.query(sql).rows)
    except MissingTableError as exc:
        fail(f"{where} has no built marts: {exc}")
    except TargetError as exc:
        fail(exc)
    if output_format == "json":
        typer.echo(json.dumps({"database": where, **evaluation.as_json()}, indent=2))
        return
    backtest = table(f"Churn-risk backtest ({where})",
                     ("model", "snapshot", "customers", "churned", "ROC AUC", "precision top 10%"),
                     right=("customers", "churned", "ROC AUC", "precision top 10%"))
    for row in evaluation.backtest:
        backtest.add_row(row.model_name, row.snapshot_date.isoformat(), f"{row.customers:,}",
                         f"{row.churned_customers:,}", f"{row.roc_auc:.3f}", f"{row.precision_at_top_10pct:.3f}")
    console.print(backtest)
    console.print("score beats the recency baseline (AUC and precision): " + yes_no(evaluation.beats_baseline))
    terms = table("Model terms (by standardised effect)", ("term", "reason code", "coefficient", "per sd"),
                  right=("coefficient", "per sd"))
    for term in evaluation.terms:
        terms.add_row(term.term, term.reason_code or "", f"{term.coefficient:+.4f}",
                      "" if term.standardized_coefficient is None else f"{term.standardized_coefficient:+.4f}")
    console.print(terms)
