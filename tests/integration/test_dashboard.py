"""The HTML dashboard: written by `warehouse report`, drawn from the published marts only, and
rendered by a real browser (Debian's headless Chromium) with no console error and marks in every
chart. The screenshot is kept under reports/ for CI and for people to look at."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from retention_warehouse.cli import app
from retention_warehouse.config import DB_PATH_ENV, PROJECT_ROOT
from retention_warehouse.reporting.dashboard import CHARTS, campaign_lift, render
from tests.support.browser import chromium_page

SCREENSHOT = PROJECT_ROOT / "reports" / "screenshots" / "retention.png"
RENDER_WAIT_SECONDS = 30
MARKS_PROBE = """
Array.from(document.querySelectorAll('section.chart')).map(section => ({
    key: section.dataset.chart,
    paths: Array.from(section.querySelectorAll('.cartesianlayer .trace path'))
        .filter(path => (path.getAttribute('d') || '').length > 2).length,
    images: Array.from(section.querySelectorAll('.heatmaplayer image'))
        .filter(image => (image.getAttribute('href') || '').startsWith('data:image')).length,
}))
"""


@pytest.fixture(scope="module")
def dashboard(built_warehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dashboard") / "retention.html"
    result = CliRunner().invoke(app, ["report", "--html", str(path)], env={DB_PATH_ENV: str(built_warehouse.db_path)})
    assert result.exit_code == 0, result.output
    return path


def test_each_chart_has_a_one_sentence_definition_on_the_page(dashboard: Path) -> None:
    page = dashboard.read_text()
    for chart in CHARTS:
        assert re.fullmatch(r"[^.]+(\.\d[^.]*)*\.", chart.definition.replace("e.g.", "")), chart.key
        assert f'data-chart="{chart.key}"' in page
        assert chart.definition.replace("'", "&#x27;") in page, chart.key


def test_the_page_is_one_file_that_needs_no_network(dashboard: Path) -> None:
    page = dashboard.read_text()
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=|<img[^>]+src=\"http", page)
    assert "Plotly.newPlot" in page and len(page) > 1_000_000, "plotly.js is inlined"


def test_charts_read_the_published_marts_only(built_warehouse, tmp_path: Path) -> None:
    """With every schema but marts dropped, the page comes out the same."""
    marts_only = tmp_path / "retention.duckdb"
    shutil.copyfile(built_warehouse.db_path, marts_only)
    with duckdb.connect(str(marts_only)) as con:
        for schema in ("raw", "staging", "intermediate", "reference"):
            con.execute(f"drop schema {schema} cascade")
        assert [s for (s,) in con.execute("select schema_name from information_schema.schemata"
                                          " where catalog_name = current_database()").fetchall()
                if s not in ("main", "marts")] == []
        without = render(con, "the warehouse")
    with duckdb.connect(str(built_warehouse.db_path), read_only=True) as con:
        assert render(con, "the warehouse") == without


def test_the_dashboard_exposure_lists_every_mart_the_charts_read(built_warehouse) -> None:
    manifest = built_warehouse.manifest()
    exposure = manifest["exposures"]["exposure.retention_warehouse.retention_dashboard"]
    assert exposure["description"].strip() and exposure["type"] == "dashboard"
    read = {f"model.retention_warehouse.{mart}" for chart in CHARTS for mart in chart.marts}
    assert set(exposure["depends_on"]["nodes"]) == read | {"model.retention_warehouse.dim_warehouse_build"}


def test_headless_chromium_renders_every_chart_without_console_errors(dashboard: Path) -> None:
    with chromium_page() as page:
        page.open(dashboard.as_uri())
        deadline = time.monotonic() + RENDER_WAIT_SECONDS
        marks = page.evaluate(MARKS_PROBE)
        while not all(m["paths"] + m["images"] for m in marks) and time.monotonic() < deadline:
            time.sleep(0.2)
            marks = page.evaluate(MARKS_PROBE)
        page.screenshot(SCREENSHOT)
        assert [m["key"] for m in marks] == [chart.key for chart in CHARTS]
        assert all(m["paths"] + m["images"] > 0 for m in marks), marks
        assert next(m for m in marks if m["key"] == "cohort-retention")["images"] == 1, "the heat map is drawn"
        assert page.console_errors() == []
        fetched = [url for url in page.requested_urls() if not url.startswith("data:")]
        assert fetched == [dashboard.as_uri()], "nothing but the file itself is fetched"
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


LIFT_COLUMNS = """campaign_id varchar, treatment_customers integer, control_customers integer,
    treatment_retention_rate double, control_retention_rate double, absolute_lift double,
    lift_ci_lower double, lift_ci_upper double, p_value double"""


def _lift_mart(rows: list[tuple]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(f"create table marts.fct_campaign_lift ({LIFT_COLUMNS})")
    if rows:
        con.executemany("insert into marts.fct_campaign_lift values (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return con


def test_campaign_lift_table_formats_each_arm_and_plots_only_campaigns_with_a_lift() -> None:
    figure = campaign_lift(_lift_mart([
        ("winback", 100, 100, 0.6, 0.45, 0.15, 0.0131, 0.2868, 0.0337),
        ("treatment_only", 10, 0, 0.4, None, None, None, None, None),
    ]))
    table, points = figure.data
    columns = table.cells.values
    assert list(columns[0]) == ["treatment_only", "winback"]
    assert list(columns[3]) == ["40.0%", "60.0%"] and list(columns[4]) == ["–", "45.0%"]
    assert list(columns[5]) == ["–", "+15.0"] and list(columns[6]) == ["–", "+1.3 to +28.7"]
    assert list(points.y) == ["winback"] and list(points.x) == pytest.approx([15.0])
    assert list(points.error_x.array) == pytest.approx([13.68]) and list(points.error_x.arrayminus) == pytest.approx([13.69])


def test_campaign_lift_without_campaigns_says_so() -> None:
    figure = campaign_lift(_lift_mart([]))
    assert "No campaign assignments" in figure.layout.annotations[0].text
