#include "cnum.h"

#ifndef CNUM_TARGET
#error "CNUM_TARGET names the target the library is built for"
#endif

int cnum_triple(int x) { return 3 * x; }

const char *cnum_target(void) { return CNUM_TARGET; }
