/* x87 through C `long double`: arithmetic, conversions, printf("%Lf"/"%La"), and libm.
 * Run natively and under `xarch run` (tests/x86_x87.rs); the outputs must be equal.
 * Arithmetic and conversions are printed in full (xarch's x87 arithmetic is exact);
 * results of the transcendental libm functions (expl, logl, sinl, cosl, tanl, atanl, powl
 * with a non-integer exponent, exp2l, log2l) are printed with 12 significant digits,
 * because xarch computes F2XM1/FYL2X/FSIN/... with about 53 bits (see isa/x86/src/x87.rs). */
#include <fenv.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static volatile long double sink;

static void exact(const char *what, long double v) {
    printf("%-10s %.21Lg %La\n", what, v, v);
}

static void approx(const char *what, long double v) { printf("%-10s %.12Lg\n", what, v); }

int main(void) {
    volatile long double a = 1.0L / 3.0L, b = 2.0L, c = -7.25L, big = 1e4000L, tiny = 1e-4000L;
    exact("third", a);
    exact("sum", a + b + c);
    exact("prod", a * c * big);
    exact("quot", c / a);
    exact("tiny", tiny * tiny + tiny);
    exact("sqrtl", sqrtl(b));
    exact("sqrtl2", sqrtl(big));
    exact("fmodl", fmodl(big, 7.0L));
    exact("fmodl2", fmodl(-1234567.891L, 0.125L));
    exact("remainderl", remainderl(100.0L, 7.5L));
    exact("floorl", floorl(c));
    exact("ceill", ceill(a * 10));
    exact("rintl", rintl(2.5L));
    exact("truncl", truncl(-2.999L));
    exact("ldexpl", ldexpl(a, 1000));
    exact("frexpl", ({ int e; long double m = frexpl(big, &e); m + e; }));
    exact("ldouble_max", 0x1.fffffffffffffffep16383L);
    exact("denormal", 0x1p-16400L * 3);
    exact("powl_int", powl(3.0L, 40.0L));
    printf("%Lf\n", a * 1e20L);
    printf("%.30Lf\n", a);
    printf("%Le %Lg\n", big * a, tiny / 3);

    /* Rounding modes as fesetround changes the x87 control word. */
    int modes[] = {FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO};
    for (int i = 0; i < 4; i++) {
        fesetround(modes[i]);
        volatile long double x = 1.0L, y = 3.0L;
        long double q = x / y;
        long long n = llrintl(-2.5L);
        printf("mode %d: %La %lld %La\n", i, q, n, (long double)(double)q);
    }
    fesetround(FE_TONEAREST);

    /* Conversions between long double, double, float and integers. */
    volatile double d = 0.1;
    volatile float f = 1e-40f;
    long double ld = d;
    printf("conv %La %La %a %a %lld %llu\n", ld, (long double)f, (double)(a * 3), (float)a,
           (long long)(c * 1e15L), (unsigned long long)(1e19L));
    /* Comparisons, NaN and infinity handling. */
    volatile long double nan = NAN, inf = INFINITY;
    printf("cmp %d %d %d %d %d\n", a < b, c > a, nan == nan, isnan(nan * 0), isinf(-inf * 2));
    printf("special %Lf %Lf %La\n", inf - 1, -inf, copysignl(0.0L, -1.0L));

    /* A loop that accumulates rounding error the same way on every exact x87. */
    long double s = 0;
    for (int i = 1; i <= 100000; i++)
        s += 1.0L / ((long double)i * i);
    exact("basel", s);

    /* Transcendentals: reduced precision in xarch, compared with 12 digits. */
    approx("expl", expl(1.0L));
    approx("expl2", expl(-11.5L));
    approx("logl", logl(10.0L));
    approx("logl2", logl(big));
    approx("log2l", log2l(3.0L));
    approx("log10l", log10l(12345.0L));
    approx("exp2l", exp2l(0.3L));
    approx("sinl", sinl(0.5L));
    approx("cosl", cosl(2.0L));
    approx("tanl", tanl(1.0L));
    approx("atanl", atanl(3.0L));
    approx("atan2l", atan2l(-1.0L, -2.0L));
    approx("powl", powl(2.0L, 0.5L));
    approx("powl2", powl(1.5L, 100.25L));
    approx("log1pl", log1pl(1e-5L));
    approx("expm1l", expm1l(1e-5L));
    approx("sinl_big", sinl(1000.0L));
    sink = s;
    return 0;
}
