/* Data structures: an open-addressing int map, a Bloom filter, a binary heap, a ring buffer, union-find. */
#include <stdlib.h>
#include <string.h>

#include "mk.h"

/* ---- int map: linear probing with tombstones, grows at 70% load ---- */
enum { SLOT_EMPTY = 0, SLOT_FULL = 1, SLOT_DELETED = 2 };

struct mk_intmap {
    int64_t *keys;
    int64_t *values;
    uint8_t *state;
    size_t capacity; /* a power of two */
    size_t size;
    size_t used; /* full + deleted */
};

static size_t mix64(int64_t key) {
    uint64_t x = (uint64_t)key;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return (size_t)x;
}

static int intmap_alloc(mk_intmap *map, size_t capacity) {
    map->keys = calloc(capacity, sizeof(int64_t));
    map->values = calloc(capacity, sizeof(int64_t));
    map->state = calloc(capacity, 1);
    if (!map->keys || !map->values || !map->state) {
        free(map->keys);
        free(map->values);
        free(map->state);
        return -1;
    }
    map->capacity = capacity;
    map->size = 0;
    map->used = 0;
    return 0;
}

mk_intmap *mk_intmap_new(size_t capacity) {
    size_t c = 8;
    while (c < capacity * 2) c <<= 1;
    mk_intmap *map = malloc(sizeof(mk_intmap));
    if (map == NULL) return NULL;
    if (intmap_alloc(map, c) < 0) {
        free(map);
        return NULL;
    }
    return map;
}

void mk_intmap_free(mk_intmap *map) {
    if (map == NULL) return;
    free(map->keys);
    free(map->values);
    free(map->state);
    free(map);
}

static size_t intmap_find(const mk_intmap *map, int64_t key, int *found) {
    size_t mask = map->capacity - 1, i = mix64(key) & mask, tombstone = (size_t)-1;
    for (;;) {
        if (map->state[i] == SLOT_EMPTY) {
            *found = 0;
            return tombstone != (size_t)-1 ? tombstone : i;
        }
        if (map->state[i] == SLOT_DELETED) {
            if (tombstone == (size_t)-1) tombstone = i;
        } else if (map->keys[i] == key) {
            *found = 1;
            return i;
        }
        i = (i + 1) & mask;
    }
}

static int intmap_grow(mk_intmap *map) {
    mk_intmap old = *map;
    if (intmap_alloc(map, old.capacity * 2) < 0) {
        *map = old;
        return -1;
    }
    for (size_t i = 0; i < old.capacity; i++) {
        if (old.state[i] == SLOT_FULL) mk_intmap_put(map, old.keys[i], old.values[i]);
    }
    free(old.keys);
    free(old.values);
    free(old.state);
    return 0;
}

int mk_intmap_put(mk_intmap *map, int64_t key, int64_t value) {
    if ((map->used + 1) * 10 > map->capacity * 7 && intmap_grow(map) < 0) return -1;
    int found;
    size_t i = intmap_find(map, key, &found);
    if (!found) {
        if (map->state[i] == SLOT_EMPTY) map->used++;
        map->state[i] = SLOT_FULL;
        map->keys[i] = key;
        map->size++;
    }
    map->values[i] = value;
    return found;
}

int mk_intmap_get(const mk_intmap *map, int64_t key, int64_t *value) {
    int found;
    size_t i = intmap_find(map, key, &found);
    if (found) *value = map->values[i];
    return found;
}

int mk_intmap_remove(mk_intmap *map, int64_t key) {
    int found;
    size_t i = intmap_find(map, key, &found);
    if (found) {
        map->state[i] = SLOT_DELETED;
        map->size--;
    }
    return found;
}

size_t mk_intmap_size(const mk_intmap *map) { return map->size; }

/* ---- Bloom filter: k positions from double hashing of two FNV/murmur-style hashes ---- */
struct mk_bloom {
    uint8_t *bits;
    size_t nbits;
    unsigned hashes;
};

mk_bloom *mk_bloom_new(size_t nbits, unsigned hashes) {
    if (nbits == 0 || hashes == 0) return NULL;
    mk_bloom *bloom = malloc(sizeof(mk_bloom));
    if (bloom == NULL) return NULL;
    bloom->bits = calloc((nbits + 7) / 8, 1);
    if (bloom->bits == NULL) {
        free(bloom);
        return NULL;
    }
    bloom->nbits = nbits;
    bloom->hashes = hashes;
    return bloom;
}

void mk_bloom_free(mk_bloom *bloom) {
    if (bloom == NULL) return;
    free(bloom->bits);
    free(bloom);
}

static void bloom_hashes(const uint8_t *data, size_t size, uint64_t *h1, uint64_t *h2) {
    *h1 = mk_fnv1a64(data, size);
    *h2 = ((uint64_t)mk_murmur3_32(data, size, 0x9747b28c) << 1) | 1; /* odd: visits every slot */
}

void mk_bloom_add(mk_bloom *bloom, const uint8_t *data, size_t size) {
    uint64_t h1, h2;
    bloom_hashes(data, size, &h1, &h2);
    for (unsigned k = 0; k < bloom->hashes; k++) {
        size_t bit = (size_t)((h1 + k * h2) % bloom->nbits);
        bloom->bits[bit / 8] |= (uint8_t)(1u << (bit % 8));
    }
}

