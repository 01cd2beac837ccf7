"""Entry point of every `pytest_test` target: pytest, a JUnit report, a hard exit.

Bazel gives each test `XML_OUTPUT_FILE`; pytest's JUnit report there is what the
repository's test command sums into its `N passed, N failed` line.
"""

from __future__ import annotations

import os
import sys

import pytest

NO_TESTS_COLLECTED = 5


def main() -> None:
    argv = ["-p", "no:cacheprovider", "-q", "-rfEs", *sys.argv[1:]]
    xml_output = os.environ.get("XML_OUTPUT_FILE")
    if xml_output:
        argv += ["--junitxml", xml_output]
    code = int(pytest.main(argv))
    if code == NO_TESTS_COLLECTED:
        print("pytest collected no tests: treating as a failure", file=sys.stderr)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter finalization: the Temporal SDK's native threads can abort
    # the process there (PyGILState_Release) after every test has passed.
    os._exit(code)


if __name__ == "__main__":
    main()
