"""The churn-risk logistic regression, fitted on the training snapshots (dbt Python model).

Fitted on customers who were customers at a training snapshot date (churn_training_snapshots monthly
dates; a customer may be in several), with the label "no counted order in the following
churn_outcome_days". The signals it uses are the rows of seed churn_signals;
each must be a feature_* column of int_customer_churn_signals_computed. One row per term. The code
is scripts.churn_models.fitted_terms, which `warehouse fit-models` runs on PostgreSQL and Spark.
"""

from scripts import churn_models


def model(dbt, session):
    # dbt finds a Python model's parents in calls to dbt.ref inside model(), not nested in other calls.
    seed = dbt.ref("churn_signals").df()
    signals = dbt.ref("int_customer_churn_signals_computed").df()
    return churn_models.fitted_terms(seed, signals)
