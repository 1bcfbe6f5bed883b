long spam_add(long a, long b);
