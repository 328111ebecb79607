/* Steady-state speed of ring-3 code, free of start-up cost and of most machine noise.
 *
 *   gcc -O2 -static -o /tmp/chunks accel/tools/chunks.c
 *   /tmp/chunks K W LG                        # natively
 *   target/release/xarch kvm /tmp/chunks K W LG
 *
 * Runs K equal chunks of W steps of an integer hash over a 2^LG-word table (LG 16: 256 KiB,
 * cache-resident; LG 24: 64 MiB, TLB-bound) and times each chunk with rdtsc (not intercepted
 * in ring 3, the same clock inside and outside the VM). Prints the fastest chunk (a chunk no
 * interrupt, exit or preemption hit: the speed of the code itself), the median and the mean
 * (which include whatever interrupts the run). Defaults: K 300, W 200000, LG 16.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <x86intrin.h>

static int cmp(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    int k_n = argc > 1 ? atoi(argv[1]) : 300;
    long w = argc > 2 ? atol(argv[2]) : 200000;
    int lg = argc > 3 ? atoi(argv[3]) : 16;
    if (k_n < 1 || w < 1 || lg < 4 || lg > 28) {
        fprintf(stderr, "usage: chunks [K [W [LG 4..28]]]\n");
        return 2;
    }
    uint32_t m = (1u << lg) - 1, h = 1;
    uint32_t *buf = malloc(sizeof(uint32_t) << lg);
    uint64_t *t = malloc(sizeof(uint64_t) * k_n), sum = 0;
    if (!buf || !t)
        return 1;
    for (uint32_t i = 0; i <= m; i++)
        buf[i] = i * 2654435761u;
    for (int k = 0; k < k_n; k++) {
        uint64_t a = __rdtsc();
        for (long i = 0; i < w; i++) {
            uint32_t j = (h >> 7) & m;
            h = (h ^ buf[j]) * 16777619u + (uint32_t)i;
            buf[(j + i) & m] += h >> 3;
            h = (h << 5) | (h >> 27);
        }
        t[k] = __rdtsc() - a;
        sum += t[k];
    }
    qsort(t, k_n, sizeof(uint64_t), cmp);
    printf("min %llu median %llu mean %llu (TSC ticks per chunk) hash %08x\n",
           (unsigned long long)t[0], (unsigned long long)t[k_n / 2],
           (unsigned long long)(sum / k_n), h);
    return 0;
}
