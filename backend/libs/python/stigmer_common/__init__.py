"""Shared runtime of Stigmer services: generated-contract runtime, config, errors."""
