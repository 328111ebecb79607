/*
 * Enabled floating-point exceptions on PowerPC: feenableexcept (FPSCR enables plus
 * prctl(PR_SET_FPEXC), i.e. MSR[FE0, FE1]) makes each IEEE exception raise SIGFPE with the
 * si_code Linux derives from FPSCR and si_addr at the faulting FP instruction. Without the
 * prctl (enable bits set by mtfsb1 only) Linux takes no trap: FEX is only set.
 * Prints the same under Linux, qemu-ppc/qemu-ppc64le (the prctl cases) and xarch.
 */
#define _GNU_SOURCE
#include <fenv.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static sigjmp_buf env;
static volatile int got_code;
static void *volatile got_addr;

static void handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    got_code = si->si_code;
    got_addr = si->si_addr;
    siglongjmp(env, 1);
}

static volatile double zero = 0.0, one = 1.0, three = 3.0, big = 1e308, tiny = 1e-308;

static double op(int which)
{
    switch (which) {
    case 0: return one / zero;
    case 1: return zero / zero;
    case 2: return big * big;
    case 3: return tiny * tiny;
    default: return one / three;
    }
}

static const char *name(int code)
{
    switch (code) {
    case FPE_FLTDIV: return "FPE_FLTDIV";
    case FPE_FLTINV: return "FPE_FLTINV";
    case FPE_FLTOVF: return "FPE_FLTOVF";
    case FPE_FLTUND: return "FPE_FLTUND";
    case FPE_FLTRES: return "FPE_FLTRES";
    default: return "other";
    }
}

/* The word at si_addr is an A-form FP arithmetic instruction (opcode 63 or 59). */
static int at_fp_insn(void *addr)
{
    unsigned w;
    memcpy(&w, addr, 4);
    return (w >> 26) == 63 || (w >> 26) == 59;
}

static unsigned fpscr(void)
{
    union { double d; unsigned long long u; } f;
    __asm__ volatile("mffs %0" : "=f"(f.d));
    return (unsigned)f.u;
}

int main(int argc, char **argv)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGFPE, &sa, 0);

    if (argc > 1 && strcmp(argv[1], "nofe") == 0) {
        /* ZE = 1 (FPSCR bit 59) without prctl: no trap, FEX and ZX set */
        feclearexcept(FE_ALL_EXCEPT);
        __asm__ volatile("mtfsb1 27");
        /* (the target of 1/0 is left unchanged: not printed) */
        volatile double r = op(0);
        (void)r;
        unsigned f = fpscr();
        printf("no trap: FEX %u ZX %u\n", f >> 30 & 1, f >> 26 & 1);
        return 0;
    }

    static const int excepts[] = {FE_DIVBYZERO, FE_INVALID, FE_OVERFLOW, FE_UNDERFLOW,
                                  FE_INEXACT};
    static const char *names[] = {"divbyzero", "invalid", "overflow", "underflow", "inexact"};
    volatile double r = op(0);
    printf("disabled: 1/0 = %g, 0/0 nan %d\n", r, op(1) != op(1));
    for (int i = 0; i < 5; i++) {
        feclearexcept(FE_ALL_EXCEPT);
        if (feenableexcept(excepts[i]) < 0)
            printf("feenableexcept failed\n");
        got_code = 0;
        if (sigsetjmp(env, 1) == 0) {
            r = op(i);
            fedisableexcept(FE_ALL_EXCEPT);
            printf("%s: no SIGFPE\n", names[i]);
        } else {
            fedisableexcept(FE_ALL_EXCEPT);
            printf("%s: SIGFPE %s, si_addr at an FP instruction: %d\n", names[i],
                   name(got_code), at_fp_insn(got_addr));
        }
    }
    /* enabled, but no exception: no trap */
    feclearexcept(FE_ALL_EXCEPT);
    feenableexcept(FE_DIVBYZERO);
    r = one + three;
    fedisableexcept(FE_ALL_EXCEPT);
    printf("enabled, exact: %g\n", r);
    return 0;
}
