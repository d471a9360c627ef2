"""Jitted helpers called by generated kernels.

Each helper reproduces the semantics of the PySD function of the same name
(``pysd.py_backend.functions`` and ``lookups``) for scalar float arguments.
Generated modules import all of them (``from ... import *``, so every helper must be in
``__all__``); nothing else imports this module, so code generation never loads numba.
:func:`f_load_tuple` and :func:`f_store_tuple` are not Vensim functions: they move runs of
scalars between an array and a tuple for the generated code (see their docstrings).
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba.core import cgutils, types
from numba.extending import intrinsic
from numba.np.arrayobj import load_item, store_item

__all__ = [
    "JIT_OPTIONS",
    "SMALL_VENSIM",
    "f_allocate_available",
    "f_allocate_by_priority",
    "f_delay_ddt",
    "f_delay_order",
    "f_delayn_ddt",
    "f_fixed_delay_order",
    "f_integer",
    "f_interp_hold",
    "f_invert_matrix",
    "f_load_tuple",
    "f_log",
    "f_lookup",
    "f_max",
    "f_min",
    "f_mix64",
    "f_modulo",
    "f_nan_add",
    "f_nan_max",
    "f_nan_min",
    "f_nan_mul",
    "f_nan_reduce_add",
    "f_nan_reduce_max",
    "f_nan_reduce_min",
    "f_nan_reduce_mul",
    "f_ndtri",
    "f_pulse",
    "f_pulse_magnitude",
    "f_pulse_train",
    "f_quantum",
    "f_ramp",
    "f_ramp_open",
    "f_random_beta",
    "f_random_binomial",
    "f_random_exponential",
    "f_random_lookup",
    "f_random_negative_binomial",
    "f_random_normal",
    "f_random_poisson",
    "f_random_triangular",
    "f_random_uniform",
    "f_random_weibull",
    "f_smooth_ddt",
    "f_stage_update",
    "f_step",
    "f_store_tuple",
    "f_vector_elm_map",
    "f_vector_rank",
    "f_vector_reorder",
    "f_vector_select",
    "f_vector_sort_order",
    "f_xidz",
    "f_zidz",
]

#: The one place where jit options are set (fastmath stays off: results must
#: match PySD to 1e-9).
JIT_OPTIONS = {"cache": True, "fastmath": False, "error_model": "numpy", "nogil": True}

SMALL_VENSIM = 1e-6

_jit = numba.njit(**JIT_OPTIONS)


def _entry_pointer(context, builder, aryty, ary, k: int):
    """Pointer to entry ``k`` (a constant) of the one-dimensional array ``ary``: for a contiguous
    array the address numba's indexing computes for it (``data + k``) without its general
    indexing code, which took half of these helpers' code generation (0.15 of 0.32 s on the
    NHS kernel, under a profiler)."""
    index = context.get_constant(types.intp, k)
    if aryty.layout in "CF":
        return builder.gep(ary.data, [index])
    return cgutils.get_item_pointer(context, builder, aryty, ary, [index], wraparound=False)


@intrinsic
def f_load_tuple(typingctx, ary, start, n):
    """``(ary[start], ..., ary[start + n - 1])`` for constant ``start`` and ``n``.

    The generated kernel reads the sample's parameters and the carried states through it: one
    call is one statement for numba, where ``n`` reads of ``ary[k]`` were ``n`` (numba types
    and lowers every array index through its general indexing code, about a millisecond each
    on the NHS kernel). The machine code loads the same entries as ``ary[k]`` does, without
    bounds checks (numba's default), so results are bit-identical.
    """
    if not (isinstance(ary, types.Array) and ary.ndim == 1
            and isinstance(start, types.IntegerLiteral) and isinstance(n, types.IntegerLiteral)):
        return None
    first, count = start.literal_value, n.literal_value
    if first < 0 or count < 1:
        return None

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        arr = context.make_array(aryty)(context, builder, args[0])
        values = [load_item(context, builder, aryty,
                            _entry_pointer(context, builder, aryty, arr, first + k))
                  for k in range(count)]
        return context.make_tuple(builder, signature.return_type, values)

    return types.UniTuple(ary.dtype, count)(ary, start, n), codegen


@intrinsic
def f_store_tuple(typingctx, ary, start, values):
    """``ary[start + k] = values[k]`` for every entry of the tuple ``values`` (constant
    ``start``), each value converted to the array's type as ``ary[k] = value`` converts it.

    The generated kernel copies the saved row and the carried states through it: the copy is
    straight-line stores, where a tuple indexed in a loop (``row[c + 50] = t[c]``) was a switch
    over the tuple's entries that LLVM unrolled (half a second of the NHS kernel's compile).
    """
    if not (isinstance(ary, types.Array) and ary.ndim == 1 and ary.mutable
            and isinstance(start, types.IntegerLiteral) and isinstance(values, types.BaseTuple)
            and start.literal_value >= 0
            and all(isinstance(t, (types.Number, types.Boolean)) for t in values.types)):
        return None
    first = start.literal_value

    def codegen(context, builder, signature, args):
        aryty, _, tuplety = signature.args
        arr = context.make_array(aryty)(context, builder, args[0])
        for k, ty in enumerate(tuplety.types):
            value = context.cast(builder, builder.extract_value(args[2], k), ty, aryty.dtype)
            store_item(context, builder, aryty, value,
                       _entry_pointer(context, builder, aryty, arr, first + k))
        return context.get_dummy_value()

    return types.none(ary, start, values), codegen


@_jit
def f_step(time, time_step, value, tstep):
    """STEP(value, tstep): ``value`` once ``time + TIME STEP/2 > tstep``."""
    return value if time + time_step / 2.0 > tstep else 0.0


@_jit
def f_ramp(time, slope, start, finish):
    """RAMP(slope, start, finish)."""
    final = min(time, finish)
    if time + SMALL_VENSIM > start:
        return slope * (final - start)
    return 0.0


@_jit
def f_ramp_open(time, slope, start):
    """XMILE RAMP(slope, start) without an end."""
    if time + SMALL_VENSIM > start:
        return slope * (time - start)
    return 0.0


@_jit
def f_pulse(time, start, width):
    """PULSE(start, width): 1 during ``[start, start + width)``."""
    if start - SMALL_VENSIM <= time < start + width:
        return 1.0
    return 0.0


@_jit
def f_pulse_train(time, start, repeat_time, width, end, out):
    """PULSE TRAIN(start, width, interval, end) (PySD argument order: start, interval, width, end)."""
    if repeat_time == 0.0:
        if start - SMALL_VENSIM <= time < start + width:
            return out
        return 0.0
    if start <= time < end:
        if (time - start + SMALL_VENSIM) % repeat_time < width:
            return out
        return 0.0
    return 0.0


@_jit
def f_pulse_magnitude(time, time_step, start, magnitude, repeat_time):
    """XMILE PULSE(magnitude, start[, interval]): ``magnitude / TIME STEP`` for one step."""
    return f_pulse_train(
        time, start, repeat_time, 0.5 * time_step, math.inf, magnitude / time_step
    )


@_jit
def f_xidz(a, b, x):
    """XIDZ(a, b, x): ``x`` if ``|b| < 1e-6`` else ``a / b``."""
    if abs(b) < SMALL_VENSIM:
        return x
    return a / b


@_jit
def f_zidz(a, b):
    """ZIDZ(a, b): ``0`` if ``|b| < 1e-6`` else ``a / b``."""
    if abs(b) < SMALL_VENSIM:
        return 0.0
    return a / b


@_jit
def f_integer(x):
    """INTEGER(x): truncation towards zero."""
    return float(np.trunc(x))


@_jit
def f_quantum(a, b):
    """QUANTUM(a, b): ``a`` if ``b < 1e-6`` else ``b * INTEGER(a / b)``."""
    if b < SMALL_VENSIM:
        return a
    return b * float(np.trunc(a / b))


@_jit
def f_modulo(x, m):
    """MODULO(x, m) = ``x - QUANTUM(x, m)`` (Vensim sign convention)."""
    return x - f_quantum(x, m)


@_jit
def f_min(a, b):
    """MIN(a, b) with numpy's NaN propagation."""
    if math.isnan(a) or math.isnan(b):
        return math.nan
    return min(a, b)


