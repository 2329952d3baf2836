"""`python -m retention_warehouse.cli`: the `warehouse` command, for a process started without the entry point."""

from retention_warehouse.cli import app

app()
