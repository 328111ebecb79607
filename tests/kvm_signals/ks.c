#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

/* Signal cases that only a real x86-64 CPU state shows (for `xarch kvm`): fault handlers
 * with siginfo and sigcontext, handlers that change the interrupted registers through the
 * frame, and the XSAVE fpstate (AVX, AVX-512 registers across a handler). */

static sigjmp_buf env;
static volatile int hcode, htrapno, herr;
static volatile uintptr_t haddr, hcr2, hrip;

static void segv(int s, siginfo_t *si, void *ucv) {
    ucontext_t *uc = ucv;
    (void)s;
    hcode = si->si_code;
    haddr = (uintptr_t)si->si_addr;
    htrapno = (int)uc->uc_mcontext.gregs[REG_TRAPNO];
    herr = (int)uc->uc_mcontext.gregs[REG_ERR];
    hcr2 = (uintptr_t)uc->uc_mcontext.gregs[REG_CR2];
    siglongjmp(env, 1);
}

/* Skips the 2-byte faulting instruction and sets the interrupted RAX through the frame. */
static void skip2(int s, siginfo_t *si, void *ucv) {
    ucontext_t *uc = ucv;
    hcode = si->si_code;
    haddr = (uintptr_t)si->si_addr;
    hrip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    htrapno = (int)uc->uc_mcontext.gregs[REG_TRAPNO];
    if (s != SIGTRAP) uc->uc_mcontext.gregs[REG_RIP] += 2;
    uc->uc_mcontext.gregs[REG_RAX] = 42;
}

static void on(int sig, void (*f)(int, siginfo_t *, void *), int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = f;
    sa.sa_flags = SA_SIGINFO | flags;
    sigaction(sig, &sa, 0);
}

__attribute__((target("avx512f"))) static void clobber512(void) {
    __asm__ volatile("vpternlogd $0xff,%%zmm20,%%zmm20,%%zmm20\n\t"
                     "vpternlogd $0xff,%%zmm1,%%zmm1,%%zmm1" ::: "xmm20", "xmm1");
}

/* zmm1 (its upper half: ZMM_Hi256) and zmm20 (Hi16_ZMM) across a handler. */
__attribute__((target("avx512f"))) static int zmm_kept(void) {
    static uint32_t a = 0x44444444, b = 0x55555555;
    uint32_t z1[16], z20[16];
    __asm__ volatile(
        "vpbroadcastd %[a], %%zmm1\n\tvpbroadcastd %[b], %%zmm20\n\t"
        "mov $39, %%eax\n\tsyscall\n\t"
        "mov %%eax, %%edi\n\tmov $10, %%esi\n\tmov $62, %%eax\n\tsyscall\n\t"
        "vmovdqu32 %%zmm1, %[z1]\n\tvmovdqu32 %%zmm20, %[z20]\n\t"
        : [z1] "=m"(z1), [z20] "=m"(z20)
        : [a] "m"(a), [b] "m"(b)
        : "rax", "rdi", "rsi", "rcx", "r11", "xmm1", "xmm20", "memory");
    int ok = 1;
    for (int i = 0; i < 16; i++) ok &= z1[i] == a && z20[i] == b;
    return ok;
}

static volatile int vflags, vfp, vmagic, vmxcsr, vfmxcsr;
static void vec(int s, siginfo_t *si, void *ucv) {
    ucontext_t *uc = ucv;
    (void)s; (void)si;
    unsigned m;
    __asm__ volatile("stmxcsr %0" : "=m"(m));
    vmxcsr = m;
    /* Clobber the vector registers the interrupted code holds. */
    __asm__ volatile("vpcmpeqd %%ymm1,%%ymm1,%%ymm1\n\tvpcmpeqd %%ymm8,%%ymm8,%%ymm8\n\t"
                     "vpcmpeqd %%ymm15,%%ymm15,%%ymm15\n\tvpxor %%xmm2,%%xmm2,%%xmm2"
                     ::: "xmm1", "xmm2", "xmm8", "xmm15");
    if (__builtin_cpu_supports("avx512f")) clobber512();
    vflags = (int)(uc->uc_flags & 1);
    vfp = uc->uc_mcontext.fpregs != 0;
    if (vfp) {
        unsigned char *fx = (unsigned char *)uc->uc_mcontext.fpregs;
        uint32_t magic;
        memcpy(&magic, fx + 464, 4);
        vmagic = magic == 0x46505853u;
        vfmxcsr = uc->uc_mcontext.fpregs->mxcsr & 0xffc0;
        /* The handler changes xmm2 in the frame: sigreturn must load it. */
        uc->uc_mcontext.fpregs->_xmm[2].element[0] = 0xabcdef;
    }
}

