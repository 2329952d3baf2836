"""Customer lifetime value: BG/NBD purchase counts and Gamma-Gamma spend, fitted by maximum likelihood.

Two models from Fader, Hardie and Lee (2005):

- BG/NBD, "Counting your customers the easy way: an alternative to the Pareto/NBD model",
  Marketing Science 24(2). While alive a customer buys as a Poisson process with rate
  lambda ~ Gamma(r, alpha); after every purchase they drop out with probability p ~ Beta(a, b).
- Gamma-Gamma, "RFM and CLV: using iso-value curves for customer base analysis", Journal of
  Marketing Research 42(4), with the note Fader & Hardie (2013), "The Gamma-Gamma model of
  monetary value". Spend per transaction ~ Gamma(p, nu), nu ~ Gamma(q, gamma) across customers.
  The scale gamma is called `v` in code (as lifetimes' GammaGammaFitter does), so as not to shadow
  the gamma function.

Per customer the inputs are, in one time unit (weeks for CDNOW):
  x    number of repeat purchases in the calibration period (purchases after the first),
  t_x  time of the last purchase, measured from the first purchase (0 when x == 0),
  T    time from the first purchase to the end of the calibration period,
  m    average value of the x repeat purchases (anything, say 0, when x == 0).

Parameters are fitted on their logarithms (all must be positive) with L-BFGS-B and analytic
gradients. Only numpy and scipy.special load on import (scipy.optimize when a fit runs).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

ArrayLike = float | int | np.ndarray | list | tuple

LOG_PARAM_BOUND = 30.0
"""The search keeps every log-parameter within +/- this bound (parameters in about 1e-13..1e13)."""

GRADIENT_TOLERANCE = 1e-6
"""A fit counts as converged when every partial derivative of the mean negative log-likelihood
(in the log-parameters) is below this, even if the optimiser reported an abnormal line search."""

DAYS_PER_MONTH = 365.25 / 12
"""Month length (30.44 days, 4.348 weeks) used for every horizon in months: predicted_clv and the
12-month purchase forecast. lifetimes uses 4.345 weeks for weekly data and 30 days for daily."""


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class BgNbdFit:
    """Fitted BG/NBD parameters (Fader, Hardie & Lee 2005a), in the time unit of the fitted data."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    """Total log-likelihood over the fitted customers (paper eq. 6 summed)."""
    customers_fitted: int
    converged: bool
    """The data can identify the parameters, the optimiser reported success and no parameter sits on
    the search bound."""
    reason: str = ""
    """Why the fit is not converged ("" when it is), for the error that stops the build."""


@dataclass(frozen=True)
class GammaGammaFit:
    """Fitted Gamma-Gamma spend parameters (Fader, Hardie & Lee 2005b). `v` is the paper's gamma."""

    p: float
    q: float
    v: float
    """The scale parameter gamma of the Gamma(q, gamma) mixing distribution."""
    log_likelihood: float
    customers_fitted: int
    """Customers with x > 0 and m > 0: the only ones the spend model can learn from."""
    converged: bool
    reason: str = ""
    """Why the fit is not converged ("" when it is)."""


@dataclass(frozen=True)
class RfmSummary:
    """Per-customer calibration summary (arrays aligned with customer_ids) and holdout counts."""

    customer_ids: tuple[str, ...]
    x: np.ndarray
    """Repeat purchase days on or before the calibration end (distinct days after the first)."""
    t_x: np.ndarray
    """Days from the first to the last calibration purchase day, in time units."""
    T: np.ndarray
    """Days from the first purchase to the calibration end, in time units."""
    m: np.ndarray
    """Mean day total of the repeat purchase days in calibration; 0.0 when x == 0."""
    holdout_x: np.ndarray
    """Purchase days after the calibration end."""


# --------------------------------------------------------------------------- input checks


