#!/bin/sh
# before-build for cffi: libffi 3.4.4 static for $FATPACK_TARGET into $FATPACK_PREFIX (autoconf, --host
# from fatpack's toolchain). cffi's setup.py links `ffi` (and asks pkg-config, which sees only the
# prefix); on win32 it takes this path too, as zig is not MSVC.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tarball=$(python3 "$here/fetch.py" \
  https://deb.debian.org/debian/pool/main/libf/libffi/libffi_3.4.4.orig.tar.gz \
  d66c56ad259a82cf2a9dfc408b32bf5da52371500b84745f7fb8b645712df676)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar xzf "$tarball" -C "$work"
cd "$work"/libffi-*
./configure --host="$FATPACK_HOST_TRIPLE" --prefix="$FATPACK_PREFIX" --disable-shared --enable-static \
  --with-pic --disable-docs --disable-multi-os-directory --disable-exec-static-tramp >"$work/configure.log" 2>&1 \
  || { tail -n 30 "$work/configure.log"; exit 1; }
make -j2 >"$work/make.log" 2>&1 || { tail -n 30 "$work/make.log"; exit 1; }
make install >"$work/install.log" 2>&1 || { tail -n 30 "$work/install.log"; exit 1; }
