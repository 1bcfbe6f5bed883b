#!/bin/sh
# The project's own build of libtriple: fatpack runs it once per target (see the command builder).
set -eu
# shellcheck disable=SC2086  # FATPACK_CC is a command line
$FATPACK_CC -shared -O2 -s -DTRIPLE_BUILD -o "$FATPACK_OUT_DIR/$FATPACK_OUTPUT" "$FATPACK_PROJECT_DIR/native/triple.c"
echo "built $FATPACK_OUTPUT for $FATPACK_TARGET"
