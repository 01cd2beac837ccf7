"""Sum the JUnit reports of Bazel test targets into one `N passed, N failed` line.

Bazel's own summary counts targets, not tests. A target whose report is missing
(it crashed before pytest wrote it) counts as one failed test.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def _target_dir(testlogs: Path, label: str) -> Path:
    package, _, name = label.lstrip("/").partition(":")
    return testlogs / package / name


def main() -> int:
    testlogs = Path(sys.argv[1])
    passed = failed = skipped = 0
    for label in sys.argv[2:]:
        report = _target_dir(testlogs, label) / "test.xml"
        if not report.is_file():
            print(f"{label}: no test report", file=sys.stderr)
            failed += 1
            continue
        root = ET.parse(report).getroot()
        suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
        for suite in suites:
            total = int(suite.get("tests", 0))
            bad = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            skip = int(suite.get("skipped", 0))
            passed += total - bad - skip
            failed += bad
            skipped += skip
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
