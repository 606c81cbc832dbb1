"""Thread select: the per-core (T1) or per-thread-group (T2) pick of one strand a cycle.

Least-recently-issued wins among the strands that are Ready; only when none is Ready, the
least-recently-issued SpecReady strand (a strand issuing past a load it assumes hits) is
picked (OpenSPARC T1 Microarchitecture Spec §2.3.10-2.3.13, sparc_ifu_lru4.v; T2
pku_pck_ctl.v). The LRU state is an order list per group: ORDER[g, 0] is the least
recently issued strand. This unit is what the RTL twin rtl/thread_select.v is checked
against, cycle by cycle."""
import numpy as np
from numba import njit


def new_order(ngroups, per_group):
    """Initial LRU order: strand 0 of each group least recent."""
    return np.tile(np.arange(per_group, dtype=np.int64), (ngroups, 1))


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def select(order_row, ready_mask, spec_mask):
    """Local index (0..n-1) of the strand to pick in one group, or -1 for none."""
    n = order_row.shape[0]
    for k in range(n):
        s = order_row[k]
        if (ready_mask >> s) & 1:
            return s
    for k in range(n):
        s = order_row[k]
        if (spec_mask >> s) & 1:
            return s
    return -1


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def update(order_row, picked):
    """Make `picked` the most recently issued strand of the group."""
    n = order_row.shape[0]
    k = 0
    while order_row[k] != picked:
        k += 1
    while k < n - 1:
        order_row[k] = order_row[k + 1]
        k += 1
    order_row[n - 1] = picked
