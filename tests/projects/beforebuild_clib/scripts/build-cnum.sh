#!/bin/sh
# libcnum, static, for $FATPACK_TARGET: run by fatpack once per target with the cross toolchain in
# CC/AR/RANLIB and the place to install in FATPACK_PREFIX.
set -eu
mkdir -p "$FATPACK_PREFIX/include" "$FATPACK_PREFIX/lib"
# shellcheck disable=SC2086  # CC, CPPFLAGS and CFLAGS are command lines
$CC $CPPFLAGS $CFLAGS "-DCNUM_TARGET=\"$FATPACK_TARGET\"" -c vendor/cnum/cnum.c -o cnum.o
"$AR" rcs "$FATPACK_PREFIX/lib/libcnum.a" cnum.o
"$RANLIB" "$FATPACK_PREFIX/lib/libcnum.a"
cp vendor/cnum/cnum.h "$FATPACK_PREFIX/include/"
echo "libcnum built for $FATPACK_TARGET ($FATPACK_HOST_TRIPLE)"
