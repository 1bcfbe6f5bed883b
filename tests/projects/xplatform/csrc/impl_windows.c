#include <WinSock2.h>  /* spelled as MSVC code does: mingw-w64 ships winsock2.h */
#include <Windows.h>

#if XPLAT_WINVER < 6
#error "setup.py saw no Windows version"
#endif

const char *xplat_which(void) { return "windows"; }

/* htonl from ws2_32.dll: linked only because setup.py's Windows branch names the library */
unsigned int xplat_net_order(unsigned int value) { return htonl(value); }
