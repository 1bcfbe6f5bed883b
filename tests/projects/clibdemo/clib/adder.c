#include "adder.h"

int adder_add(int a, int b) { return a + b + 1000; }
