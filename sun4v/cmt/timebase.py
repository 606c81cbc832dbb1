"""A strand's time, %tick and %stick, and its compare registers (UA2007 §5.7 TICK, STICK,
TICK_CMPR, STICK_CMPR; reference/sun4v.md §1.1 HSTICK_CMPR, HINTP).

One time base per mode: in functional mode a strand's time counts steps (one per retired
instruction, plus the steps credited while it was halted, parked or not started: C[IDLE]),
so all strands of a machine agree on the time at each round of its run loop; in cycle mode
it is the chip's cycle count C[CYCLE]. %tick = C[TICK] + time (C[TICK] is the offset a
`wrpr %tick` sets); %stick = C[STICK] + time * STICK_NUM / STICK_DEN, the platform's
stick frequency over the clock as an exact integer ratio (floor), and C[STICK] the offset
`wr %stick` sets. Counter values compare on bits 62:0; a compare register's bit 63 is its
interrupt disable (set at power-on reset). A match is the counter reaching the compare
value: it sets SOFTINT.TM (bit 0, tick), SOFTINT.SM (bit 16, stick) or HINTP.HSP (hstick).
Wrap-around of the 63-bit counters (2^63 cycles) is not modelled.

The run loop compares C[INSNS] (functional) or the cycle against C[DEADLINE], the next
match as a value of that counter, and only then runs the full check (traps.service)."""
import numpy as np
from numba import njit

from . import state as S

M63 = np.uint64(0x7FFFFFFFFFFFFFFF)
INT_DIS = np.uint64(1 << 63)
NEVER = np.uint64(S.DEADLINE_NEVER)
_U0 = np.uint64(0)
_U1 = np.uint64(1)


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def strand_time(C):
    """The strand's time: cycles in cycle mode, else steps (INSNS + IDLE)."""
    if C[S.TIMING] == np.uint64(S.TIMING_CYCLE):
        return C[S.CYCLE]
    return C[S.INSNS] + C[S.IDLE]


@njit(cache=True, nogil=True, _nrt=False)
def stick_count(C, t):
    """floor(t * STICK_NUM / STICK_DEN), exact for any t (no 64-bit overflow in the
    product)."""
    num = C[S.STICK_NUM]
    den = C[S.STICK_DEN]
    if num == den:
        return t
    q = t // den
    r = t - q * den
    return q * num + (r * num) // den


@njit(cache=True, nogil=True, _nrt=False)
def time_of_stick_count(C, v):
    """The smallest time t with stick_count(t) >= v."""
    num = C[S.STICK_NUM]
    den = C[S.STICK_DEN]
    if num == den:
        return v
    q = v // num
    r = v - q * num
    return q * den + (r * den + num - _U1) // num


@njit(cache=True, nogil=True, _nrt=False)
def tick_value(C, t):
    return (C[S.TICK] + t) & M63


@njit(cache=True, nogil=True, _nrt=False)
def stick_value(C, t):
    return (C[S.STICK] + stick_count(C, t)) & M63


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _crossed(cmpr, last, now):
    """A compare register matched while its counter went from `last` to `now`."""
    if cmpr & INT_DIS:
        return False
    v = cmpr & M63
    return last < v and v <= now


@njit(cache=True, nogil=True, _nrt=False)
def timers_update(C, now):
    """Raise the interrupts of the compare registers matched in (TIMER_LAST, now], then
    TIMER_LAST = now. Call before a compare or counter register changes, so that a write
    takes effect from the current time on (a value already passed does not match)."""
    last = C[S.TIMER_LAST]
    if now <= last:
        return
    if _crossed(C[S.TICK_CMPR], tick_value(C, last), tick_value(C, now)):
        C[S.SOFTINT] |= _U1
    s0 = stick_value(C, last)
    s1 = stick_value(C, now)
    if _crossed(C[S.STICK_CMPR], s0, s1):
        C[S.SOFTINT] |= np.uint64(1 << 16)
    if _crossed(C[S.HSTICK_CMPR], s0, s1):
        C[S.HINTP] |= _U1
    C[S.TIMER_LAST] = now


@njit(cache=True, nogil=True, _nrt=False)
def next_match(C, now):
    """The earliest time after `now` at which an enabled compare register matches, or
    NEVER."""
    best = NEVER
    v = C[S.TICK_CMPR]
    if v & INT_DIS == _U0:
        cur = tick_value(C, now)
        v &= M63
        if v > cur:
            t = now + (v - cur)
            if t < best:
                best = t
    cur = stick_value(C, now)
    for k in range(2):
        v = C[S.STICK_CMPR] if k == 0 else C[S.HSTICK_CMPR]
        if v & INT_DIS == _U0:
            v &= M63
            if v > cur:
                t = time_of_stick_count(C, (v - C[S.STICK]) & M63)
                if t <= now:
                    t = now + _U1
                if t < best:
                    best = t
    return best


@njit(cache=True, nogil=True, _nrt=False)
def set_deadline(C, t):
    """C[DEADLINE] = time t as a value of the counter the run loop compares (INSNS in
    functional mode, the cycle in cycle mode)."""
    if t == NEVER:
        C[S.DEADLINE] = NEVER
    elif C[S.TIMING] == np.uint64(S.TIMING_CYCLE):
        C[S.DEADLINE] = t
    elif t > C[S.IDLE]:
        C[S.DEADLINE] = t - C[S.IDLE]
    else:
        C[S.DEADLINE] = _U0


@njit(cache=True, nogil=True, _nrt=False)
def deadline_time(C):
    """C[DEADLINE] as a time (NEVER when none)."""
    d = C[S.DEADLINE]
    if d == NEVER or C[S.TIMING] == np.uint64(S.TIMING_CYCLE):
        return d
    return d + C[S.IDLE]
