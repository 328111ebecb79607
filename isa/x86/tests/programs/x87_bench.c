/* x87 speed: long double loops, run natively, under `xarch run` and under qemu-x86_64.
 * Each kernel prints its result (the three must agree) and its wall time.
 *   gcc -O2 -static -o /tmp/x87_bench isa/x86/tests/programs/x87_bench.c
 *   /usr/bin/time -f %U target/release/xarch run /tmp/x87_bench 1000
 *   /usr/bin/time -f %U qemu-x86_64 /tmp/x87_bench 1000
 * The argument is the repetition count (default 200). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define N 2000
static long double xs[N], ys[N];
static double ds[N];

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    int reps = argc > 1 ? atoi(argv[1]) : 200;
    for (int i = 0; i < N; i++) {
        xs[i] = (long double)(i + 1) / 7.0L;
        ys[i] = 1.0L / (long double)(i + 3);
        ds[i] = (double)i * 0.25;
    }
    double t0 = now(), t;
    /* 1: dot product with full 64-bit significands (FLD m80, FMUL, FADD). */
    long double s = 0;
    for (int r = 0; r < reps; r++)
        for (int i = 0; i < N; i++) s += xs[i] * ys[i];
    t = now();
    printf("dot    %.21Lg %.3f s\n", s, t - t0);
    t0 = t;
    /* 2: Horner polynomial (FMUL, FADD with constants). */
    long double h = 0;
    for (int r = 0; r < reps; r++)
        for (int i = 0; i < N; i++) {
            long double x = ys[i];
            h += ((((x * 0.125L + 0.25L) * x - 0.5L) * x + 1.0L) * x - 2.0L);
        }
    t = now();
    printf("horner %.21Lg %.3f s\n", h, t - t0);
    t0 = t;
    /* 3: division: harmonic-like sum (FILD, FDIV). */
    long double q = 0;
    for (int r = 0; r < reps; r++)
        for (int i = 1; i <= N; i++) q += 1.0L / (long double)(i + r);
    t = now();
    printf("div    %.21Lg %.3f s\n", q, t - t0);
    t0 = t;
    /* 4: doubles through long double (FLD m64, FADD, FSTP m64): exact-in-f64 values. */
    double acc = 0;
    for (int r = 0; r < reps; r++)
        for (int i = 0; i < N; i++) {
            long double v = (long double)ds[i] * 2 + acc;
            acc = (double)(v * 0.5L);
        }
    t = now();
    printf("conv   %.17g %.3f s\n", acc, t - t0);
    t0 = t;
    /* 5: compares and integer conversion (FCOMI, FISTP). */
    long long cnt = 0;
    for (int r = 0; r < reps; r++)
        for (int i = 0; i < N; i++) {
            if (xs[i] > ys[i] * 300) cnt += (long long)xs[i];
        }
    t = now();
    printf("cmp    %lld %.3f s\n", cnt, t - t0);
    return 0;
}
