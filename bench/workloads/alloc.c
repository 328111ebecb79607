/*
 * alloc: allocation-heavy. A pool of live blocks churned by malloc, free, realloc (growing
 * and shrinking) and calloc, with sizes from 8 bytes to 64 KiB, so that both the small-bin
 * paths and the large ones (brk, and mmap above glibc's threshold) run.
 * Self-check: every block carries a fill pattern derived from its identity that is verified
 * before it is freed or reallocated (realloc must keep the old prefix), and calloc memory
 * must read as zero.
 */
#include "workload.h"

#define SLOTS 512

typedef struct {
    uint8_t *p;
    uint32_t len;
    uint32_t tag;
} slot;

static uint8_t pattern(uint32_t tag, uint32_t i) { return (uint8_t)(tag * 31 + i * 7 + (i >> 8)); }

static void fill(slot *s, uint32_t from)
{
    for (uint32_t i = from; i < s->len; i++)
        s->p[i] = pattern(s->tag, i);
}

static int verify(const slot *s, uint32_t upto)
{
    for (uint32_t i = 0; i < upto; i++)
        if (s->p[i] != pattern(s->tag, i))
            return 0;
    return 1;
}

static uint32_t pick_len(rng_t *r)
{
    uint64_t x = rng_next(r);
    switch (x & 7) {
    case 0: return 8 + (uint32_t)(x >> 8) % 65536; /* large: up to 64 KiB */
    case 1:
    case 2: return 8 + (uint32_t)(x >> 8) % 1024;
    default: return 8 + (uint32_t)(x >> 8) % 96; /* small bins */
    }
}

int main(int argc, char **argv)
{
    uint32_t size = workload_size(argc, argv);
    uint32_t ops = 12000 * size;
    static slot slots[SLOTS];
    rng_t r = {0x1234};
    int ok = 1;
    uint64_t allocated = 0, reallocs = 0, frees = 0;
    uint32_t next_tag = 1;
    checksum_t ck;
    checksum_init(&ck);

    for (uint32_t i = 0; i < ops; i++) {
        uint64_t x = rng_next(&r);
        slot *s = &slots[x % SLOTS];
        if (s->p == NULL) {
            s->len = pick_len(&r);
            s->tag = next_tag++;
            if ((x >> 20) % 4 == 0) {
                s->p = calloc(s->len, 1);
                if (s->p)
                    for (uint32_t k = 0; k < s->len; k++)
                        if (s->p[k] != 0)
                            ok = 0;
            } else {
                s->p = malloc(s->len);
            }
            if (!s->p) {
                fprintf(stderr, "alloc: out of memory\n");
                return 1;
            }
            fill(s, 0);
            allocated += s->len;
        } else if ((x >> 20) % 3 == 0) {
            uint32_t len = pick_len(&r);
            uint8_t *p = realloc(s->p, len);
            if (!p) {
                fprintf(stderr, "alloc: out of memory\n");
                return 1;
            }
            s->p = p;
            uint32_t keep = len < s->len ? len : s->len;
            if (!verify(s, keep))
                ok = 0;
            uint32_t old = s->len;
            s->len = len;
            if (len > old)
                fill(s, old);
            reallocs++;
        } else {
            if (!verify(s, s->len))
                ok = 0;
            checksum_u64(&ck, (uint64_t)s->tag << 32 | s->len);
            free(s->p);
            s->p = NULL;
            frees++;
        }
    }
    uint64_t live = 0;
    for (int k = 0; k < SLOTS; k++) {
        if (slots[k].p) {
            if (!verify(&slots[k], slots[k].len))
                ok = 0;
            live += slots[k].len;
            free(slots[k].p);
        }
    }
    checksum_u64(&ck, live);
    printf("%" PRIu32 " operations: %" PRIu64 " bytes allocated, %" PRIu64 " reallocs, %" PRIu64
           " frees\n",
           ops, allocated, reallocs, frees);
    printf("live at end %" PRIu64 " bytes\n", live);
    return workload_finish("alloc", ok, &ck);
}
