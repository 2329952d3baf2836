"""The `warehouse` command line: one thin module per command group, each command parsing its
arguments and calling one function of the package.

Exit codes: 0 ok, 1 a data problem was found, 2 a usage error.
"""

from __future__ import annotations

import typer

from retention_warehouse.cli import bench, build, data, reports

app = typer.Typer(
    help="Customer-retention warehouse: generate or import raw data, validate and load it, report on the marts.",
    no_args_is_help=True,
    add_completion=False,
)

COMMANDS = {
    # raw data (cli/data.py)
    "generate": data.generate_command,
    "import-cdnow": data.import_cdnow_command,
    "load": data.load_command,
    "validate": data.validate_command,
    # builds (cli/build.py)
    "publish": build.publish_command,
    "ci": build.ci_command,
    "build": build.build_command,
    "export-raw": build.export_raw_command,
    "fit-models": build.fit_models_command,
    "fit-clv": build.fit_clv_command,
    "grant-bi": build.grant_bi_command,
    # reading the marts (cli/reports.py)
    "report": reports.report_command,
    "evaluate-churn": reports.evaluate_churn_command,
    # the benchmark (cli/bench.py, tooling in scripts/benchmarks)
    "bench": bench.bench_command,
}
"""Every command of `warehouse`, by name, in the order `warehouse --help` lists them."""

for name, command in COMMANDS.items():
    app.command(name)(command)
