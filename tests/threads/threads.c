/* Guest threads under `xarch run`: each case is one process (`threads <case>`) whose output
 * must equal the native x86-64 build's. Cases: counters (atomic and mutex counters, join
 * values), condvar (ping-pong), tls (__thread), exitvalue (pthread_exit), exit3 (exit(3) in
 * a thread while the others block), signal (pthread_kill runs the handler on that thread),
 * many (threads created and ended in waves), mmap (one thread maps code-free memory that
 * another uses), selfmod (a thread rewrites code that only the first thread ran, while it
 * runs it: every thread's translations of that page must go), mainexit (the first thread
 * leaves by pthread_exit; the process ends when the last thread does), robust (a thread dies
 * holding a robust mutex that the first thread waits for: EOWNERDEAD), forkstress (the first
 * thread forks again and again, argv[2] times (100 by default), while other threads map
 * memory, change signal actions and start threads: every child must run and exit, none may
 * hang on a lock it inherited). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define NTHREADS 4
#define ITERS 20000

static long atomic_counter;
static long locked_counter;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *count(void *arg) {
    long id = (long)arg;
    for (int i = 0; i < ITERS; i++) {
        __atomic_fetch_add(&atomic_counter, 1, __ATOMIC_SEQ_CST);
        pthread_mutex_lock(&lock);
        locked_counter += 2;
        pthread_mutex_unlock(&lock);
    }
    return (void *)(id * 10 + 1);
}

static int counters(void) {
    pthread_t t[NTHREADS];
    for (long i = 0; i < NTHREADS; i++)
        if (pthread_create(&t[i], NULL, count, (void *)i) != 0) return 1;
    long sum = 0;
    for (int i = 0; i < NTHREADS; i++) {
        void *r;
        pthread_join(t[i], &r);
        printf("thread %d returned %ld\n", i, (long)r);
        sum += (long)r;
    }
    printf("atomic %ld locked %ld sum %ld\n", atomic_counter, locked_counter, sum);
    return 0;
}

static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int turn, rounds_done;
#define ROUNDS 2000

static void *pong(void *arg) {
    int me = (int)(long)arg;
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&lock);
        while (turn != me) pthread_cond_wait(&cond, &lock);
        turn = !me;
        rounds_done++;
        pthread_cond_broadcast(&cond);
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

static int condvar(void) {
    pthread_t a, b;
    pthread_create(&a, NULL, pong, (void *)0L);
    pthread_create(&b, NULL, pong, (void *)1L);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("rounds %d turn %d\n", rounds_done, turn);
    return 0;
}

static __thread long tls_value = 7;
static __thread char tls_name[16] = "main";

static void *tls_worker(void *arg) {
    long id = (long)arg;
    long before = tls_value;
    tls_value = id * 100;
    snprintf(tls_name, sizeof tls_name, "worker%ld", id);
    for (int i = 0; i < 100; i++) sched_yield();
    char buf[64];
    snprintf(buf, sizeof buf, "%s:%ld:%ld", tls_name, before, tls_value);
    return strdup(buf);
}

static int tls(void) {
    pthread_t t[NTHREADS];
    for (long i = 0; i < NTHREADS; i++) pthread_create(&t[i], NULL, tls_worker, (void *)(i + 1));
    for (int i = 0; i < NTHREADS; i++) {
        char *s;
        pthread_join(t[i], (void **)&s);
        printf("%s\n", s);
        free(s);
    }
    printf("%s:%ld\n", tls_name, tls_value);
    return 0;
}

static void *exiter(void *arg) {
    (void)arg;
    pthread_exit((void *)42L);
    return NULL;
}

static int exitvalue(void) {
    pthread_t t;
    void *r;
    pthread_create(&t, NULL, exiter, NULL);
    pthread_join(t, &r);
    printf("pthread_exit value %ld\n", (long)r);
    return 0;
}

static void *blocker(void *arg) {
    (void)arg;
    pthread_mutex_lock(&lock);
    for (;;) pthread_cond_wait(&cond, &lock);
    return NULL;
}

static void *exit3_thread(void *arg) {
    (void)arg;
    usleep(20000);
    printf("exiting with 3\n");
    fflush(stdout);
    exit(3);
}

static int exit3(void) {
    pthread_t b, e;
    pthread_create(&b, NULL, blocker, NULL);
    pthread_create(&e, NULL, exit3_thread, NULL);
    pthread_join(b, NULL);
    printf("not reached\n");
    return 0;
}

static pthread_t target;
static volatile sig_atomic_t got_signal, on_target;

static void on_usr1(int sig) {
    got_signal = sig;
    on_target = pthread_equal(pthread_self(), target);
}

static void *wait_signal(void *arg) {
    (void)arg;
    while (!got_signal) usleep(1000);
    return (void *)(long)(syscall(SYS_gettid) != getpid());
}

static int signal_case(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    pthread_create(&target, NULL, wait_signal, NULL);
    pthread_kill(target, SIGUSR1);
    void *r;
    pthread_join(target, &r);
    printf("signal %d on target %d own tid %ld\n", (int)got_signal, (int)on_target, (long)r);
    return 0;
}

static void *small(void *arg) {
    long v = (long)arg;
    long s = 0;
    for (long i = 0; i < 1000 + v; i++) s += i ^ v;
    return (void *)s;
}

static int many(void) {
    long total = 0;
    for (int wave = 0; wave < 4; wave++) {
        pthread_t t[8];
        for (long i = 0; i < 8; i++) pthread_create(&t[i], NULL, small, (void *)(wave * 8 + i));
        for (int i = 0; i < 8; i++) {
            void *r;
            pthread_join(t[i], &r);
            total += (long)r;
        }
    }
    printf("many total %ld\n", total);
    return 0;
}

static unsigned char *volatile shared_map;

static void *mapper(void *arg) {
    (void)arg;
    unsigned char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return (void *)1L;
    for (int i = 0; i < (1 << 20); i += 4096) p[i] = (unsigned char)(i >> 12);
    shared_map = p;
    return NULL;
}

static int mmap_case(void) {
    pthread_t t;
    pthread_create(&t, NULL, mapper, NULL);
    pthread_join(t, NULL);
    long s = 0;
    for (int i = 0; i < (1 << 20); i += 4096) s += shared_map[i];
    munmap(shared_map, 1 << 20);
    printf("mapped by a thread, sum %ld\n", s);
    return 0;
}

/* A function `return v;` in this ISA's machine code at `p`. */
static void write_ret(void *p, int v) {
#if defined(__x86_64__)
    unsigned char *c = p;
    c[0] = 0xb8; /* mov eax, imm32 */
    memcpy(c + 1, &v, 4);
    c[5] = 0xc3; /* ret */
#elif defined(__aarch64__)
    uint32_t *w = p;
    w[0] = 0x52800000u | ((uint32_t)v << 5); /* movz w0, #v */
    w[1] = 0xd65f03c0u;                      /* ret */
#elif defined(__powerpc__)
    uint32_t *w = p;
    w[0] = 0x38600000u | (uint32_t)v; /* li r3, v */
    w[1] = 0x4e800020u;               /* blr */
#else
#error "no code for this ISA"
#endif
    __builtin___clear_cache((char *)p, (char *)p + 8);
}

