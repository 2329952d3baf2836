"""Helpers the tests share: raw-file builders, warehouse fixtures' builders, servers, readers, comparisons."""
