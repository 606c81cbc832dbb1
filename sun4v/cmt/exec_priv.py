"""Execute function for privileged/hyperprivileged register and trap-return instructions
(being written)."""
from numba import njit

from . import state as S
from .exec_int import T_PRIV_OPCODE, is_priv


@njit(cache=True, nogil=True)
def exec_priv(R, RM, C, inst, iid):
    if not is_priv(C):
        return T_PRIV_OPCODE
    C[S.EXIT_ARG0] = inst
    return S.EXIT_UNIMPL
