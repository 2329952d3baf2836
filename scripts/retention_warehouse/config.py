"""Paths and settings shared by every command. One place for each default."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
"""The dbt project: scripts/retention_warehouse/config.py sits two folders below it."""
SEEDS_DIR = PROJECT_ROOT / "seeds"

DB_PATH_ENV = "WAREHOUSE_DB_PATH"
"""Environment variable read by the CLI and by profiles.yml: one setting moves both."""

DEFAULT_DB_PATH = Path("warehouse/retention.duckdb")
DEFAULT_DATA_DIR = Path("data/raw")
RAW_SCHEMA = "raw"


def db_path() -> Path:
    """The DuckDB file the loader writes and dbt builds on."""
    return Path(os.environ.get(DB_PATH_ENV) or DEFAULT_DB_PATH)
