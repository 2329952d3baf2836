"""The churn marts on the built warehouse: the SQL backtest against an independent computation, the score
against the recency baseline (warehouse evaluate-churn), and the outreach list's rules."""

from __future__ import annotations

import json
import math

import numpy as np
from typer.testing import CliRunner

from retention_warehouse.cli import app
from retention_warehouse.config import DB_PATH_ENV
from retention_warehouse.stats import churn

# --------------------------------------------------------------------------- on the built warehouse


def test_sql_backtest_matches_an_independent_computation(built_warehouse) -> None:
    rows = built_warehouse.query(
        """
        select signals.customer_id, scored.churn_risk_score, signals.days_since_last_order,
               signals.churned_in_outcome_window
        from intermediate.int_customer_churn_signals_computed as signals
        inner join intermediate.int_customer_churn_scored as scored
            on signals.customer_id = scored.customer_id and signals.snapshot_purpose = scored.snapshot_purpose
        where signals.snapshot_purpose = 'test' and signals.is_customer_at_snapshot
        """
    )
    ids = np.array([r[0] for r in rows])
    score = np.array([r[1] for r in rows], dtype=float)
    recency = np.array([r[2] for r in rows], dtype=float)
    churned = np.array([r[3] for r in rows], dtype=int)
    mart = {name: (customers, churners, auc, precision) for name, customers, churners, auc, precision in
            built_warehouse.query("select model_name, customers, churned_customers, roc_auc, precision_at_top_10pct"
                                  " from marts.fct_churn_risk_backtest")}
    for name, values in (("churn_risk_score", score), ("recency_baseline", recency)):
        customers, churners, auc, precision = mart[name]
        assert (customers, churners) == (len(rows), int(churned.sum()))
        assert math.isclose(auc, churn.roc_auc(values, churned), abs_tol=1e-12)
        assert math.isclose(precision, churn.precision_at_top(values, churned, ids), abs_tol=1e-12)


def test_score_beats_the_recency_baseline(built_warehouse) -> None:
    result = CliRunner().invoke(app, ["evaluate-churn", "--format", "json"],
                                env={DB_PATH_ENV: str(built_warehouse.db_path)})
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    by_model = {row["model_name"]: row for row in report["backtest"]}
    assert by_model["churn_risk_score"]["roc_auc"] > by_model["recency_baseline"]["roc_auc"]
    assert report["beats_baseline"]


def test_outreach_list_follows_its_rules(built_warehouse) -> None:
    violations = built_warehouse.query(
        """
        select count(*)
        from marts.fct_outreach_list as outreach
        inner join marts.fct_churn_risk as risk on outreach.customer_id = risk.customer_id
        where risk.risk_band <> 'high' or not risk.is_customer_at_scoring_date
            or outreach.probability_alive < 0.3 or outreach.predicted_clv_usd < 20
        """
    )[0][0]
    assert violations == 0
    ranks = [r for (r,) in built_warehouse.query("select outreach_rank from marts.fct_outreach_list order by 1")]
    assert ranks == list(range(1, len(ranks) + 1))
