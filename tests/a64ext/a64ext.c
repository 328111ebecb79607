/* AArch64 extensions through ACLE intrinsics and C11 atomics, as compilers emit them with
 * -march=armv8.1-a+crc+crypto: CRC32/CRC32C, AES, SHA-1, SHA-256, PMULL, LSE atomics (from
 * several threads), the SIGBUS of misaligned atomics, and the ID registers against AT_HWCAP.
 * One case per run (argv[1]); each prints results that depend only on its inputs, checks the
 * FIPS/CRC-catalogue vectors itself ("ok" or "MISMATCH"), and is compared byte for byte with
 * qemu-aarch64 by tests/a64_ext.rs. */
#include <arm_acle.h>
#include <arm_neon.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1dull;
}

static const char *verdict(int ok) { return ok ? "ok" : "MISMATCH"; }

static void print_bytes(const char *label, const uint8_t *p, size_t n) {
    printf("%s ", label);
    for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
    printf("\n");
}

/* ---- CRC32 ---- */

static int case_crc(void) {
    const char *check = "123456789";
    uint32_t a = ~0u, c = ~0u;
    for (const char *s = check; *s; s++) {
        a = __crc32b(a, (uint8_t)*s);
        c = __crc32cb(c, (uint8_t)*s);
    }
    printf("crc32 check %08x %s\n", ~a, verdict(~a == 0xcbf43926u));
    printf("crc32c check %08x %s\n", ~c, verdict(~c == 0xe3069283u));
    static uint8_t buf[1 << 16];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)rnd();
    /* The same buffer by bytes, halfwords, words and doublewords must agree. */
    for (int castagnoli = 0; castagnoli < 2; castagnoli++) {
        uint32_t r[4] = {~0u, ~0u, ~0u, ~0u};
        for (size_t i = 0; i < sizeof buf; i++)
            r[0] = castagnoli ? __crc32cb(r[0], buf[i]) : __crc32b(r[0], buf[i]);
        for (size_t i = 0; i < sizeof buf; i += 2) {
            uint16_t h;
            memcpy(&h, buf + i, 2);
            r[1] = castagnoli ? __crc32ch(r[1], h) : __crc32h(r[1], h);
        }
        for (size_t i = 0; i < sizeof buf; i += 4) {
            uint32_t w;
            memcpy(&w, buf + i, 4);
            r[2] = castagnoli ? __crc32cw(r[2], w) : __crc32w(r[2], w);
        }
        for (size_t i = 0; i < sizeof buf; i += 8) {
            uint64_t d;
            memcpy(&d, buf + i, 8);
            r[3] = castagnoli ? __crc32cd(r[3], d) : __crc32d(r[3], d);
        }
        int same = r[0] == r[1] && r[1] == r[2] && r[2] == r[3];
        printf("%s 64k %08x %08x %08x %08x %s\n", castagnoli ? "crc32c" : "crc32", ~r[0], ~r[1],
               ~r[2], ~r[3], verdict(same));
    }
    return 0;
}

/* ---- AES ---- */

static uint32_t sub_word(uint32_t w) {
    /* AESE with a zero key on four equal columns: ShiftRows moves nothing, SubBytes remains. */
    uint8x16_t v = vreinterpretq_u8_u32(vdupq_n_u32(w));
    return vgetq_lane_u32(vreinterpretq_u32_u8(vaeseq_u8(v, vdupq_n_u8(0))), 0);
}

static void aes128_expand(const uint8_t key[16], uint8x16_t rk[11]) {
    static const uint8_t rcon[10] = {1, 2, 4, 8, 16, 32, 64, 128, 0x1b, 0x36};
    uint32_t w[44];
    memcpy(w, key, 16);
    for (int i = 4; i < 44; i++) {
        uint32_t t = w[i - 1];
        if (i % 4 == 0) t = sub_word(t >> 8 | t << 24) ^ rcon[i / 4 - 1];
        w[i] = w[i - 4] ^ t;
    }
    for (int r = 0; r < 11; r++) rk[r] = vld1q_u8((const uint8_t *)&w[4 * r]);
}

