"""The churn-risk model: a logistic regression on documented signals, with reason codes.

The signals are computed in SQL (int_customer_churn_signals_computed) at a training snapshot, a
test snapshot and the as-of date; the label is "no counted order in the following
churn_outcome_days". The regression is fitted on standardised signals by maximum likelihood with a
small L2 penalty (so a signal that never varies cannot run away), then reported on the signals'
own scale, so `intercept + sum(coefficient * signal)` is the log-odds of churning.

A customer's reason codes are the signals that push their score up the most compared with the
average trained customer: contribution = coefficient * (signal - training mean), the largest
positive ones first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

L2_PENALTY = 1.0
"""Ridge penalty on the standardised coefficients (the intercept is not penalised)."""


@dataclass(frozen=True)
class LogisticFit:
    features: tuple[str, ...]
    intercept: float
    coefficients: np.ndarray
    """Per feature, on the feature's own scale: log-odds per unit of the signal."""
    standardized: np.ndarray
    """Per feature, per standard deviation of the signal in the training data."""
    means: np.ndarray
    scales: np.ndarray
    log_likelihood: float
    customers: int
    positives: int
    converged: bool
    reason: str = ""
    """Why the fit is not converged ("" when it is)."""


def _check(x: np.ndarray, y: np.ndarray | None = None) -> None:
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError("signals must be a non-empty 2-D array (customers x features)")
    if not np.isfinite(x).all():
        row, column = np.argwhere(~np.isfinite(x))[0]
        raise ValueError(f"customer {row}, feature {column}: signal is not a finite number")
    if y is not None:
        if y.shape != (x.shape[0],) or not np.isin(y, (0, 1)).all():
            raise ValueError("labels must be 0 or 1, one per customer")
        if y.min() == y.max():
            raise ValueError("labels are all the same: the model cannot learn who churns")


def fit_logistic(features: tuple[str, ...], x: np.ndarray, y: np.ndarray, l2: float = L2_PENALTY) -> LogisticFit:
    """Maximum-likelihood logistic regression with an L2 penalty on standardised features."""
    from scipy.optimize import minimize

    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    _check(x, y)
    if len(features) != x.shape[1]:
        raise ValueError(f"{len(features)} feature names for {x.shape[1]} columns")
    means = x.mean(axis=0)
    scales = x.std(axis=0)
    scales = np.where(scales > 0, scales, 1.0)
    z = np.column_stack([np.ones(len(x)), (x - means) / scales])
    penalty = np.r_[0.0, np.full(x.shape[1], l2)]

    def objective(beta: np.ndarray) -> tuple[float, np.ndarray]:
        eta = z @ beta
        nll = float(np.sum(np.logaddexp(0.0, eta) - y * eta)) + 0.5 * float(np.sum(penalty * beta**2))
        gradient = z.T @ (_sigmoid(eta) - y) + penalty * beta
        return nll, gradient

    result = minimize(objective, np.zeros(z.shape[1]), jac=True, method="L-BFGS-B",
                      options={"maxiter": 10_000, "gtol": 1e-8})
    beta = result.x
    coefficients = beta[1:] / scales
    intercept = float(beta[0] - np.sum(beta[1:] * means / scales))
    eta = z @ beta
    log_likelihood = float(np.sum(y * eta - np.logaddexp(0.0, eta)))
    converged = bool(result.success) or bool(np.max(np.abs(result.jac)) < 1e-5)
    reason = "" if converged else f"the optimiser stopped without converging: {result.message}"
    return LogisticFit(tuple(features), intercept, coefficients, beta[1:].copy(), means, scales,
                       log_likelihood, int(len(y)), int(y.sum()), converged, reason)


def _sigmoid(eta: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -eta))


def predict(fit: LogisticFit, x: np.ndarray) -> np.ndarray:
    """Probability of churning for each row of signals."""
    x = np.asarray(x, dtype=float)
    _check(x)
    return _sigmoid(fit.intercept + x @ fit.coefficients)


def contributions(fit: LogisticFit, x: np.ndarray) -> np.ndarray:
    """Log-odds each signal adds compared with the average trained customer."""
    return (np.asarray(x, dtype=float) - fit.means) * fit.coefficients


def reason_codes(fit: LogisticFit, x: np.ndarray, codes: dict[str, str], top: int = 3) -> list[str]:
    """The codes of up to `top` signals with the largest positive contribution, comma separated."""
    missing = [f for f in fit.features if f not in codes]
    if missing:
        raise ValueError(f"no reason code for features {missing}")
    parts = contributions(fit, x)
    if parts.shape[0] == 0:
        return []
    names = [codes[f] for f in fit.features]
    # Per row, the features by contribution, largest first; ties keep the features' order.
    order = np.argsort(-parts, axis=1, kind="stable")[:, :top]
    picked = np.where(np.take_along_axis(parts, order, axis=1) > 0, order + 1, 0)
    # One integer per row for its picks (digits base features + 1, 0 = none), so that only the few
    # distinct pick lists are turned into text, each from its first row.
    base = len(names) + 1
    keys = np.zeros(len(picked), dtype=np.int64)
    for column in range(picked.shape[1]):
        keys = keys * base + picked[:, column]
    _, first_rows, row_key = np.unique(keys, return_index=True, return_inverse=True)
    labels = np.array([",".join(names[d - 1] for d in picked[row] if d > 0) for row in first_rows], dtype=object)
    return labels[row_key.reshape(-1)].tolist()


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties counted half)."""
    scores = np.asarray(scores, dtype=float)
    labels = np.asarray(labels).astype(bool)
    positives, negatives = int(labels.sum()), int((~labels).sum())
    if positives == 0 or negatives == 0:
        raise ValueError("ROC AUC needs both outcomes")
    order = np.argsort(scores, kind="stable")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[labels].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def precision_at_top(scores: np.ndarray, labels: np.ndarray, ids: np.ndarray, share: float = 0.1) -> float:
    """Share of churners among the ceil(share * n) highest scores (ties broken by id, ascending)."""
    scores = np.asarray(scores, dtype=float)
    labels = np.asarray(labels).astype(bool)
    take = math.ceil(share * len(scores))
    order = np.lexsort((np.asarray(ids), -scores))[:take]
    return float(labels[order].mean())
