"""Raw files into the warehouse: the raw data contract and the ingestion that lands files as they are."""
