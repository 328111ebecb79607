/*
 * matmul: dense double-precision matrix multiply, C = A x B with N = 64, in i-k-j order so
 * that the inner loop (C[i][j] += a * B[k][j] over j) has no reduction and GCC -O2
 * vectorizes it (SSE2 on x86-64, NEON on AArch64, VSX on ppc64le).
 * Entries are small integers, so every product and sum is exact in a double and the result
 * does not depend on evaluation order. Self-check: row sums of C equal A times the row sums
 * of B (computed separately, in integers).
 */
#include "workload.h"

#define N 64

static double A[N][N], B[N][N], C[N][N];

static void multiply(void)
{
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++)
            C[i][j] = 0;
        for (int k = 0; k < N; k++) {
            double a = A[i][k];
            for (int j = 0; j < N; j++)
                C[i][j] += a * B[k][j];
        }
    }
}

int main(int argc, char **argv)
{
    uint32_t size = workload_size(argc, argv);
    uint32_t reps = 800 * size;
    rng_t r = {0xfeedface12345678ULL};
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            A[i][j] = (double)(int)(rng_next(&r) % 19) - 9;
            B[i][j] = (double)(int)(rng_next(&r) % 19) - 9;
        }

    int ok = 1;
    checksum_t ck;
    checksum_init(&ck);
    for (uint32_t rep = 0; rep < reps; rep++) {
        multiply();
        /* Check a row every repetition, all rows on the last one. */
        for (int i = (rep + 1 == reps) ? 0 : (int)(rep % N); i < N; i++) {
            int64_t want = 0;
            for (int k = 0; k < N; k++) {
                int64_t bsum = 0;
                for (int j = 0; j < N; j++)
                    bsum += (int64_t)B[k][j];
                want += (int64_t)A[i][k] * bsum;
            }
            int64_t got = 0;
            for (int j = 0; j < N; j++)
                got += (int64_t)C[i][j];
            if (got != want)
                ok = 0;
            if (rep + 1 != reps)
                break;
        }
        /* Feed the result back into A, kept small so values stay exact. */
        int i = (int)(rep % N);
        for (int k = 0; k < N; k++) {
            int64_t v = (int64_t)C[i][k] % 19;
            A[i][k] = (double)v;
        }
        checksum_u64(&ck, (uint64_t)(int64_t)C[rep % N][(rep * 7) % N]);
    }
    int64_t trace = 0;
    for (int i = 0; i < N; i++)
        trace += (int64_t)C[i][i];
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            checksum_u64(&ck, (uint64_t)(int64_t)C[i][j]);
    printf("%d x %d, %" PRIu32 " multiplications\n", N, N, reps);
    printf("trace %" PRId64 "\n", trace);
    return workload_finish("matmul", ok, &ck);
}
