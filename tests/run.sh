#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine: installs what it needs, then lints, type-checks and
# runs every test: the unit tier first (fast feedback), then the tiers that compile or run Wine, qemu,
# root or the network (see CONTRIBUTING.md). Extra arguments go to pytest, e.g.
# `bash tests/run.sh tests/test_loader.py -x`.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian packages: Wine (python.org CPython for Windows), qemu-user and arm64 packages (Debian's arm64
# CPython), llvm (llvm-lipo for macosx_universal2), mingw-w64 (the mingw builder), cmake (before-build
# scripts and the toolchain file fatpack writes for them), patchelf (Debian unstable's interpreters, tests/debiansid.py).
missing=()
command -v wine >/dev/null 2>&1 || missing+=(wine)
command -v qemu-aarch64-static >/dev/null 2>&1 || missing+=(qemu-user-static)
compgen -c llvm-lipo >/dev/null 2>&1 || missing+=(llvm)
command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || missing+=(gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64)
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
command -v ninja >/dev/null 2>&1 || missing+=(ninja-build)  # meson's backend
command -v chattr >/dev/null 2>&1 || missing+=(e2fsprogs)  # chattr +i: a read-only output dir, even for root
command -v patchelf >/dev/null 2>&1 || missing+=(patchelf)  # tests/debiansid.py: Debian sid's CPython 3.14/3.15
need_arm64=0
dpkg --print-foreign-architectures | grep -qx arm64 || need_arm64=1
if [ "${#missing[@]}" -gt 0 ] || [ "$need_arm64" -eq 1 ]; then
  echo "== installing Debian packages: ${missing[*]:-} ${need_arm64/1/(arm64 architecture)}"
  [ "$need_arm64" -eq 1 ] && as_root dpkg --add-architecture arm64
  as_root apt-get update -qq
  if [ "${#missing[@]}" -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

echo "== installing fatpack with its test requirements into .venv"
bash dev/setup test  # a virtual environment: Debian's own python3 refuses pip install (PEP 668)
export PATH="$PWD/.venv/bin:$PATH"  # python3, ruff, mypy and pytest below are the .venv's

echo "== lint and type-check"
ruff check .
ruff format --check .
mypy

# pytest exits 5 when a tier has no test among the arguments given (e.g. one file of one tier)
run_tier() { local code=0; python3 -m pytest "$@" || code=$?; [ "$code" -eq 0 ] || [ "$code" -eq 5 ] || exit "$code"; }

echo "== unit tests (under a minute; tests/tiers.py makes any compiler, Wine or qemu they start fail)"
run_tier -m unit "$@"

echo "== warming zig's C runtimes for every target (slow only the first time on a machine; tests reuse the cache)"
warm_dir=$(mktemp -d)
trap 'rm -rf "$warm_dir"' EXIT
targets=(linux_x86_64 linux_aarch64 musllinux_x86_64 musllinux_aarch64 win_amd64 win_arm64 win32 macosx_x86_64 macosx_arm64)
FATPACK_BUILD_CACHE="$warm_dir/cache" python3 -m fatpack build examples/hello "${targets[@]/#/--target=}" -o "$warm_dir/out" >/dev/null

echo "== CPython 3.13t (free-threaded) for the cp313t tests: built from Debian's source once per machine"
python3 tests/freethreaded.py

echo "== every other tier: compile, mingw, wine, qemu, root, network"
run_tier -m "not unit" "$@"
