#!/bin/sh
# before-build for PyYAML: libyaml 0.2.5 static for $FATPACK_TARGET into $FATPACK_PREFIX (CMake with
# fatpack's toolchain file), by the script fatpack's own PyYAML test uses.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
LIBYAML_TARBALL=$(python3 "$here/fetch.py" \
  https://deb.debian.org/debian/pool/main/liby/libyaml/libyaml_0.2.5.orig.tar.gz \
  fa240dbf262be053f3898006d502d514936c818e422afdcf33921c63bed9bf2e)
export LIBYAML_TARBALL
exec sh "$here/../../tests/beforebuild/build-libyaml.sh"
