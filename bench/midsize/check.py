"""Checks every function of midsize against the standard library; prints one line if all hold."""

import base64
import binascii
import hashlib
import random
import sys
import zlib

import midsize as m

r = random.Random(7)
data = bytes(r.randrange(256) for _ in range(5000)) + b"abcabcabc" * 300
assert m.sha256(data) == hashlib.sha256(data).digest()
assert m.crc32(data) == zlib.crc32(data) and m.adler32(data) == zlib.adler32(data)
assert m.b64encode(data) == base64.b64encode(data) and m.b64decode(base64.b64encode(data)) == data
assert m.hexlify(data) == binascii.hexlify(data) and m.unhexlify(m.hexlify(data)) == data
assert m.rle_decode(m.rle_encode(data)) == data and m.lz_decompress(m.lz_compress(data)) == data
assert len(m.lz_compress(b"abc" * 1000)) < 100
assert m.utf8_length("héllo wörld €𝄞".encode()) == len("héllo wörld €𝄞")
for bad in (b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\xe2\x82"):
    try:
        m.utf8_length(bad)
        raise SystemExit(f"accepted {bad!r}")
    except ValueError:
        pass
assert m.levenshtein(b"kitten", b"sitting") == 3 and m.lcs_length(b"ABCBDAB", b"BDCABA") == 4
assert m.find_all(b"abababa", b"aba") == [0, 2, 4] and m.word_count(b" a bc  d\n") == 3
assert (
    m.glob_match("*.c", "module.c")
    and not m.glob_match("[!m]*", "module.c")
    and m.glob_match("mod?le.[a-c]", "module.c")
)
ints = [r.randrange(-(10**12), 10**12) for _ in range(3000)]
for algo in ("quick", "merge", "heap", "radix"):
    assert m.sort(ints, algo) == sorted(ints), algo
assert m.kth_smallest(ints, 1500) == sorted(ints)[1500]
assert (
    abs(m.mean([1.0, 2.0, 3.0, 4.0]) - 2.5) < 1e-12 and abs(m.variance([1.0, 2.0, 3.0, 4.0]) - 5 / 3) < 1e-12
)
primes = m.primes_below(10000)
assert len(primes) == 1229 and all(m.is_prime(p) for p in primes[:200]) and not m.is_prime(1000000007 * 3)
assert m.is_prime(18446744073709551557) and m.pow_mod(3, 10**18, 10**9 + 7) == pow(3, 10**18, 10**9 + 7)
assert m.gcd(2**40 * 3, 2**35 * 9) == 2**35 * 3
assert m.matmul([1.0, 2, 3, 4], [5.0, 6, 7, 8], 2, 2, 2) == [19.0, 22.0, 43.0, 50.0]
re, im = m.fft([1.0, 2, 3, 4, 0, 0, 0, 0], [0.0] * 8)
back, _ = m.fft(re, im, True)
assert all(abs(a - b) < 1e-9 for a, b in zip(back, [1.0, 2, 3, 4, 0, 0, 0, 0]))
assert m.horner([2.0, -3, 1], 5) == 36.0 and abs(m.integrate([3.0, 0, 0], 0, 2) - 8.0) < 1e-9
im_ = m.IntMap()
[im_.put(i, i * i) for i in range(1000)]
im_.remove(10)
assert len(im_) == 999 and im_.get(31) == 961 and im_.get(10) is None
bf = m.BloomFilter(1 << 16, 5)
[bf.add(str(i).encode()) for i in range(1000)]
assert (
    all(str(i).encode() in bf for i in range(1000))
    and sum(str(i).encode() in bf for i in range(1000, 3000)) < 40
)
h = m.MinHeap()
[h.push(v) for v in ints[:500]]
assert [h.pop() for _ in range(500)] == sorted(ints[:500])
rb = m.RingBuffer(3)
assert [rb.push(i) for i in range(4)] == [True, True, True, False] and rb.shift() == 0
d = m.DisjointSet(10)
d.union(1, 2)
d.union(2, 3)
assert d.components() == 8 and d.find(3) == d.find(1)
try:
    d.union(0, 10)
    raise SystemExit("no bounds check")
except IndexError:
    pass
print("midsize ok on", sys.platform, m._core.__file__.rsplit("_fatpack", 1)[-1])