int mk_bloom_contains(const mk_bloom *bloom, const uint8_t *data, size_t size) {
    uint64_t h1, h2;
    bloom_hashes(data, size, &h1, &h2);
    for (unsigned k = 0; k < bloom->hashes; k++) {
        size_t bit = (size_t)((h1 + k * h2) % bloom->nbits);
        if (!(bloom->bits[bit / 8] & (1u << (bit % 8)))) return 0;
    }
    return 1;
}

/* ---- binary min-heap ---- */
struct mk_heap {
    int64_t *items;
    size_t size;
    size_t capacity;
};

mk_heap *mk_heap_new(void) { return calloc(1, sizeof(mk_heap)); }

void mk_heap_free(mk_heap *heap) {
    if (heap == NULL) return;
    free(heap->items);
    free(heap);
}

int mk_heap_push(mk_heap *heap, int64_t value) {
    if (heap->size == heap->capacity) {
        size_t capacity = heap->capacity ? heap->capacity * 2 : 16;
        int64_t *items = realloc(heap->items, capacity * sizeof(int64_t));
        if (items == NULL) return -1;
        heap->items = items;
        heap->capacity = capacity;
    }
    size_t i = heap->size++;
    while (i > 0 && heap->items[(i - 1) / 2] > value) {
        heap->items[i] = heap->items[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    heap->items[i] = value;
    return 0;
}

int mk_heap_pop(mk_heap *heap, int64_t *value) {
    if (heap->size == 0) return 0;
    *value = heap->items[0];
    int64_t last = heap->items[--heap->size];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= heap->size) break;
        if (child + 1 < heap->size && heap->items[child + 1] < heap->items[child]) child++;
        if (last <= heap->items[child]) break;
        heap->items[i] = heap->items[child];
        i = child;
    }
    if (heap->size > 0) heap->items[i] = last;
    return 1;
}

size_t mk_heap_size(const mk_heap *heap) { return heap->size; }

/* ---- ring buffer of fixed capacity ---- */
struct mk_ring {
    int64_t *items;
    size_t capacity;
    size_t head;
    size_t size;
};

mk_ring *mk_ring_new(size_t capacity) {
    if (capacity == 0) return NULL;
    mk_ring *ring = malloc(sizeof(mk_ring));
    if (ring == NULL) return NULL;
    ring->items = malloc(capacity * sizeof(int64_t));
    if (ring->items == NULL) {
        free(ring);
        return NULL;
    }
    ring->capacity = capacity;
    ring->head = 0;
    ring->size = 0;
    return ring;
}

void mk_ring_free(mk_ring *ring) {
    if (ring == NULL) return;
    free(ring->items);
    free(ring);
}

int mk_ring_push(mk_ring *ring, int64_t value) {
    if (ring->size == ring->capacity) return 0;
    ring->items[(ring->head + ring->size++) % ring->capacity] = value;
    return 1;
}

int mk_ring_shift(mk_ring *ring, int64_t *value) {
    if (ring->size == 0) return 0;
    *value = ring->items[ring->head];
    ring->head = (ring->head + 1) % ring->capacity;
    ring->size--;
    return 1;
}

size_t mk_ring_size(const mk_ring *ring) { return ring->size; }

/* ---- union-find with path halving and union by size ---- */
struct mk_dsu {
    size_t *parent;
    size_t *size;
    size_t n;
    size_t components;
};

mk_dsu *mk_dsu_new(size_t n) {
    mk_dsu *dsu = malloc(sizeof(mk_dsu));
    if (dsu == NULL) return NULL;
    dsu->parent = malloc(n * sizeof(size_t));
    dsu->size = malloc(n * sizeof(size_t));
    if ((n && dsu->parent == NULL) || (n && dsu->size == NULL)) {
        free(dsu->parent);
        free(dsu->size);
        free(dsu);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        dsu->parent[i] = i;
        dsu->size[i] = 1;
    }
    dsu->n = n;
    dsu->components = n;
    return dsu;
}

void mk_dsu_free(mk_dsu *dsu) {
    if (dsu == NULL) return;
    free(dsu->parent);
    free(dsu->size);
    free(dsu);
}

size_t mk_dsu_find(mk_dsu *dsu, size_t x) {
    while (dsu->parent[x] != x) {
        dsu->parent[x] = dsu->parent[dsu->parent[x]];
        x = dsu->parent[x];
    }
    return x;
}

int mk_dsu_union(mk_dsu *dsu, size_t a, size_t b) {
    a = mk_dsu_find(dsu, a);
    b = mk_dsu_find(dsu, b);
    if (a == b) return 0;
    if (dsu->size[a] < dsu->size[b]) {
        size_t t = a;
        a = b;
        b = t;
    }
    dsu->parent[b] = a;
    dsu->size[a] += dsu->size[b];
    dsu->components--;
    return 1;
}

size_t mk_dsu_components(const mk_dsu *dsu) { return dsu->components; }

size_t mk_dsu_size(const mk_dsu *dsu) { return dsu->n; }
