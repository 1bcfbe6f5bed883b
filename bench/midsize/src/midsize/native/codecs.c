/* Codecs: base64 (RFC 4648), hex, run-length encoding, and a small LZ77 compressor. */
#include <string.h>

#include "mk.h"

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t mk_base64_encoded_size(size_t size) { return 4 * ((size + 2) / 3); }

size_t mk_base64_encode(const uint8_t *in, size_t size, char *out) {
    size_t o = 0, i = 0;
    for (; i + 3 <= size; i += 3) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
        out[o++] = B64[(v >> 18) & 63];
        out[o++] = B64[(v >> 12) & 63];
        out[o++] = B64[(v >> 6) & 63];
        out[o++] = B64[v & 63];
    }
    if (size - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = B64[(v >> 18) & 63];
        out[o++] = B64[(v >> 12) & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (size - i == 2) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8);
        out[o++] = B64[(v >> 18) & 63];
        out[o++] = B64[(v >> 12) & 63];
        out[o++] = B64[(v >> 6) & 63];
        out[o++] = '=';
    }
    return o;
}

static int b64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

size_t mk_base64_decode(const char *in, size_t size, uint8_t *out) {
    if (size % 4 != 0) {
        return (size_t)-1;
    }
    size_t o = 0;
    for (size_t i = 0; i < size; i += 4) {
        int v[4];
        int pad = 0;
        for (int j = 0; j < 4; j++) {
            if (in[i + j] == '=' && i + 4 == size && j >= 2) {
                v[j] = 0;
                pad++;
            } else if (pad) {
                return (size_t)-1; /* data after padding */
            } else if ((v[j] = b64_value(in[i + j])) < 0) {
                return (size_t)-1;
            }
        }
        uint32_t word = ((uint32_t)v[0] << 18) | ((uint32_t)v[1] << 12) | ((uint32_t)v[2] << 6) | (uint32_t)v[3];
        out[o++] = (uint8_t)(word >> 16);
        if (pad < 2) out[o++] = (uint8_t)(word >> 8);
        if (pad < 1) out[o++] = (uint8_t)word;
    }
    return o;
}

size_t mk_hex_encode(const uint8_t *in, size_t size, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < size; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    return 2 * size;
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

size_t mk_hex_decode(const char *in, size_t size, uint8_t *out) {
    if (size % 2 != 0) {
        return (size_t)-1;
    }
    for (size_t i = 0; i < size; i += 2) {
        int hi = hex_value(in[i]), lo = hex_value(in[i + 1]);
        if (hi < 0 || lo < 0) {
            return (size_t)-1;
        }
        out[i / 2] = (uint8_t)((hi << 4) | lo);
    }
    return size / 2;
}

size_t mk_rle_encode(const uint8_t *in, size_t size, uint8_t *out) {
    size_t o = 0;
    for (size_t i = 0; i < size;) {
        size_t run = 1;
        while (i + run < size && in[i + run] == in[i] && run < 255) {
            run++;
        }
        out[o++] = (uint8_t)run;
        out[o++] = in[i];
        i += run;
    }
    return o;
}

size_t mk_rle_decoded_size(const uint8_t *in, size_t size) {
    if (size % 2 != 0) {
        return (size_t)-1;
    }
    size_t total = 0;
    for (size_t i = 0; i < size; i += 2) {
        if (in[i] == 0) {
            return (size_t)-1;
        }
        total += in[i];
    }
    return total;
}

size_t mk_rle_decode(const uint8_t *in, size_t size, uint8_t *out) {
    size_t o = 0;
    for (size_t i = 0; i + 1 < size; i += 2) {
        memset(out + o, in[i + 1], in[i]);
        o += in[i];
    }
    return o;
}

/* LZ format: a 4-byte little-endian decompressed size, then tokens. A token byte t:
 *   t < 128: t + 1 literal bytes follow;
 *   t >= 128: a match of length (t - 128) + MIN_MATCH, with a 2-byte little-endian distance. */
#define LZ_MIN_MATCH 4
#define LZ_MAX_MATCH (127 + LZ_MIN_MATCH)
#define LZ_WINDOW 65535
#define LZ_HASH_BITS 14

size_t mk_lz_bound(size_t size) { return 4 + size + size / 128 + 1; }

static uint32_t lz_hash(const uint8_t *p) {
    uint32_t v = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
    return (v * 2654435761u) >> (32 - LZ_HASH_BITS);
}

static size_t lz_flush_literals(const uint8_t *start, size_t count, uint8_t *out) {
    size_t o = 0;
    while (count > 0) {
        size_t chunk = count > 128 ? 128 : count;
        out[o++] = (uint8_t)(chunk - 1);
        memcpy(out + o, start, chunk);
        o += chunk;
        start += chunk;
        count -= chunk;
    }
    return o;
}

size_t mk_lz_compress(const uint8_t *in, size_t size, uint8_t *out) {
    static size_t table[1 << LZ_HASH_BITS];
    for (size_t i = 0; i < (1u << LZ_HASH_BITS); i++) {
        table[i] = (size_t)-1;
    }
    size_t o = 0;
    out[o++] = (uint8_t)size;
    out[o++] = (uint8_t)(size >> 8);
    out[o++] = (uint8_t)(size >> 16);
    out[o++] = (uint8_t)(size >> 24);
    size_t literal_start = 0, i = 0;
    while (i + LZ_MIN_MATCH <= size) {
        uint32_t h = lz_hash(in + i);
        size_t candidate = table[h];
        table[h] = i;
        if (candidate != (size_t)-1 && i - candidate <= LZ_WINDOW && memcmp(in + candidate, in + i, LZ_MIN_MATCH) == 0) {
            size_t length = LZ_MIN_MATCH;
            while (i + length < size && length < LZ_MAX_MATCH && in[candidate + length] == in[i + length]) {
                length++;
            }
            o += lz_flush_literals(in + literal_start, i - literal_start, out + o);
            size_t distance = i - candidate;
            out[o++] = (uint8_t)(128 + length - LZ_MIN_MATCH);
            out[o++] = (uint8_t)distance;
            out[o++] = (uint8_t)(distance >> 8);
            i += length;
            literal_start = i;
        } else {
            i++;
        }
    }
    o += lz_flush_literals(in + literal_start, size - literal_start, out + o);
    return o;
}

size_t mk_lz_decompressed_size(const uint8_t *in, size_t size) {
    if (size < 4) {
        return (size_t)-1;
    }
    return (size_t)in[0] | ((size_t)in[1] << 8) | ((size_t)in[2] << 16) | ((size_t)in[3] << 24);
}

size_t mk_lz_decompress(const uint8_t *in, size_t size, uint8_t *out, size_t capacity) {
    size_t i = 4, o = 0;
    while (i < size) {
        uint8_t token = in[i++];
        if (token < 128) {
            size_t count = (size_t)token + 1;
            if (i + count > size || o + count > capacity) {
                return (size_t)-1;
            }
            memcpy(out + o, in + i, count);
            i += count;
            o += count;
        } else {
            if (i + 2 > size) {
                return (size_t)-1;
            }
            size_t length = (size_t)(token - 128) + LZ_MIN_MATCH;
            size_t distance = (size_t)in[i] | ((size_t)in[i + 1] << 8);
            i += 2;
            if (distance == 0 || distance > o || o + length > capacity) {
                return (size_t)-1;
            }
            for (size_t k = 0; k < length; k++) { /* byte by byte: matches may overlap */
                out[o + k] = out[o - distance + k];
            }
            o += length;
        }
    }
    return o;
}