static uint8x16_t aes128_encrypt(uint8x16_t s, const uint8x16_t rk[11]) {
    for (int r = 0; r < 9; r++) s = vaesmcq_u8(vaeseq_u8(s, rk[r]));
    return veorq_u8(vaeseq_u8(s, rk[9]), rk[10]);
}

static uint8x16_t aes128_decrypt(uint8x16_t s, const uint8x16_t rk[11]) {
    s = vaesdq_u8(s, rk[10]);
    for (int r = 9; r >= 1; r--) s = vaesdq_u8(vaesimcq_u8(s), vaesimcq_u8(rk[r]));
    return veorq_u8(s, rk[0]);
}

static int case_aes(void) {
    /* FIPS-197 appendix C.1 */
    uint8_t key[16], pt[16], out[16];
    static const uint8_t want[16] = {0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30,
                                     0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4, 0xc5, 0x5a};
    for (int i = 0; i < 16; i++) {
        key[i] = (uint8_t)i;
        pt[i] = (uint8_t)(i * 0x11);
    }
    uint8x16_t rk[11];
    aes128_expand(key, rk);
    vst1q_u8(out, aes128_encrypt(vld1q_u8(pt), rk));
    print_bytes("aes128 fips-197 c.1", out, 16);
    printf("aes128 fips-197 c.1 %s\n", verdict(memcmp(out, want, 16) == 0));
    vst1q_u8(out, aes128_decrypt(vld1q_u8(want), rk));
    printf("aes128 decrypt %s\n", verdict(memcmp(out, pt, 16) == 0));
    /* CBC over random keys and blocks; decryption must give the blocks back. */
    int roundtrip = 1;
    uint8x16_t chain = vdupq_n_u8(0);
    for (int k = 0; k < 64; k++) {
        for (int i = 0; i < 16; i++) key[i] = (uint8_t)rnd();
        aes128_expand(key, rk);
        for (int b = 0; b < 64; b++) {
            for (int i = 0; i < 16; i++) pt[i] = (uint8_t)rnd();
            uint8x16_t p = vld1q_u8(pt);
            uint8x16_t c = aes128_encrypt(veorq_u8(p, chain), rk);
            uint8x16_t back = veorq_u8(aes128_decrypt(c, rk), chain);
            vst1q_u8(out, back);
            roundtrip &= memcmp(out, pt, 16) == 0;
            chain = c;
        }
    }
    vst1q_u8(out, chain);
    print_bytes("aes128 cbc chain", out, 16);
    printf("aes128 cbc roundtrip %s\n", verdict(roundtrip));
    /* The single steps on random data. */
    uint8x16_t acc = vdupq_n_u8(0);
    for (int i = 0; i < 1000; i++) {
        uint8_t a[16], b[16];
        for (int j = 0; j < 16; j++) {
            a[j] = (uint8_t)rnd();
            b[j] = (uint8_t)rnd();
        }
        uint8x16_t x = vld1q_u8(a), y = vld1q_u8(b);
        acc = veorq_u8(acc, vaeseq_u8(x, y));
        acc = veorq_u8(acc, vextq_u8(vaesdq_u8(x, y), vaesdq_u8(x, y), 3));
        acc = veorq_u8(acc, vextq_u8(vaesmcq_u8(x), vaesmcq_u8(x), 7));
        acc = veorq_u8(acc, vextq_u8(vaesimcq_u8(y), vaesimcq_u8(y), 11));
        acc = vaeseq_u8(acc, x);
    }
    vst1q_u8(out, acc);
    print_bytes("aes steps", out, 16);
    return 0;
}

/* ---- SHA-1 and SHA-256 ---- */

