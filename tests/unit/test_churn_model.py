"""The churn model's statistics (stats/churn.py) on hand-worked numbers: ROC AUC, precision at the top, the
logistic fit, reason codes, refused signals, and ROC AUC as the count of every pair."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retention_warehouse.stats import churn


def test_roc_auc_by_hand() -> None:
    # Pairs (churner, stayer): (0.35 vs 0.1) yes, (0.35 vs 0.4) no, (0.8 vs both) yes: 3 of 4.
    assert churn.roc_auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1])) == 0.75
    # A tie counts half.
    assert churn.roc_auc(np.array([1.0, 1.0, 0.0]), np.array([1, 0, 0])) == 0.75
    with pytest.raises(ValueError, match="both outcomes"):
        churn.roc_auc(np.array([1.0, 2.0]), np.array([1, 1]))


def test_precision_at_top_breaks_ties_by_id() -> None:
    scores = np.array([0.9, 0.9, 0.5, 0.1] + [0.0] * 16)
    labels = np.array([0, 1, 1, 0] + [0] * 16)
    ids = np.array([f"c{i:02d}" for i in range(20)])
    # ceil(0.1 * 20) = 2: the two 0.9s, one churner.
    assert churn.precision_at_top(scores, labels, ids) == 0.5
    # Ties go to the smaller id: with share 0.05 only c00 (a stayer) is taken.
    assert churn.precision_at_top(scores, labels, ids, share=0.05) == 0.0


def test_logistic_fit_recovers_known_coefficients() -> None:
    rng = np.random.default_rng(3)
    x = np.column_stack([rng.normal(2, 1, 40_000), rng.binomial(1, 0.3, 40_000)])
    eta = -1.0 + 0.8 * x[:, 0] - 1.5 * x[:, 1]
    y = (rng.random(40_000) < 1 / (1 + np.exp(-eta))).astype(int)
    fit = churn.fit_logistic(("a", "b"), x, y, l2=0.0)
    assert fit.converged
    assert math.isclose(fit.intercept, -1.0, abs_tol=0.08)
    assert np.allclose(fit.coefficients, [0.8, -1.5], atol=0.06)
    # Probabilities follow the logistic curve of the fitted terms.
    assert math.isclose(churn.predict(fit, np.array([[2.0, 1.0]]))[0],
                        1 / (1 + math.exp(-(fit.intercept + 2 * fit.coefficients[0] + fit.coefficients[1]))))


def test_reason_codes_are_the_largest_positive_contributions() -> None:
    fit = churn.LogisticFit(("a", "b", "c"), intercept=0.0, coefficients=np.array([1.0, -2.0, 0.5]),
                            standardized=np.ones(3), means=np.array([1.0, 1.0, 1.0]), scales=np.ones(3),
                            log_likelihood=0.0, customers=1, positives=1, converged=True)
    codes = {"a": "code_a", "b": "code_b", "c": "code_c"}
    # Contributions: a (3-1)*1 = 2, b (0-1)*-2 = 2, c (2-1)*0.5 = 0.5; equal ones keep feature order.
    assert churn.reason_codes(fit, np.array([[3.0, 0.0, 2.0]]), codes) == ["code_a,code_b,code_c"]
    # Only positive contributions are reasons: a (0-1)*1 < 0, b (2-1)*-2 < 0, c 0.
    assert churn.reason_codes(fit, np.array([[0.0, 2.0, 1.0]]), codes) == [""]
    assert churn.reason_codes(fit, np.array([[3.0, 0.0, 2.0]]), codes, top=1) == ["code_a"]


def test_reason_codes_of_many_rows_are_each_rows_own() -> None:
    """Codes are computed for all rows at once; each row must get what it would get alone."""
    rng = np.random.default_rng(7)
    features = tuple(f"f{i}" for i in range(5))
    fit = churn.LogisticFit(features, intercept=0.0, coefficients=np.array([1.0, -1.0, 0.5, 2.0, 0.0]),
                            standardized=np.ones(5), means=np.zeros(5), scales=np.ones(5),
                            log_likelihood=0.0, customers=1, positives=1, converged=True)
    codes = {f: f"code_{f}" for f in features}
    # Small integers make ties and rows with 0, 1, 2 or 3+ positive contributions common.
    x = rng.integers(-2, 3, size=(400, 5)).astype(float)
    together = churn.reason_codes(fit, x, codes)

    def alone(row: np.ndarray) -> str:
        parts = (row - fit.means) * fit.coefficients
        order = sorted(range(len(parts)), key=lambda i: (-parts[i], i))[:3]
        return ",".join(codes[features[i]] for i in order if parts[i] > 0)

    assert together == [alone(row) for row in x]
    assert {len(c.split(",")) if c else 0 for c in together} == {0, 1, 2, 3}
    assert churn.reason_codes(fit, np.empty((0, 5)), codes) == []


def test_bad_signals_are_refused() -> None:
    with pytest.raises(ValueError, match="customer 1, feature 0"):
        churn.fit_logistic(("a",), np.array([[1.0], [np.nan]]), np.array([0, 1]))
    with pytest.raises(ValueError, match="all the same"):
        churn.fit_logistic(("a",), np.array([[1.0], [2.0]]), np.array([1, 1]))


# --------------------------------------------------------------------------- on the built warehouse


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.booleans()), min_size=2, max_size=40)
       .filter(lambda pairs: len({label for _, label in pairs}) == 2))
def test_roc_auc_equals_counting_every_pair(pairs) -> None:
    scores = np.array([float(s) for s, _ in pairs])
    labels = np.array([label for _, label in pairs])
    positives, negatives = scores[labels], scores[~labels]
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    assert churn.roc_auc(scores, labels) == pytest.approx(wins / (len(positives) * len(negatives)))
