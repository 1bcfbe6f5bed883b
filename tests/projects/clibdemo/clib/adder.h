int adder_add(int a, int b);
