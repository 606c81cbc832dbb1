/* FP instructions the chip leaves to software (quad-precision FPops, ldqf/stqf; T1's
   fsqrt): Linux completes them in the kernel (arch/sparc/kernel/traps_64.c
   do_illegal_instruction / do_fpother -> math-emu do_mathemu, unaligned_64.c
   handle_ldf_stq). The guest kernel does the same, with one emulator for both `sun4v run`
   and a domain: sun4v/se/mathemu.py, reached over the proxy channel (PROG_OP_MATHEMU) the
   way a trap-and-emulate kernel calls its FPU emulator. The record (struct fpemu_rec) is
   the user state the emulator reads and writes: the PC pair, %fsr, %fprs, the integer
   registers (an ldqf/stqf address), the FP registers; the answer is the new state, or the
   signals Linux sends for what it does not complete (an enabled IEEE trap, an invalid
   register, an ASI it refuses). */
#include "kernel.h"
#include "prog.h"

_Static_assert(sizeof(struct fpemu_rec) == 77 * 8, "fpemu_rec: progproxy.py's layout");

int fpemu_trap(struct trapframe *tf, u64 tt, struct fpemu_rec *rec)
{
    struct thread *t = mycpu()->cur;
    memset(rec, 0, sizeof(*rec));
    rec->tt = tt;
    rec->pc = tf->tpc;
    rec->npc = tf->tnpc;
    rec->fprs = tf->fprs;
    rec->asi = (tf->tstate >> TSTATE_ASI_SHIFT) & 0xff;
    for (int i = 0; i < 8; i++) {
        rec->r[i] = tf->g[i];
        rec->r[8 + i] = tf->o[i];
        rec->r[16 + i] = tf->l[i];
        rec->r[24 + i] = tf->i[i];
    }
    rec->r[0] = 0;
    if (t->fp_used) {                       /* prog_trap saved them (FPRS.FEF was set) */
        memcpy(rec->f, t->fpregs, 256);
        rec->fsr = t->fpregs[32];
    }
    long r = proxy_kcall(PROG_OP_MATHEMU, (u64)rec, sizeof(*rec), 0, 0, 0, 0);
    if (r < 0) {                            /* no emulator: the kernel's own SIGILL */
        rec->nsig = 1;
        rec->sig[0][0] = 4;
        rec->sig[0][1] = 2;                 /* ILL_ILLOPC */
        rec->sig[0][2] = tf->tpc;
        return 1;
    }
    memcpy(t->fpregs, rec->f, 256);
    t->fpregs[32] = rec->fsr;
    t->fp_used = 1;
    fp_restore(t->fpregs);
    tf->fprs = rec->fprs;
    tf->tpc = rec->pc;
    tf->tnpc = rec->npc;
    return (int)rec->nsig;
}
