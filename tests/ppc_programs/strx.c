/* lswx/stswx (32-bit big-endian PowerPC): copies of every length 0..64 through the
 * registers r14..r29 (16 registers of 4 bytes), with XER's byte count set by mtxer; each
 * copy must store exactly its length. Prints a checksum that qemu-ppc must match. */
#include <stdio.h>
#include <string.h>

static unsigned char src[256], dst[256];

/* lswx r14, 0, src / stswx r14, 0, dst for n <= 64 bytes. */
static void copy(unsigned n)
{
    __asm__ volatile("mtxer %2\n\t"
                     "lswx 14, 0, %0\n\t"
                     "stswx 14, 0, %1\n\t"
                     :
                     : "r"(src), "r"(dst), "r"(n)
                     : "r14", "r15", "r16", "r17", "r18", "r19", "r20", "r21", "r22", "r23",
                       "r24", "r25", "r26", "r27", "r28", "r29", "xer", "memory");
}

int main(void)
{
    for (unsigned i = 0; i < sizeof src; i++)
        src[i] = (unsigned char)(i * 37 + 11);
    unsigned long sum = 0;
    for (unsigned n = 0; n <= 64; n++) {
        memset(dst, 0xee, sizeof dst);
        copy(n);
        int same = memcmp(src, dst, n) == 0;
        int untouched = dst[n] == 0xee;
        if (!same || !untouched)
            printf("n=%u: same %d untouched %d\n", n, same, untouched);
        for (unsigned i = 0; i < 80; i++)
            sum = sum * 31 + dst[i];
    }
    printf("lswx/stswx 0..64 bytes: checksum %lu\n", sum);
    return 0;
}
