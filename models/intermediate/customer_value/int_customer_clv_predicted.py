"""Predictive CLV of every customer with a counted order, from the scoring fit.

For each customer: expected purchases over the next 12 months (BG/NBD eq. 10), the probability of
being alive at the as-of date (eq. 11), the expected value of a purchase (Gamma-Gamma) and the CLV
of those 12 months, month i discounted by (1 + clv_monthly_discount_rate)^i. The code is
retention_warehouse.python_models.clv_tables.customer_predictions, which `warehouse fit-models` runs on PostgreSQL and Spark.
"""

from retention_warehouse.python_models import clv_tables


def model(dbt, session):
    return clv_tables.customer_predictions(
        dbt.ref("int_customer_transactions_summarised").df(),
        dbt.ref("int_clv_models_fitted").df(),
        time_unit_days=float(dbt.config.get("clv_time_unit_days")),
        monthly_discount_rate=float(dbt.config.get("clv_monthly_discount_rate")),
    )