static void sha256_blocks(uint32_t st[8], const uint8_t *p, size_t n) {
    static const uint32_t K[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2};
    uint32x4_t s0 = vld1q_u32(st), s1 = vld1q_u32(st + 4);
    for (; n; n--, p += 64) {
        uint32x4_t m[4];
        for (int i = 0; i < 4; i++) m[i] = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(p + 16 * i)));
        uint32x4_t a0 = s0, a1 = s1;
        for (int i = 0; i < 16; i++) {
            uint32x4_t wk = vaddq_u32(m[i % 4], vld1q_u32(K + 4 * i));
            uint32x4_t t = s0;
            s0 = vsha256hq_u32(s0, s1, wk);
            s1 = vsha256h2q_u32(s1, t, wk);
            if (i < 12)
                m[i % 4] = vsha256su1q_u32(vsha256su0q_u32(m[i % 4], m[(i + 1) % 4]),
                                           m[(i + 2) % 4], m[(i + 3) % 4]);
        }
        s0 = vaddq_u32(s0, a0);
        s1 = vaddq_u32(s1, a1);
    }
    vst1q_u32(st, s0);
    vst1q_u32(st + 4, s1);
}

static void sha1_blocks(uint32_t st[5], const uint8_t *p, size_t n) {
    static const uint32_t K[4] = {0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xca62c1d6};
    uint32x4_t abcd = vld1q_u32(st);
    uint32_t e = st[4];
    for (; n; n--, p += 64) {
        uint32x4_t m[4];
        for (int i = 0; i < 4; i++) m[i] = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(p + 16 * i)));
        uint32x4_t abcd0 = abcd;
        uint32_t e0 = e;
        for (int i = 0; i < 20; i++) {
            uint32x4_t wk = vaddq_u32(m[i % 4], vdupq_n_u32(K[i / 5]));
            uint32_t next = vsha1h_u32(vgetq_lane_u32(abcd, 0));
            if (i < 5)
                abcd = vsha1cq_u32(abcd, e, wk);
            else if (i < 10 || i >= 15)
                abcd = vsha1pq_u32(abcd, e, wk);
            else
                abcd = vsha1mq_u32(abcd, e, wk);
            e = next;
            if (i < 16)
                m[i % 4] = vsha1su1q_u32(vsha1su0q_u32(m[i % 4], m[(i + 1) % 4], m[(i + 2) % 4]),
                                         m[(i + 3) % 4]);
        }
        abcd = vaddq_u32(abcd, abcd0);
        e += e0;
    }
    vst1q_u32(st, abcd);
    st[4] = e;
}

/* Pads `msg` (FIPS 180-4 5.1.1) and hashes it with `blocks`; the digest words big-endian. */
static void sha_pad_hash(const uint8_t *msg, size_t len, uint32_t *st, int words,
                         void (*blocks)(uint32_t *, const uint8_t *, size_t), uint8_t *digest) {
    size_t full = len / 64;
    blocks(st, msg, full);
    uint8_t tail[128] = {0};
    size_t rest = len - 64 * full;
    memcpy(tail, msg + 64 * full, rest);
    tail[rest] = 0x80;
    size_t tl = rest + 9 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++) tail[tl - 1 - i] = (uint8_t)(bits >> (8 * i));
    blocks(st, tail, tl / 64);
    for (int i = 0; i < words; i++)
        for (int j = 0; j < 4; j++) digest[4 * i + j] = (uint8_t)(st[i] >> (24 - 8 * j));
}