typedef int (*code_fn)(void);
static void *volatile code_page;

static void *rewriter(void *arg) {
    (void)arg;
    usleep(10000);
    write_ret(code_page, 2);
    return NULL;
}

static int selfmod(void) {
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    if (p == MAP_FAILED) return 1;
    code_page = p;
    write_ret(p, 1);
    code_fn f = (code_fn)p;
    long first = 0;
    for (int i = 0; i < 1000; i++) first += f();
    pthread_t t;
    pthread_create(&t, NULL, rewriter, NULL);
    /* Runs the old code until the other thread's write shows, with no syscall in between. */
    long spins = 0;
    while (f() != 2 && spins < 2000000000L) spins++;
    pthread_join(t, NULL);
    printf("selfmod first %ld now %d seen %d\n", first, f(), spins < 2000000000L);
    write_ret(p, 3);
    printf("selfmod after own write %d\n", f());
    return 0;
}

static void *late_worker(void *arg) {
    usleep(30000);
    printf("worker done after main left\n");
    fflush(stdout);
    return arg;
}

static int mainexit(void) {
    pthread_t t;
    pthread_create(&t, NULL, late_worker, NULL);
    printf("main leaving\n");
    fflush(stdout);
    pthread_exit(NULL);
}

static pthread_mutex_t robust_mutex;
static int robust_held;