def _as_array(name: str, values: ArrayLike) -> np.ndarray:
    """A float array of `values`; ValueError if it is empty or holds a non-finite or negative value."""
    array = np.asarray(values, dtype=float)
    if array.size == 0:
        raise ValueError(f"{name} is empty: give at least one customer")
    bad = ~np.isfinite(array) | (array < 0)
    if bad.any():
        index = np.flatnonzero(bad.ravel())[0]
        raise ValueError(f"{name}[{index}] = {float(array.ravel()[index])}: values must be finite and >= 0")
    return array


def _first_bad(mask: np.ndarray) -> int:
    return int(np.flatnonzero(np.ravel(mask))[0])


def _purchase_counts(values: ArrayLike) -> np.ndarray:
    """`_as_array` of x, which must also hold whole numbers: a fractional count has no likelihood
    (lnG(r + x) and B(a, b + x) would give a number, and the prediction NaN)."""
    xs = _as_array("x", values)
    fractional = xs != np.floor(xs)
    if fractional.any():
        i = _first_bad(fractional)
        raise ValueError(f"x[{i}] = {float(xs.ravel()[i])}: purchase counts must be whole numbers")
    return xs


def _customer_arrays(x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Checked, broadcast (x, t_x, T): non-negative, finite, t_x <= T, and t_x == 0 when x == 0."""
    xs, txs, Ts = _purchase_counts(x), _as_array("t_x", t_x), _as_array("T", T)
    try:
        xs, txs, Ts = np.broadcast_arrays(xs, txs, Ts)
    except ValueError as exc:
        raise ValueError(f"x, t_x and T have shapes {xs.shape}, {txs.shape}, {Ts.shape}: they must match") from exc
    if (txs > Ts).any():
        i = _first_bad(txs > Ts)
        raise ValueError(f"customer {i}: t_x = {txs.ravel()[i]} > T = {Ts.ravel()[i]}; recency cannot exceed T")
    if ((xs == 0) & (txs > 0)).any():
        i = _first_bad((xs == 0) & (txs > 0))
        raise ValueError(f"customer {i}: x = 0 but t_x = {txs.ravel()[i]}; t_x must be 0 without repeat purchases")
    return xs, txs, Ts


def _positive(**params: float) -> None:
    for name, value in params.items():
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"parameter {name} = {value!r}: must be finite and > 0")


# --------------------------------------------------------------------------- BG/NBD likelihood


def _bgnbd_terms(r: float, alpha: float, a: float, b: float,
                 x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, ...]:
    """ln A1..ln A4 of the BG/NBD likelihood (paper eq. 6 in logs; ln A4 = -inf when x == 0).

    L = exp(ln A1 + ln A2) * (exp(ln A3) + [x > 0] exp(ln A4)) with
    ln A1 = lnG(r+x) - lnG(r) + r ln alpha,            ln A2 = ln B(a, b+x) - ln B(a, b),
    ln A3 = -(r+x) ln(alpha+T),                         ln A4 = ln a - ln(b+x-1) - (r+x) ln(alpha+t_x),
    using B(a+1, b+x-1) / B(a, b+x) = a / (b+x-1).
    """
    ln_a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    ln_a2 = betaln(a, b + x) - betaln(a, b)
    ln_a3 = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    b_x = np.where(repeat, b + x - 1.0, 1.0)  # b + x - 1 > 0 whenever x >= 1
    ln_a4 = np.where(repeat, np.log(a) - np.log(b_x) - (r + x) * np.log(alpha + t_x), -np.inf)
    return ln_a1, ln_a2, ln_a3, ln_a4


def bgnbd_log_likelihood(r: float, alpha: float, a: float, b: float,
                         x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood ln L(r, alpha, a, b | x, t_x, T), paper eq. 6."""
    _positive(r=r, alpha=alpha, a=a, b=b)
    xs, txs, Ts = _customer_arrays(x, t_x, T)
    ln_a1, ln_a2, ln_a3, ln_a4 = _bgnbd_terms(r, alpha, a, b, xs, txs, Ts)
    return ln_a1 + ln_a2 + np.logaddexp(ln_a3, ln_a4)


def _bgnbd_objective(log_params: np.ndarray, x: np.ndarray, t_x: np.ndarray,
                     T: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean negative log-likelihood and its gradient with respect to the log-parameters."""
    r, alpha, a, b = np.exp(log_params)
    ln_a1, ln_a2, ln_a3, ln_a4 = _bgnbd_terms(r, alpha, a, b, x, t_x, T)
    ln_tail = np.logaddexp(ln_a3, ln_a4)
    w4 = np.exp(ln_a4 - ln_tail)  # share of the "dropped out at t_x" term; 0 when x == 0
    w3 = 1.0 - w4
    repeat = x > 0
    d_r = digamma(r + x) - digamma(r) + np.log(alpha) - w3 * np.log(alpha + T) - w4 * np.log(alpha + t_x)
    d_alpha = r / alpha - (r + x) * (w3 / (alpha + T) + w4 / (alpha + t_x))
    d_a = digamma(a + b) - digamma(a + b + x) + w4 / a
    b_x = np.where(repeat, b + x - 1.0, 1.0)
    d_b = digamma(a + b) - digamma(a + b + x) + digamma(b + x) - digamma(b) - np.where(repeat, w4 / b_x, 0.0)
    gradient = np.array([r * d_r.mean(), alpha * d_alpha.mean(), a * d_a.mean(), b * d_b.mean()])
    return -float((ln_a1 + ln_a2 + ln_tail).mean()), -gradient


def _minimise(objective: Callable[[np.ndarray], tuple[float, np.ndarray]],
              start: np.ndarray) -> tuple[np.ndarray, str]:
    """L-BFGS-B on log-parameters within +/- LOG_PARAM_BOUND; (optimum, why it did not converge or "")."""
    from scipy.optimize import minimize  # imported here: it doubles the module's import time

    bounds = [(-LOG_PARAM_BOUND, LOG_PARAM_BOUND)] * start.size
    result = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds,
                      options={"maxiter": 10_000, "ftol": 1e-15, "gtol": 1e-10})
    on_bound = bool((np.abs(result.x) >= LOG_PARAM_BOUND - 1e-6).any())
    # With tolerances this tight L-BFGS-B may stop with "abnormal termination in line search" at the
    # optimum, when no step can improve the objective in floating point: a vanishing gradient says so.
    stationary = bool(np.max(np.abs(result.jac)) < GRADIENT_TOLERANCE)
    if on_bound:
        return result.x, f"a parameter reached the search bound exp(+/-{LOG_PARAM_BOUND:g})"
    if not (result.success or stationary):
        return result.x, f"the optimiser stopped without converging: {result.message}"
    return result.x, ""


def _identifiable(model: str, customers: int, parameters: int) -> str:
    """Why `customers` cannot identify a model of `parameters` parameters, or ""."""
    if customers < parameters:
        noun = "customer" if customers == 1 else "customers"
        return f"{customers} {noun} to fit {parameters} {model} parameters: the data cannot identify them"
    return ""


def fit_bgnbd(x: ArrayLike, t_x: ArrayLike, T: ArrayLike,
              initial: tuple[float, float, float, float] | None = None) -> BgNbdFit:
    """Maximum-likelihood BG/NBD fit (paper section 3, eq. 6 summed over customers).

    `initial` is a starting (r, alpha, a, b); by default r = a = b = 1 and alpha = mean T
    (alpha is a time scale, so it starts on the scale of the data).
    """
    xs, txs, Ts = _customer_arrays(x, t_x, T)
    xs, txs, Ts = xs.ravel(), txs.ravel(), Ts.ravel()
    if initial is None:
        initial = (1.0, max(float(Ts.mean()), 1e-3), 1.0, 1.0)
    _positive(**dict(zip(("r", "alpha", "a", "b"), initial)))
    optimum, failure = _minimise(lambda lp: _bgnbd_objective(lp, xs, txs, Ts), np.log(np.asarray(initial)))
    r, alpha, a, b = (float(v) for v in np.exp(optimum))
    log_likelihood = float(bgnbd_log_likelihood(r, alpha, a, b, xs, txs, Ts).sum())
    # Without a repeat purchase the likelihood only grows as r / alpha -> 0 and a, b are free: the
    # optimiser stops somewhere (r ~ 1e6 was seen) and may call it converged.
    reason = (_identifiable("BG/NBD", int(xs.size), 4)
              or ("" if (xs > 0).any() else "no customer bought again: the purchase and dropout rates cannot be identified")
              or failure)
    return BgNbdFit(r, alpha, a, b, log_likelihood, int(xs.size), not reason, reason)


# --------------------------------------------------------------------------- BG/NBD predictions


def _check_prediction_fit(fit: BgNbdFit) -> None:
    _positive(r=fit.r, alpha=fit.alpha, a=fit.a, b=fit.b)
    if fit.a == 1.0:
        raise ValueError("a = 1 exactly: eq. 7 and eq. 10 divide by a - 1; refit or perturb a")


def probability_alive(fit: BgNbdFit, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> np.ndarray:
    """P(alive at T | x, t_x, T), paper eq. 11 (lifetimes' conditional_probability_alive).

    P = 1 / (1 + [x > 0] a / (b+x-1) * ((alpha+T) / (alpha+t_x))^(r+x)), computed as a logistic
    function of the log-odds. It is exactly 1 when x == 0: under BG/NBD a customer can only drop
    out right after a purchase, so one who never repurchased has had no chance to leave.
    """
    _positive(r=fit.r, alpha=fit.alpha, a=fit.a, b=fit.b)
    xs, txs, Ts = _customer_arrays(x, t_x, T)
    repeat = xs > 0
    b_x = np.where(repeat, fit.b + xs - 1.0, 1.0)
    log_odds_dead = np.log(fit.a) - np.log(b_x) + (fit.r + xs) * (np.log(fit.alpha + Ts) - np.log(fit.alpha + txs))
    return np.where(repeat, expit(-log_odds_dead), 1.0)


def _one_minus_scaled_hyp2f1(r: float, a: float, b: float, n: np.ndarray, scale: np.ndarray,
                             t: np.ndarray) -> np.ndarray:
    """1 - (s/(s+t))^(r+n) 2F1(r+n, b+n; a+b+n-1; t/(s+t)), the bracket of eqs. 7 and 10.

    Evaluated after Euler's transformation 2F1(A, B; C; z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z),
    which turns it into 1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+n-1; z): the first two arguments no
    longer grow with n, so neither factor overflows for frequent buyers.
    """
    c = a + b + n - 1.0
    if (c <= 0).any():
        raise ValueError(f"a + b = {a + b:.6g} <= 1: eq. 7 and eq. 10 are undefined for customers with x = 0")
    z = t / (scale + t)
    log_one_minus_z = np.log(scale) - np.log(scale + t)
    return 1.0 - np.exp((a - 1.0) * log_one_minus_z) * hyp2f1(c - r - n, a - 1.0, c, z)


def expected_purchases(fit: BgNbdFit, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: expected purchases in the next t time units, paper eq. 10.

    E = (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]
        * P(alive | x, t_x, T)        (the denominator of eq. 10 is 1 / eq. 11).
    `t` broadcasts against the customers, so a column of horizons gives a (horizons, customers) grid.
    """
    _check_prediction_fit(fit)
    xs, txs, Ts = _customer_arrays(x, t_x, T)
    ts = _as_array("t", t)
    bracket = _one_minus_scaled_hyp2f1(fit.r, fit.a, fit.b, xs, fit.alpha + Ts, ts)
    return (fit.a + fit.b + xs - 1.0) / (fit.a - 1.0) * bracket * probability_alive(fit, xs, txs, Ts)


def expected_purchases_new_customer(fit: BgNbdFit, t: ArrayLike) -> np.ndarray:
    """E[X(t)]: expected purchases in (0, t] by a customer first seen at time 0, paper eq. 7.

    E = (a+b-1)/(a-1) * [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))]. Summed over the
    cohort's first-purchase times this gives the expected cumulative repeat-purchase curve.
    """
    _check_prediction_fit(fit)
    ts = _as_array("t", t)
    zero = np.zeros_like(ts)
    bracket = _one_minus_scaled_hyp2f1(fit.r, fit.a, fit.b, zero, np.full_like(ts, fit.alpha), ts)
    return (fit.a + fit.b - 1.0) / (fit.a - 1.0) * bracket


# --------------------------------------------------------------------------- Gamma-Gamma


def _spend_arrays(x: ArrayLike, m: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    xs, ms = _purchase_counts(x), _as_array("m", m)
    try:
        return tuple(np.broadcast_arrays(xs, ms))  # type: ignore[return-value]
    except ValueError as exc:
        raise ValueError(f"x and m have shapes {xs.shape} and {ms.shape}: they must match") from exc


def gamma_gamma_log_likelihood(p: float, q: float, v: float, x: ArrayLike, m: ArrayLike) -> np.ndarray:
    """Per-customer Gamma-Gamma log-likelihood of the mean spend m over x transactions (x, m > 0).

    ln L = lnG(px+q) - lnG(px) - lnG(q) + q ln v + (px-1) ln m + px ln x - (px+q) ln(v + m x),
    the density of the mean of x Gamma(p, nu) spends with nu ~ Gamma(q, v) integrated out
    (Fader, Hardie & Lee 2005b; Fader & Hardie 2013 note, eq. 3).
    """
    _positive(p=p, q=q, v=v)
    xs, ms = _spend_arrays(x, m)
    if ((xs <= 0) | (ms <= 0)).any():
        i = _first_bad((xs <= 0) | (ms <= 0))
        raise ValueError(f"customer {i}: x = {xs.ravel()[i]}, m = {ms.ravel()[i]}; the spend likelihood needs both > 0")
    px = p * xs
    return (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(v)
            + (px - 1.0) * np.log(ms) + px * np.log(xs) - (px + q) * np.log(v + ms * xs))


def _gamma_gamma_objective(log_params: np.ndarray, x: np.ndarray, m: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean negative Gamma-Gamma log-likelihood and its gradient in the log-parameters."""
    p, q, v = np.exp(log_params)
    px = p * x
    log_total = np.log(v + m * x)
    ll = (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(v)
          + (px - 1.0) * np.log(m) + px * np.log(x) - (px + q) * log_total)
    d_p = x * (digamma(px + q) - digamma(px) + np.log(m) + np.log(x) - log_total)
    d_q = digamma(px + q) - digamma(q) + np.log(v) - log_total
    d_v = q / v - (px + q) / (v + m * x)
    gradient = np.array([p * d_p.mean(), q * d_q.mean(), v * d_v.mean()])
    return -float(ll.mean()), -gradient


def fit_gamma_gamma(x: ArrayLike, m: ArrayLike, initial: tuple[float, float, float] | None = None) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma fit on the customers with x > 0 and m > 0 (others are skipped).

    Customers without repeat purchases carry no spend information, and m = 0 has zero density, so
    both are left out; `customers_fitted` says how many remained. `initial` is a starting (p, q, v),
    by default (1, 1, mean m).
    """
    xs, ms = _spend_arrays(x, m)
    keep = (xs > 0) & (ms > 0)
    if not keep.any():
        raise ValueError("no customer bought again with a positive value (x > 0 and m > 0): the spend model has nothing to fit")
    xs, ms = xs[keep], ms[keep]
    if initial is None:
        initial = (1.0, 1.0, float(ms.mean()))
    _positive(**dict(zip(("p", "q", "v"), initial)))
    optimum, failure = _minimise(lambda lp: _gamma_gamma_objective(lp, xs, ms), np.log(np.asarray(initial)))
    p, q, v = (float(value) for value in np.exp(optimum))
    log_likelihood = float(gamma_gamma_log_likelihood(p, q, v, xs, ms).sum())
    reason = _identifiable("Gamma-Gamma", int(xs.size), 3) or failure
    return GammaGammaFit(p, q, v, log_likelihood, int(xs.size), not reason, reason)


def expected_average_spend(fit: GammaGammaFit, x: ArrayLike, m: ArrayLike) -> np.ndarray:
    """E(M | x, m): expected spend per transaction given x transactions averaging m (2005b eq. 5).

    E = (q-1)/(px+q-1) * (v p/(q-1)) + px/(px+q-1) * m = (v p + p x m) / (p x + q - 1): a weighted
    mean of the population mean v p/(q-1) and the customer's own mean m. With x = 0 it is the
    population mean whatever m is. Needs q > 1 (otherwise the population mean is infinite).
    """
    _positive(p=fit.p, q=fit.q, v=fit.v)
    if fit.q <= 1.0:
        raise ValueError(f"q = {fit.q:.6g} <= 1: the Gamma-Gamma mean spend is infinite")
    xs, ms = _spend_arrays(x, m)
    px = fit.p * xs
    return (fit.v * fit.p + px * ms) / (px + fit.q - 1.0)


HOLDOUT_BLOCK_CUSTOMERS = 50_000
"""Customers per block in holdout_cumulative_purchases. The (units, customers) grid of all customers
and its intermediate arrays grow with both (at 10M orders 1.25M customers by 27 weekly units, a few
hundred MB each, beside DuckDB in the same process); a block's grid stays near 10 MB each."""


def holdout_cumulative_purchases(fit: BgNbdFit, holdout_days: int, time_unit_days: float,
                                 x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> np.ndarray:
    """Expected repeat purchases of all customers from the calibration end to the end of each time unit
    of a holdout of `holdout_days` days: element k is the sum of eq. 10 at k units (the last unit is
    shorter when the holdout is not a whole number of units); element 0 is 0."""
    if holdout_days < 1:
        raise ValueError(f"holdout_days = {holdout_days!r}: the holdout must last at least one day")
    periods = math.ceil(holdout_days / time_unit_days)
    ends = (np.minimum(np.arange(0, periods + 1) * time_unit_days, holdout_days) / time_unit_days).reshape(-1, 1)
    xs, txs, Ts = (a.ravel() for a in _customer_arrays(x, t_x, T))
    total = np.zeros(periods + 1)
    for start in range(0, len(xs), HOLDOUT_BLOCK_CUSTOMERS):
        block = slice(start, start + HOLDOUT_BLOCK_CUSTOMERS)
        total += expected_purchases(fit, ends, xs[block], txs[block], Ts[block]).sum(axis=1)
    return total


# --------------------------------------------------------------------------- CLV


def predicted_clv(bgnbd: BgNbdFit, gg: GammaGammaFit, x: ArrayLike, t_x: ArrayLike, T: ArrayLike,
                  m: ArrayLike, months: int = 12, monthly_discount_rate: float = 0.01,
                  time_unit_days: float = 7.0) -> np.ndarray:
    """Discounted value of each customer's expected purchases over the next `months` months.

    As lifetimes' customer_lifetime_value: for month i = 1..months, the expected purchases in
    month i (eq. 10 at i months minus eq. 10 at i-1 months) times E(M | x, m), divided by
    (1 + monthly_discount_rate)^i, summed. A month is DAYS_PER_MONTH = 365.25 / 12 days, i.e.
    DAYS_PER_MONTH / time_unit_days time units (4.348 weeks). Customers with x == 0 are valued at
    the population mean spend v p/(q-1).
    """
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise ValueError(f"months = {months!r}: give a whole number of months >= 1")
    if not (math.isfinite(monthly_discount_rate) and monthly_discount_rate > -1.0):
        raise ValueError(f"monthly_discount_rate = {monthly_discount_rate!r}: must be finite and > -1")
    if not (math.isfinite(time_unit_days) and time_unit_days > 0):
        raise ValueError(f"time_unit_days = {time_unit_days!r}: must be finite and > 0")
    xs, txs, Ts = _customer_arrays(x, t_x, T)
    spend = expected_average_spend(gg, xs, m)
    steps = np.arange(months + 1, dtype=float) * (DAYS_PER_MONTH / time_unit_days)
    horizons = steps.reshape((-1,) + (1,) * xs.ndim)
    monthly = np.diff(expected_purchases(bgnbd, horizons, xs, txs, Ts), axis=0)  # eq. 10 is exactly 0 at t = 0
    discount = (1.0 + monthly_discount_rate) ** np.arange(1, months + 1, dtype=float)
    return np.tensordot(1.0 / discount, monthly, axes=1) * spend


# --------------------------------------------------------------------------- summarise


def _purchase_days(purchases: Iterable[tuple[str, date, float | Decimal]]) -> dict[str, dict[date, float]]:
    """Spend per customer per day (rows of the same customer and day summed); checks each row."""
    days: dict[str, dict[date, float]] = {}
    for row, (customer_id, purchase_date, amount) in enumerate(purchases):
        if not isinstance(purchase_date, date):
            raise ValueError(f"purchase row {row} (customer {customer_id}): purchase_date {purchase_date!r} is not a date")
        value = float(amount)
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"purchase row {row} (customer {customer_id}): amount {amount!r} must be finite and >= 0")
        per_day = days.setdefault(str(customer_id), {})
        per_day[purchase_date] = per_day.get(purchase_date, 0.0) + value
    if not days:
        raise ValueError("no purchases: give at least one (customer_id, purchase_date, amount) row")
    return days


def summarise(purchases: Iterable[tuple[str, date, float | Decimal]], calibration_end: date,
              time_unit_days: float = 7.0, first_purchase_within: date | None = None) -> RfmSummary:
    """Calibration (x, t_x, T, m) and holdout purchase counts per customer, one purchase per day.

    Rows are (customer_id, purchase_date, amount); rows of one customer and day are summed into one
    purchase, as Fader, Hardie & Lee count CDNOW purchases. Purchases on calibration_end belong to
    calibration. T = (calibration_end - first purchase).days / time_unit_days, so a CDNOW customer
    first buying 1997-01-01 has T = 272 / 7 = 38.857 weeks at calibration_end 1997-09-30, as
    published. Customers first buying after calibration_end are left out, and so are those first
    buying after `first_purchase_within` when it is given (a cohort cut-off, inclusive).
    Customers come out sorted by customer_id.
    """
    if not (math.isfinite(time_unit_days) and time_unit_days > 0):
        raise ValueError(f"time_unit_days = {time_unit_days!r}: must be finite and > 0")
    last_first = calibration_end if first_purchase_within is None else min(calibration_end, first_purchase_within)
    rows: list[tuple[str, int, int, int, float, int]] = []
    for customer_id, per_day in sorted(_purchase_days(purchases).items()):
        first = min(per_day)
        if first > last_first:
            continue
        calibration = sorted(day for day in per_day if day <= calibration_end)
        repeat_spend = [per_day[day] for day in calibration[1:]]
        mean_spend = sum(repeat_spend) / len(repeat_spend) if repeat_spend else 0.0
        holdout = len(per_day) - len(calibration)
        rows.append((customer_id, len(repeat_spend), (calibration[-1] - first).days,
                     (calibration_end - first).days, mean_spend, holdout))
    if not rows:
        raise ValueError(f"no customer made a first purchase on or before {last_first.isoformat()}")
    ids, x, recency_days, age_days, m, holdout_x = zip(*rows)
    return RfmSummary(
        customer_ids=tuple(ids),
        x=np.asarray(x, dtype=float),
        t_x=np.asarray(recency_days, dtype=float) / time_unit_days,
        T=np.asarray(age_days, dtype=float) / time_unit_days,
        m=np.asarray(m, dtype=float),
        holdout_x=np.asarray(holdout_x, dtype=float),
    )