/* "altstack": SA_ONSTACK handlers run on the sigaltstack, also for a stack overflow. */
static char alt[65536];
static volatile int aon, aflags;
static int on_alt(void *p) { return (char *)p >= alt && (char *)p < alt + sizeof alt; }
static void onalt(int s) {
    char x;
    stack_t c;
    (void)s;
    aon = on_alt(&x);
    sigaltstack(0, &c);
    aflags = c.ss_flags;
}
static void segv_alt(int s, siginfo_t *si, void *ucv) {
    char x;
    (void)s; (void)ucv;
    aon = on_alt(&x);
    hcode = si->si_code;
    siglongjmp(env, 1);
}
static int recurse(int n) {
    volatile char buf[1024];
    buf[0] = (char)n;
    return recurse(n + 1) + buf[0];
}

/* "nested*": a fault in a SIGSEGV handler while SIGSEGV is blocked kills (the nested
 * handler never runs); with SA_NODEFER it runs; a fault with SIGSEGV blocked kills. */
static volatile int depth;
static void say(const char *s) { (void)!write(1, s, strlen(s)); }
static void nest_segv(int s) {
    (void)s;
    if (depth++ == 0) {
        say("first handler\n");
        *(volatile int *)0x20 = 1;
        say("not reached\n");
    } else {
        say("nested handler\n");
        _exit(0);
    }
}

