"""Demo and real sample data: the deterministic generator, the one-day increment, the CDNOW import."""
