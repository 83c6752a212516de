"""numpy's own summation, for the compiled quarter (``quarter.py``).

numpy sums an array pairwise (``loops_utils.h``), which rounds differently from a running sum. The
quarter's means (diversion, inspection scores, rewards paid, the recorded means) use the same
summation as numpy, so that a mean computed in the quarter equals the one ``numpy.mean`` gives on
the arrays it leaves (and results did not move when the quarter moved from numpy to numba).
"""

from __future__ import annotations

import numba as nb
import numpy as np

# Recursion must not appear in a cached kernel (numba 0.68 segfaults loading it): pw_sum is
# iterative.
jit = nb.njit(cache=True, fastmath=False, error_model="numpy", boundscheck=False)

# ---------------------------------------------------------------- numpy-identical reductions


@jit
def pw_block(a, lo, n):
    """numpy's pairwise summation (loops_utils.h) of a[lo:lo+n], n <= 128."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[lo + i]
        return res
    r0 = a[lo]
    r1 = a[lo + 1]
    r2 = a[lo + 2]
    r3 = a[lo + 3]
    r4 = a[lo + 4]
    r5 = a[lo + 5]
    r6 = a[lo + 6]
    r7 = a[lo + 7]
    i = 8
    m = n - (n % 8)
    while i < m:
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@jit
def pw_sum(a, lo, n):
    """numpy's pairwise summation of a[lo:lo+n]: blocks of <= 128 combined as numpy's recursion
    does (left + right), with an explicit stack (numba's cache mishandles recursive functions)."""
    if n <= 128:
        return pw_block(a, lo, n)
    s_lo = np.empty(64, np.int64)
    s_n = np.empty(64, np.int64)
    s_phase = np.zeros(64, np.int64)
    s_left = np.empty(64)
    s_lo[0] = lo
    s_n[0] = n
    sp = 1
    ret = 0.0
    while sp > 0:
        top = sp - 1
        l_, n_ = s_lo[top], s_n[top]
        if n_ <= 128:
            ret = pw_block(a, l_, n_)
            sp -= 1
            continue
        n2 = n_ // 2
        n2 -= n2 % 8
        ph = s_phase[top]
        if ph == 0:
            s_phase[top] = 1
            s_lo[sp], s_n[sp], s_phase[sp] = l_, n2, 0
            sp += 1
        elif ph == 1:
            s_left[top] = ret
            s_phase[top] = 2
            s_lo[sp], s_n[sp], s_phase[sp] = l_ + n2, n_ - n2, 0
            sp += 1
        else:
            ret = s_left[top] + ret
            sp -= 1
    return ret


@jit
def np_sum(a, lo, n):
    """np.add.reduce of a contiguous 1-D slice: the identity 0.0 plus the pairwise sum."""
    return 0.0 + pw_sum(a, lo, n)
