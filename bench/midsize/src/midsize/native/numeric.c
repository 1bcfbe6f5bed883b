/* Numerics: four sorts, selection, statistics, primes, modular arithmetic, matrices, FFT, polynomials. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mk.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static void swap64(int64_t *a, int64_t *b) {
    int64_t t = *a;
    *a = *b;
    *b = t;
}

static void insertion_sort(int64_t *v, size_t n) {
    for (size_t i = 1; i < n; i++) {
        int64_t x = v[i];
        size_t j = i;
        while (j > 0 && v[j - 1] > x) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

static size_t median_of_three(int64_t *v, size_t a, size_t b, size_t c) {
    if (v[a] < v[b]) {
        if (v[b] < v[c]) return b;
        return v[a] < v[c] ? c : a;
    }
    if (v[a] < v[c]) return a;
    return v[b] < v[c] ? c : b;
}

/* three-way partition around a median-of-three pivot; recurse on the smaller side */
void mk_sort_quick(int64_t *v, size_t n) {
    while (n > 16) {
        size_t m = median_of_three(v, 0, n / 2, n - 1);
        int64_t pivot = v[m];
        size_t lt = 0, i = 0, gt = n;
        while (i < gt) {
            if (v[i] < pivot) {
                swap64(&v[lt++], &v[i++]);
            } else if (v[i] > pivot) {
                swap64(&v[i], &v[--gt]);
            } else {
                i++;
            }
        }
        if (lt < n - gt) {
            mk_sort_quick(v, lt);
            v += gt;
            n -= gt;
        } else {
            mk_sort_quick(v + gt, n - gt);
            n = lt;
        }
    }
    insertion_sort(v, n);
}

void mk_sort_merge(int64_t *v, size_t n, int64_t *scratch) {
    /* bottom-up: runs of 16 by insertion sort, then pairwise merges ping-ponging with scratch */
    for (size_t i = 0; i < n; i += 16) {
        insertion_sort(v + i, n - i < 16 ? n - i : 16);
    }
    int64_t *from = v, *to = scratch;
    for (size_t width = 16; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t a = lo, b = mid, o = lo;
            while (a < mid && b < hi) {
                to[o++] = from[b] < from[a] ? from[b++] : from[a++];
            }
            while (a < mid) to[o++] = from[a++];
            while (b < hi) to[o++] = from[b++];
        }
        int64_t *t = from;
        from = to;
        to = t;
    }
    if (from != v) {
        memcpy(v, from, n * sizeof(int64_t));
    }
}

static void sift_down(int64_t *v, size_t start, size_t n) {
    size_t root = start;
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n) return;
        if (child + 1 < n && v[child] < v[child + 1]) child++;
        if (v[root] >= v[child]) return;
        swap64(&v[root], &v[child]);
        root = child;
    }
}

void mk_sort_heap(int64_t *v, size_t n) {
    if (n < 2) return;
    for (size_t i = n / 2; i-- > 0;) {
        sift_down(v, i, n);
    }
    for (size_t end = n - 1; end > 0; end--) {
        swap64(&v[0], &v[end]);
        sift_down(v, 0, end);
    }
}

/* LSD radix sort on 8-bit digits; flipping the sign bit orders negatives first */
void mk_sort_radix(int64_t *v, size_t n, int64_t *scratch) {
    uint64_t *src = (uint64_t *)v, *dst = (uint64_t *)scratch;
    for (size_t i = 0; i < n; i++) src[i] ^= 0x8000000000000000ULL;
    for (unsigned shift = 0; shift < 64; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < n; i++) count[((src[i] >> shift) & 0xFF) + 1]++;
        for (int d = 0; d < 256; d++) count[d + 1] += count[d];
        for (size_t i = 0; i < n; i++) dst[count[(src[i] >> shift) & 0xFF]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    /* eight passes: the data is back in v */
    for (size_t i = 0; i < n; i++) src[i] ^= 0x8000000000000000ULL;
}

/* quickselect (Hoare partition); reorders `v` */
int64_t mk_select_kth(int64_t *v, size_t n, size_t k) {
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        int64_t pivot = v[median_of_three(v, lo, lo + (hi - lo) / 2, hi)];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot) i++;
            while (v[j] > pivot) j--;
            if (i <= j) {
                swap64(&v[i], &v[j]);
                i++;
                if (j == 0) break;
                j--;
            }
        }
        if (k <= j) {
            hi = j;
        } else if (k >= i) {
            lo = i;
        } else {
            return v[k];
        }
    }
    return v[k];
}

double mk_mean(const double *v, size_t n) {
    /* Kahan summation */
    double sum = 0.0, c = 0.0;
    for (size_t i = 0; i < n; i++) {
        double y = v[i] - c;
        double t = sum + y;
        c = (t - sum) - y;
        sum = t;
    }
    return n ? sum / (double)n : NAN;
}

double mk_variance(const double *v, size_t n) {
    /* Welford's online algorithm, sample variance */
    double mean = 0.0, m2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        double delta = v[i] - mean;
        mean += delta / (double)(i + 1);
        m2 += delta * (v[i] - mean);
    }
    return n > 1 ? m2 / (double)(n - 1) : NAN;
}

