#!/bin/sh
# before-build for lxml: zlib 1.2.13, libxml2 and libxslt (Debian's) static for $FATPACK_TARGET into
# $FATPACK_PREFIX. The versions are the nearest Debian has to what lxml's official wheels link, feature
# for feature, as lxml's tests skip by both (needs_libxml(2, 10), "http" in LIBXML_FEATURES):
# - Linux: libxml2 2.15.4 and libxslt 1.1.45 (the official manylinux wheel: 2.14.6 and 1.1.43, no HTTP;
#   2.15 removed its HTTP client, 1.1.45 needs libxml2 >= 2.15.1);
# - Windows: libxml2 2.9.14 and libxslt 1.1.35 (the official win_amd64 wheel: 2.11.9, with the HTTP
#   client, which 5 tests of test_http_io.py use; Debian has no libxml2 between 2.9.14 and 2.15, so
#   test_htmlparser.py's test_module_HTML_cdata_ignored, which needs 2.10, is skipped there).
# lxml's setup.py asks pkg-config for libxml-2.0 and libxslt first (fatpack points pkg-config at this
# prefix only, never the host's). On win32 it links the fixed names libxslt, libexslt, libxml2, iconv
# and zlib: copies of the archives by those names are added.
# Windows has no iconv: GNU libiconv's iconv.c as the npm package `iconv` (node-iconv) bundles it, with
# that package's config headers, built into libiconv.a (Debian has no iconv source for Windows).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
fetch() { python3 "$here/fetch.py" "https://deb.debian.org/debian/pool/main/$1" "$2"; }
windows=no
case "$FATPACK_TARGET" in win*) windows=yes ;; esac
zlib=$(fetch z/zlib/zlib_1.2.13.dfsg.orig.tar.bz2 71feb7947e3c00ef125f83b79a4e529bde31171e5babe48b391f06758d1ab0a1)
if [ "$windows" = yes ]; then
  xml2=$(fetch libx/libxml2/libxml2_2.9.14+dfsg.orig.tar.xz 4fe913dec8b1ab89d13b489b419a8203176ea39e931eaa0d25b17eafb9c279e9)
  xslt=$(fetch libx/libxslt/libxslt_1.1.35.orig.tar.xz 8247f33e9a872c6ac859aa45018bc4c4d00b97e2feac9eebc10c93ce1f34dd79)
  xml2_options="--without-lzma"  # 2.9 builds with liblzma when it finds it; 2.15 has no LZMA support
else
  xml2=$(fetch libx/libxml2/libxml2_2.15.4+dfsg.orig.tar.xz 5868d20db42ee21e4881bc53050c7fa226286a277cb3d0543f76b81f7571e934)
  xslt=$(fetch libx/libxslt/libxslt_1.1.45.orig.tar.xz 9acfe68419c4d06a45c550321b3212762d92f41465062ca4ea19e632ee5d216e)
  xml2_options="--with-schematron"  # off by default since 2.15; the official wheels have it (test_schematron.py)
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
quiet() {  # run "$@" with its output in a log, shown (the end of it) only when it fails
  "$@" >"$work/step.log" 2>&1 || { tail -n 40 "$work/step.log"; exit 1; }
}
mkdir -p "$FATPACK_PREFIX/include" "$FATPACK_PREFIX/lib"

# zlib: its sources compiled into libz.a (its configure script does not cross-compile for Windows)
tar xjf "$zlib" -C "$work"
cd "$work"/zlib-*
defines=""
[ "$windows" = yes ] || defines="-DHAVE_UNISTD_H -DHAVE_STDARG_H"
for c in adler32 compress crc32 deflate gzclose gzlib gzread gzwrite infback inffast inflate inftrees \
         trees uncompr zutil; do
  quiet $CC $CFLAGS $defines -c "$c.c" -o "$c.o"
done
quiet $AR rcs "$FATPACK_PREFIX/lib/libz.a" ./*.o
cp zlib.h zconf.h "$FATPACK_PREFIX/include/"

common="--host=$FATPACK_HOST_TRIPLE --prefix=$FATPACK_PREFIX --disable-shared --enable-static --with-pic"
common="$common --without-python"

iconv=""
if [ "$windows" = yes ]; then
  tarball=$(python3 "$here/fetch.py" https://registry.npmjs.org/iconv/-/iconv-3.0.1.tgz \
    19d0c9109234dcf12796915a4a9c9496b8ecf3e0d08e4722f99b56e3d0a3dffb)
  tar xzf "$tarball" -C "$work"
  cd "$work/package"
  quiet $CC $CFLAGS -DICONV_CONST=const -DENABLE_EXTRA=1 -Isupport -c deps/libiconv/lib/iconv.c -o iconv.o
  quiet $CC $CFLAGS -Isupport -c support/localcharset.c -o localcharset.o
  quiet $AR rcs "$FATPACK_PREFIX/lib/libiconv.a" iconv.o localcharset.o
  cp support/iconv.h "$FATPACK_PREFIX/include/"
  iconv="--with-iconv=$FATPACK_PREFIX"
fi

tar xJf "$xml2" -C "$work"
cd "$work"/libxml2-*
quiet ./configure $common $xml2_options --without-icu --with-zlib="$FATPACK_PREFIX" $iconv
quiet make -j2
quiet make install

tar xJf "$xslt" -C "$work"
cd "$work"/libxslt-*
quiet ./configure $common --without-crypto --without-debugger --with-libxml-prefix="$FATPACK_PREFIX"
quiet make -j2
quiet make install

if [ "$windows" = yes ]; then
  lib="$FATPACK_PREFIX/lib"
  for name in xslt exslt xml2; do cp "$lib/lib$name.a" "$lib/lib$name.lib"; done
  cp "$lib/libz.a" "$lib/zlib.lib"
  # static libraries: no dllimport/dllexport in what includes the headers (libxml2's .pc says so itself)
  for header in libxslt/xsltexports.h:LIBXSLT_STATIC libexslt/exsltexports.h:LIBEXSLT_STATIC; do
    file="$FATPACK_PREFIX/include/${header%%:*}"
    { printf '#ifndef %s\n#define %s\n#endif\n' "${header#*:}" "${header#*:}"; cat "$file"; } >"$work/h"
    cp "$work/h" "$file"
  done
fi
