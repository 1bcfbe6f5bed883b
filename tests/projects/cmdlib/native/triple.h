#if defined(_WIN32) && defined(TRIPLE_BUILD)
#define TRIPLE_API __declspec(dllexport)
#elif defined(_WIN32)
#define TRIPLE_API __declspec(dllimport)
#else
#define TRIPLE_API
#endif
TRIPLE_API long long triple(long long x);
