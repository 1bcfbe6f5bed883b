#!/bin/sh
# libyaml as a static library for $FATPACK_TARGET, with CMake and the toolchain file fatpack exports:
# the before-build a CI configuration gives `fatpack assemble` for PyYAML's unchanged sdist
# (`--before-build "sh build-libyaml.sh"`). LIBYAML_TARBALL: libyaml's source tarball (Debian's
# libyaml_0.2.5.orig.tar.gz, which has no configure script but a CMakeLists.txt).
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar xzf "$LIBYAML_TARBALL" -C "$work"
cmake -S "$work"/libyaml-* -B "$work/build" \
  -DCMAKE_TOOLCHAIN_FILE="$CMAKE_TOOLCHAIN_FILE" -DCMAKE_INSTALL_PREFIX="$FATPACK_PREFIX" \
  -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DBUILD_TESTING=OFF \
  -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DINSTALL_CMAKE_DIR=lib/cmake/yaml
cmake --build "$work/build"
cmake --install "$work/build"
