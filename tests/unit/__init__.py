"""Unit tests: no dbt build, no server (statistics, contract, loader, generator, parsers, CLI argument handling)."""
