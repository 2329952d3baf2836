"""Benchmark tooling, not part of the product (not shipped in the wheel): bench, floor, pandas variant."""
