"""Execute functions for FP operate, FP loads/stores and VIS (being written)."""
from numba import njit

from . import state as S
from .exec_int import T_FP_DISABLED, T_ILLEGAL, fp_enabled


@njit(cache=True, nogil=True)
def exec_fp(R, RM, C, F, M, MMU, inst, iid):
    if not fp_enabled(C):
        return T_FP_DISABLED
    C[S.EXIT_ARG0] = inst
    return S.EXIT_UNIMPL + 0 * T_ILLEGAL
