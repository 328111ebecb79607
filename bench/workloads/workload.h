/*
 * workload.h: the contract every xarch workload follows (see bench/workloads/README.md).
 *
 *   prog [SIZE]     SIZE: work multiplier 1..1000 (default 1, about 0.05 s natively at -O2)
 *
 * Output: a few deterministic lines, then `checksum <16 hex digits>` as the last line.
 * Exit status: 0 when the program's self-check passed, 1 when it failed, 2 on bad usage.
 * Nothing printed depends on time, addresses, the process id or the host's byte order, so
 * the same program built for x86-64, AArch64, ppc64le and 32-bit big-endian ppc prints the
 * same bytes. Fixed-width types only: `long` is 32 bits on ppc.
 */
#ifndef XARCH_WORKLOAD_H
#define XARCH_WORKLOAD_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parse the optional SIZE argument; exit 2 with a one-line message on anything else. */
static inline uint32_t workload_size(int argc, char **argv)
{
    if (argc == 1)
        return 1;
    if (argc == 2) {
        const char *s = argv[1];
        uint64_t v = 0;
        if (*s == '\0')
            goto bad;
        for (; *s; s++) {
            if (*s < '0' || *s > '9')
                goto bad;
            v = v * 10 + (uint64_t)(*s - '0');
            if (v > 1000)
                goto bad;
        }
        if (v == 0)
            goto bad;
        return (uint32_t)v;
    }
bad:
    fprintf(stderr, "usage: %s [SIZE]  (SIZE: integer 1..1000, work grows linearly with it)\n",
            argv[0]);
    exit(2);
}

/* 64-bit FNV-1a style mixing of whole values (not bytes in memory: endian-neutral). */
typedef struct {
    uint64_t h;
} checksum_t;

static inline void checksum_init(checksum_t *c) { c->h = 0xcbf29ce484222325ULL; }

static inline void checksum_u64(checksum_t *c, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        c->h ^= (v >> (8 * i)) & 0xff;
        c->h *= 0x100000001b3ULL;
    }
}

static inline void checksum_bytes(checksum_t *c, const void *p, size_t n)
{
    const unsigned char *b = (const unsigned char *)p;
    for (size_t i = 0; i < n; i++) {
        c->h ^= b[i];
        c->h *= 0x100000001b3ULL;
    }
}

/* Print the final lines and return the exit status: 0 if `ok`, else 1. */
static inline int workload_finish(const char *name, int ok, const checksum_t *c)
{
    printf("self-check %s\n", ok ? "ok" : "FAILED");
    printf("checksum %016" PRIx64 "\n", c->h);
    fflush(stdout);
    if (!ok)
        fprintf(stderr, "%s: self-check failed\n", name);
    return ok ? 0 : 1;
}

/* A small deterministic generator (xorshift64*), the same on every target. */
typedef struct {
    uint64_t s;
} rng_t;

static inline uint64_t rng_next(rng_t *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1DULL;
}

#endif
