/* midsize: a mid-sized C library with Python bindings, used by fatpack's benchmarks.
 * Plain C99; no Python types below this header except in module.c. */
#ifndef MIDSIZE_MK_H
#define MIDSIZE_MK_H

#include <stddef.h>
#include <stdint.h>

/* ---- hashing.c ---- */
typedef struct {
    uint32_t state[8];
    uint64_t length;
    uint8_t block[64];
    size_t used;
} mk_sha256;

void mk_sha256_init(mk_sha256 *ctx);
void mk_sha256_update(mk_sha256 *ctx, const uint8_t *data, size_t size);
void mk_sha256_final(mk_sha256 *ctx, uint8_t digest[32]);
uint32_t mk_crc32(uint32_t crc, const uint8_t *data, size_t size);
uint32_t mk_adler32(uint32_t adler, const uint8_t *data, size_t size);
uint64_t mk_fnv1a64(const uint8_t *data, size_t size);
uint32_t mk_murmur3_32(const uint8_t *data, size_t size, uint32_t seed);
uint64_t mk_siphash24(const uint8_t key[16], const uint8_t *data, size_t size);

/* ---- codecs.c ---- */
size_t mk_base64_encoded_size(size_t size);
size_t mk_base64_encode(const uint8_t *in, size_t size, char *out);
/* returns the decoded size, or (size_t)-1 on malformed input */
size_t mk_base64_decode(const char *in, size_t size, uint8_t *out);
size_t mk_hex_encode(const uint8_t *in, size_t size, char *out);
size_t mk_hex_decode(const char *in, size_t size, uint8_t *out);
/* run-length encoding: (count, byte) pairs; out needs 2*size bytes at most */
size_t mk_rle_encode(const uint8_t *in, size_t size, uint8_t *out);
size_t mk_rle_decoded_size(const uint8_t *in, size_t size);
size_t mk_rle_decode(const uint8_t *in, size_t size, uint8_t *out);
/* a small LZ77 variant: literals and (distance, length) back references */
size_t mk_lz_bound(size_t size);
size_t mk_lz_compress(const uint8_t *in, size_t size, uint8_t *out);
size_t mk_lz_decompressed_size(const uint8_t *in, size_t size);
size_t mk_lz_decompress(const uint8_t *in, size_t size, uint8_t *out, size_t capacity);

/* ---- text.c ---- */
/* returns the number of code points, or -1 if `data` is not valid UTF-8 */
long mk_utf8_length(const uint8_t *data, size_t size);
size_t mk_levenshtein(const uint8_t *a, size_t na, const uint8_t *b, size_t nb);
size_t mk_lcs_length(const uint8_t *a, size_t na, const uint8_t *b, size_t nb);
/* Knuth-Morris-Pratt: every start offset of needle in haystack, up to max_hits */
size_t mk_find_all(const uint8_t *hay, size_t nh, const uint8_t *needle, size_t nn, size_t *hits, size_t max_hits);
size_t mk_word_count(const uint8_t *data, size_t size);
void mk_ascii_lower(uint8_t *data, size_t size);
int mk_is_palindrome(const uint8_t *data, size_t size);
int mk_glob_match(const char *pattern, size_t np, const char *text, size_t nt);

/* ---- numeric.c ---- */
void mk_sort_quick(int64_t *values, size_t count);
void mk_sort_merge(int64_t *values, size_t count, int64_t *scratch);
void mk_sort_heap(int64_t *values, size_t count);
void mk_sort_radix(int64_t *values, size_t count, int64_t *scratch);
int64_t mk_select_kth(int64_t *values, size_t count, size_t k);
double mk_mean(const double *values, size_t count);
double mk_variance(const double *values, size_t count);
size_t mk_primes_below(uint32_t limit, uint32_t *out, size_t capacity);
int mk_is_prime(uint64_t n);
uint64_t mk_gcd(uint64_t a, uint64_t b);
uint64_t mk_pow_mod(uint64_t base, uint64_t exponent, uint64_t modulus);
void mk_matmul(const double *a, const double *b, double *c, size_t n, size_t m, size_t p);
/* in-place radix-2 FFT; count must be a power of two */
int mk_fft(double *re, double *im, size_t count, int inverse);
double mk_horner(const double *coefficients, size_t count, double x);
double mk_integrate_simpson(const double *coefficients, size_t count, double a, double b, size_t steps);

/* ---- structures.c ---- */
typedef struct mk_intmap mk_intmap;
mk_intmap *mk_intmap_new(size_t capacity);
void mk_intmap_free(mk_intmap *map);
int mk_intmap_put(mk_intmap *map, int64_t key, int64_t value);
int mk_intmap_get(const mk_intmap *map, int64_t key, int64_t *value);
int mk_intmap_remove(mk_intmap *map, int64_t key);
size_t mk_intmap_size(const mk_intmap *map);

typedef struct mk_bloom mk_bloom;
mk_bloom *mk_bloom_new(size_t bits, unsigned hashes);
void mk_bloom_free(mk_bloom *bloom);
void mk_bloom_add(mk_bloom *bloom, const uint8_t *data, size_t size);
int mk_bloom_contains(const mk_bloom *bloom, const uint8_t *data, size_t size);

typedef struct mk_heap mk_heap;
mk_heap *mk_heap_new(void);
void mk_heap_free(mk_heap *heap);
int mk_heap_push(mk_heap *heap, int64_t value);
int mk_heap_pop(mk_heap *heap, int64_t *value);
size_t mk_heap_size(const mk_heap *heap);

typedef struct mk_ring mk_ring;
mk_ring *mk_ring_new(size_t capacity);
void mk_ring_free(mk_ring *ring);
int mk_ring_push(mk_ring *ring, int64_t value);
int mk_ring_shift(mk_ring *ring, int64_t *value);
size_t mk_ring_size(const mk_ring *ring);

/* union-find over 0..n-1 */
typedef struct mk_dsu mk_dsu;
mk_dsu *mk_dsu_new(size_t n);
void mk_dsu_free(mk_dsu *dsu);
size_t mk_dsu_find(mk_dsu *dsu, size_t x);
int mk_dsu_union(mk_dsu *dsu, size_t a, size_t b);
size_t mk_dsu_components(const mk_dsu *dsu);
size_t mk_dsu_size(const mk_dsu *dsu);

#endif
