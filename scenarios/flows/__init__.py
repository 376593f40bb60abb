"""Seeded flow definitions (JSON, one file per scenario) and the reads of flows."""
