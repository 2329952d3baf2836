"""The CLV marts, built by dbt: the paper's CDNOW numbers end to end, and sane scores on demo data."""

from __future__ import annotations

import math
from datetime import date

import pytest

from retention_warehouse.demo.cdnow import fetch_wheel, read_lines
from retention_warehouse.stats import clv

PAPER = {
    ("bg_nbd", "r"): 0.243, ("bg_nbd", "alpha"): 4.414, ("bg_nbd", "a"): 0.793, ("bg_nbd", "b"): 2.426,
    ("gamma_gamma", "p"): 6.25, ("gamma_gamma", "q"): 3.74, ("gamma_gamma", "gamma"): 15.44,
}
CALIBRATION_END = date(1997, 9, 30)


@pytest.fixture(scope="module")
def fit_rows(cdnow_sample) -> dict:
    assert cdnow_sample.build.ok, cdnow_sample.build.failures
    rows = cdnow_sample.query(
        "select model, parameter, value, calibration_end_date, time_unit, customers_fitted, log_likelihood, converged"
        " from marts.fct_clv_model_fit where fit_purpose = 'backtest'"
    )
    return {(model, parameter): rest for model, parameter, *rest in rows}


def test_backtest_fit_reproduces_fader_hardie_lee_on_the_sample(fit_rows: dict) -> None:
    for key, published in PAPER.items():
        value, calibration_end, time_unit, customers, _, converged = fit_rows[key]
        assert math.isclose(value, published, rel_tol=0.01), f"{key}: {value:.4f} vs published {published}"
        assert (calibration_end, time_unit, converged) == (CALIBRATION_END, "week", True)
    assert fit_rows["bg_nbd", "r"][3] == 2357
    assert fit_rows["gamma_gamma", "p"][3] == 946
    assert math.isclose(fit_rows["bg_nbd", "r"][4], -9582.4, abs_tol=0.05)


def test_paper_counts_of_repeat_purchases(cdnow_sample) -> None:
    calibration, holdout = cdnow_sample.query(
        "select sum(frequency), sum(holdout_purchases) from intermediate.int_customer_transactions_summarised"
        " where fit_purpose = 'backtest'"
    )[0]
    assert (calibration, holdout) == (2457, 1882)
    periods, actual, predicted = cdnow_sample.query(
        "select count(*), sum(actual), max(cumulative_predicted) from marts.fct_clv_holdout"
    )[0]
    assert (periods, actual) == (39, 1882)
    # The SQL mart's prediction equals the Python module's, recomputed from the source text.
    summary = clv.summarise(
        ((line.customer_id, line.purchase_date, line.dollars) for line in read_lines(fetch_wheel(), sample=True)),
        CALIBRATION_END,
    )
    fit = clv.fit_bgnbd(summary.x, summary.t_x, summary.T)
    assert math.isclose(predicted, clv.expected_purchases(fit, 39.0, summary.x, summary.t_x, summary.T).sum(),
                        rel_tol=1e-6)


def test_dbt_summaries_agree_with_the_python_summariser(cdnow_sample) -> None:
    """Two implementations of x, t_x, T and m: SQL in dbt, Python in scripts/retention_warehouse/stats/clv.py."""
    summary = clv.summarise(
        ((line.customer_id, line.purchase_date, line.dollars) for line in read_lines(fetch_wheel(), sample=True)),
        CALIBRATION_END,
    )
    rows = {
        customer: rest for customer, *rest in cdnow_sample.query(
            "select customer_id, frequency, recency, customer_age, average_repeat_value_usd, holdout_purchases"
            " from intermediate.int_customer_transactions_summarised where fit_purpose = 'backtest'"
        )
    }
    assert set(rows) == set(summary.customer_ids)
    for i, customer in enumerate(summary.customer_ids):
        x, t_x, T, m, holdout = rows[customer]
        assert (x, holdout) == (summary.x[i], summary.holdout_x[i]), customer
        assert math.isclose(t_x, summary.t_x[i], abs_tol=1e-9) and math.isclose(T, summary.T[i], abs_tol=1e-9)
        assert math.isclose(m, summary.m[i], abs_tol=1e-6), customer


def test_scores_are_on_every_purchasing_customer(built_warehouse) -> None:
    missing, out_of_range, never_scored = built_warehouse.query(
        """
        select
            count(*) filter (where order_count > 0 and (predicted_clv_usd is null or rfm_segment is null
                                                       or historic_clv_usd is null)),
            count(*) filter (where probability_alive not between 0 and 1 or predicted_purchases_12m < 0),
            count(*) filter (where order_count = 0 and predicted_clv_usd is not null)
        from marts.dim_customers
        """
    )[0]
    assert (missing, out_of_range, never_scored) == (0, 0, 0)


def test_probability_alive_falls_with_time_since_last_purchase(built_warehouse) -> None:
    """Among repeat buyers, those whose last order is oldest are least likely alive (BG/NBD's recency effect)."""
    recent, stale = built_warehouse.query(
        """
        with ranked as (
            select probability_alive, ntile(4) over (order by last_order_date desc) as quartile
            from marts.dim_customers where order_count > 1
        )
        select avg(probability_alive) filter (where quartile = 1), avg(probability_alive) filter (where quartile = 4)
        from ranked
        """
    )[0]
    assert recent > stale


def test_segment_mart_all_row_matches_dim_customers(built_warehouse) -> None:
    customers, revenue, total_predicted = built_warehouse.query(
        "select customers, net_revenue_usd, total_predicted_clv_usd from marts.fct_customer_lifetime_value"
        " where segment_type = 'all'"
    )[0]
    expected = built_warehouse.query(
        "select count(*), sum(net_revenue_usd), sum(predicted_clv_usd) from marts.dim_customers where order_count > 0"
    )[0]
    assert (customers, revenue) == expected[:2]
    assert abs(total_predicted - expected[2]) <= 0.005 * customers  # dim rounds each customer to the cent
