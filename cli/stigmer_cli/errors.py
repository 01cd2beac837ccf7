"""The errors commands raise for the user: printed as one line, each with its exit code.

Exit codes (also in ``stigmer --help`` and the README):

====  ==========================================================
0     success; the execution followed ended COMPLETED
1     the execution followed ended FAILED or CANCELLED
2     usage: bad flags, a bad file or input, a request the server refused
3     unreachable: stigmer-server (or the event endpoint) did not answer
130   interrupted (Ctrl-C, SIGTERM) before the execution ended
====  ==========================================================
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, the shell's code for a Ctrl-C


class UsageError(Exception):
    """Bad input or a refused request; ``str()`` is the line shown to the user."""

    exit_code = EXIT_USAGE


class Unreachable(UsageError):
    """A server the command needs did not answer (nothing listening, connection refused)."""

    exit_code = EXIT_UNREACHABLE
