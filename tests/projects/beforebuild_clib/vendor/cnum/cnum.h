/* libcnum: a tiny C library the extension links, built by scripts/build-cnum.sh */
#ifndef CNUM_H
#define CNUM_H
int cnum_triple(int x);
const char *cnum_target(void); /* the target the library was built for */
#endif
