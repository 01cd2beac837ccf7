"""Temporal orchestration of executions inside stigmer-server.

The server installs it through ``stigmer_server.orchestration.boot.connect``.
This package ``__init__`` imports nothing on purpose: Temporal's workflow
sandbox re-imports a workflow's package on every run, so it must stay free of
the server's heavy modules (gRPC, RocksDB, cryptography). Import the modules:

- ``boot``: the server hook (installs the reconnecting orchestration);
- ``reconnecting``: connects in the background, installs the workers once
  Temporal answers, and runs reconciliation (``execution.reconciliation``);
- ``runtime``: the client, the two ``*_stigmer`` workers and the starter;
- ``workflow_execution`` / ``agent_execution``: the orchestration workflows;
- ``status_activities``: their local status activities;
- ``starter``, ``settings``, ``memo``, ``outcome``, ``connection``, ``unavailable``.
"""
