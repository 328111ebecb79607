/* Ancillary data over a UNIX socketpair: SCM_RIGHTS (one and two descriptors, a buffer
 * too small for both, none at all) and SCM_CREDENTIALS (explicit and kernel-filled), and
 * a malformed cmsg_len. Prints only what is the same on every architecture (data lengths,
 * not cmsg_len, which counts the header), so every build must print what x86-64 prints. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

static int sv[2];

static void through(int fd, int rd, const char *label);

static int send_fds(const int *fds, int n, const char *text)
{
    char buf[CMSG_SPACE(4 * sizeof(int))];
    struct iovec iov = { (void *)text, strlen(text) };
    struct msghdr m = { 0 };
    memset(buf, 0, sizeof buf);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    if (n > 0) {
        m.msg_control = buf;
        m.msg_controllen = CMSG_SPACE(n * sizeof(int));
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(n * sizeof(int));
        memcpy(CMSG_DATA(c), fds, n * sizeof(int));
    }
    return (int)sendmsg(sv[0], &m, 0);
}

/* Receives one message with `room` bytes of control buffer; prints what arrived and
 * returns the first descriptor received (or -1). */
static int recv_fds(size_t room, const char *label)
{
    char data[64];
    char buf[256];
    struct iovec iov = { data, sizeof data - 1 };
    struct msghdr m = { 0 };
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = room ? buf : NULL;
    m.msg_controllen = room;
    ssize_t r = recvmsg(sv[1], &m, 0);
    if (r < 0) {
        printf("%s: recvmsg: %s\n", label, strerror(errno));
        return -1;
    }
    data[r] = 0;
    printf("%s: data '%s' ctrunc %d\n", label, data, !!(m.msg_flags & MSG_CTRUNC));
    int first = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        size_t len = c->cmsg_len - CMSG_LEN(0);
        printf("%s: cmsg level %d type %d data %zu\n", label, c->cmsg_level, c->cmsg_type,
               len);
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int fds[8];
            int n = (int)(len / sizeof(int));
            memcpy(fds, CMSG_DATA(c), n * sizeof(int));
            for (int i = 0; i < n; i++) {
                if (first < 0)
                    first = fds[i];
                else
                    close(fds[i]);
            }
        }
    }
    return first;
}

/* Sends, then receives with `room` bytes of control buffer and writes through the first
 * descriptor received to the pipe read at `rd`. */
static void round_trip(const int *fds, int n, size_t room, int rd, const char *label)
{
    int r = send_fds(fds, n, label);
    printf("%s: sendmsg %d%s%s\n", label, r, r < 0 ? " " : "", r < 0 ? strerror(errno) : "");
    if (r < 0)
        return;
    through(recv_fds(room, label), rd, label);
}

static void through(int fd, int rd, const char *label)
{
    char got[32] = { 0 };
    if (fd < 0) {
        printf("%s: no descriptor\n", label);
        return;
    }
    if (write(fd, label, strlen(label)) < 0 || read(rd, got, sizeof got - 1) < 0)
        printf("%s: %s\n", label, strerror(errno));
    else
        printf("%s: the passed descriptor writes to the pipe: '%s'\n", label, got);
    close(fd);
}

/* sendmmsg/recvmmsg over a datagram socketpair: three messages, the second with a
 * descriptor; recvmmsg with MSG_WAITFORONE and room for four returns the three. */
static void mmsg(int p[2])
{
    int d[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, d) != 0) {
        perror("socketpair dgram");
        return;
    }
    const char *text[3] = { "first", "second!", "3rd" };
    struct iovec iov[4];
    struct mmsghdr mv[4];
    char ctl[4][CMSG_SPACE(sizeof(int))];
    memset(mv, 0, sizeof mv);
    memset(ctl, 0, sizeof ctl);
    for (int i = 0; i < 3; i++) {
        iov[i].iov_base = (void *)text[i];
        iov[i].iov_len = strlen(text[i]);
        mv[i].msg_hdr.msg_iov = &iov[i];
        mv[i].msg_hdr.msg_iovlen = 1;
    }
    mv[1].msg_hdr.msg_control = ctl[1];
    mv[1].msg_hdr.msg_controllen = CMSG_SPACE(sizeof(int));
    struct cmsghdr *c = CMSG_FIRSTHDR(&mv[1].msg_hdr);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &p[1], sizeof(int));
    int n = sendmmsg(d[0], mv, 3, 0);
    printf("sendmmsg: %d, lengths %u %u %u\n", n, mv[0].msg_len, mv[1].msg_len, mv[2].msg_len);

    char buf[4][16];
    memset(mv, 0, sizeof mv);
    memset(buf, 0, sizeof buf);
    for (int i = 0; i < 4; i++) {
        iov[i].iov_base = buf[i];
        iov[i].iov_len = sizeof buf[i] - 1;
        mv[i].msg_hdr.msg_iov = &iov[i];
        mv[i].msg_hdr.msg_iovlen = 1;
        mv[i].msg_hdr.msg_control = ctl[i];
        mv[i].msg_hdr.msg_controllen = CMSG_SPACE(sizeof(int));
    }
    n = recvmmsg(d[1], mv, 4, MSG_WAITFORONE, NULL);
    printf("recvmmsg: %d\n", n);
    for (int i = 0; i < n; i++) {
        struct cmsghdr *r = CMSG_FIRSTHDR(&mv[i].msg_hdr);
        printf("  %d: '%s' len %u, cmsg %s\n", i, buf[i], mv[i].msg_len,
               r ? (r->cmsg_type == SCM_RIGHTS ? "rights" : "other") : "none");
        if (r && r->cmsg_type == SCM_RIGHTS) {
            int fd;
            memcpy(&fd, CMSG_DATA(r), sizeof fd);
            through(fd, p[0], "mmsg");
        }
    }
    close(d[0]);
    close(d[1]);
}

