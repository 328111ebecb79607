/*
 * strings: memory and string work on many small and medium buffers: memcpy, memmove
 * (overlapping), memset, strlen, strchr, strrchr, strcmp, memcmp and strstr from libc
 * (each target's hand-tuned, often vectorized, versions) against plain C loops.
 * Self-check: libc and the plain loops agree on every call.
 */
#include "workload.h"

#define NBUF 64
#define MAXLEN 1024

static char bufs[NBUF][MAXLEN + 64];

static size_t my_strlen(const char *s)
{
    const char *p = s;
    while (*p)
        p++;
    return (size_t)(p - s);
}

static const char *my_strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return s;
        if (!*s)
            return NULL;
    }
}

static int my_strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

static int sign(int x) { return (x > 0) - (x < 0); }

int main(int argc, char **argv)
{
    uint32_t size = workload_size(argc, argv);
    uint32_t rounds = 100000 * size;
    rng_t r = {0xabcdef0123456789ULL};
    uint64_t bad = 0, total_len = 0, found = 0;
    checksum_t ck;
    checksum_init(&ck);

    for (int b = 0; b < NBUF; b++) {
        size_t len = (size_t)(rng_next(&r) % MAXLEN);
        for (size_t i = 0; i < len; i++)
            bufs[b][i] = (char)('a' + rng_next(&r) % 16);
        bufs[b][len] = '\0';
    }

    char tmp[MAXLEN + 64];
    for (uint32_t i = 0; i < rounds; i++) {
        uint64_t x = rng_next(&r);
        int s = (int)(x % NBUF), d = (int)((x >> 8) % NBUF);
        char *src = bufs[s], *dst = bufs[d];

        size_t len = strlen(src);
        if (len != my_strlen(src))
            bad++;
        total_len += len;

        /* Copy with a random misalignment, then compare. */
        size_t off = (x >> 16) % 16;
        memcpy(tmp + off, src, len + 1);
        if (memcmp(tmp + off, src, len + 1) != 0 || strcmp(tmp + off, src) != 0)
            bad++;

        /* Search. */
        int c = 'a' + (int)((x >> 24) % 17); /* 'q' never occurs */
        const char *p = strchr(src, c);
        if (p != my_strchr(src, c))
            bad++;
        if (p) {
            found++;
            checksum_u64(&ck, (uint64_t)(p - src));
        }
        const char *q = strrchr(src, c);
        if ((p == NULL) != (q == NULL) || (q && q < p))
            bad++;

        /* Ordering. */
        if (sign(strcmp(src, dst)) != sign(my_strcmp(src, dst)))
            bad++;

        /* Mutate the destination: an overlapping move, a fill, a splice of the source. */
        size_t dlen = strlen(dst);
        if (dlen > 8) {
            size_t shift = 1 + (x >> 32) % 7;
            memmove(dst + shift, dst, dlen - shift);
            memset(dst, 'a' + (int)(x >> 40) % 16, shift);
        }
        size_t n = len < 32 ? len : 32;
        size_t at = dlen > n ? (size_t)((x >> 48) % (dlen - n)) : 0;
        if (at + n <= dlen) {
            if (s == d)
                memmove(dst + at, src, n); /* overlapping: memcpy's result would be undefined */
            else
                memcpy(dst + at, src, n);
        }
        if ((i & 255) == 0) {
            char needle[4] = {src[0], len > 1 ? src[1] : 0, len > 2 ? src[2] : 0, 0};
            const char *h = strstr(dst, needle);
            checksum_u64(&ck, h ? (uint64_t)(h - dst) : 0xffff);
        }
    }
    for (int b = 0; b < NBUF; b++)
        checksum_bytes(&ck, bufs[b], strlen(bufs[b]));
    printf("rounds %" PRIu32 "\n", rounds);
    printf("bytes scanned %" PRIu64 ", characters found %" PRIu64 "\n", total_len, found);
    printf("mismatches %" PRIu64 "\n", bad);
    return workload_finish("strings", bad == 0, &ck);
}