size_t mk_primes_below(uint32_t limit, uint32_t *out, size_t capacity) {
    if (limit < 3) return 0;
    /* odd-only sieve of Eratosthenes: bit i stands for 2i+1 */
    size_t bits = limit / 2;
    uint8_t *composite = calloc((bits + 7) / 8, 1);
    if (composite == NULL) return 0;
    size_t found = 0;
    if (capacity > 0) out[found] = 2;
    found++;
    for (size_t i = 1; i < bits; i++) {
        if (composite[i / 8] & (1u << (i % 8))) continue;
        uint64_t p = 2 * i + 1;
        if (found < capacity) out[found] = (uint32_t)p;
        found++;
        for (uint64_t m = p * p; m < limit; m += 2 * p) {
            composite[(m / 2) / 8] |= (uint8_t)(1u << ((m / 2) % 8));
        }
    }
    free(composite);
    return found;
}

static uint64_t mul_mod(uint64_t a, uint64_t b, uint64_t m) {
    /* double-and-add keeps every intermediate below 2m, with no 128-bit type needed */
    uint64_t result = 0;
    a %= m;
    while (b) {
        if (b & 1) {
            result = (result >= m - a) ? result - (m - a) : result + a;
        }
        a = (a >= m - a) ? a - (m - a) : a + a;
        b >>= 1;
    }
    return result;
}

uint64_t mk_pow_mod(uint64_t base, uint64_t exponent, uint64_t modulus) {
    if (modulus == 1) return 0;
    uint64_t result = 1;
    base %= modulus;
    while (exponent) {
        if (exponent & 1) result = mul_mod(result, base, modulus);
        base = mul_mod(base, base, modulus);
        exponent >>= 1;
    }
    return result;
}

uint64_t mk_gcd(uint64_t a, uint64_t b) {
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* deterministic Miller-Rabin for 64-bit integers */
int mk_is_prime(uint64_t n) {
    static const uint64_t small[] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37};
    if (n < 2) return 0;
    for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
        if (n % small[i] == 0) return n == small[i];
    }
    uint64_t d = n - 1;
    unsigned r = 0;
    while ((d & 1) == 0) {
        d >>= 1;
        r++;
    }
    for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
        uint64_t x = mk_pow_mod(small[i], d, n);
        if (x == 1 || x == n - 1) continue;
        int witness = 1;
        for (unsigned k = 1; k < r; k++) {
            x = mul_mod(x, x, n);
            if (x == n - 1) {
                witness = 0;
                break;
            }
        }
        if (witness) return 0;
    }
    return 1;
}

/* c (n x p) = a (n x m) * b (m x p), row-major, i-k-j order for locality */
void mk_matmul(const double *a, const double *b, double *c, size_t n, size_t m, size_t p) {
    memset(c, 0, n * p * sizeof(double));
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < m; k++) {
            double aik = a[i * m + k];
            for (size_t j = 0; j < p; j++) {
                c[i * p + j] += aik * b[k * p + j];
            }
        }
    }
}

int mk_fft(double *re, double *im, size_t n, int inverse) {
    if (n == 0 || (n & (n - 1)) != 0) return -1;
    for (size_t i = 1, j = 0; i < n; i++) { /* bit-reversal permutation */
        size_t bit = n >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j ^= bit;
        if (i < j) {
            double t = re[i];
            re[i] = re[j];
            re[j] = t;
            t = im[i];
            im[i] = im[j];
            im[j] = t;
        }
    }
    for (size_t length = 2; length <= n; length <<= 1) {
        double angle = 2 * M_PI / (double)length * (inverse ? 1 : -1);
        double wr = cos(angle), wi = sin(angle);
        for (size_t i = 0; i < n; i += length) {
            double cr = 1.0, ci = 0.0;
            for (size_t k = 0; k < length / 2; k++) {
                size_t a = i + k, b = i + k + length / 2;
                double tr = re[b] * cr - im[b] * ci;
                double ti = re[b] * ci + im[b] * cr;
                re[b] = re[a] - tr;
                im[b] = im[a] - ti;
                re[a] += tr;
                im[a] += ti;
                double next = cr * wr - ci * wi;
                ci = cr * wi + ci * wr;
                cr = next;
            }
        }
    }
    if (inverse) {
        for (size_t i = 0; i < n; i++) {
            re[i] /= (double)n;
            im[i] /= (double)n;
        }
    }
    return 0;
}

double mk_horner(const double *coefficients, size_t count, double x) {
    /* coefficients from the highest power down */
    double result = 0.0;
    for (size_t i = 0; i < count; i++) {
        result = result * x + coefficients[i];
    }
    return result;
}

double mk_integrate_simpson(const double *coefficients, size_t count, double a, double b, size_t steps) {
    if (steps % 2) steps++;
    if (steps == 0) steps = 2;
    double h = (b - a) / (double)steps;
    double sum = mk_horner(coefficients, count, a) + mk_horner(coefficients, count, b);
    for (size_t i = 1; i < steps; i++) {
        sum += (i % 2 ? 4.0 : 2.0) * mk_horner(coefficients, count, a + h * (double)i);
    }
    return sum * h / 3.0;
}