int main(void)
{
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
        perror("socketpair");
        return 1;
    }
    int p[2], q[2];
    if (pipe(p) != 0 || pipe(q) != 0) {
        perror("pipe");
        return 1;
    }

    alarm(20);

    /* One descriptor. */
    round_trip(&p[1], 1, CMSG_SPACE(sizeof(int)), p[0], "one");

    /* Two descriptors in one message. */
    int two[2] = { p[1], q[1] };
    round_trip(two, 2, CMSG_SPACE(2 * sizeof(int)), p[0], "two");

    /* Two sent, room for one (CMSG_LEN: CMSG_SPACE has padding that fits a second one on
     * 64-bit hosts): the second is dropped and MSG_CTRUNC set. */
    round_trip(two, 2, CMSG_LEN(sizeof(int)), p[0], "cut");

    /* No control buffer at all. */
    round_trip(&q[1], 1, 0, q[0], "none");

    /* A cmsg_len past the control buffer is EINVAL. */
    {
        char buf[CMSG_SPACE(sizeof(int))];
        struct iovec iov = { "bad", 3 };
        struct msghdr m = { 0 };
        memset(buf, 0, sizeof buf);
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        m.msg_control = buf;
        m.msg_controllen = sizeof buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = sizeof buf + 4;
        ssize_t r = sendmsg(sv[0], &m, 0);
        printf("bad cmsg_len: %zd %s\n", r, r < 0 ? strerror(errno) : "");
    }

    /* Credentials: explicit, then filled in by the kernel (SO_PASSCRED). */
    int on = 1;
    if (setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0)
        perror("SO_PASSCRED");
    {
        /* Socket options read back: PowerPC numbers SO_PASSCRED and SO_RCVTIMEO its own
         * way, and a 32-bit guest's timeval is two 32-bit words. */
        int v = -1, type = -1;
        socklen_t len = sizeof v, tlen = sizeof type;
        int r = getsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &v, &len);
        int r2 = getsockopt(sv[1], SOL_SOCKET, SO_TYPE, &type, &tlen);
        printf("SO_PASSCRED %d %d len %u, SO_TYPE %d %d len %u\n", r, v, (unsigned)len, r2,
               type, (unsigned)tlen);
        struct timeval tv = { 2, 500000 }, back = { 0, 0 };
        socklen_t blen = sizeof back;
        r = setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        r2 = getsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &back, &blen);
        printf("SO_RCVTIMEO %d %d: %ld.%06ld, len ok %d\n", r, r2, (long)back.tv_sec,
               (long)back.tv_usec, blen == sizeof back);
    }
    {
        char buf[CMSG_SPACE(sizeof(struct ucred))];
        struct ucred cr = { getpid(), getuid(), getgid() };
        struct iovec iov = { "cred", 4 };
        struct msghdr m = { 0 };
        memset(buf, 0, sizeof buf);
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        m.msg_control = buf;
        m.msg_controllen = sizeof buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_CREDENTIALS;
        c->cmsg_len = CMSG_LEN(sizeof cr);
        memcpy(CMSG_DATA(c), &cr, sizeof cr);
        ssize_t r = sendmsg(sv[0], &m, 0);
        printf("send cred: %zd %s\n", r, r < 0 ? strerror(errno) : "");
        if (r < 0)
            return 0;
    }
    for (int round = 0; round < 2; round++) {
        if (round == 1) {
            struct iovec iov = { "auto", 4 };
            struct msghdr m = { 0 };
            m.msg_iov = &iov;
            m.msg_iovlen = 1;
            printf("send plain: %zd\n", sendmsg(sv[0], &m, 0));
        }
        char data[16] = { 0 };
        char buf[CMSG_SPACE(sizeof(struct ucred))];
        struct iovec iov = { data, sizeof data - 1 };
        struct msghdr m = { 0 };
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        m.msg_control = buf;
        m.msg_controllen = sizeof buf;
        ssize_t r = recvmsg(sv[1], &m, 0);
        printf("cred %d: %zd '%s' ctrunc %d\n", round, r, data, !!(m.msg_flags & MSG_CTRUNC));
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
            struct ucred cr;
            memcpy(&cr, CMSG_DATA(c), sizeof cr);
            printf("cred %d: level %d type %d data %zu pid ok %d uid ok %d gid ok %d\n",
                   round, c->cmsg_level, c->cmsg_type, (size_t)(c->cmsg_len - CMSG_LEN(0)),
                   cr.pid == getpid(), cr.uid == getuid(), cr.gid == getgid());
        }
    }
    mmsg(p);
    return 0;
}
