"""What dbt's Python models compute: the CLV and churn tables, from frames the models (or fit-models) read."""
