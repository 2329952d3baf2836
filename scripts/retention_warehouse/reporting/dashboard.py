"""The retention dashboard: one self-contained HTML file drawn from the published marts.

Every chart is a `Chart` in `CHARTS`: a title, its definition in one sentence, the marts it reads
and a function from a read-only connection to a Plotly figure. To add a chart, write that function
and append a `Chart`; the page, the browser test and the dbt exposure check pick it up.
plotly.js is inlined once, so the file opens without network access.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import duckdb
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots
from plotly.offline import get_plotlyjs

TEMPLATE = "plotly_white"
CHART_CONFIG = {"displaylogo": False, "displayModeBar": False, "responsive": True}


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    definition: str
    """One sentence: what is plotted, as the marts define it."""
    marts: tuple[str, ...]
    draw: Callable[[duckdb.DuckDBPyConnection], go.Figure]


def _rows(con: duckdb.DuckDBPyConnection | Callable[[str], list[tuple]], sql: str) -> list[tuple]:
    """Rows of `sql` from a DuckDB connection, or from a query function on any target (`warehouse report --target`)."""
    if isinstance(con, duckdb.DuckDBPyConnection):
        return con.execute(sql).fetchall()
    return con(sql)


def _month(value: date) -> str:
    return value.strftime("%Y-%m")


def _layout(figure: go.Figure, **layout: object) -> go.Figure:
    figure.update_layout(**{"template": TEMPLATE, "height": 420, "margin": {"l": 60, "r": 20, "t": 30, "b": 50},
                            "legend": {"orientation": "h", "y": 1.08}, **layout})
    return figure


def cohort_heat_map(con: duckdb.DuckDBPyConnection) -> go.Figure:
    rows = _rows(con, """
        select cohort_month, months_since_first_order, retention_rate
        from marts.fct_cohort_retention
        order by cohort_month, months_since_first_order
    """)
    cohorts = sorted({cohort for cohort, _, _ in rows})
    months = list(range(max((k for _, k, _ in rows), default=-1) + 1))
    cells = {(cohort, k): rate for cohort, k, rate in rows}
    z = [[cells.get((cohort, k)) for k in months] for cohort in cohorts]
    # Month 0 is 100% by definition and small cohorts swing: scale the colours to the 95th percentile
    # of the later months so the typical cells stay readable.
    later = sorted(rate for (_, k), rate in cells.items() if k > 0 and rate is not None)
    top = later[int(0.95 * (len(later) - 1))] if later else 1.0
    figure = go.Figure(go.Heatmap(
        x=months, y=[_month(c) for c in cohorts], z=z, zmin=0, zmax=top or 1.0,
        colorscale="Blues", colorbar={"title": "retained", "tickformat": ".0%"},
        hovertemplate="cohort %{y}, month %{x}: %{z:.1%}<extra></extra>",
    ))
    return _layout(figure, xaxis_title="months since first order", yaxis_title="cohort (month of first order)",
                   yaxis={"autorange": "reversed", "type": "category"}, height=max(420, 14 * len(cohorts) + 100))


def crr_and_churn_trend(con: duckdb.DuckDBPyConnection) -> go.Figure:
    rows = _rows(con, """
        select period_month, crr_pct, churn_rate_pct
        from marts.fct_retention_periods
        order by period_month
    """)
    months = [month for month, _, _ in rows]
    figure = go.Figure([
        go.Scatter(x=months, y=[crr for _, crr, _ in rows], name="CRR %", mode="lines+markers"),
        go.Scatter(x=months, y=[churn for _, _, churn in rows], name="churn rate %", mode="lines+markers"),
    ])
    return _layout(figure, xaxis_title="month", yaxis_title="% of customers at the start of the month")


def revenue_retention_curves(con: duckdb.DuckDBPyConnection) -> go.Figure:
    rows = _rows(con, """
        select months_since_first_order, net_revenue_retention_rate, gross_revenue_retention_rate
        from marts.fct_retention_curve
        where revenue_cohorts_observed > 0
        order by months_since_first_order
    """)
    months = [k for k, _, _ in rows]
    figure = go.Figure([
        go.Scatter(x=months, y=[float(net) for _, net, _ in rows], name="net revenue retention", mode="lines+markers"),
        go.Scatter(x=months, y=[float(gross) for _, _, gross in rows], name="gross revenue retention",
                   mode="lines+markers"),
    ])
    return _layout(figure, xaxis_title="months since first order", yaxis_title="share of first-month revenue",
                   yaxis={"tickformat": ".0%"})


def repeat_purchase(con: duckdb.DuckDBPyConnection) -> go.Figure:
    rows = _rows(con, """
        select cohort_month, repeat_purchase_rate, repeat_within_90d_rate
        from marts.fct_repeat_purchase
        order by cohort_month
    """)
    cohorts = [_month(cohort) for cohort, _, _ in rows]
    figure = go.Figure([
        go.Bar(x=cohorts, y=[rate for _, rate, _ in rows], name="repeat purchase rate (to date)"),
        go.Scatter(x=cohorts, y=[rate for _, _, rate in rows], name="repeated within 90 days", mode="lines+markers"),
    ])
    return _layout(figure, xaxis_title="cohort (month of first order)", yaxis_title="share of cohort customers",
                   yaxis={"tickformat": ".0%"})


def clv_distribution(con: duckdb.DuckDBPyConnection) -> go.Figure:
    values = [float(v) for (v,) in _rows(con, """
        select predicted_clv_usd
        from marts.dim_customers
        where order_count > 0 and predicted_clv_usd is not null
    """)]
    figure = go.Figure(go.Histogram(x=values, nbinsx=40, name="customers"))
    if values:
        mean = sum(values) / len(values)
        figure.add_vline(x=mean, line_dash="dash", annotation_text=f"mean ${mean:,.2f}")
    return _layout(figure, xaxis_title="predicted CLV, next 12 months (USD)", yaxis_title="customers")


def nps_trend(con: duckdb.DuckDBPyConnection) -> go.Figure:
    rows = _rows(con, """
        select period_month, nps, nps_margin_of_error, trailing_90d_nps, responses
        from marts.fct_nps
        where segment_type = 'all' and responses > 0
        order by period_month
    """)
    months = [month for month, *_ in rows]
    nps = [float(value) for _, value, *_ in rows]
    margin = [float(m or 0) for _, _, m, *_ in rows]
    figure = go.Figure([
        go.Scatter(x=months + months[::-1], y=[n + m for n, m in zip(nps, margin)]
                   + [n - m for n, m in zip(nps[::-1], margin[::-1])],
                   fill="toself", fillcolor="rgba(31, 119, 180, 0.15)", line={"width": 0},
                   name="95% margin of error", hoverinfo="skip"),
        go.Scatter(x=months, y=nps, name="NPS (month)", mode="lines+markers",
                   customdata=[r[4] for r in rows], hovertemplate="%{x}: %{y:.1f} (%{customdata} answers)<extra></extra>"),
        go.Scatter(x=months, y=[None if r[3] is None else float(r[3]) for r in rows], name="NPS (trailing 90 days)",
                   mode="lines"),
    ])
    return _layout(figure, xaxis_title="month", yaxis_title="NPS (−100 to 100)")


def churn_risk_bands(con: duckdb.DuckDBPyConnection) -> go.Figure:
    rows = _rows(con, """
        select risk_band, count(*), avg(churn_risk_score), sum(case when is_customer_at_scoring_date then 1 else 0 end)
        from marts.fct_churn_risk
        group by risk_band
        order by case risk_band when 'high' then 1 when 'medium' then 2 else 3 end
    """)
    bands = [band for band, *_ in rows]
    figure = go.Figure([
        go.Bar(x=bands, y=[current for *_, current in rows], name="still customers"),
        go.Bar(x=bands, y=[total - current for _, total, _, current in rows], name="already lapsed"),
    ])
    figure.update_traces(hovertemplate="%{x}: %{y} customers<extra></extra>")
    return _layout(figure, barmode="stack", xaxis_title="churn-risk band", yaxis_title="customers")


def _share(value: object) -> str:
    return "–" if value is None else f"{float(value) * 100:.1f}%"


def _points(value: object) -> str:
    """A difference of two shares in signed percentage points."""
    return "–" if value is None else f"{float(value) * 100:+.1f}"


def campaign_lift(con: duckdb.DuckDBPyConnection) -> go.Figure:
    rows = _rows(con, """
        select campaign_id, treatment_customers, control_customers, treatment_retention_rate,
            control_retention_rate, absolute_lift, lift_ci_lower, lift_ci_upper, p_value
        from marts.fct_campaign_lift
        order by campaign_id
    """)
    figure = make_subplots(rows=2, cols=1, specs=[[{"type": "table"}], [{"type": "xy"}]],
                           row_heights=[0.45, 0.55], vertical_spacing=0.08)
    if not rows:
        figure.add_annotation(text="No campaign assignments loaded (raw entity campaign_assignments).",
                              showarrow=False, x=0.5, y=0.25, xref="paper", yref="paper")
        return _layout(figure, height=480)
    points = [row for row in rows if row[5] is not None]

    def points_pp(index: int) -> list[float]:
        return [float(row[index]) * 100 for row in points]

    figure.add_trace(go.Table(
        columnwidth=[1.8, 0.9, 0.9, 1, 1, 0.8, 1.4, 0.8],
        header={"values": ["campaign", "treated", "controls", "treated retention", "control retention",
                           "lift (pp)", "95% CI (pp)", "p-value"], "align": "left"},
        cells={"values": [
            [row[0] for row in rows],
            [f"{row[1]:,}" for row in rows],
            [f"{row[2]:,}" for row in rows],
            [_share(row[3]) for row in rows],
            [_share(row[4]) for row in rows],
            [_points(row[5]) for row in rows],
            ["–" if row[6] is None else f"{_points(row[6])} to {_points(row[7])}" for row in rows],
            ["–" if row[8] is None else f"{float(row[8]):.3f}" for row in rows],
        ], "align": "left"},
    ), row=1, col=1)
    lift = points_pp(5)
    figure.add_trace(go.Scatter(
        x=lift, y=[row[0] for row in points], mode="markers", name="lift with 95% CI",
        error_x={"type": "data", "symmetric": False,
                 "array": [upper - value for upper, value in zip(points_pp(7), lift)],
                 "arrayminus": [value - lower for lower, value in zip(points_pp(6), lift)]},
        hovertemplate="%{y}: %{x:+.1f} pp<extra></extra>",
    ), row=2, col=1)
    # add_vline looks for axes on every subplot and trips over the table: draw the zero line by hand
    figure.add_shape(type="line", x0=0, x1=0, y0=0, y1=1, xref="x", yref="y domain",
                     line={"color": "#888", "dash": "dot"})
    figure.update_xaxes(title_text="retention lift, treatment − control (percentage points)", row=2, col=1)
    return _layout(figure, height=480, showlegend=False)


CHARTS: tuple[Chart, ...] = (
    Chart("cohort-retention", "Cohort retention",
          "The share of each cohort (customers grouped by the month of their first counted order) who placed a "
          "counted order k months later.",
          ("fct_cohort_retention",), cohort_heat_map),
    Chart("crr-churn", "Customer retention rate and churn rate",
          "Per month, CRR = (customers at the end − new customers) / customers at the start × 100 and churn "
          "rate = customers lost / customers at the start × 100 (a customer ordered within the active window).",
          ("fct_retention_periods",), crr_and_churn_trend),
    Chart("revenue-retention", "Revenue retention curves",
          "Net revenue k months after the first order as a share of the cohorts' first-month net revenue, pooled "
          "over every cohort observed that long; the gross curve caps each customer at their own first month.",
          ("fct_retention_curve",), revenue_retention_curves),
    Chart("repeat-purchase", "Repeat purchase",
          "The share of each cohort's customers with more than one counted order up to the as-of date (bars), "
          "and with a second order within 90 days of the first among those observed 90 days (line).",
          ("fct_repeat_purchase",), repeat_purchase),
    Chart("clv-distribution", "Predicted customer lifetime value",
          "How customers spread over predicted 12-month CLV: BG/NBD expected purchases times Gamma-Gamma "
          "expected purchase value, discounted monthly (revenue, not margin).",
          ("dim_customers",), clv_distribution),
    Chart("nps-trend", "Net Promoter Score",
          "Per month, NPS = % promoters (9–10) − % detractors (0–6) of the kept survey answers, with its 95% "
          "margin of error as a band and the NPS of the trailing 90 days.",
          ("fct_nps",), nps_trend),
    Chart("churn-risk", "Churn-risk bands",
          "Customers by churn-risk band (the probability of no counted order in the next 90 days: high ≥ 0.6, "
          "medium ≥ 0.3), split into those still customers at the as-of date and those already lapsed.",
          ("fct_churn_risk",), churn_risk_bands),
    Chart("campaign-lift", "Retention campaign lift",
          "Per campaign, the share of treated and control customers with a counted order within the outcome "
          "window after their first assignment, and the lift of treatment over control in percentage points "
          "with its 95% confidence interval (an interval that crosses zero is no evidence of an effect).",
          ("fct_campaign_lift",), campaign_lift),
)


@dataclass(frozen=True)
class BuildInfo:
    build_id: str
    as_of_date: date
    customers: int
    net_revenue_usd: float


def build_info(con: duckdb.DuckDBPyConnection) -> BuildInfo:
    (build_id, as_of), = _rows(con, "select build_id, as_of_date from marts.dim_warehouse_build")
    (customers, revenue), = _rows(con, """
        select count(*), coalesce(sum(net_revenue_usd), 0)
        from marts.dim_customers
        where order_count > 0
    """)
    return BuildInfo(build_id, as_of, customers, float(revenue))


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Customer retention, as of {as_of}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; background: #f5f6f8; color: #1d2330; }}
header {{ padding: 20px 32px; background: #1d2330; color: #fff; }}
header h1 {{ margin: 0 0 6px; font-size: 22px; }}
header p {{ margin: 0; color: #c8cdd8; font-size: 14px; }}
main {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 20px; padding: 20px 32px; }}
section.chart {{ background: #fff; border-radius: 8px; padding: 16px 20px; box-shadow: 0 1px 3px rgba(0,0,0,.08); }}
section.chart h2 {{ margin: 0 0 4px; font-size: 17px; }}
section.chart p.definition {{ margin: 0 0 8px; font-size: 13px; color: #4a5263; }}
footer {{ padding: 0 32px 24px; font-size: 12px; color: #6b7385; }}
</style>
<script>{plotly_js}</script>
</head>
<body>
<header>
<h1>Customer retention</h1>
<p>As of {as_of} · {customers:,} customers with a counted order · net revenue ${revenue:,.2f} · build {build_id}</p>
</header>
<main>
{sections}
</main>
<footer>Every chart reads the published marts of {database} (schema marts). Definitions: docs/metrics.md.</footer>
</body>
</html>
"""

SECTION = """<section class="chart" id="{key}" data-chart="{key}">
<h2>{title}</h2>
<p class="definition">{definition}</p>
{figure}
</section>"""


def _section(chart: Chart, con: duckdb.DuckDBPyConnection) -> str:
    figure = chart.draw(con)
    return SECTION.format(
        key=chart.key, title=html.escape(chart.title), definition=html.escape(chart.definition),
        figure=pio.to_html(figure, include_plotlyjs=False, full_html=False, div_id=f"{chart.key}-figure",
                           config=CHART_CONFIG, default_width="100%", default_height=f"{figure.layout.height}px"),
    )


def render(con: duckdb.DuckDBPyConnection, database: str, charts: Sequence[Chart] = CHARTS) -> str:
    """The whole page as one HTML string, plotly.js included."""
    info = build_info(con)
    sections = "\n".join(_section(chart, con) for chart in charts)
    return PAGE.format(
        plotly_js=get_plotlyjs(), as_of=info.as_of_date.isoformat(), customers=info.customers,
        revenue=info.net_revenue_usd, build_id=html.escape(info.build_id), sections=sections,
        database=html.escape(database),
    )
