"""Makes ``stigmer_cli`` importable when pytest runs from the virtualenv (Bazel puts
the ``cli`` root on the path itself, through the py_library's ``imports``)."""

from __future__ import annotations

import sys
from pathlib import Path

CLI_ROOT = str(Path(__file__).resolve().parents[1])
if CLI_ROOT not in sys.path:
    sys.path.insert(0, CLI_ROOT)
