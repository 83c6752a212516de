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
def pw_block(a, r, lo, n):
    """numpy's pairwise summation (loops_utils.h) of a[r, lo:lo+n], n <= 128."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[r, lo + i]
        return res
    r0 = a[r, lo]
    r1 = a[r, lo + 1]
    r2 = a[r, lo + 2]
    r3 = a[r, lo + 3]
    r4 = a[r, lo + 4]
    r5 = a[r, lo + 5]
    r6 = a[r, lo + 6]
    r7 = a[r, lo + 7]
    i = 8
    m = n - (n % 8)
    while i < m:
        r0 += a[r, lo + i]
        r1 += a[r, lo + i + 1]
        r2 += a[r, lo + i + 2]
        r3 += a[r, lo + i + 3]
        r4 += a[r, lo + i + 4]
        r5 += a[r, lo + i + 5]
        r6 += a[r, lo + i + 6]
        r7 += a[r, lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[r, lo + i]
        i += 1
    return res


@jit
def pw_sum(a, r, lo, n):
    """numpy's pairwise summation of a[r, lo:lo+n] (``a`` 2-D)."""
    if n <= 128:
        return pw_block(a, r, lo, n)
    return pw_long(a, r, lo, n)


@jit
def pw_long(a, r, lo, n):
    """numpy's pairwise summation of a[r, lo:lo+n], n > 128: blocks of <= 128 combined as numpy's
    recursion does (left + right), with an explicit stack (numba's cache mishandles recursive
    functions). Apart from ``pw_sum``, so that a short sum does not pay for the stack: 6,000 sums
    of a dozen took 0.26 ms with it in the same function, 0.18 ms apart."""
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
            ret = pw_block(a, r, l_, n_)
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
    """np.add.reduce of a contiguous 1-D slice a[lo:lo+n]: the identity 0.0 plus the pairwise
    sum."""
    return 0.0 + pw_sum(a.reshape((1, a.size)), 0, lo, n)


@jit
def row_sum(a, i):
    """np.add.reduce of row ``i`` of a 2-D array of at most 128 columns (a council's targets: at
    most 20, ``scenario.Scheme.targets_per_authority``), as ``a[i].sum()`` gives it, without
    making the row's view: a view a row costs reference counting, and the diversion's sum over
    every council each quarter took a tenth of a run."""
    return 0.0 + pw_block(a, i, 0, a.shape[1])
