"""The hand-written generic tests (dbt_utils cannot be fetched here) pass and fail when they should."""

from __future__ import annotations

import shutil
from pathlib import Path

from retention_warehouse.config import PROJECT_ROOT
from tests.support.warehouses import run_dbt

FIXTURE = Path(__file__).parents[1] / "support" / "projects" / "generic_tests_project"


def test_generic_tests_catch_exactly_the_bad_rows(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(FIXTURE, project)
    shutil.copytree(PROJECT_ROOT / "macros" / "generic_tests", project / "macros")
    result = run_dbt(["build"], project, tmp_path / "fixture.duckdb", tmp_path)
    outcomes = {r.node.name: (str(r.status), r.failures) for r in result.result
                if str(r.node.resource_type) == "test"}
    expected = {}
    for name in outcomes:
        if name.endswith("_passes"):
            expected[name] = ("pass", 0)
        else:
            expected[name] = ("fail", int(name.rsplit("_", 1)[1]))
    assert len(outcomes) == 8
    assert outcomes == expected