@_jit
def f_max(a, b):
    """MAX(a, b) with numpy's NaN propagation."""
    if math.isnan(a) or math.isnan(b):
        return math.nan
    return max(a, b)


@_jit
def f_nan_add(acc, x):
    """One step of SUM over cells as xarray's ``sum`` (NaN skipped)."""
    return acc if math.isnan(x) else acc + x


@_jit
def f_nan_mul(acc, x):
    """One step of PROD over cells as xarray's ``prod`` (NaN skipped)."""
    return acc if math.isnan(x) else acc * x


@_jit
def f_nan_min(acc, x):
    """One step of VMIN over cells as xarray's ``min``: NaN skipped, NaN if every cell is."""
    if math.isnan(x):
        return acc
    if math.isnan(acc):
        return x
    return min(acc, x)


@_jit
def f_nan_max(acc, x):
    """One step of VMAX over cells as xarray's ``max``: NaN skipped, NaN if every cell is."""
    if math.isnan(x):
        return acc
    if math.isnan(acc):
        return x
    return max(acc, x)


@_jit
def f_nan_reduce_add(cells):
    """SUM over ``cells`` (an array slice), left to right: ``f_nan_add`` from 0."""
    acc = 0.0
    for x in cells:
        acc = f_nan_add(acc, x)
    return acc


@_jit
def f_nan_reduce_mul(cells):
    """PROD over ``cells``, left to right: ``f_nan_mul`` from 1."""
    acc = 1.0
    for x in cells:
        acc = f_nan_mul(acc, x)
    return acc


@_jit
def f_nan_reduce_min(cells):
    """VMIN over ``cells``, left to right: ``f_nan_min`` from NaN."""
    acc = math.nan
    for x in cells:
        acc = f_nan_min(acc, x)
    return acc


@_jit
def f_nan_reduce_max(cells):
    """VMAX over ``cells``, left to right: ``f_nan_max`` from NaN."""
    acc = math.nan
    for x in cells:
        acc = f_nan_max(acc, x)
    return acc


@_jit
def f_log(x, base):
    """LOG(x, base) = ``ln(x) / ln(base)``."""
    return np.log(x) / np.log(base)


