"""The customer-retention warehouse: the `warehouse` CLI and the Python that dbt's models and the CLI share.

Subpackages, each one concern: cli (the command line), ingest (raw files into the warehouse), stats
(pure statistics), python_models (what dbt's Python models compute), warehouse (engines, dbt, builds),
publish (write-audit-publish), reporting (headline numbers, churn evaluation, dashboard), demo (demo data).
"""
