"""Entry point: ``python -m workflow_runner.cli`` / ``bazel run //backend/services/workflow-runner:dsl``."""

from workflow_runner.cli.dsl import main

if __name__ == "__main__":
    main()
