#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/time.h>
#include <sys/wait.h>

/* Guest signal delivery cases for tests/signals.rs: `sig CASE` prints what the handlers saw;
 * the native x86-64 build is the reference for both xarch run arches. */

static volatile sig_atomic_t got, got_signo, got_pid_ok;
static void h(int s) { got = s; }
static void hinfo(int s, siginfo_t *si, void *uc) {
    (void)uc;
    got_signo = si->si_signo;
    got_pid_ok = si->si_pid == getpid();
}

static char order[16];
static volatile int order_n;
static void h2(int s) { (void)s; order[order_n++] = '2'; order[order_n] = 0; }
static void nest(int s) {
    (void)s;
    order[order_n++] = '1'; order[order_n] = 0;
    raise(SIGUSR2);
    order[order_n++] = 'e'; order[order_n] = 0;
}

/* "state": a 1 ms timer interrupts a loop that keeps integer, floating-point and (where
 * the compiler vectorises) vector values in registers; the handler clobbers registers of its
 * own. The loop's result is exact only if sigreturn restores every register. */
static volatile int ticks;
static volatile double hsink;
static double hsink_f;
static void tick(int s) {
    (void)s;
    double x = 1.5, y = 0;
    for (int i = 0; i < 50; i++) { y += x * i; x = x * 1.0001 + 0.25; }
    hsink = y;
    ticks++;
}
static uint64_t work(unsigned n, double *fout) {
    uint64_t a = 1, b = 7;
    double f = 0.5, g = 1.25;
    static unsigned v[256];
    for (unsigned i = 0; i < n; i++) {
        a = a * 6364136223846793005UL + b;
        b ^= a >> 29;
        f = f * 0.999999 + (double)(a & 1023) * 1e-3;
        g = g + f / (1.0 + (double)(i & 7));
        v[i & 255] += (unsigned)(a >> 40) ^ i;
    }
    uint64_t vs = 0;
    for (int i = 0; i < 256; i++) vs = vs * 31 + v[i];
    *fout = f + g;
    return a ^ b ^ vs;
}

int main(int argc, char **argv) {
    const char *t = argc > 1 ? argv[1] : "all";
    int all = !strcmp(t, "all");
    if (all || !strcmp(t, "raise")) {
        signal(SIGUSR1, h);
        got = 0; raise(SIGUSR1);
        printf("raise: got %d\n", got);
        got = 0; kill(getpid(), SIGUSR1);
        printf("kill: got %d\n", got);
    }
    if (all || !strcmp(t, "siginfo")) {
        struct sigaction sa; memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = hinfo; sa.sa_flags = SA_SIGINFO;
        sigaction(SIGUSR2, &sa, 0);
        kill(getpid(), SIGUSR2);
        printf("siginfo: signo %d pid_ok %d\n", got_signo, got_pid_ok);
    }
    if (all || !strcmp(t, "alarm")) {
        signal(SIGALRM, h);
        got = 0; alarm(1); pause();
        printf("alarm+pause: got %d\n", got);
    }
    if (all || !strcmp(t, "samask")) {
        /* sa_mask blocks SIGUSR2 while the SIGUSR1 handler runs; it arrives after. */
        struct sigaction sa; memset(&sa, 0, sizeof sa);
        sa.sa_handler = nest; sigemptyset(&sa.sa_mask); sigaddset(&sa.sa_mask, SIGUSR2);
        sigaction(SIGUSR1, &sa, 0);
        signal(SIGUSR2, h2);
        order_n = 0; raise(SIGUSR1);
        printf("samask: order %s\n", order);
        sa.sa_flags = SA_NODEFER; sigemptyset(&sa.sa_mask); sigaction(SIGUSR1, &sa, 0);
        order_n = 0; raise(SIGUSR1);
        printf("samask nodefer: order %s\n", order);
    }
    if (all || !strcmp(t, "mask")) {
        sigset_t s, old; sigemptyset(&s); sigaddset(&s, SIGUSR1);
        signal(SIGUSR1, h);
        sigprocmask(SIG_BLOCK, &s, &old);
        got = 0; raise(SIGUSR1);
        printf("blocked: got %d\n", got);
        sigprocmask(SIG_SETMASK, &old, 0);
        printf("unblocked: got %d\n", got);
    }
    if (all || !strcmp(t, "chld")) {
        signal(SIGCHLD, h);
        got = 0;
        pid_t p = fork();
        if (p == 0) _exit(3);
        int st; while (waitpid(p, &st, 0) < 0) {}
        while (!got) {}
        printf("chld: got %d status %d\n", got, WEXITSTATUS(st));
    }
    if (all || !strcmp(t, "loop")) {
        signal(SIGALRM, h);
        got = 0; alarm(1);
        volatile unsigned long n = 0;
        while (!got) n++;
        printf("loop: got %d\n", got);
    }
    if (all || !strcmp(t, "resethand")) {
        struct sigaction sa, o; memset(&sa, 0, sizeof sa);
        sa.sa_handler = h; sa.sa_flags = SA_RESETHAND;
        sigaction(SIGUSR1, &sa, 0);
        got = 0; raise(SIGUSR1);
        sigaction(SIGUSR1, 0, &o);
        printf("resethand: got %d now default %d\n", got, o.sa_handler == SIG_DFL);
    }
    if (all || !strcmp(t, "restart")) {
        int fd[2];
        if (pipe(fd)) return 1;
        struct sigaction sa; memset(&sa, 0, sizeof sa);
        sa.sa_handler = h; sa.sa_flags = SA_RESTART;
        sigaction(SIGALRM, &sa, 0);
        pid_t p = fork();
        if (p == 0) { sleep(2); _exit(write(fd[1], "x", 1) != 1); }
        got = 0; alarm(1);
        char c = 0; ssize_t r = read(fd[0], &c, 1);
        printf("restart: read %zd %c got %d\n", r, c, got);
        waitpid(p, 0, 0);
        sa.sa_flags = 0; sigaction(SIGALRM, &sa, 0);
        alarm(1); r = read(fd[0], &c, 1);
        printf("no restart: read %zd got %d\n", r, got);
    }
    if (all || !strcmp(t, "state")) {
        signal(SIGALRM, tick);
        struct itimerval it = {{0, 1000}, {0, 1000}};
        setitimer(ITIMER_REAL, &it, 0);
        double f;
        uint64_t r = 0;
        for (int k = 0; k < 40; k++) r += work(25000, &f);
        while (ticks < 3) work(1000, &hsink_f);
        struct itimerval off = {{0, 0}, {0, 0}};
        setitimer(ITIMER_REAL, &off, 0);
        printf("state: %lx %.6f interrupted %d\n", (unsigned long)(r & 0xffffffff), f, ticks >= 3);
    }
    return 0;
}
