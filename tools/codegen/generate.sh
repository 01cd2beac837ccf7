#!/usr/bin/env bash
# Writes the generated Python of apis/ to gen/python (ignored), for editors, mypy
# and running pytest straight from the virtualenv. Bazel builds its own copy.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
python=${STIGMER_VENV:-$root/.venv}/bin/python
rm -rf "$root/gen/python"
cd "$root/apis"
mapfile -t protos < <(find stigmer -name '*.proto' | sort)
"$python" "$root/tools/codegen/generate.py" \
  --proto-root "$root/apis" --out "$root/gen/python" \
  --plugin-dir "$root/tools/protoc-gen-stigmer-temporal" "${protos[@]}"
echo "generated ${#protos[@]} protos into gen/python"
