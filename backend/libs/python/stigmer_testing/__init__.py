"""Test support shared by every service: real Temporal dev server, reference data."""
