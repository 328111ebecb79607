/*
 * qsort: sorting. libc qsort (indirect calls to a comparator) and a hand-written top-down
 * merge sort on the same pseudo-random 32-bit keys, plus an insertion sort on small runs.
 * Self-check: both results are in order, equal to each other, and hold the same multiset
 * of keys as the input (an order-independent sum and xor).
 */
#include "workload.h"

#define NKEYS 4096

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static void merge_sort(uint32_t *a, uint32_t *tmp, size_t n)
{
    if (n <= 16) {
        for (size_t i = 1; i < n; i++) {
            uint32_t v = a[i];
            size_t j = i;
            while (j > 0 && a[j - 1] > v) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = v;
        }
        return;
    }
    size_t h = n / 2;
    merge_sort(a, tmp, h);
    merge_sort(a + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = a[j] < a[i] ? a[j++] : a[i++];
    while (i < h)
        tmp[k++] = a[i++];
    while (j < n)
        tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

int main(int argc, char **argv)
{
    uint32_t size = workload_size(argc, argv);
    uint32_t rounds = 100 * size;
    static uint32_t in[NKEYS], x[NKEYS], y[NKEYS], tmp[NKEYS];
    rng_t r = {0x9876543210fedcbaULL};
    int ok = 1;
    checksum_t ck;
    checksum_init(&ck);

    for (uint32_t round = 0; round < rounds; round++) {
        /* Alternate the key distribution: full range, few distinct keys, nearly sorted. */
        uint64_t sum = 0, xr = 0;
        for (int i = 0; i < NKEYS; i++) {
            uint32_t v = (uint32_t)(rng_next(&r) >> 32);
            if (round % 3 == 1)
                v %= 50;
            else if (round % 3 == 2)
                v = (uint32_t)i * 1000 + v % 3000;
            in[i] = v;
            sum += v;
            xr ^= v;
        }
        memcpy(x, in, sizeof in);
        memcpy(y, in, sizeof in);
        qsort(x, NKEYS, sizeof x[0], cmp_u32);
        merge_sort(y, tmp, NKEYS);

        uint64_t s2 = 0, x2 = 0;
        for (int i = 0; i < NKEYS; i++) {
            if (x[i] != y[i] || (i > 0 && x[i - 1] > x[i]))
                ok = 0;
            s2 += x[i];
            x2 ^= x[i];
        }
        if (s2 != sum || x2 != xr)
            ok = 0;
        checksum_u64(&ck, x[0]);
        checksum_u64(&ck, x[NKEYS / 2]);
        checksum_u64(&ck, x[NKEYS - 1]);
    }
    printf("%" PRIu32 " rounds of %d keys, qsort and merge sort\n", rounds, NKEYS);
    printf("last round: min %" PRIu32 " median %" PRIu32 " max %" PRIu32 "\n", x[0], x[NKEYS / 2],
           x[NKEYS - 1]);
    return workload_finish("qsort", ok, &ck);
}
