int ops_scale(int value);
