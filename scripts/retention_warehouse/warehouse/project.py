"""The dbt project's vars: the defaults of dbt_project.yml and the overrides a run passes as `--vars`.

Every Python step that needs a var (the fits off DuckDB, the benchmark's floor and pandas variants)
reads it here, so they use the settings dbt resolves for the models.
"""

from __future__ import annotations

from typing import Any

import yaml

from retention_warehouse.config import PROJECT_ROOT


def parse_vars(text: str | None) -> dict[str, Any]:
    """A `--vars` argument (a YAML mapping, as dbt takes it) as a dict; ValueError when it is not one."""
    if not text:
        return {}
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"--vars is not YAML: {exc}") from exc
    if not isinstance(parsed, dict):
        raise ValueError(f"--vars must be a YAML mapping such as '{{as_of_date: 2025-06-30}}', got {text!r}")
    return parsed


def project_vars(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The vars of dbt_project.yml with `--vars` overrides applied, as dbt resolves them for the project."""
    declared = yaml.safe_load((PROJECT_ROOT / "dbt_project.yml").read_text(encoding="utf-8")).get("vars") or {}
    return {**declared, **(overrides or {})}


def vars_argument(overrides: dict[str, Any]) -> list[str]:
    """`--vars` and its YAML for a dbt invocation (nothing when there are no overrides)."""
    return ["--vars", yaml.safe_dump(overrides, default_flow_style=True).strip()] if overrides else []
