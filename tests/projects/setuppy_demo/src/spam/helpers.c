#include "helpers.h"
long spam_add(long a, long b) { return a + b; }