static void sha256(const uint8_t *m, size_t n, uint8_t d[32]) {
    uint32_t st[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                      0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    sha_pad_hash(m, n, st, 8, sha256_blocks, d);
}

static void sha1(const uint8_t *m, size_t n, uint8_t d[20]) {
    uint32_t st[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
    sha_pad_hash(m, n, st, 5, sha1_blocks, d);
}

static int case_sha(void) {
    static const uint8_t abc256[32] = {
        0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
        0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    static const uint8_t abc1[20] = {0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81, 0x6a, 0xba, 0x3e,
                                     0x25, 0x71, 0x78, 0x50, 0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d};
    /* FIPS 180-4's two-block example message */
    static const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    static const uint8_t two256[32] = {
        0x24, 0x8d, 0x6a, 0x61, 0xd2, 0x06, 0x38, 0xb8, 0xe5, 0xc0, 0x26, 0x93, 0x0c, 0x3e, 0x60, 0x39,
        0xa3, 0x3c, 0xe4, 0x59, 0x64, 0xff, 0x21, 0x67, 0xf6, 0xec, 0xed, 0xd4, 0x19, 0xdb, 0x06, 0xc1};
    static const uint8_t two1[20] = {0x84, 0x98, 0x3e, 0x44, 0x1c, 0x3b, 0xd2, 0x6e, 0xba, 0xae,
                                     0x4a, 0xa1, 0xf9, 0x51, 0x29, 0xe5, 0xe5, 0x46, 0x70, 0xf1};
    uint8_t d[32];
    sha256((const uint8_t *)"abc", 3, d);
    print_bytes("sha256 abc", d, 32);
    printf("sha256 abc %s\n", verdict(memcmp(d, abc256, 32) == 0));
    sha256((const uint8_t *)two, strlen(two), d);
    printf("sha256 two-block %s\n", verdict(memcmp(d, two256, 32) == 0));
    sha1((const uint8_t *)"abc", 3, d);
    print_bytes("sha1 abc", d, 20);
    printf("sha1 abc %s\n", verdict(memcmp(d, abc1, 20) == 0));
    sha1((const uint8_t *)two, strlen(two), d);
    printf("sha1 two-block %s\n", verdict(memcmp(d, two1, 20) == 0));
    static uint8_t buf[100003];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)rnd();
    sha256(buf, sizeof buf, d);
    print_bytes("sha256 100003 random bytes", d, 32);
    sha1(buf, sizeof buf, d);
    print_bytes("sha1 100003 random bytes", d, 20);
    return 0;
}

/* ---- PMULL ---- */

static int case_pmull(void) {
    /* (x^63 + 1)(x^63 + x) = x^126 + x^64 + x^63 + x */
    poly128_t p = vmull_p64(0x8000000000000001ull, 0x8000000000000002ull);
    unsigned __int128 q = (unsigned __int128)p;
    unsigned __int128 want = (unsigned __int128)1 << 126 | (unsigned __int128)1 << 64 |
                             (unsigned __int128)1 << 63 | 2;
    printf("pmull x^63 %016llx%016llx %s\n", (unsigned long long)(q >> 64),
           (unsigned long long)q, verdict(q == want));
    unsigned __int128 acc = 0;
    uint16_t acc8[8] = {0};
    for (int i = 0; i < 5000; i++) {
        uint64_t a[2] = {rnd(), rnd()}, b[2] = {rnd(), rnd()};
        poly64x2_t va = vreinterpretq_p64_u64(vld1q_u64(a));
        poly64x2_t vb = vreinterpretq_p64_u64(vld1q_u64(b));
        acc ^= (unsigned __int128)vmull_p64(a[0], b[1]);
        acc = acc << 1 | acc >> 127;
        acc ^= (unsigned __int128)vmull_high_p64(va, vb);
        poly8x16_t x = vreinterpretq_p8_u64(vld1q_u64(a));
        poly8x16_t y = vreinterpretq_p8_u64(vld1q_u64(b));
        uint16x8_t lo = vreinterpretq_u16_p16(vmull_p8(vget_low_p8(x), vget_low_p8(y)));
        uint16x8_t hi = vreinterpretq_u16_p16(vmull_high_p8(x, y));
        uint16_t l[8], h[8];
        vst1q_u16(l, lo);
        vst1q_u16(h, hi);
        for (int j = 0; j < 8; j++) acc8[j] = (uint16_t)((acc8[j] << 3 | acc8[j] >> 13) ^ l[j] ^ h[7 - j]);
    }
    printf("pmull64 fold %016llx%016llx\n", (unsigned long long)(acc >> 64), (unsigned long long)acc);
    printf("pmull8 fold");
    for (int j = 0; j < 8; j++) printf(" %04x", acc8[j]);
    printf("\n");
    return 0;
}

/* ---- LSE atomics from several threads ---- */

#define THREADS 4
#define ITERS 20000

static _Atomic uint64_t add64;
static _Atomic uint32_t add32;
static _Atomic uint16_t add16;
static _Atomic uint8_t add8;
static _Atomic uint64_t bits_or, bits_and = ~0ull, bits_xor;
static _Atomic uint64_t cas_counter;
static _Atomic uint32_t swapped;
static int64_t smax = INT64_MIN, smin = INT64_MAX;
static uint32_t umax32, umin32 = UINT32_MAX;
static __int128 pair __attribute__((aligned(16)));

static void *worker(void *arg) {
    uint64_t id = (uint64_t)(uintptr_t)arg;
    uint64_t seed = 0x1234567 + id * 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < ITERS; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        atomic_fetch_add(&add64, seed >> 40);
        atomic_fetch_add(&add32, 3);
        atomic_fetch_sub(&add16, 7);
        atomic_fetch_add(&add8, 1);
        atomic_fetch_or(&bits_or, 1ull << (seed >> 58));
        atomic_fetch_and(&bits_and, ~(1ull << ((seed >> 52) & 63)) | (i & 1 ? ~0ull : 0x8000000000000000ull));
        atomic_fetch_xor(&bits_xor, seed);
        /* A compare-and-swap increment (CAS). */
        uint64_t old = atomic_load_explicit(&cas_counter, memory_order_relaxed);
        while (!atomic_compare_exchange_weak(&cas_counter, &old, old + 1)) {
        }
        atomic_exchange(&swapped, (uint32_t)i);
        /* Signed and unsigned max/min (LDSMAX, LDSMIN, LDUMAX, LDUMIN) */
        int64_t v = (int64_t)seed;
        uint32_t u = (uint32_t)(seed >> 17);
        int64_t o64;
        uint32_t o32;
        __asm__ volatile("ldsmaxal %x2, %x0, [%1]" : "=&r"(o64) : "r"(&smax), "r"(v) : "memory");
        __asm__ volatile("ldsminal %x2, %x0, [%1]" : "=&r"(o64) : "r"(&smin), "r"(v) : "memory");
        __asm__ volatile("ldumaxal %w2, %w0, [%1]" : "=&r"(o32) : "r"(&umax32), "r"(u) : "memory");
        __asm__ volatile("lduminal %w2, %w0, [%1]" : "=&r"(o32) : "r"(&umin32), "r"(u) : "memory");
        /* A 128-bit compare-and-swap increment of both halves (CASP). */
        __int128 cur = pair;
        for (;;) {
            __int128 next = (__int128)((((unsigned __int128)cur >> 64) + 2) << 64 |
                                       (uint64_t)((uint64_t)cur + 1));
            __int128 seen = __sync_val_compare_and_swap(&pair, cur, next);
            if (seen == cur) break;
            cur = seen;
        }
    }
    return 0;
}

static int case_atomics(void) {
    pthread_t t[THREADS];
    for (uintptr_t i = 0; i < THREADS; i++) pthread_create(&t[i], 0, worker, (void *)i);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], 0);
    printf("add64 %016llx\n", (unsigned long long)add64);
    printf("add32 %u add16 %u add8 %u\n", add32, add16, add8);
    printf("or %016llx and %016llx xor %016llx\n", (unsigned long long)bits_or,
           (unsigned long long)bits_and, (unsigned long long)bits_xor);
    printf("cas counter %llu %s\n", (unsigned long long)cas_counter,
           verdict(cas_counter == (uint64_t)THREADS * ITERS));
    printf("smax %lld smin %lld umax %u umin %u\n", (long long)smax, (long long)smin, umax32, umin32);
    unsigned long long lo = (uint64_t)pair, hi = (uint64_t)((unsigned __int128)pair >> 64);
    printf("pair %llu %llu %s\n", lo, hi, verdict(lo == THREADS * ITERS && hi == 2ull * THREADS * ITERS));
    printf("swapped below %d %s\n", ITERS, verdict(swapped < ITERS));
    return 0;
}

