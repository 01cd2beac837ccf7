#!/usr/bin/env bash
# The whole test suite: every Bazel test target, then one summary line summed
# over all targets from their JUnit reports: `N passed, N failed, N skipped`.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [ -z "${STIGMER_SHARED_DIR:-}" ] && [ -d "$root/../shared" ]; then
  export STIGMER_SHARED_DIR=$(cd "$root/../shared" && pwd)
fi

bazel test //... --keep_going "$@"
status=$?

"${STIGMER_VENV:-$root/.venv}/bin/python3" "$root/tools/testing/summarize_junit.py" \
  "$(bazel info bazel-testlogs 2>/dev/null)" $(bazel query 'tests(//...)' 2>/dev/null)
summary=$?
if [ $status -ne 0 ]; then exit $status; fi
exit $summary
