"""The README shows the contract as the code defines it, and the two commands."""

from __future__ import annotations

from retention_warehouse.config import PROJECT_ROOT
from retention_warehouse.ingest.contract import markdown_tables


def test_readme_contract_matches_the_code() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert markdown_tables() in readme, "regenerate the contract tables: python -c 'from retention_warehouse.ingest.contract import markdown_tables; print(markdown_tables())'"


def test_readme_shows_the_two_commands() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert "make build" in readme and "make test" in readme