/* ---- alignment faults of LSE atomics (no FEAT_LSE2): SIGBUS, BUS_ADRALN ---- */

#include <setjmp.h>
#include <signal.h>

static sigjmp_buf bus_jump;
static volatile uintptr_t bus_addr;
static volatile int bus_code;

static void on_sigbus(int sig, siginfo_t *si, void *uc) {
    (void)sig;
    (void)uc;
    bus_addr = (uintptr_t)si->si_addr;
    bus_code = si->si_code;
    siglongjmp(bus_jump, 1);
}

static int case_alignment(void) {
    static uint64_t area[8] __attribute__((aligned(16)));
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, 0);
    for (int which = 0; which < 4; which++) {
        for (int off = 0; off < 16; off += 2) {
            char *p = (char *)area + off;
            uint64_t o = 0, v = 5;
            bus_code = 0;
            if (!sigsetjmp(bus_jump, 1)) {
                switch (which) {
                case 0: __asm__ volatile("ldaddal %x2, %x0, [%1]" : "=&r"(o) : "r"(p), "r"(v) : "memory"); break;
                case 1: __asm__ volatile("swph %w2, %w0, [%1]" : "=&r"(o) : "r"(p), "r"(v) : "memory"); break;
                case 2: __asm__ volatile("casal %w0, %w2, [%1]" : "+r"(o) : "r"(p), "r"(v) : "memory"); break;
                default: {
                    register uint64_t x0 __asm__("x0") = 0, x1 __asm__("x1") = 0;
                    register uint64_t x2 __asm__("x2") = 1, x3 __asm__("x3") = 2;
                    __asm__ volatile("caspal x0, x1, x2, x3, [%4]"
                                     : "+r"(x0), "+r"(x1) : "r"(x2), "r"(x3), "r"(p) : "memory");
                    o = x0;
                }
                }
                printf("atomic %d offset %2d: ok\n", which, off);
            } else {
                printf("atomic %d offset %2d: SIGBUS code %d at offset %ld\n", which, off, bus_code,
                       (long)(bus_addr - (uintptr_t)area));
            }
            (void)o;
        }
    }
    return 0;
}