@_jit
def f_lookup(x, xs, ys, slopes, mode):
    """Evaluate a lookup table at ``x`` as PySD does; ``slopes[j]`` is the slope of the segment
    from point ``j - 1`` to point ``j`` (``_builtins.lookup_slopes``).

    ``mode`` 0 interpolates and holds the end values outside the table,
    1 extrapolates linearly (XMILE ``extrapolate``), 2 holds the last point at
    or below ``x`` (XMILE ``discrete``, data ``hold_backward``), 3 takes the next
    point (data ``look_forward``), 4 is NaN except at the points (data ``raw``).
    """
    if math.isnan(x):  # as np.interp; the searches below would index past the table's end
        return math.nan
    n = xs.shape[0]
    if mode == 4:  # data "raw": only at the times in the file
        for j in range(n):
            if xs[j] == x:
                return ys[j]
        return math.nan
    if x > xs[n - 1]:
        if mode == 1:
            k = (ys[n - 1] - ys[n - 2]) / (xs[n - 1] - xs[n - 2])
            return ys[n - 1] + k * (x - xs[n - 1])
        return ys[n - 1]
    if x < xs[0]:
        if mode == 1:
            k = (ys[1] - ys[0]) / (xs[1] - xs[0])
            return ys[0] + k * (x - xs[0])
        return ys[0]
    # first index with xs[j] >= x: a linear scan for a short table (no call, predictable
    # branches: a third less time per lookup than np.searchsorted), a binary search otherwise.
    # xs[0] <= x <= xs[n - 1] here (x is not NaN), so the scan stops at n - 1 at the latest.
    if n <= 16:
        j = 0
        while xs[j] < x:
            j += 1
    else:
        j = np.searchsorted(xs, x)
    if xs[j] == x:
        return ys[j]
    if mode == 2:
        return ys[j - 1]
    if mode == 3:  # data "look_forward": the next value in the file
        return ys[j]
    return slopes[j] * (x - xs[j - 1]) + ys[j - 1]


@_jit
def f_interp_hold(x, xs, ys, m):
    """``np.interp(x, xs[:m], ys[:m])``: a time-series parameter (holds at the ends)."""
    return np.interp(x, xs[:m], ys[:m])


# Stage chains of SMOOTH N / DELAY N as helpers: one call per cell in the kernel instead of
# two loops, which keeps numba's and LLVM's work per cell small (the arithmetic, and its
# order, is exactly PySD's).
@_jit
def f_smooth_ddt(a, da, n, x, t):
    """Derivatives of an order-``n`` SMOOTH's stages ``a`` (input ``x``, smooth time ``t``)."""
    for j in range(n - 1, 0, -1):
        da[j] = (a[j - 1] - a[j]) * n / t
    da[0] = (x - a[0]) * n / t


@_jit
def f_delay_ddt(a, da, n, x, t):
    """Derivatives of an order-``n`` DELAY's stages ``a`` (input ``x``, delay time ``t``)."""
    for j in range(n - 1, 0, -1):
        da[j] = (a[j - 1] / t - a[j] / t) * n
    da[0] = (x - a[0] / t) * n


@_jit
def f_delayn_ddt(a, da, tm, n, x, t):
    """Derivatives of a DELAY N with a variable delay time (stage times ``tm`` shift along)."""
    for j in range(n - 1, 0, -1):
        tm[j] = tm[j - 1]
    tm[0] = t
    for j in range(n - 1, 0, -1):
        da[j] = (a[j - 1] / tm[j - 1] - a[j] / tm[j]) * n
    da[0] = (x - a[0] / tm[0]) * n


@_jit
def f_stage_update(a, da, n, time_step):
    """Euler step of the stages of a SMOOTH or DELAY: ``a + da * TIME STEP``."""
    for j in range(n):
        a[j] = a[j] + da[j] * time_step


@_jit
def f_delay_order(order, time_step, delay_time):
    """Delay order as PySD sets it: reduced while ``order * TIME STEP > delay time``."""
    k = int(order)
    while k * time_step > delay_time:
        k -= 1
    return k


@_jit
def f_fixed_delay_order(delay_time, time_step):
    """Length of a DELAY FIXED pipe: ``round(max(delay / TIME STEP, 1) + 1e-6)``."""
    order = delay_time / time_step
    order = max(order, 1.0)
    return round(order + SMALL_VENSIM)


# ----------------------------------------------------------------------------------
# random functions
# ----------------------------------------------------------------------------------
# A counter-based generator: the draw of one call site (a compile-time constant per element,
# cell and occurrence) at integration step ``k`` of the sample with stream key ``key`` is a
# hash of the three, so it does not depend on the order in which samples, threads, chunks or
# other call sites are evaluated (and a branch of IF THEN ELSE that is not taken does not shift
# the stream of anything else). The hash is SplitMix64's finaliser (Steele, Lea and Flood,
# "Fast splittable pseudorandom number generators", OOPSLA 2014), applied in a chain.
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TWO_M53 = 2.0**-53


@_jit
def f_mix64(x):
    """SplitMix64 step of a ``uint64``: a bijective 64-bit hash."""
    z = x + _GOLDEN
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@_jit
def f_uniform01(key, site, k, j):
    """Uniform in the open interval (0, 1) for stream ``key``, call site ``site``, step ``k``
    and draw ``j`` of that call (53 random bits, never exactly 0 or 1)."""
    h = f_mix64(np.uint64(key))
    h = f_mix64(h ^ np.uint64(site))
    h = f_mix64(h ^ np.uint64(k))
    h = f_mix64(h ^ np.uint64(j))
    return (float(h >> _S11) + 0.5) * _TWO_M53


# Inverse of the standard normal distribution function: Acklam's rational approximation
# (P. J. Acklam, "An algorithm for computing the inverse normal cumulative distribution
# function", 2003; relative error below 1.15e-9), refined by one step of Halley's method
# against math.erfc, which brings it to double precision.
_A = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
      1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00)
