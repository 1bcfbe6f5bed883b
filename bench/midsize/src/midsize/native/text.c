/* Text algorithms on byte strings: UTF-8 validation, edit distance, LCS, KMP search, glob matching. */
#include <stdlib.h>
#include <string.h>

#include "mk.h"

long mk_utf8_length(const uint8_t *s, size_t size) {
    long count = 0;
    size_t i = 0;
    while (i < size) {
        uint8_t c = s[i];
        size_t need;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            count++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            need = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            need = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            need = 3;
            cp = c & 0x07;
        } else {
            return -1;
        }
        for (size_t k = 1; k <= need; k++) {
            if (i + k >= size || (s[i + k] & 0xC0) != 0x80) {
                return -1;
            }
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        /* overlong forms, surrogates and values past U+10FFFF are not UTF-8 */
        if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
            return -1;
        }
        i += need + 1;
        count++;
    }
    return count;
}

size_t mk_levenshtein(const uint8_t *a, size_t na, const uint8_t *b, size_t nb) {
    size_t *row = malloc((nb + 1) * sizeof(size_t));
    if (row == NULL) {
        return (size_t)-1;
    }
    for (size_t j = 0; j <= nb; j++) {
        row[j] = j;
    }
    for (size_t i = 1; i <= na; i++) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t above = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = diagonal + cost;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            if (above + 1 < best) best = above + 1;
            row[j] = best;
            diagonal = above;
        }
    }
    size_t result = row[nb];
    free(row);
    return result;
}

size_t mk_lcs_length(const uint8_t *a, size_t na, const uint8_t *b, size_t nb) {
    size_t *previous = calloc(nb + 1, sizeof(size_t));
    size_t *current = calloc(nb + 1, sizeof(size_t));
    if (previous == NULL || current == NULL) {
        free(previous);
        free(current);
        return (size_t)-1;
    }
    for (size_t i = 1; i <= na; i++) {
        for (size_t j = 1; j <= nb; j++) {
            if (a[i - 1] == b[j - 1]) {
                current[j] = previous[j - 1] + 1;
            } else {
                current[j] = previous[j] > current[j - 1] ? previous[j] : current[j - 1];
            }
        }
        size_t *swap = previous;
        previous = current;
        current = swap;
    }
    size_t result = previous[nb];
    free(previous);
    free(current);
    return result;
}

size_t mk_find_all(const uint8_t *hay, size_t nh, const uint8_t *needle, size_t nn, size_t *hits, size_t max_hits) {
    if (nn == 0 || nn > nh) {
        return 0;
    }
    size_t *failure = malloc(nn * sizeof(size_t));
    if (failure == NULL) {
        return 0;
    }
    failure[0] = 0;
    for (size_t i = 1, k = 0; i < nn; i++) {
        while (k > 0 && needle[i] != needle[k]) {
            k = failure[k - 1];
        }
        if (needle[i] == needle[k]) {
            k++;
        }
        failure[i] = k;
    }
    size_t found = 0;
    for (size_t i = 0, k = 0; i < nh; i++) {
        while (k > 0 && hay[i] != needle[k]) {
            k = failure[k - 1];
        }
        if (hay[i] == needle[k]) {
            k++;
        }
        if (k == nn) {
            if (found < max_hits) {
                hits[found] = i + 1 - nn;
            }
            found++;
            k = failure[k - 1];
        }
    }
    free(failure);
    return found;
}

static int is_space(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

size_t mk_word_count(const uint8_t *data, size_t size) {
    size_t words = 0;
    int inside = 0;
    for (size_t i = 0; i < size; i++) {
        if (is_space(data[i])) {
            inside = 0;
        } else if (!inside) {
            inside = 1;
            words++;
        }
    }
    return words;
}

void mk_ascii_lower(uint8_t *data, size_t size) {
    for (size_t i = 0; i < size; i++) {
        if (data[i] >= 'A' && data[i] <= 'Z') {
            data[i] = (uint8_t)(data[i] + 32);
        }
    }
}

int mk_is_palindrome(const uint8_t *data, size_t size) {
    for (size_t i = 0; i < size / 2; i++) {
        if (data[i] != data[size - 1 - i]) {
            return 0;
        }
    }
    return 1;
}

/* '*' matches any run, '?' any one byte, '[abc]' / '[a-z]' / '[!a]' a class; iterative with backtracking. */
static int class_match(const char *p, size_t np, size_t *pi, char c) {
    size_t i = *pi + 1;
    int negate = 0, matched = 0;
    if (i < np && p[i] == '!') {
        negate = 1;
        i++;
    }
    size_t first = i;
    while (i < np && (p[i] != ']' || i == first)) {
        if (i + 2 < np && p[i + 1] == '-' && p[i + 2] != ']') {
            if (c >= p[i] && c <= p[i + 2]) matched = 1;
            i += 3;
        } else {
            if (c == p[i]) matched = 1;
            i++;
        }
    }
    if (i >= np) {
        return -1; /* unterminated class: treat '[' literally */
    }
    *pi = i;
    return matched != negate;
}

int mk_glob_match(const char *p, size_t np, const char *t, size_t nt) {
    size_t pi = 0, ti = 0, star_p = (size_t)-1, star_t = 0;
    while (ti < nt) {
        if (pi < np && p[pi] == '*') {
            star_p = pi++;
            star_t = ti;
            continue;
        }
        if (pi < np) {
            int ok;
            size_t next = pi;
            if (p[pi] == '?') {
                ok = 1;
            } else if (p[pi] == '[') {
                ok = class_match(p, np, &next, t[ti]);
                if (ok < 0) {
                    ok = t[ti] == '[';
                    next = pi;
                }
            } else {
                ok = p[pi] == t[ti];
            }
            if (ok) {
                pi = next + 1;
                ti++;
                continue;
            }
        }
        if (star_p == (size_t)-1) {
            return 0;
        }
        pi = star_p + 1;
        ti = ++star_t;
    }
    while (pi < np && p[pi] == '*') {
        pi++;
    }
    return pi == np;
}
