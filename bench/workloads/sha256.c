/*
 * sha256: hashing. A plain FIPS 180-4 SHA-256, checked against the standard test vectors,
 * then a chain of hashes over a 4 KiB buffer (rotates, shifts, adds and byte loads/stores).
 * Self-check: known digests of "", "abc", the 448-bit message and an incremental update that
 * must equal the one-shot digest of the same bytes.
 */
#include "workload.h"

typedef struct {
    uint32_t h[8];
    uint64_t len;
    uint8_t buf[64];
    uint32_t used;
} sha256_ctx;

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void sha256_block(uint32_t h[8], const uint8_t *p)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
               (uint32_t)p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d;
    h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

static void sha256_init(sha256_ctx *c)
{
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->h, iv, sizeof iv);
    c->len = 0;
    c->used = 0;
}

static void sha256_update(sha256_ctx *c, const uint8_t *p, size_t n)
{
    c->len += n;
    while (n > 0) {
        if (c->used == 0 && n >= 64) {
            sha256_block(c->h, p);
            p += 64;
            n -= 64;
            continue;
        }
        size_t take = 64 - c->used;
        if (take > n)
            take = n;
        memcpy(c->buf + c->used, p, take);
        c->used += (uint32_t)take;
        p += take;
        n -= take;
        if (c->used == 64) {
            sha256_block(c->h, c->buf);
            c->used = 0;
        }
    }
}

static void sha256_final(sha256_ctx *c, uint8_t out[32])
{
    uint64_t bits = c->len * 8;
    uint8_t pad = 0x80;
    sha256_update(c, &pad, 1);
    uint8_t zero = 0;
    while (c->used != 56)
        sha256_update(c, &zero, 1);
    uint8_t lenbe[8];
    for (int i = 0; i < 8; i++)
        lenbe[i] = (uint8_t)(bits >> (56 - 8 * i));
    sha256_update(c, lenbe, 8);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(c->h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
        out[4 * i + 3] = (uint8_t)c->h[i];
    }
}

static void hex(const uint8_t *d, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = '\0';
}

static int check_vector(const char *msg, const char *want)
{
    sha256_ctx c;
    uint8_t d[32];
    char got[65];
    sha256_init(&c);
    sha256_update(&c, (const uint8_t *)msg, strlen(msg));
    sha256_final(&c, d);
    hex(d, 32, got);
    int ok = strcmp(got, want) == 0;
    printf("sha256(\"%.20s%s\") %s\n", msg, strlen(msg) > 20 ? "..." : "", ok ? "ok" : "WRONG");
    return ok;
}

int main(int argc, char **argv)
{
    uint32_t size = workload_size(argc, argv);
    int ok = 1;
    ok &= check_vector("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    ok &= check_vector("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ok &= check_vector("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");

    enum { BUF = 4096 };
    static uint8_t buf[BUF];
    rng_t r = {0x5eed5eed12345678ULL};
    for (int i = 0; i < BUF; i++)
        buf[i] = (uint8_t)(rng_next(&r) >> 56);

    /* Incremental updates in odd-sized pieces must give the one-shot digest. */
    uint8_t one[32], inc[32];
    sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, buf, BUF);
    sha256_final(&c, one);
    sha256_init(&c);
    for (size_t off = 0, step = 1; off < BUF; off += step, step = step * 3 % 97 + 1)
        sha256_update(&c, buf + off, off + step > BUF ? BUF - off : step);
    sha256_final(&c, inc);
    int inc_ok = memcmp(one, inc, 32) == 0;
    printf("incremental %s\n", inc_ok ? "ok" : "WRONG");
    ok &= inc_ok;

    /* The work: a hash chain, each digest folded back into the buffer. */
    uint8_t d[32] = {0};
    uint32_t rounds = 2000 * size;
    for (uint32_t i = 0; i < rounds; i++) {
        memcpy(buf + (i * 32) % BUF, d, 32);
        sha256_init(&c);
        sha256_update(&c, buf, BUF);
        sha256_final(&c, d);
    }
    char dh[65];
    hex(d, 32, dh);
    printf("chain %" PRIu32 " x %d bytes: %s\n", rounds, BUF, dh);

    checksum_t ck;
    checksum_init(&ck);
    checksum_bytes(&ck, d, 32);
    return workload_finish("sha256", ok, &ck);
}
