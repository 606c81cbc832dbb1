"""Core-to-L2 crossbar (CCX) arbiter for one destination (an L2 bank), as on the T1 PCX
(OpenSPARC T1 Microarchitecture Spec §3; ccx_arbctl.v, ccx_arb_srcq.v).

Each source (a core) has a 2-entry queue per destination; a full queue is backpressure.
Age is kept by a 16-deep FIFO of arrival vectors (one bit per source, one vector per
cycle in which requests arrived): the oldest vector is served first; among the sources of
one vector, a fixed-priority scan whose direction flips every cycle (source 0 upward on
even cycles, source 7 downward on odd ones). A request is eligible `min_grant` cycles
after it arrives (request, arbitrate, grant: best case 2). This unit is what the RTL twin
rtl/ccx_arb.v is checked against, cycle by cycle.

State per destination d (arrays of the tuple A):
  VEC   int64 (ndest, 16)   arrival vectors, ring
  VCYC  int64 (ndest, 16)   cycle each vector arrived
  HEAD, CNT int64 (ndest)   ring head and number of vectors
  Q     int64 (ndest, nsrc, 2)  payloads queued per source, ring
  QH, QN int64 (ndest, nsrc)   per-source ring head and count
  MISC  int64 (5,) [min_grant, queue_depth, nsrc, requests, queue-full refusals]"""
from collections import namedtuple

import numpy as np
from numba import njit

FIFO_DEPTH = 16
Arbiters = namedtuple("Arbiters", "VEC VCYC HEAD CNT Q QH QN MISC")
M_MIN_GRANT, M_QDEPTH, M_NSRC, M_REQS, M_FULL = range(5)


def new_arbiters(ndest, nsrc, min_grant=2, qdepth=2):
    return Arbiters(np.zeros((ndest, FIFO_DEPTH), np.int64),
            np.zeros((ndest, FIFO_DEPTH), np.int64),
            np.zeros(ndest, np.int64), np.zeros(ndest, np.int64),
            np.zeros((ndest, nsrc, qdepth), np.int64), np.zeros((ndest, nsrc), np.int64),
            np.zeros((ndest, nsrc), np.int64),
            np.array([min_grant, qdepth, nsrc, 0, 0], np.int64))


@njit(cache=True, nogil=True, _nrt=False)
def enqueue(A, d, src, payload, now):
    """Queue a request from `src` to destination `d` at cycle `now`. False when the
    source's queue for d is full, or when the source already sent d a packet this cycle
    (one packet per source port per cycle): the source must retry."""
    VEC, VCYC, HEAD, CNT, Q, QH, QN, MISC = A
    qd = MISC[M_QDEPTH]
    n = CNT[d]
    tail = (HEAD[d] + n - 1) % FIFO_DEPTH
    if n > 0 and VCYC[d, tail] == now and (VEC[d, tail] >> src) & 1:
        return False
    if QN[d, src] >= qd:
        MISC[M_FULL] += 1
        return False
    Q[d, src, (QH[d, src] + QN[d, src]) % qd] = payload
    QN[d, src] += 1
    if n > 0 and VCYC[d, tail] == now:
        VEC[d, tail] |= np.int64(1) << src
    else:
        t = (HEAD[d] + n) % FIFO_DEPTH
        VEC[d, t] = np.int64(1) << src
        VCYC[d, t] = now
        CNT[d] = n + 1
    MISC[M_REQS] += 1
    return True


@njit(cache=True, nogil=True, _nrt=False)
def arbitrate(A, d, now):
    """Grant at most one request for destination d at cycle `now`.
    Returns (source, payload), or (-1, 0) when nothing is eligible."""
    VEC, VCYC, HEAD, CNT, Q, QH, QN, MISC = A
    if CNT[d] == 0:
        return -1, np.int64(0)
    h = HEAD[d]
    if now - VCYC[d, h] < MISC[M_MIN_GRANT]:
        return -1, np.int64(0)
    v = VEC[d, h]
    nsrc = MISC[M_NSRC]
    src = -1
    if now & 1:
        for k in range(nsrc - 1, -1, -1):
            if (v >> k) & 1:
                src = k
                break
    else:
        for k in range(nsrc):
            if (v >> k) & 1:
                src = k
                break
    v &= ~(np.int64(1) << src)
    VEC[d, h] = v
    if v == 0:
        HEAD[d] = (h + 1) % FIFO_DEPTH
        CNT[d] -= 1
    qd = MISC[M_QDEPTH]
    payload = Q[d, src, QH[d, src]]
    QH[d, src] = (QH[d, src] + 1) % qd
    QN[d, src] -= 1
    return src, payload


@njit(cache=True, nogil=True, _nrt=False)
def next_eligible(A, d):
    """Earliest cycle at which destination d can grant, or -1 if it holds nothing."""
    if A[3][d] == 0:
        return -1
    return A[1][d, A[2][d]] + A[7][M_MIN_GRANT]
