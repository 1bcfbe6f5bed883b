#include "extra.h"

#include <string.h>

#ifdef _WIN32
#include <winsock2.h>
#include <windows.h>
#include <mmsystem.h>
#include <process.h>
typedef LONG(WINAPI *rtl_get_version_fn)(PRTL_OSVERSIONINFOW);
NTSYSAPI LONG NTAPI RtlGetVersion(PRTL_OSVERSIONINFOW);
#else
#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/utsname.h>
#include <time.h>
#endif

#define THREADS 4

struct slice {
    long long from, to, total;
};

#ifdef _WIN32
static unsigned __stdcall add_slice(void *arg) {
#else
static void *add_slice(void *arg) {
#endif
    struct slice *s = arg;
    s->total = 0;
    for (long long i = s->from; i < s->to; i++) s->total += i;
    return 0;
}

long long extra_parallel_sum(long long n) {
    struct slice slices[THREADS];
#ifdef _WIN32
    HANDLE threads[THREADS];
#else
    pthread_t threads[THREADS];
#endif
    for (int t = 0; t < THREADS; t++) {
        slices[t].from = n * t / THREADS;
        slices[t].to = n * (t + 1) / THREADS;
#ifdef _WIN32
        threads[t] = (HANDLE)_beginthreadex(NULL, 0, add_slice, &slices[t], 0, NULL);
#else
        pthread_create(&threads[t], NULL, add_slice, &slices[t]);
#endif
    }
    long long total = 0;
    for (int t = 0; t < THREADS; t++) {
#ifdef _WIN32
        WaitForSingleObject(threads[t], INFINITE);
        CloseHandle(threads[t]);
#else
        pthread_join(threads[t], NULL);
#endif
        total += slices[t].total;
    }
    return total;
}

unsigned int extra_to_network(unsigned int value) { return htonl(value); }

long long extra_clock_ms(void) {
#ifdef _WIN32
    return (long long)timeGetTime();
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
#endif
}

int extra_os_major(void) {
#ifdef _WIN32
    RTL_OSVERSIONINFOW info;
    memset(&info, 0, sizeof(info));
    info.dwOSVersionInfoSize = sizeof(info);
    return RtlGetVersion(&info) == 0 ? (int)info.dwMajorVersion : -1;
#else
    struct utsname u;
    return uname(&u) == 0 ? atoi(u.release) : -1;
#endif
}

const char *extra_flavour(void) {
#ifdef _WIN32
    return "windows";
#else
    return "posix";
#endif
}