_B = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
      6.680131188771972e01, -1.328068155288572e01)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
      -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00,
      3.754408661907416e00)
_P_LOW = 0.02425
_SQRT2 = math.sqrt(2.0)
_SQRT2PI = math.sqrt(2.0 * math.pi)


@_jit
def _ndtri_lower(p):
    """f_ndtri for ``0 < p <= 0.5``."""
    if p < _P_LOW:
        q = math.sqrt(-2.0 * math.log(p))
        x = ((((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5])
             / ((((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1.0))
    else:
        q = p - 0.5
        r = q * q
        x = (((((_A[0] * r + _A[1]) * r + _A[2]) * r + _A[3]) * r + _A[4]) * r + _A[5]) * q / (
            ((((_B[0] * r + _B[1]) * r + _B[2]) * r + _B[3]) * r + _B[4]) * r + 1.0)
    # one Halley step on Phi(x) - p (Phi from erfc, accurate in the lower tail)
    e = 0.5 * math.erfc(-x / _SQRT2) - p
    u = e * _SQRT2PI * math.exp(0.5 * x * x)
    return x - u / (1.0 + 0.5 * x * u)


@_jit
def f_ndtri(p):
    """``x`` with ``P(Z <= x) = p`` for a standard normal ``Z`` (``scipy.special.ndtri``);
    above 0.5 by symmetry from ``1 - p``, which is exact there."""
    if p <= 0.0:
        return -math.inf
    if p >= 1.0:
        return math.inf
    if p > 0.5:
        return -_ndtri_lower(1.0 - p)
    return _ndtri_lower(p)


@_jit
def f_random_uniform(key, site, k, lo, hi):
    """RANDOM UNIFORM(min, max, seed): uniform on [min, max) (PySD: ``np.random.uniform``)."""
    return lo + (hi - lo) * f_uniform01(key, site, k, 0)


@_jit
def f_random_normal(key, site, k, lo, hi, mean, sd):
    """RANDOM NORMAL(min, max, mean, sd, seed): a normal distribution truncated to [min, max].

    PySD draws ``scipy.stats.truncnorm(xidz(min - mean, sd, -inf), xidz(max - mean, sd, inf),
    loc=mean, scale=sd)``; here by inversion of the truncated distribution function, from the
    upper tail when the interval lies above the mean (so that far tails keep their precision).
    """
    a = f_xidz(lo - mean, sd, -math.inf)
    b = f_xidz(hi - mean, sd, math.inf)
    u = f_uniform01(key, site, k, 0)
    if a >= 0.0:  # upper tail: survival function Q(z) = erfc(z / sqrt 2) / 2
        qa = 0.5 * math.erfc(a / _SQRT2)
        qb = 0.5 * math.erfc(b / _SQRT2)
        z = -f_ndtri(qb + u * (qa - qb))
    else:
        pa = 0.5 * math.erfc(-a / _SQRT2)
        pb = 0.5 * math.erfc(-b / _SQRT2)
        z = f_ndtri(pa + u * (pb - pa))
    z = min(max(z, a), b)  # rounding at the bounds
    return mean + sd * z


@_jit
def f_random_exponential(key, site, k, lo, hi, shift, stretch):
    """RANDOM EXPONENTIAL(min, max, shift, stretch, seed): ``shift + stretch * E`` (E exponential
    with mean 1) truncated to [min, max].

    PySD draws ``scipy.stats.truncexpon(xidz(max - loc, stretch, inf), loc=loc, scale=stretch)``
    with ``loc = max(min, shift)`` (an exponential truncated below is an exponential shifted);
    here by inversion.
    """
    loc = max(lo, shift)
    b = f_xidz(hi - loc, stretch, math.inf)
    u = f_uniform01(key, site, k, 0)
    return loc - stretch * math.log1p(u * math.expm1(-b))


# ----------------------------------------------------------------------------------
# allocation (pysd.py_backend.allocation, Vensim's ALLOCATE BY PRIORITY / AVAILABLE)
# ----------------------------------------------------------------------------------
@_jit
def _isclose(a, b, rtol, atol):
    """``np.isclose`` for scalars (False when either is NaN)."""
    return abs(a - b) <= atol + rtol * abs(b)


@_jit
def _invalid_allocation(request, width, supply):
    """A negative request, a width that is not positive or a negative supply (PySD raises)."""
    bad = not (width > 0.0) or not (supply >= 0.0)
    for j in range(request.shape[0]):
        bad = bad or not (request[j] >= 0.0)
    return bad


@_jit
def _next_change(req, out, slopes, active, distances, c_i, supply):
    """The supply given before the allocation changes shape (PySD's ``dx``) and the candidates
    (a target filled, the next target starting) it was chosen from."""
    dx_top = math.nan
    for j in range(req.shape[0]):
        if active[j]:
            d = (req[j] - out[j]) / slopes[j]
            if math.isnan(dx_top) or d < dx_top:
                dx_top = d
    dx_start = (distances[c_i] - out[c_i]) / slopes[c_i]
    dx = supply
    if not math.isnan(dx_top) and dx_top < dx:
        dx = dx_top
    if not math.isnan(dx_start) and dx_start < dx:
        dx = dx_start
    return dx, dx_top, dx_start


@_jit
def _distribute(req, pri, width, supply):
    """The supply shared out over targets sorted by decreasing priority (requests not zero)."""
    m = req.shape[0]
    out = np.zeros(m)
    distances = np.full(m, math.nan)
    for j in range(m - 1):
        distances[j] = min(-(pri[j + 1] - pri[j]) / width, 1.0) * req[j]
    active = np.zeros(m, dtype=np.bool_)
    active[0] = True
    c_i = 0
    slopes = np.zeros(m)
    for _ in range(4 * m + 8):  # each pass activates or fills a target: PySD's loop ends too
        if not supply > 0.0:
            break
        for j in range(m):
            slopes[j] = req[j] if active[j] else 0.0
        slopes /= np.sum(slopes)
        dx, dx_top, dx_start = _next_change(req, out, slopes, active, distances, c_i, supply)
        out += slopes * dx
        if _isclose(dx, dx_start, 1e-10, 1e-16):
            c_i += 1
            active[c_i] = True
        if dx == dx_top:
            for j in range(m):
                if out[j] == req[j]:
                    active[j] = False
        supply -= dx
    return out


@_jit
def f_allocate_by_priority(request, priority, width, supply):
    """ALLOCATE BY PRIORITY over one vector: PySD's ``_allocate_by_priority_1d``, step for step.

    Invalid input (a negative request, a width that is not positive, a negative supply), where
    PySD raises, gives NaN in every target.
    """
    n = request.shape[0]
    result = np.zeros(n)
    if _invalid_allocation(request, width, supply):
        result[:] = math.nan
        return result
    if supply >= np.sum(request):
        return request.copy()
    if supply == 0.0:
        return result
    keep = np.nonzero(request != 0.0)[0]
    order = np.argsort(-priority[keep], kind="mergesort")
    idx = keep[order]
    out = _distribute(request[idx], priority[idx], width, supply)
    for j in range(idx.shape[0]):
        result[idx[j]] = out[j]
    return result


# half widths of the priority interval where each profile's demand curve is strictly
# decreasing (PySD's Priorities: rectangular and triangular 0.5, normal 8.2923611, exponential
# 36.7368005696 widths)
_PROFILE_REACH = (0.0, 0.5, 0.5, 8.2923611, 36.7368005696)


@_jit
def _demand(q0, ptype, ppriority, pwidth, x):
    """Demand of one target at priority ``x`` (PySD's ``Priorities`` curves, types 1-4)."""
    if q0 == 0.0:
        return 0.0
    if ptype == 1.0:  # rectangular
        if x <= ppriority - pwidth * 0.5:
            return q0
        if x < ppriority + pwidth * 0.5:
            return q0 * (1 - (x - ppriority + pwidth * 0.5) / pwidth)
        return 0.0
    if ptype == 2.0:  # triangular
        if x <= ppriority - pwidth * 0.5:
            return q0
        if x < ppriority:
            return q0 * (1 - 2 * (x - ppriority + pwidth * 0.5) ** 2 / pwidth**2)
        if x < ppriority + pwidth * 0.5:
            return 2 * q0 * (ppriority + pwidth * 0.5 - x) ** 2 / pwidth**2
        return 0.0
    if ptype == 3.0:  # normal
        return q0 * 0.5 * (2 - math.erfc((ppriority - x) / (_SQRT2 * pwidth)))
    # exponential
    if x < ppriority:
        return q0 * (1 - 0.5 * math.exp((x - ppriority) / pwidth))
    return q0 * 0.5 * math.exp((ppriority - x) / pwidth)


@_jit
def _total_demand(request, pp, x):
    total = 0.0
    for j in range(request.shape[0]):
        total += _demand(request[j], pp[4 * j], pp[4 * j + 1], pp[4 * j + 2], x)
    return total


@_jit
def f_allocate_available(request, pp, avail):
    """ALLOCATE AVAILABLE over one vector (``pp``: the four profile values of each target in a row).

    Vensim's definition: the priority ``x`` at which the targets' demand curves add up to the
    supply, found here by bisection to the last bit (PySD solves the same equation with
    ``scipy.optimize.least_squares``, to its default tolerance of about 1e-8). Profiles 1-4
    (rectangular, triangular, normal, exponential) are PySD's; the others, which PySD does not
    implement, and invalid input (negative request or supply, a width that is not positive) give
    NaN in every target.
    """
    n = request.shape[0]
    result = np.zeros(n)
    bad = not (avail >= 0.0)
    lo = math.inf
    hi = -math.inf
    for j in range(n):
        ptype = pp[4 * j]
        bad = bad or not (request[j] >= 0.0)
        if request[j] == 0.0:
            continue
        if not (ptype == 1.0 or ptype == 2.0 or ptype == 3.0 or ptype == 4.0) or not pp[4 * j + 2] > 0:
            bad = True
            continue
        reach = _PROFILE_REACH[int(ptype)] * pp[4 * j + 2]
        lo = min(lo, pp[4 * j + 1] - reach)
        hi = max(hi, pp[4 * j + 1] + reach)
    if bad:
        result[:] = math.nan
        return result
    if avail >= np.sum(request):
        return request.copy()
    if avail == 0.0:
        return result
    # total demand falls from sum(request) at lo to 0 at hi: bisect total(x) = avail
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        if _total_demand(request, pp, mid) > avail:
            lo = mid
        else:
            hi = mid
    x = 0.5 * (lo + hi)
    for j in range(n):
        result[j] = _demand(request[j], pp[4 * j], pp[4 * j + 1], pp[4 * j + 2], x)
    return result


# ----------------------------------------------------------------------------------
# vector functions (pysd.py_backend.functions: vector_select, vector_sort_order, ...)
# ----------------------------------------------------------------------------------
@_jit
def _selected_value(a, sel, expr):
    """The term of one selected entry for numerical action ``a``."""
    if a <= 4:
        return sel * expr
    if a == 5:
        return expr**sel
    return expr


@_jit
def _combine(a, acc, v):
    """One step of the reduction of numerical action ``a`` (sum, product, minimum, maximum)."""
    if a in (0, 4, 6, 10):
        return acc + v
    if a in (1, 5, 7):
        return acc * v
    if a in (2, 8):
        return min(acc, v)
    return max(acc, v)


@_jit
def _select_error(nz, error):
    """Whether VECTOR SELECT's error action applies (PySD raises)."""
    if (error == 1.0 or error == 3.0) and nz == 0:
        return True
    return (error == 2.0 or error == 3.0) and nz > 1


@_jit
def f_vector_select(sel, expr, missing, action, error):
    """VECTOR SELECT over one vector, as PySD's ``vector_select``.

    ``action``: 0 sum, 1 product, 2 minimum, 3 maximum, 4 mean of ``sel * expr``; 5 product of
    ``expr ** sel``; 6-10 sum, product, minimum, maximum, mean of ``expr``; always over the
    entries whose selection is not zero, NaN skipped. ``missing`` if every selection is zero.
    ``error`` 1 (all zero), 2 (more than one non-zero) or 3 (either), where PySD raises, and an
    unknown action give NaN.
    """
    nz = 0
    for j in range(sel.shape[0]):
        if sel[j] != 0.0:
            nz += 1
    a = int(action)
    if _select_error(nz, error) or a != action or a < 0 or a > 10:
        return math.nan
    if nz == 0:
        return missing
    acc = math.nan
    count = 0
    for j in range(sel.shape[0]):
        if sel[j] == 0.0:
            continue
        v = _selected_value(a, sel[j], expr[j])
        if math.isnan(v):
            continue
        count += 1
        acc = v if math.isnan(acc) else _combine(a, acc, v)
    if count == 0:  # only NaN selected: xarray's empty sum is 0, product 1, the rest NaN
        if a in (0, 6):
            return 0.0
        return 1.0 if a in (1, 5, 7) else math.nan
    if a in (4, 10):
        return acc / count
    return acc


@_jit
def f_vector_sort_order(vector, direction):
    """VECTOR SORT ORDER: the (0-based) positions of the entries in ascending order, or in
    descending order when ``direction <= 0`` (PySD reverses the ascending order)."""
    order = np.argsort(vector, kind="mergesort")
    if direction <= 0:
        order = order[::-1]
    return order.astype(np.float64)


@_jit
def f_vector_rank(vector, direction):
    """VECTOR RANK: the 1-based rank of each entry in the order of VECTOR SORT ORDER."""
    order = np.argsort(vector, kind="mergesort")
    if direction <= 0:
        order = order[::-1]
    rank = np.empty(vector.shape[0])
    for j in range(order.shape[0]):
        rank[order[j]] = j + 1.0
    return rank


@_jit
def f_vector_reorder(vector, svector):
    """VECTOR REORDER: entry ``j`` is ``vector[svector[j]]`` (NaN for a position out of range)."""
    n = vector.shape[0]
    out = np.empty(n)
    for j in range(n):
        k = int(svector[j])
        out[j] = vector[k] if 0 <= k < n and k == svector[j] else math.nan
    return out


@_jit
def f_invert_matrix(flat, n):
    """INVERT MATRIX of an ``n`` by ``n`` matrix given row by row; the inverse row by row
    (``np.linalg.inv``); NaN everywhere for a singular matrix, where numpy raises."""
    mat = flat.reshape((n, n))
    if not np.all(np.isfinite(mat)):
        return np.full(n * n, math.nan)
    if abs(np.linalg.det(mat)) == 0.0:
        return np.full(n * n, math.nan)
    return np.linalg.inv(mat).ravel()


@_jit
def f_vector_elm_map(cells, base, offset):
    """VECTOR ELM MAP: ``cells[base + offset]`` (offset rounded to the nearest integer), NaN
    outside the variable (where Vensim reports an error and returns :NA:)."""
    k = base + int(np.round(offset))
    if math.isnan(offset) or k < 0 or k >= cells.shape[0]:
        return math.nan
    return cells[k]


@_jit
def _triangular_cdf(y, start, peak, end):
    if y <= start:
        return 0.0
    if y >= end:
        return 1.0
    if y <= peak:
        return (y - start) ** 2 / ((end - start) * (peak - start))
    return 1.0 - (end - y) ** 2 / ((end - start) * (end - peak))


@_jit
def f_random_triangular(key, site, k, lo, hi, start, peak, end):
    """RANDOM TRIANGULAR(min, max, start, peak, end, stream): the triangular distribution on
    [start, end] with its mode at peak, truncated to [min, max] (Vensim's definition; PySD does
    not implement it), by inversion. NaN unless start <= peak <= end, start < end and the
    truncated interval holds some probability."""
    if not (start <= peak <= end and start < end):
        return math.nan
    fa = _triangular_cdf(max(lo, start), start, peak, end)
    fb = _triangular_cdf(min(hi, end), start, peak, end)
    if not fb > fa:
        return math.nan
    u = fa + f_uniform01(key, site, k, 0) * (fb - fa)
    if u < (peak - start) / (end - start):
        y = start + math.sqrt(u * (end - start) * (peak - start))
    else:
        y = end - math.sqrt((1.0 - u) * (end - start) * (end - peak))
    return min(max(y, max(lo, start)), min(hi, end))


@_jit
def _poisson_pmf(n, mean):
    return math.exp(-mean + n * math.log(mean) - math.lgamma(n + 1.0)) if mean > 0 else (
        1.0 if n == 0 else 0.0)


@_jit
def f_random_poisson(key, site, k, lo, hi, mean, shift, stretch):
    """RANDOM POISSON(min, max, mean, shift, stretch, stream): ``shift + stretch * N`` with N a
    Poisson count of the given mean, truncated to [min, max] (Vensim's definition; PySD does not
    implement it), by inversion over the counts that land inside. NaN for a stretch that is not
    positive, a negative mean, or bounds that leave no count."""
    if not (stretch > 0.0) or not (mean >= 0.0):
        return math.nan
    n_lo = max(0.0, math.ceil((lo - shift) / stretch))
    n_hi = math.floor((hi - shift) / stretch) if hi < math.inf else math.inf
    if n_hi < n_lo:
        return math.nan
    top = mean + 40.0 * math.sqrt(mean) + 40.0  # the mass beyond is below 1e-300 or so
    n_hi = min(n_hi, max(top, n_lo))
    inside = 0.0
    n = n_lo
    while n <= n_hi:
        inside += _poisson_pmf(n, mean)
        n += 1.0
    if not inside > 0.0:
        return math.nan
    target = f_uniform01(key, site, k, 0) * inside
    acc = 0.0
    n = n_lo
    while n < n_hi:
        acc += _poisson_pmf(n, mean)
        if acc >= target:
            break
        n += 1.0
    return shift + stretch * n


@_jit
def _binomial_pmf(n, trials, p):
    if p <= 0.0:
        return 1.0 if n == 0 else 0.0
    if p >= 1.0:
        return 1.0 if n == trials else 0.0
    return math.exp(math.lgamma(trials + 1.0) - math.lgamma(n + 1.0) - math.lgamma(trials - n + 1.0)
                    + n * math.log(p) + (trials - n) * math.log1p(-p))


@_jit
def f_random_binomial(key, site, k, lo, hi, p, trials, shift, stretch):
    """RANDOM BINOMIAL(min, max, P, N, shift, stretch, stream): ``shift + stretch * K`` with K
    the successes of N trials of probability P (an integer in 0..N), truncated to [min, max]
    (Vensim's definition; PySD does not implement it), by inversion over the counts inside.
    NaN for a stretch that is not positive, P outside [0, 1], N not a whole number >= 0, or
    bounds that leave no count."""
    if not (stretch > 0.0) or not (0.0 <= p <= 1.0) or not (trials >= 0.0) or trials != math.floor(trials):
        return math.nan
    n_lo = max(0.0, math.ceil((lo - shift) / stretch))
    n_hi = min(trials, math.floor((hi - shift) / stretch)) if hi < math.inf else trials
    if n_hi < n_lo:
        return math.nan
    inside = 0.0
    n = n_lo
    while n <= n_hi:
        inside += _binomial_pmf(n, trials, p)
        n += 1.0
    if not inside > 0.0:
        return math.nan
    target = f_uniform01(key, site, k, 0) * inside
    acc = 0.0
    n = n_lo
    while n < n_hi:
        acc += _binomial_pmf(n, trials, p)
        if acc >= target:
            break
        n += 1.0
    return shift + stretch * n


@_jit
def f_random_weibull(key, site, k, lo, hi, shape, shift, stretch):
    """RANDOM WEIBULL(min, max, shape, shift, stretch, stream): ``shift + stretch * W`` with W a
    Weibull variable of the given shape scaled to mean 1 (scale ``1 / Gamma(1 + 1/shape)``),
    truncated to [min, max] (Vensim's definition; PySD does not implement it), by inversion of
    the survival function. NaN for a shape or stretch that is not positive, or empty bounds."""
    if not (shape > 0.0) or not (stretch > 0.0):
        return math.nan
    scale = 1.0 / math.gamma(1.0 + 1.0 / shape)
    a = max(0.0, (lo - shift) / stretch)
    b = (hi - shift) / stretch
    if not b > a:
        return math.nan
    sa = math.exp(-((a / scale) ** shape))
    sb = math.exp(-((b / scale) ** shape)) if b < math.inf else 0.0
    q = sa - f_uniform01(key, site, k, 0) * (sa - sb)
    w = scale * (-math.log(q)) ** (1.0 / shape)
    return shift + stretch * min(max(w, a), b)


_TINY = 1e-300


@_jit
def _beta_cf(x, a, b):
    """The continued fraction of the incomplete beta function, by the modified Lentz method
    (Press, Teukolsky, Vetterling and Flannery, Numerical Recipes, 3rd edition, 2007, §6.4)."""
    qab = a + b
    qap = a + 1.0
    qam = a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, 100000):
        m2 = 2.0 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        step = d * c
        h *= step
        if abs(step - 1.0) < 1e-15:
            break
    return h


@_jit
def _beta_inc(x, a, b):
    """The regularised incomplete beta function I_x(a, b) (the beta distribution function)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_cf(x, a, b) / a
    return 1.0 - front * _beta_cf(1.0 - x, b, a) / b


@_jit
def f_random_beta(key, site, k, lo, hi, alpha, beta, shift, stretch):
    """RANDOM BETA(min, max, alpha, beta, shift, stretch, stream): ``shift + stretch * B`` with B
    a beta variable on [0, 1] of shapes alpha and beta, truncated to [min, max] (Vensim's
    definition; PySD does not implement it), by inversion of the distribution function
    (bisection to the last bit). NaN for shapes or a stretch that are not positive, or bounds
    that leave no probability."""
    if not (alpha > 0.0) or not (beta > 0.0) or not (stretch > 0.0):
        return math.nan
    a = max(0.0, (lo - shift) / stretch)
    b = min(1.0, (hi - shift) / stretch)
    if not b > a:
        return math.nan
    fa = _beta_inc(a, alpha, beta)
    fb = _beta_inc(b, alpha, beta)
    if not fb > fa:
        return math.nan
    target = fa + f_uniform01(key, site, k, 0) * (fb - fa)
    left, right = a, b
    for _ in range(2000):
        mid = 0.5 * (left + right)
        if mid <= left or mid >= right:
            break
        if _beta_inc(mid, alpha, beta) < target:
            left = mid
        else:
            right = mid
    return shift + stretch * right


@_jit
def _negative_binomial_pmf(f, n, p):
    """P(F = f), F the failures before the n-th success in trials of success probability p."""
    if p >= 1.0:
        return 1.0 if f == 0 else 0.0
    return math.exp(math.lgamma(n + f) - math.lgamma(f + 1.0) - math.lgamma(n)
                    + n * math.log(p) + f * math.log1p(-p))


@_jit
def f_random_negative_binomial(key, site, k, lo, hi, p, successes, shift, stretch):
    """RANDOM NEGATIVE BINOMIAL(min, max, P, N, shift, stretch, stream): ``shift + stretch * T``
    with T the number of trials (N or more) needed for N successes of probability P, truncated
    to [min, max] (Vensim's definition; PySD does not implement it), by inversion over the
    counts inside. NaN for a stretch that is not positive, P outside (0, 1], N not a whole
    number >= 1, or bounds that leave no count."""
    if not (stretch > 0.0) or not (0.0 < p <= 1.0) or not (successes >= 1.0) or (
            successes != math.floor(successes)):
        return math.nan
    t_lo = max(successes, math.ceil((lo - shift) / stretch))
    t_hi = math.floor((hi - shift) / stretch) if hi < math.inf else math.inf
    if t_hi < t_lo:
        return math.nan
    mean = successes * (1.0 - p) / p  # failures: mean and standard deviation
    sd = math.sqrt(successes * (1.0 - p)) / p
    top = successes + mean + 40.0 * sd + 40.0  # the mass beyond is below 1e-17
    t_hi = min(t_hi, max(top, t_lo))
    inside = 0.0
    t = t_lo
    while t <= t_hi:
        inside += _negative_binomial_pmf(t - successes, successes, p)
        t += 1.0
    if not inside > 0.0:
        return math.nan
    target = f_uniform01(key, site, k, 0) * inside
    acc = 0.0
    t = t_lo
    while t < t_hi:
        acc += _negative_binomial_pmf(t - successes, successes, p)
        if acc >= target:
            break
        t += 1.0
    return shift + stretch * t


@_jit
def _lookup_mass(xs, ys, x):
    """The area under the piecewise-linear density (xs, ys) from xs[0] to x."""
    total = 0.0
    for j in range(xs.size - 1):
        if x <= xs[j]:
            break
        width = xs[j + 1] - xs[j]
        t = min(x - xs[j], width)
        total += t * (ys[j] + 0.5 * (ys[j + 1] - ys[j]) / width * t)
    return total


@_jit
def f_random_lookup(key, site, k, xs, ys, lo, hi, shift, stretch):
    """RANDOM LOOKUP(lookup, min, max, shift, stretch, stream): ``shift + stretch * L`` with L
    drawn from the density the lookup describes (its points joined by straight lines, as the
    lookup interpolates, and 0 outside its x range; it need not be normalised), truncated to
    [min, max] (Vensim's definition; PySD does not implement it), by inversion of the piecewise
    quadratic distribution function. NaN for a stretch that is not positive, a negative or
    missing density value, or bounds that leave no probability."""
    n = xs.size
    if not (stretch > 0.0) or n < 2:
        return math.nan
    for j in range(n):
        if not (ys[j] >= 0.0):
            return math.nan
    a = max(xs[0], (lo - shift) / stretch)
    b = min(xs[n - 1], (hi - shift) / stretch)
    if not b > a:
        return math.nan
    fa = _lookup_mass(xs, ys, a)
    fb = _lookup_mass(xs, ys, b)
    if not fb > fa:
        return math.nan
    target = fa + f_uniform01(key, site, k, 0) * (fb - fa)
    acc = 0.0
    x = b
    for j in range(n - 1):
        width = xs[j + 1] - xs[j]
        seg = 0.5 * (ys[j] + ys[j + 1]) * width
        if acc + seg >= target or j == n - 2:
            # y0 t + s t^2 / 2 = r, solved in the form that is stable for any slope s
            r = max(target - acc, 0.0)
            y0 = ys[j]
            root = y0 + math.sqrt(max(y0 * y0 + 2.0 * (ys[j + 1] - y0) / width * r, 0.0))
            t = 2.0 * r / root if root > 0.0 else 0.0
            x = xs[j] + min(t, width)
            break
        acc += seg
    return shift + stretch * min(max(x, a), b)
