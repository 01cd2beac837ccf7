#!/usr/bin/env bash
# Installs everything Stigmer needs on a fresh Debian machine (run as root):
# Bazel (Debian's bazel-bootstrap; Bazel itself never downloads), Python 3 with
# venv, Node.js for the cross-language client test, chromium for the console's
# browser tests, and the project virtualenv
# with the packages pinned in requirements.lock. Safe to re-run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${STIGMER_VENV:-$root/.venv}

need=()
command -v bazel >/dev/null 2>&1 || need+=(bazel-bootstrap)
[ -d /usr/share/bazel/rules/java ] || need+=(bazel-rules-java)
command -v python3 >/dev/null 2>&1 || need+=(python3)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
# Headless browser for the web console's tests (driven by Playwright, never downloaded).
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
# The OCI tools behind `bazel run //tools/images:*` (rules_oci cannot run offline).
for tool in umoci skopeo runc debootstrap; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || need+=("$tool")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ ! -x "$venv/bin/python3" ]; then
  echo "setup: creating the virtualenv at $venv"
  python3 -m venv "$venv"
fi
lock="$root/requirements.lock"
stamp="$venv/.requirements.lock.installed"
if ! cmp -s "$lock" "$stamp" 2>/dev/null; then
  echo "setup: installing Python packages from requirements.lock"
  "$venv/bin/python3" -m pip install -q --upgrade pip
  "$venv/bin/python3" -m pip install -q -r "$lock"
  cp "$lock" "$stamp"
fi

# Node packages for the cross-language client test and the console's bundle sources
# (the built bundle is committed: running the platform needs no npm step).
for pkg in $(cd "$root" && git ls-files '*package-lock.json' 2>/dev/null); do
  dir=$(dirname "$root/$pkg")
  if [ ! -d "$dir/node_modules" ]; then
    echo "setup: npm ci in ${dir#$root/}"
    (cd "$dir" && npm ci --silent --no-audit --no-fund)
  fi
done
echo "setup: ready"
