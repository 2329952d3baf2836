"""`warehouse evaluate-churn`: the churn score's backtest against the recency-only baseline, read from the marts.

The backtest itself (ROC AUC and precision in the top 10% of each model at the test snapshot) is
computed by dbt in marts.fct_churn_risk_backtest; this reads it and the model's terms back and says
whether the score beats the baseline on both measures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

SCORE_MODEL = "churn_risk_score"
BASELINE_MODEL = "recency_baseline"


@dataclass(frozen=True)
class Backtest:
    """One row of marts.fct_churn_risk_backtest."""

    model_name: str
    snapshot_date: date
    outcome_days: int
    customers: int
    churned_customers: int
    churn_rate: float
    roc_auc: float
    precision_at_top_10pct: float


@dataclass(frozen=True)
class Term:
    """One row of marts.fct_churn_model_coefficients."""

    term: str
    reason_code: str | None
    coefficient: float
    standardized_coefficient: float | None


@dataclass(frozen=True)
class ChurnEvaluation:
    backtest: list[Backtest]
    terms: list[Term]
    """By standardised effect, largest first."""

    @property
    def beats_baseline(self) -> bool:
        """The score has a higher ROC AUC than the recency baseline and at least its top-10% precision."""
        by_model = {row.model_name: row for row in self.backtest}
        score, baseline = by_model.get(SCORE_MODEL), by_model.get(BASELINE_MODEL)
        return bool(score and baseline and score.roc_auc > baseline.roc_auc
                    and score.precision_at_top_10pct >= baseline.precision_at_top_10pct)

    def as_json(self) -> dict[str, Any]:
        return {
            "backtest": [{**asdict(row), "snapshot_date": row.snapshot_date.isoformat()} for row in self.backtest],
            "beats_baseline": self.beats_baseline,
            "coefficients": [asdict(term) for term in self.terms],
        }


def evaluate_churn(query: Callable[[str], list[tuple]]) -> ChurnEvaluation:
    """The backtest and the terms, read with `query` (SQL in, rows out) from any target's marts."""
    backtest = query(
        "select model_name, snapshot_date, outcome_days, customers, churned_customers, churn_rate, roc_auc,"
        " precision_at_top_10pct from marts.fct_churn_risk_backtest order by model_name"
    )
    terms = query(
        "select term, reason_code, coefficient, standardized_coefficient from marts.fct_churn_model_coefficients"
        " order by abs(coalesce(standardized_coefficient, 0)) desc"
    )
    return ChurnEvaluation([Backtest(*row) for row in backtest], [Term(*row) for row in terms])
