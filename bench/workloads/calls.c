/*
 * calls: calls, returns and recursion. Naive recursive Fibonacci, Ackermann(2, n),
 * mutually recursive even/odd, and calls through a table of function pointers (indirect
 * calls whose target changes at every call).
 * Self-check: fib against an iterative loop, Ackermann(2, n) against its closed form
 * 2n + 3, and the function-pointer results against a direct switch.
 */
#include "workload.h"

__attribute__((noinline)) static uint32_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static uint32_t fib_iter(uint32_t n)
{
    uint32_t a = 0, b = 1;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t t = a + b;
        a = b;
        b = t;
    }
    return a;
}

__attribute__((noinline)) static uint32_t ack(uint32_t m, uint32_t n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

__attribute__((noinline)) static int is_odd(uint32_t n);
__attribute__((noinline)) static int is_even(uint32_t n) { return n == 0 ? 1 : is_odd(n - 1); }
__attribute__((noinline)) static int is_odd(uint32_t n) { return n == 0 ? 0 : is_even(n - 1); }

typedef uint64_t (*op_fn)(uint64_t, uint64_t);
__attribute__((noinline)) static uint64_t op_add(uint64_t a, uint64_t b) { return a + b; }
__attribute__((noinline)) static uint64_t op_sub(uint64_t a, uint64_t b) { return a - b; }
__attribute__((noinline)) static uint64_t op_mul(uint64_t a, uint64_t b) { return a * (b | 1); }
__attribute__((noinline)) static uint64_t op_xor(uint64_t a, uint64_t b) { return a ^ (b << 1); }
static op_fn const ops[4] = {op_add, op_sub, op_mul, op_xor};

static uint64_t op_direct(unsigned k, uint64_t a, uint64_t b)
{
    switch (k) {
    case 0: return a + b;
    case 1: return a - b;
    case 2: return a * (b | 1);
    default: return a ^ (b << 1);
    }
}

int main(int argc, char **argv)
{
    uint32_t size = workload_size(argc, argv);
    int ok = 1;
    checksum_t ck;
    checksum_init(&ck);

    uint64_t fsum = 0;
    for (uint32_t i = 0; i < 80 * size; i++) {
        uint32_t n = 18 + i % 7;
        uint32_t f = fib(n);
        if (f != fib_iter(n))
            ok = 0;
        fsum += f;
    }
    printf("fib sum %" PRIu64 "\n", fsum);
    checksum_u64(&ck, fsum);

    uint64_t asum = 0;
    for (uint32_t i = 0; i < 400 * size; i++) {
        uint32_t n = 100 + i % 200;
        uint32_t a = ack(2, n);
        if (a != 2 * n + 3)
            ok = 0;
        asum += a;
    }
    printf("ackermann(2, n) sum %" PRIu64 "\n", asum);
    checksum_u64(&ck, asum);

    uint32_t parity = 0;
    for (uint32_t i = 0; i < 2000 * size; i++) {
        uint32_t n = 500 + i % 2000;
        int e = is_even(n);
        if (e != ((n & 1) == 0))
            ok = 0;
        parity += (uint32_t)e;
    }
    printf("even count %" PRIu32 "\n", parity);
    checksum_u64(&ck, parity);

    uint64_t a = 1, b = 1;
    rng_t r = {42};
    for (uint32_t i = 0; i < 800000 * size; i++) {
        uint64_t x = rng_next(&r);
        unsigned k = (unsigned)(x >> 62);
        uint64_t via_ptr = ops[k](a, x);
        uint64_t via_switch = op_direct(k, b, x);
        if (via_ptr != via_switch)
            ok = 0;
        a = via_ptr;
        b = via_switch;
    }
    printf("indirect result %016" PRIx64 "\n", a);
    checksum_u64(&ck, a);
    return workload_finish("calls", ok, &ck);
}
