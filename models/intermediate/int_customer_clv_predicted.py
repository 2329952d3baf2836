"""Predictive CLV of every customer with a counted order, from the scoring fit.

For each customer: expected purchases over the next 12 months (BG/NBD eq. 10),
the probability of being alive at the as-of date (eq. 11), the expected value of a purchase
(Gamma-Gamma) and the CLV of those 12 months, month i discounted by (1 + clv_monthly_discount_rate)^i
(scripts.clv.predicted_clv).
"""

import pandas as pd

from scripts import clv

HORIZON_MONTHS = 12


def fitted(parameters: pd.DataFrame) -> tuple[clv.BgNbdFit, clv.GammaGammaFit]:
    rows = parameters[parameters["fit_purpose"] == "scoring"]
    value = {(row.model, row.parameter): row.value for row in rows.itertuples()}
    extra = {row.model: (row.log_likelihood, row.customers_fitted, row.converged) for row in rows.itertuples()}
    bgnbd = clv.BgNbdFit(value["bg_nbd", "r"], value["bg_nbd", "alpha"], value["bg_nbd", "a"],
                         value["bg_nbd", "b"], *extra["bg_nbd"])
    spend = clv.GammaGammaFit(value["gamma_gamma", "p"], value["gamma_gamma", "q"],
                              value["gamma_gamma", "gamma"], *extra["gamma_gamma"])
    return bgnbd, spend


def model(dbt, session):
    dbt.config(materialized="table")
    time_unit_days = float(dbt.config.get("clv_time_unit_days"))
    discount = float(dbt.config.get("clv_monthly_discount_rate"))
    summaries = dbt.ref("int_customer_transactions_summarised").df()
    scoring = summaries[summaries["fit_purpose"] == "scoring"].sort_values("customer_id")
    bgnbd, spend = fitted(dbt.ref("int_clv_models_fitted").df())
    x = scoring["frequency"].to_numpy(dtype=float)
    t_x = scoring["recency"].to_numpy(dtype=float)
    T = scoring["customer_age"].to_numpy(dtype=float)
    m = scoring["average_repeat_value_usd"].to_numpy(dtype=float)
    horizon = HORIZON_MONTHS * clv.DAYS_PER_MONTH / time_unit_days
    return pd.DataFrame({
        "customer_id": scoring["customer_id"].to_numpy(),
        "predicted_purchases_12m": clv.expected_purchases(bgnbd, horizon, x, t_x, T),
        "probability_alive": clv.probability_alive(bgnbd, x, t_x, T),
        "expected_purchase_value_usd": clv.expected_average_spend(spend, x, m),
        "predicted_clv_usd": clv.predicted_clv(bgnbd, spend, x, t_x, T, m, months=HORIZON_MONTHS,
                                               monthly_discount_rate=discount, time_unit_days=time_unit_days),
    })