/* ---- ID registers against AT_HWCAP ---- */

#define HWCAP_AES (1 << 3)
#define HWCAP_PMULL (1 << 4)
#define HWCAP_SHA1 (1 << 5)
#define HWCAP_SHA2 (1 << 6)
#define HWCAP_CRC32 (1 << 7)
#define HWCAP_ATOMICS (1 << 8)
#define HWCAP_CPUID (1 << 11)

static int case_idregs(void) {
    unsigned long hw = getauxval(AT_HWCAP);
    static const struct { const char *name; unsigned long bit; int shift, min; } f[] = {
        {"aes", HWCAP_AES, 4, 1},     {"pmull", HWCAP_PMULL, 4, 2}, {"sha1", HWCAP_SHA1, 8, 1},
        {"sha2", HWCAP_SHA2, 12, 1},  {"crc32", HWCAP_CRC32, 16, 1}, {"atomics", HWCAP_ATOMICS, 20, 2},
    };
    printf("hwcap cpuid %d\n", !!(hw & HWCAP_CPUID));
    if (!(hw & HWCAP_CPUID)) return 1;
    uint64_t isar0, pfr0, mpidr;
    __asm__ volatile("mrs %0, id_aa64isar0_el1" : "=r"(isar0));
    __asm__ volatile("mrs %0, id_aa64pfr0_el1" : "=r"(pfr0));
    __asm__ volatile("mrs %0, mpidr_el1" : "=r"(mpidr));
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        int has = !!(hw & f[i].bit);
        int field = (int)(isar0 >> f[i].shift & 15);
        printf("%s hwcap %d id_aa64isar0 %s\n", f[i].name, has, verdict(has == (field >= f[i].min)));
    }
    printf("fp %s advsimd %s el0 aarch64 %s\n", (pfr0 >> 16 & 15) != 15 ? "yes" : "no",
           (pfr0 >> 20 & 15) != 15 ? "yes" : "no", (pfr0 & 15) >= 1 ? "yes" : "no");
    printf("mpidr %016llx\n", (unsigned long long)mpidr);
    return 0;
}

int main(int argc, char **argv) {
    const char *c = argc > 1 ? argv[1] : "";
    if (!strcmp(c, "crc")) return case_crc();
    if (!strcmp(c, "aes")) return case_aes();
    if (!strcmp(c, "sha")) return case_sha();
    if (!strcmp(c, "pmull")) return case_pmull();
    if (!strcmp(c, "atomics")) return case_atomics();
    if (!strcmp(c, "idregs")) return case_idregs();
    if (!strcmp(c, "alignment")) return case_alignment();
    fprintf(stderr, "usage: a64ext crc|aes|sha|pmull|atomics|idregs|alignment\n");
    return 2;
}
