/*
 * intmix: an integer instruction mix. Signed and unsigned division and remainder of 8 to 64
 * bits, multiplies (low and high halves), shifts and rotates, bit counts, byte swaps,
 * conditional selects, and a switch that compiles to a jump table (an indirect branch).
 * Self-check: every identity is verified as it is computed (q*d + r == n, a rotate undone,
 * the compiler's bit-count builtins against plain loops, the 64x64->128 product against a
 * schoolbook product of 32-bit halves).
 */
#include "workload.h"

static int popcount_loop(uint64_t x)
{
    int n = 0;
    while (x) {
        n += (int)(x & 1);
        x >>= 1;
    }
    return n;
}

static int clz_loop(uint64_t x)
{
    int n = 0;
    for (uint64_t bit = 1ULL << 63; bit && !(x & bit); bit >>= 1)
        n++;
    return n;
}

static uint64_t rotl64(uint64_t x, unsigned n) { return (x << (n & 63)) | (x >> ((64 - n) & 63)); }
static uint64_t rotr64(uint64_t x, unsigned n) { return (x >> (n & 63)) | (x << ((64 - n) & 63)); }
static uint32_t rotl32(uint32_t x, unsigned n) { return (x << (n & 31)) | (x >> ((32 - n) & 31)); }

/* High 64 bits of a 64x64 product from 32-bit halves (no 128-bit type: ppc32 has none). */
static uint64_t mulhi_schoolbook(uint64_t a, uint64_t b)
{
    uint64_t al = a & 0xffffffff, ah = a >> 32, bl = b & 0xffffffff, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (lh & 0xffffffff) + (hl & 0xffffffff);
    return hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}

static uint64_t bswap_loop(uint64_t x)
{
    uint64_t r = 0;
    for (int i = 0; i < 8; i++)
        r = (r << 8) | ((x >> (8 * i)) & 0xff);
    return r;
}

static uint64_t step(uint64_t acc, uint64_t x, unsigned op)
{
    switch (op & 15) {
    case 0: return acc + x;
    case 1: return acc - (x >> 3);
    case 2: return acc ^ (x * 0x9E3779B97F4A7C15ULL);
    case 3: return acc * 3 + (x & 0xff);
    case 4: return (acc | 1) * (x | 1);
    case 5: return acc + (uint64_t)((int64_t)x >> 17);
    case 6: return acc ^ (uint64_t)(int8_t)x;
    case 7: return acc + (uint64_t)(int16_t)(x >> 8);
    case 8: return acc - (uint64_t)(int32_t)(x >> 16);
    case 9: return (int64_t)acc < (int64_t)x ? acc + 7 : acc - 11;
    case 10: return acc < x ? x - acc : acc - x;
    case 11: return acc + (x % 1000003);
    case 12: return acc ^ rotl64(x, (unsigned)acc);
    case 13: return ~acc + (x >> 60);
    case 14: return acc + (uint64_t)(uint8_t)(x >> 24) * 257;
    default: return acc ^ (acc >> 29) ^ x;
    }
}

int main(int argc, char **argv)
{
    uint32_t size = workload_size(argc, argv);
    rng_t r = {0x0123456789abcdefULL};
    uint64_t acc = 1;
    uint64_t bad = 0;
    uint32_t iters = 1000000 * size;
    checksum_t ck;
    checksum_init(&ck);

    for (uint32_t i = 0; i < iters; i++) {
        uint64_t x = rng_next(&r);
        uint64_t y = rng_next(&r) >> (i % 61);
        if (y == 0)
            y = 1;

        /* Unsigned division, 64 and 32 bits. */
        uint64_t q = x / y, m = x % y;
        if (q * y + m != x || m >= y)
            bad++;
        uint32_t x32 = (uint32_t)x, y32 = (uint32_t)y | 1;
        uint32_t q32 = x32 / y32, m32 = x32 % y32;
        if (q32 * y32 + m32 != x32)
            bad++;

        /* Signed division truncates toward zero (C99 6.5.5). */
        int64_t sx = (int64_t)x, sy = (int64_t)(y | 1) * ((i & 1) ? -1 : 1);
        if (sx == INT64_MIN && sy == -1)
            sx++; /* INT64_MIN / -1 overflows (undefined in C, a trap on x86) */
        int64_t sq = sx / sy, sm = sx % sy;
        if (sq * sy + sm != sx || (sm != 0 && (sm < 0) != (sx < 0)))
            bad++;
        int32_t s32 = (int32_t)x32, d32 = (int32_t)((y32 & 0xffff) | 1) * ((i & 2) ? -1 : 1);
        if (s32 == INT32_MIN && d32 == -1)
            s32++;
        int32_t sq32 = s32 / d32, sm32 = s32 % d32;
        if (sq32 * d32 + sm32 != s32)
            bad++;
        int16_t s16 = (int16_t)x, d16 = (int16_t)((y & 0x7f) | 1);
        if ((int16_t)(s16 / d16 * d16 + s16 % d16) != s16)
            bad++;

        /* Rotates and byte swaps. */
        unsigned n = (unsigned)(x >> 58);
        if (rotr64(rotl64(x, n), n) != x)
            bad++;
        if (rotl32(rotl32(x32, n), 32 - (n & 31)) != x32)
            bad++;
        if (__builtin_bswap64(x) != bswap_loop(x))
            bad++;

        /* Bit counts, every 8th iteration (the reference loops are slow on purpose). */
        if ((i & 7) == 0) {
            if (__builtin_popcountll(x) != popcount_loop(x))
                bad++;
            if (__builtin_clzll(y) != clz_loop(y))
                bad++;
            if (__builtin_ctzll(x | (1ULL << 63)) != popcount_loop(((x | (1ULL << 63)) & -(x | (1ULL << 63))) - 1))
                bad++;
        }

        /* Wide multiply. */
        uint64_t hi = mulhi_schoolbook(x, y);
#ifdef __SIZEOF_INT128__
        if ((uint64_t)(((unsigned __int128)x * y) >> 64) != hi)
            bad++;
#endif
        acc = step(acc, x ^ hi, (unsigned)(x >> 40) + i);
        acc = step(acc, q + m, (unsigned)i * 7);
        if ((i & 4095) == 0)
            checksum_u64(&ck, acc);
    }
    checksum_u64(&ck, acc);
    printf("iterations %" PRIu32 "\n", iters);
    printf("accumulator %016" PRIx64 "\n", acc);
    printf("identity failures %" PRIu64 "\n", bad);
    return workload_finish("intmix", bad == 0, &ck);
}
