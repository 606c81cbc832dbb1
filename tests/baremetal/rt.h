/* Helpers of the freestanding C test programs (crt0.S starts them): the chip's strand
   control, interrupt dispatch, timers and the hypervisor UART, as inline assembly. The
   programs run hyperprivileged, so addresses are physical. rdhpr/wrhpr are encoded as
   words (the assembler takes them only with -Av9v): the value goes through %g1. */
#ifndef RT_H
#define RT_H

typedef unsigned long u64;

#define HV_UART   0xfff0c2c000UL
#define TOD       0xfff0c1fff8UL
#define IOB       0x9800000000UL        /* T1 interrupt unit */
#define NCU       0x8000000000UL        /* T2 interrupt unit */
#define DEV_SSI   2                     /* IOB/NCU device id of the UARTs' interrupt */

#define RDHPR(n) RDHPR_(n)
#define RDHPR_(n) ({ u64 __v; __asm__ volatile(".word 0x83480000 | (" #n " << 14)\n\t" \
	"mov %%g1, %0" : "=r"(__v) : : "g1"); __v; })
#define WRHPR(n, v) WRHPR_(n, v)
#define WRHPR_(n, v) __asm__ volatile("mov %0, %%g1\n\t.word 0x81980000 | (" #n " << 25) | (1 << 14)" \
	: : "r"((u64)(v)) : "g1", "memory")
#define HPR_HPSTATE 0
#define HPR_HINTP 3
#define HPR_HVER 6
#define HPR_HSTICK_CMPR 31

#define LDXA(va, asi) LDXA_(va, asi)
#define STXA(v, va, asi) STXA_(v, va, asi)
#define LDXA_(va, asi) ({ u64 __v; __asm__ volatile("ldxa [%1] " #asi ", %0" \
	: "=r"(__v) : "r"((u64)(va)) : "memory"); __v; })
#define STXA_(v, va, asi) __asm__ volatile("stxa %0, [%1] " #asi \
	: : "r"((u64)(v)), "r"((u64)(va)) : "memory")

static inline u64 ld64(u64 pa) { return *(volatile u64 *)pa; }
static inline void st64(u64 pa, u64 v) { *(volatile u64 *)pa = v; }
static inline unsigned char ld8(u64 pa) { return *(volatile unsigned char *)pa; }
static inline void st8(u64 pa, unsigned char v) { *(volatile unsigned char *)pa = v; }

static inline int is_t1(void) { return ((RDHPR(HPR_HVER) >> 32) & 0xffff) == 0x23; }
static inline u64 nstrands(void) { return is_t1() ? 32 : 64; }
static inline u64 strand_id(void)
{
	u64 v;
	if (is_t1()) {
		__asm__ volatile("rd %%asr26, %0" : "=r"(v));
		return (v >> 8) & 0x1f;
	}
	return LDXA(0x10, 0x63) & 0xff;
}

/* %stick and %tick when the last interrupt was taken (crt0.S call_interrupt) */
extern volatile u64 trap_stick, trap_tick;

static inline u64 rd_stick(void) { u64 v; __asm__ volatile("rd %%asr24, %0" : "=r"(v)); return v; }
static inline u64 rd_tick(void) { u64 v; __asm__ volatile("rd %%tick, %0" : "=r"(v)); return v; }

/* PSTATE.ie on/off (hyperprivileged: interrupt_vector and hstick_match need it) */
static inline void intr_enable(void) { __asm__ volatile("wrpr %%g0, 0x16, %%pstate" ::: "memory"); }
static inline void intr_disable(void) { __asm__ volatile("wrpr %%g0, 0x14, %%pstate" ::: "memory"); }

/* halt this strand until an interrupt is pending (T1 %asr26 ACTIVE = 0, T2 %hpr30) */
static inline void halt(void)
{
	if (is_t1())
		__asm__ volatile("wr %%g0, 0, %%asr26" ::: "memory");
	else
		__asm__ volatile(".word 0x81980000 | (30 << 25)" ::: "memory");
}

/* halt until `cond` holds, `cond` set by an interrupt handler. Interrupts are off while
   `cond` is tested and the strand halts, so that an interrupt taken between the test and
   the halt cannot be lost (a halted strand wakes when an interrupt is pending, whatever
   PSTATE.ie); each is taken when they are on again. Interrupts are on at the end. */
#define HALT_UNTIL(cond) do {				\
		for (;;) {				\
			intr_disable();			\
			if (cond)			\
				break;			\
			halt();				\
			intr_enable();			\
		}					\
		intr_enable();				\
	} while (0)

/* interrupt dispatch, INT_VEC_DIS format: type 17:16, target 8 up, vector 5:0 */
#define DIS_INTR 0
#define DIS_RESET 1
#define DIS_IDLE 2
#define DIS_RESUME 3
static inline void dispatch(u64 type, u64 target, u64 vec)
{
	u64 v = (type << 16) | (target << 8) | vec;
	if (is_t1() && type != DIS_INTR)
		st64(IOB + 0x800, v);           /* IOB INT_VEC_DIS */
	else
		STXA(v, 0, 0x73);               /* ASI_INTR_W */
}

/* start / park / resume another strand as the chip does it */
static inline void start_strand(u64 t)
{
	if (is_t1())
		dispatch(DIS_RESUME, t, 0);
	else
		STXA(1UL << t, 0x60, 0x41);     /* CORE_RUNNING_W1S */
}
static inline void park_strand(u64 t)
{
	if (is_t1())
		dispatch(DIS_IDLE, t, 0);
	else
		STXA(1UL << t, 0x68, 0x41);     /* CORE_RUNNING_W1C */
}
static inline u64 running_strands(void) { return LDXA(0x58, 0x41); }   /* T2 only */

/* incoming interrupt vector (ASI 0x74: the highest pending, cleared) */
static inline u64 take_vector(void) { return LDXA(0, 0x74); }

/* device interrupt routing: INT_MAN[dev] = target strand, vector */
static inline void route_device(u64 dev, u64 strand, u64 vec)
{
	st64((is_t1() ? IOB : NCU) + 8 * dev, (strand << 8) | vec);
}

static inline void putc_hv(char c) { st8(HV_UART, c); }
static inline void puts_hv(const char *s) { while (*s) putc_hv(*s++); }
static inline void putu_hv(u64 v)
{
	char b[24];
	int n = 0;
	do { b[n++] = '0' + v % 10; v /= 10; } while (v);
	while (n) putc_hv(b[--n]);
}
#endif
