"""``python -m stigmer_cli`` / ``bazel run //cli:stigmer``."""

from __future__ import annotations

import os
import sys

from stigmer_cli.app import main

if __name__ == "__main__":
    code = main()
    # A process that used Temporal/gRPC can abort at interpreter finalization (known issue).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
