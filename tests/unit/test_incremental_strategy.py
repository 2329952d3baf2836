"""The incremental strategy and partitioning each target gets (macros/incremental/incremental.sql).

The macros are rendered as dbt renders them, with dbt's `return`, `adapter.dispatch`, `var` and
`exceptions` stood in for, so every target is checked in milliseconds without a dbt parse.
"""

from __future__ import annotations

import jinja2
import pytest

from retention_warehouse.config import PROJECT_ROOT


class _Return(Exception):
    def __init__(self, value: object) -> None:
        self.value = value


class _CompilerError(Exception):
    pass


def _raise_return(value: object) -> None:
    raise _Return(value)


def _raise_compiler_error(message: str) -> None:
    raise _CompilerError(message)


class _Adapter:
    def __init__(self, adapter_type: str) -> None:
        self.module, self.adapter_type = None, adapter_type

    def dispatch(self, name: str, package: str):
        assert package == "retention_warehouse"
        return getattr(self.module, f"{self.adapter_type}__{name}", None) or getattr(self.module, f"default__{name}")


def call(macro: str, adapter_type: str, variables: dict | None = None, *args: object) -> object:
    """A macro of incremental.sql called on `adapter_type` with `variables` set: what it returns."""
    source = (PROJECT_ROOT / "macros/incremental/incremental.sql").read_text(encoding="utf-8")
    adapter = _Adapter(adapter_type)
    context = {
        "return": _raise_return,
        "var": lambda name, default=None: (variables or {}).get(name, default),
        "exceptions": type("Exceptions", (), {"raise_compiler_error": staticmethod(_raise_compiler_error)}),
        "adapter": adapter,
    }
    module = adapter.module = jinja2.Environment().from_string(source, globals=context).module
    try:
        rendered = getattr(module, macro)(*args)
    except _Return as returned:
        return returned.value
    return str(rendered).strip()


@pytest.mark.parametrize(("adapter_type", "strategy", "partition", "unit"), [
    ("duckdb", "delete+insert", None, "day"),
    ("postgres", "delete+insert", None, "day"),
    ("spark", "insert_overwrite", "month_start", "month"),
])
def test_each_target_gets_a_strategy_that_replaces_whole_batches(adapter_type, strategy, partition, unit) -> None:
    assert call("incremental_strategy", adapter_type) == strategy
    assert call("incremental_partition_by", adapter_type, None, "month_start") == partition
    assert call("incremental_batch_unit", adapter_type) == unit


@pytest.mark.parametrize("adapter_type", ["duckdb", "postgres", "spark"])
@pytest.mark.parametrize("wrong", ["append", "merge"])
def test_append_and_merge_are_refused_even_through_the_var(adapter_type: str, wrong: str) -> None:
    with pytest.raises(_CompilerError, match=f"incremental strategy {wrong} is wrong"):
        call("incremental_strategy", adapter_type, {"incremental_strategy": wrong})


def test_the_var_picks_another_valid_strategy_for_one_run() -> None:
    assert call("incremental_strategy", "postgres", {"incremental_strategy": "delete+insert"}) == "delete+insert"
