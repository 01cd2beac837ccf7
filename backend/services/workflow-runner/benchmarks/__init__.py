"""Benchmarks of the DSL engine against hand-written Temporal workflows."""
