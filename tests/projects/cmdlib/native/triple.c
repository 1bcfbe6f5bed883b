#include "triple.h"
long long triple(long long x) { return 3 * x; }
