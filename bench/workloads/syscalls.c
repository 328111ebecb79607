/*
 * syscalls: many small system calls. Round trips through a pipe (write then read of 1 to
 * 64 bytes), getpid, and positioned I/O on an unlinked temporary file (lseek, write, read,
 * pread). Almost all time is spent entering and leaving the kernel, or the emulator's
 * syscall layer. Self-check: every byte read back equals what was written, every call
 * returns the expected count, getpid is stable.
 * The temporary file is created in $TMPDIR (default /tmp) and unlinked at once.
 */
#define _GNU_SOURCE
#include "workload.h"
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    uint32_t size = workload_size(argc, argv);
    uint32_t rounds = 30000 * size;
    int ok = 1;
    checksum_t ck;
    checksum_init(&ck);

    int fds[2];
    if (pipe(fds) != 0) {
        perror("syscalls: pipe");
        return 1;
    }
    const char *dir = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/xarch-syscalls-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) {
        perror("syscalls: mkstemp");
        return 1;
    }
    unlink(path);

    pid_t pid = getpid();
    uint8_t out[64], in[64];
    rng_t r = {7};
    uint64_t bytes = 0;
    for (uint32_t i = 0; i < rounds; i++) {
        uint64_t x = rng_next(&r);
        size_t n = 1 + (size_t)(x % 64);
        for (size_t k = 0; k < n; k++)
            out[k] = (uint8_t)(x >> (k % 8 * 8)) ^ (uint8_t)k;

        if (write(fds[1], out, n) != (ssize_t)n || read(fds[0], in, n) != (ssize_t)n ||
            memcmp(in, out, n) != 0)
            ok = 0;
        if (getpid() != pid)
            ok = 0;

        off_t at = (off_t)((x >> 32) % 4096);
        if (lseek(fd, at, SEEK_SET) != at || write(fd, out, n) != (ssize_t)n)
            ok = 0;
        memset(in, 0, n);
        if (lseek(fd, at, SEEK_SET) != at || read(fd, in, n) != (ssize_t)n || memcmp(in, out, n) != 0)
            ok = 0;
        if ((i & 15) == 0) {
            uint8_t b;
            if (pread(fd, &b, 1, at) != 1 || b != out[0])
                ok = 0;
        }
        bytes += n;
    }
    /* The file's final contents, read back in one go. */
    off_t end = lseek(fd, 0, SEEK_END);
    static uint8_t all[4096 + 64];
    if (end < 0 || end > (off_t)sizeof all || pread(fd, all, (size_t)end, 0) != (ssize_t)end)
        ok = 0;
    else
        checksum_bytes(&ck, all, (size_t)end);
    close(fd);
    close(fds[0]);
    close(fds[1]);
    checksum_u64(&ck, bytes);
    printf("%" PRIu32 " rounds, %" PRIu64 " bytes through the pipe\n", rounds, bytes);
    printf("file size %" PRId64 "\n", (int64_t)end);
    return workload_finish("syscalls", ok, &ck);
}
