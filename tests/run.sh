#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine: installs what it needs, then lints, type-checks and
# runs every test (unit, end-to-end on Linux, and python.org CPython for Windows under Wine).
# Extra arguments go to pytest, e.g. `bash tests/run.sh -m "not slow"` for the fast tests only.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v wine >/dev/null 2>&1; then
  echo "== installing Wine (Debian package 'wine')"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq wine >/dev/null
fi

echo "== installing fatpack with its test requirements"
python3 -m pip install -q --disable-pip-version-check -e ".[test]"

echo "== lint and type-check"
ruff check .
ruff format --check .
mypy

echo "== warming zig's Windows C runtime (slow only the first time on a machine; the tests reuse the cache)"
warm_dir=$(mktemp -d)
trap 'rm -rf "$warm_dir"' EXIT
start=$SECONDS
python3 -m fatpack build examples/hello --target win_amd64 -o "$warm_dir" >/dev/null
echo "   done in $((SECONDS - start))s"

echo "== tests"
python3 -m pytest "$@"
