#include <arpa/inet.h>

const char *xplat_which(void) { return "linux"; }

unsigned int xplat_net_order(unsigned int value) { return htonl(value); }
