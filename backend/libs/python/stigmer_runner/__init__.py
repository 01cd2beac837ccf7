"""What every runner process (workflow-runner, agent-runner) shares.

- :mod:`stigmer_runner.settings`: where the runner reaches stigmer-server and
  Temporal, read from the environment (each runner's settings extend it).
- :mod:`stigmer_runner.temporal_client`: the Temporal client sealing payloads.
- :mod:`stigmer_runner.startup`: ``main()`` of a runner process: flags,
  settings, observability, stop signals, exit codes.
"""
