"""SQL text: quoting identifiers and literals the way DuckDB, PostgreSQL and Spark SQL all read them."""

from __future__ import annotations


def quote_identifier(name: str) -> str:
    """An identifier in double quotes, inner quotes doubled, so any column or table name is safe."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """A SQL string literal with quotes escaped (values come from seeds and paths, not from files)."""
    return "'" + value.replace("'", "''") + "'"
