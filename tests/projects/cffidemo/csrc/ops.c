#include "ops.h"

int ops_scale(int value) { return value * 7; }