int main(int argc, char **argv) {
    const char *t = argc > 1 ? argv[1] : "";
    if (!strcmp(t, "segv")) {
        on(SIGSEGV, segv, 0);
        if (!sigsetjmp(env, 1)) *(volatile int *)0x10 = 1;
        printf("segv unmapped: code %d addr %#lx trapno %d err %d cr2 %#lx\n", hcode,
               (unsigned long)haddr, htrapno, herr & 7, (unsigned long)hcr2);
        char *p = mmap(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        /* Read first, so that the page is present natively too (error code P set). */
        volatile char c = p[8];
        (void)c;
        if (!sigsetjmp(env, 1)) p[8] = 1;
        printf("segv readonly: code %d addr_ok %d trapno %d err %d\n", hcode,
               haddr == (uintptr_t)(p + 8), htrapno, herr & 7);
        if (!sigsetjmp(env, 1)) *(volatile int *)0x10 = 1;
        printf("segv again: code %d\n", hcode);
    } else if (!strcmp(t, "fpe")) {
        on(SIGFPE, skip2, 0);
        long r;
        __asm__ volatile("xor %%edx,%%edx\n\tmov $1,%%eax\n\txor %%ecx,%%ecx\n\t"
                         "div %%ecx\n\t"
                         : "=a"(r) :: "rcx", "rdx");
        printf("fpe: code %d addr_ok %d trapno %d rax %ld\n", hcode, haddr == hrip, htrapno, r);
    } else if (!strcmp(t, "ill")) {
        on(SIGILL, skip2, 0);
        long r;
        __asm__ volatile("mov $1,%%eax\n\tud2\n\t" : "=a"(r));
        printf("ill: code %d addr_ok %d trapno %d rax %ld\n", hcode, haddr == hrip, htrapno, r);
    } else if (!strcmp(t, "trap")) {
        on(SIGTRAP, skip2, 0);
        long r;
        __asm__ volatile("mov $1,%%eax\n\tint3\n\t" : "=a"(r));
        printf("trap: code %d trapno %d rax %ld\n", hcode, htrapno, r);
    } else if (!strcmp(t, "resethand")) {
        /* SA_RESETHAND on a fault: the second fault is fatal. */
        on(SIGSEGV, segv, SA_RESETHAND);
        if (!sigsetjmp(env, 1)) *(volatile int *)0x10 = 1;
        printf("first fault handled\n");
        fflush(stdout);
        *(volatile int *)0x10 = 1;
        printf("not reached\n");
    } else if (!strcmp(t, "vec")) {
        on(SIGUSR1, vec, 0);
        static uint32_t a = 0x11111111, b = 0x22222222, c = 0x33333333;
        uint32_t o1[8], o8[8], o15[8], x2;
        unsigned m = 0x9fc0, m2;
        __asm__ volatile("ldmxcsr %0" :: "m"(m));
        __asm__ volatile(
            "vpbroadcastd %[a], %%ymm1\n\tvpbroadcastd %[b], %%ymm8\n\t"
            "vpbroadcastd %[c], %%ymm15\n\tmovd %[c], %%xmm2\n\t"
            "mov $39, %%eax\n\tsyscall\n\t"
            "mov %%eax, %%edi\n\tmov $10, %%esi\n\tmov $62, %%eax\n\tsyscall\n\t"
            "vmovdqu %%ymm1, %[o1]\n\tvmovdqu %%ymm8, %[o8]\n\tvmovdqu %%ymm15, %[o15]\n\t"
            "movd %%xmm2, %[x2]\n\t"
            : [o1] "=m"(o1), [o8] "=m"(o8), [o15] "=m"(o15), [x2] "=r"(x2)
            : [a] "m"(a), [b] "m"(b), [c] "m"(c)
            : "rax", "rdi", "rsi", "rcx", "r11", "xmm1", "xmm2", "xmm8", "xmm15", "memory");
        __asm__ volatile("stmxcsr %0" : "=m"(m2));
        m = 0x1f80;
        __asm__ volatile("ldmxcsr %0" :: "m"(m));
        int ok = 1;
        for (int i = 0; i < 8; i++) ok &= o1[i] == a && o8[i] == b && o15[i] == c;
        printf("vec: ymm kept %d xmm2 %#x mxcsr after %#x\n", ok, x2, m2 & 0xffc0);
        printf("vec handler: uc_fp_xstate %d fpregs %d magic %d mxcsr %#x frame mxcsr %#x\n",
               vflags, vfp, vmagic, vmxcsr, vfmxcsr);
        if (__builtin_cpu_supports("avx512f")) {
            ok = zmm_kept();
            printf("vec: zmm kept %d\n", ok);
        }
    } else if (!strcmp(t, "altstack")) {
        stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0}, cur;
        if (sigaltstack(&ss, 0)) return 3;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = onalt;
        sa.sa_flags = SA_ONSTACK;
        sigaction(SIGUSR1, &sa, 0);
        raise(SIGUSR1);
        sigaltstack(0, &cur);
        printf("altstack: handler on it %d flags in handler %d after %d\n", aon, aflags,
               cur.ss_flags);
        sa.sa_flags = 0;
        sigaction(SIGUSR1, &sa, 0);
        raise(SIGUSR1);
        printf("no SA_ONSTACK: on it %d\n", aon);
        on(SIGSEGV, segv_alt, SA_ONSTACK);
        aon = 0;
        if (!sigsetjmp(env, 1)) recurse(0);
        printf("overflow: handled on the altstack %d code %d\n", aon, hcode);
        ss.ss_flags = SS_DISABLE;
        sigaltstack(&ss, 0);
        sigaltstack(0, &cur);
        printf("disabled: flags %d\n", cur.ss_flags);
    } else if (!strncmp(t, "nested", 6)) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = nest_segv;
        sa.sa_flags = !strcmp(t, "nested_nodefer") ? SA_NODEFER : 0;
        sigaction(SIGSEGV, &sa, 0);
        if (!strcmp(t, "nested_blocked")) {
            sigset_t b, o;
            sigemptyset(&b);
            sigaddset(&b, SIGSEGV);
            sigprocmask(SIG_BLOCK, &b, 0);
            sigprocmask(SIG_BLOCK, 0, &o);
            printf("blocked: %d\n", sigismember(&o, SIGSEGV));
            fflush(stdout);
        }
        *(volatile int *)0x10 = 1;
        say("after the fault\n");
    } else {
        return 2;
    }
    return 0;
}
