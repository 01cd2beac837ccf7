"""Executions: phase rules, status merging, change events and the starter port."""