static void *robust_owner(void *arg) {
    pthread_mutex_lock(&robust_mutex);
    __atomic_store_n(&robust_held, 1, __ATOMIC_SEQ_CST);
    /* Long enough for the first thread to block on the mutex; dies holding it. */
    usleep(50000);
    (void)syscall(SYS_gettid);
    return arg;
}

static int robust(void) {
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&robust_mutex, &a);
    pthread_t t;
    pthread_create(&t, NULL, robust_owner, NULL);
    while (!__atomic_load_n(&robust_held, __ATOMIC_SEQ_CST)) usleep(1000);
    int r = pthread_mutex_lock(&robust_mutex);
    printf("robust first lock %s\n", r == EOWNERDEAD ? "EOWNERDEAD" : strerror(r));
    pthread_mutex_consistent(&robust_mutex);
    pthread_mutex_unlock(&robust_mutex);
    pthread_join(t, NULL);
    r = pthread_mutex_lock(&robust_mutex);
    printf("robust second lock %d\n", r);
    pthread_mutex_unlock(&robust_mutex);
    return 0;
}

static int stress_stop;

static void *stress_mapper(void *arg) {
    while (!__atomic_load_n(&stress_stop, __ATOMIC_SEQ_CST)) {
        void *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) continue;
        mprotect(p, 4096, PROT_READ);
        munmap(p, 8192);
    }
    return arg;
}

static void stress_handler(int sig) { (void)sig; }

static void *stress_sigaction(void *arg) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = stress_handler;
    while (!__atomic_load_n(&stress_stop, __ATOMIC_SEQ_CST)) {
        sigaction(SIGUSR2, &sa, NULL);
        sigaction(SIGUSR2, NULL, &sa);
    }
    return arg;
}

static void *stress_nothing(void *arg) { return arg; }

static void *stress_spawner(void *arg) {
    while (!__atomic_load_n(&stress_stop, __ATOMIC_SEQ_CST)) {
        pthread_t t;
        if (pthread_create(&t, NULL, stress_nothing, NULL) == 0) pthread_join(t, NULL);
    }
    return arg;
}

static int forkstress(int forks) {
    pthread_t t[3];
    pthread_create(&t[0], NULL, stress_mapper, NULL);
    pthread_create(&t[1], NULL, stress_sigaction, NULL);
    pthread_create(&t[2], NULL, stress_spawner, NULL);
    int ok = 0;
    for (int i = 0; i < forks; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            /* What the other threads were doing, once each, in the child. */
            void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                           -1, 0);
            if (p == MAP_FAILED) _exit(1);
            munmap(p, 4096);
            struct sigaction sa;
            sigaction(SIGUSR2, NULL, &sa);
            pthread_t c;
            if (pthread_create(&c, NULL, stress_nothing, NULL) != 0) _exit(2);
            pthread_join(c, NULL);
            _exit(7);
        }
        int st = 0;
        if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 7)
            ok++;
    }
    __atomic_store_n(&stress_stop, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
    printf("forkstress %d of %d children ran\n", ok, forks);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    const char *c = argv[1];
    if (!strcmp(c, "counters")) return counters();
    if (!strcmp(c, "condvar")) return condvar();
    if (!strcmp(c, "tls")) return tls();
    if (!strcmp(c, "exitvalue")) return exitvalue();
    if (!strcmp(c, "exit3")) return exit3();
    if (!strcmp(c, "signal")) return signal_case();
    if (!strcmp(c, "many")) return many();
    if (!strcmp(c, "mmap")) return mmap_case();
    if (!strcmp(c, "selfmod")) return selfmod();
    if (!strcmp(c, "mainexit")) return mainexit();
    if (!strcmp(c, "robust")) return robust();
    if (!strcmp(c, "forkstress")) return forkstress(argc > 2 ? atoi(argv[2]) : 100);
    return 2;
}
