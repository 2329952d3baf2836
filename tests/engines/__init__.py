"""Engine tests: the same marts on PostgreSQL (make test) and Spark (make test-spark) against DuckDB."""
