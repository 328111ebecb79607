/* 128-bit atomics as gcc -mcpu=power8 expands them on ppc64le: __atomic_compare_exchange_n,
 * __atomic_fetch_add and __atomic_exchange_n on unsigned __int128 become lqarx/stqcx. loops,
 * __atomic_load_n/__atomic_store_n become lq/stq. Prints results that qemu-ppc64le must match. */
#include <stdio.h>

typedef unsigned __int128 u128;

static u128 cell __attribute__((aligned(16)));

static void show(const char *what, u128 v)
{
    printf("%s %016llx%016llx\n", what, (unsigned long long)(v >> 64), (unsigned long long)v);
}

int main(void)
{
    u128 seed = ((u128)0x0123456789abcdefULL << 64) | 0xfedcba9876543210ULL;
    __atomic_store_n(&cell, seed, __ATOMIC_SEQ_CST);
    show("stored", __atomic_load_n(&cell, __ATOMIC_SEQ_CST));

    u128 expected = seed;
    int ok = __atomic_compare_exchange_n(&cell, &expected, seed + 1, 0, __ATOMIC_SEQ_CST,
                                         __ATOMIC_SEQ_CST);
    printf("cas matching: %d\n", ok);
    show("after", cell);

    expected = 42;
    ok = __atomic_compare_exchange_n(&cell, &expected, 7, 0, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST);
    printf("cas stale: %d\n", ok);
    show("expected now", expected);

    u128 sum = 0;
    for (unsigned i = 0; i < 1000; i++) {
        u128 add = ((u128)i << 64) | (0xffffffffffffff00ULL + i);
        sum += __atomic_fetch_add(&cell, add, __ATOMIC_SEQ_CST) >> 3;
    }
    show("fetch_add", cell);
    show("sum", sum);
    show("exchange", __atomic_exchange_n(&cell, (u128)5, __ATOMIC_SEQ_CST));
    show("final", __atomic_load_n(&cell, __ATOMIC_RELAXED));
    return 0;
}
