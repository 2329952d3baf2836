"""Raw files into the warehouse: the raw data contract and the loader that checks files against it."""
