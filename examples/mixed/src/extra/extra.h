/* extra: a native library the extensions need at run time (extra.dll / libextra.so). */
#ifndef EXTRA_H
#define EXTRA_H

#if defined(_WIN32) && defined(EXTRA_BUILD)
#define EXTRA_API __declspec(dllexport)
#elif defined(_WIN32)
#define EXTRA_API __declspec(dllimport)
#else
#define EXTRA_API __attribute__((visibility("default")))
#endif

/* 0..n-1 summed by four threads */
EXTRA_API long long extra_parallel_sum(long long n);
/* a value in network byte order (ws2_32's htonl on Windows) */
EXTRA_API unsigned int extra_to_network(unsigned int value);
/* milliseconds from a monotonic clock (winmm's timeGetTime on Windows), as a sanity check: >= 0 */
EXTRA_API long long extra_clock_ms(void);
/* the OS's major version (ntdll's RtlGetVersion on Windows, uname elsewhere) */
EXTRA_API int extra_os_major(void);
/* "windows" or "posix" */
EXTRA_API const char *extra_flavour(void);

#endif
