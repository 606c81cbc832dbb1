/* The compute kernel of tests/bench/xlate_loop.c (a Linux program: `sun4v run`, syscall
 * emulation) and tests/baremetal/mmu_loop.c (the full-system machine: privileged mode,
 * both MMUs on, its own TLB entries): `sun4v bench` compares the engine's speed on the
 * two (issue 10 §4's floor: the second at least 70% of the first).  Freestanding: no
 * library calls, only the array it is given.
 *
 * XK_WORDS 64-bit words (256 KB: 32 pages of 8 KB), ROUNDS passes; each iteration loads
 * a word, mixes it into two dependent chains of shifts, adds and xors, stores it back and
 * steps XK_STEP words on (8248 bytes: every access on another page), about 12
 * instructions of which one load and one store. */
#ifndef XLATE_KERNEL_H
#define XLATE_KERNEL_H

#define XK_WORDS (32UL * 1024)
#define XK_STEP 1031UL

static inline void xlate_init(unsigned long *a)
{
	for (unsigned long i = 0; i < XK_WORDS; i++)
		a[i] = i * 0x9e3779b97f4a7c15UL;
}

static inline unsigned long xlate_kernel(unsigned long *a, unsigned long rounds)
{
	unsigned long x = 0x0123456789abcdefUL, y = ~x, j = 0;
	for (unsigned long r = 0; r < rounds; r++)
		for (unsigned long i = 0; i < XK_WORDS; i++) {
			unsigned long v = a[j];
			x ^= v + (x >> 7);
			y += x ^ (y << 11);
			x += y >> 3;
			a[j] = v ^ y;
			j = (j + XK_STEP) & (XK_WORDS - 1);
		}
	return x ^ y;
}
#endif
