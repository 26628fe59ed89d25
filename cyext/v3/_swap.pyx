# cython: annotation_typing=False
"""The UniswapV3Pool.swap loop in C: the kernel behind :mod:`arbstream.cyext.v3.swap`.

Same arguments, results and exceptions as :mod:`arbstream.cyext.v3.swap_py` (the twin). Python
ints are converted once at the boundary; the whole loop (TickBitmap word stepping, TickMath,
SwapMath, LiquidityMath) is ``v3_swap`` in ``v3math.h``, which runs without the GIL.
:class:`PreparedPool` holds a pool's ticks as C arrays so repeated quotes pay no conversion.
"""

include "_boundary.pxi"

from cpython.buffer cimport PyBUF_C_CONTIGUOUS, PyBUF_FORMAT, PyObject_CheckBuffer
from cpython.buffer cimport PyBuffer_Release, PyObject_GetBuffer
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.ref cimport PyObject
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy, strcmp

cdef extern from "Python.h":
    bint PyLong_CheckExact(object o)
    bint PyList_CheckExact(object o)
    long PyLong_AsLong(object o) except? -1

cdef extern from "v3math.h" nogil:
    int v3_eq(const u256 *a, const u256 *b)
    ctypedef struct v3_swap_out:
        u256 amount0
        u256 amount1
        u256 sqrt_price
        int32_t tick
        u128 liquidity
        int64_t ticks_crossed
    int v3_swap(const int32_t *ticks, const i128 *nets, Py_ssize_t n, const u256 *sqrt_price,
                int32_t tick, u128 liquidity, uint32_t fee, int32_t spacing, int zfo,
                const u256 *amount_specified, const u256 *limit, v3_swap_out *out)
    int v3_swap_hint(const int32_t *ticks, const i128 *nets, Py_ssize_t n,
                     const u256 *sqrt_price, int32_t tick, u128 liquidity, uint32_t fee,
                     int32_t spacing, int zfo, const u256 *amount_specified, const u256 *limit,
                     v3_swap_out *out, Py_ssize_t *first_hint)
    int32_t v3_next_initialized_tick(const int32_t *ticks, Py_ssize_t n, int32_t tick,
                                     int32_t spacing, int lte, int *initialized,
                                     Py_ssize_t *idx)

__all__ = ["PreparedPool", "next_initialized_tick_within_one_word", "pack_liquidity_nets",
           "swap"]

DEF STACK_TICKS = 128
cdef enum:
    MIN_TICK = -887272
    MAX_TICK = 887272


# ---------------------------------------------------------------- tick data -> C arrays

cdef struct TickData:
    int32_t *ticks
    i128 *nets
    Py_ssize_t n
    bint owned           # ticks/nets are malloc'ed (else: the caller's stack or a pool's)


cdef int _tick_error(object t, object previous, int32_t spacing) except -1:
    raise _E.TickDataError(
        f"initialized ticks must be increasing multiples of {spacing} in "
        f"[{MIN_TICK}, {MAX_TICK}], got {t!r} after {previous}"
    )


cdef inline int _check_tick_value(long t, long *previous, int32_t spacing, object obj) except -1:
    if t <= previous[0] or t > MAX_TICK or t % spacing != 0:
        _tick_error(obj, previous[0], spacing)
    previous[0] = t
    return 0


cdef bint _is_int32_buffer(object o):
    return PyObject_CheckBuffer(o) and not isinstance(o, (bytes, bytearray))


cdef int _fill_ticks(object ticks, int32_t *out, Py_ssize_t n, int32_t spacing) except -1:
    """Validate (as the twin's _check_ticks) and copy ``n`` ticks into ``out``."""
    cdef Py_ssize_t i
    cdef long t, previous = MIN_TICK - 1
    cdef Py_buffer view
    cdef object item
    cdef const int32_t *src
    if PyList_CheckExact(ticks):
        for i in range(n):
            item = <object>PyList_GET_ITEM(ticks, i)
            if not PyLong_CheckExact(item):
                _tick_error(item, previous, spacing)
            t = PyLong_AsLong(item)
            _check_tick_value(t, &previous, spacing, item)
            out[i] = <int32_t>t
        return 0
    if _is_int32_buffer(ticks):
        PyObject_GetBuffer(ticks, &view, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS)
        try:
            if (view.itemsize == 4 and view.format != NULL and view.ndim == 1
                    and (strcmp(view.format, b"i") == 0 or strcmp(view.format, b"=i") == 0
                         or strcmp(view.format, b"<i") == 0 or strcmp(view.format, b"@i") == 0)):
                src = <const int32_t *>view.buf
                for i in range(n):
                    t = src[i]
                    _check_tick_value(t, &previous, spacing, t)
                    out[i] = <int32_t>t
                return 0
        finally:
            PyBuffer_Release(&view)
    for i, item in enumerate(ticks):
        if i >= n:
            break
        if not PyLong_CheckExact(item):
            _tick_error(item, previous, spacing)
        t = PyLong_AsLong(item)
        _check_tick_value(t, &previous, spacing, item)
        out[i] = <int32_t>t
    return 0


cdef int _fill_nets(object nets, i128 *out, Py_ssize_t n) except -1:
    """int128 nets from a sequence of ints, or raw little-endian int128 bytes (16 per net)."""
    cdef Py_ssize_t i
    cdef Py_buffer view
    cdef object item
    if PyList_CheckExact(nets):
        for i in range(n):
            out[i] = get_i128(<object>PyList_GET_ITEM(nets, i))
        return 0
    if PyObject_CheckBuffer(nets):
        PyObject_GetBuffer(nets, &view, PyBUF_C_CONTIGUOUS)
        try:
            if view.itemsize == 1 and view.len == 16 * n:
                memcpy(out, view.buf, 16 * n)
                return 0
        finally:
            PyBuffer_Release(&view)
    for i, item in enumerate(nets):
        if i >= n:
            break
        out[i] = get_i128(item)
    return 0


cdef Py_ssize_t _nets_len(object nets) except -1:
    """Number of nets: len(), or len / 16 for raw int128 bytes."""
    cdef Py_buffer view
    cdef Py_ssize_t n
    if not PyList_CheckExact(nets) and PyObject_CheckBuffer(nets):
        PyObject_GetBuffer(nets, &view, PyBUF_C_CONTIGUOUS)
        try:
            if view.itemsize == 1:
                if view.len % 16:
                    raise _E.TickDataError(
                        f"liquidity_nets bytes must hold int128 values (16 bytes each), "
                        f"got {view.len} bytes")
                return view.len // 16
        finally:
            PyBuffer_Release(&view)
    return len(nets)


cdef int _load(TickData *td, object ticks, object nets, int32_t spacing, int32_t *stack_ticks,
               i128 *stack_nets) except -1:
    cdef Py_ssize_t n = len(ticks)
    cdef Py_ssize_t m = _nets_len(nets)
    if n != m:
        raise _E.TickDataError(f"{n} ticks but {m} liquidity_nets")
    td.n = n
    if n <= STACK_TICKS:
        td.ticks = stack_ticks
        td.nets = stack_nets
        td.owned = False
    else:
        td.ticks = <int32_t *>malloc(n * sizeof(int32_t))
        td.nets = <i128 *>malloc(n * sizeof(i128))
        td.owned = True
        if td.ticks == NULL or td.nets == NULL:
            _release(td)
            raise MemoryError()
    try:
        _fill_ticks(ticks, td.ticks, n, spacing)
        _fill_nets(nets, td.nets, n)
    except BaseException:
        _release(td)
        raise
    return 0


cdef void _release(TickData *td) noexcept:
    if td.owned:
        free(td.ticks)
        free(td.nets)
        td.ticks = NULL
        td.nets = NULL
        td.owned = False


def pack_liquidity_nets(liquidity_nets):
    """int128 liquidity nets as raw little-endian bytes (16 per net): a prebuilt argument for
    :func:`swap`'s ``liquidity_nets`` that skips the per-call int conversion."""
    cdef Py_ssize_t n = len(liquidity_nets), i
    cdef bytearray out = bytearray(16 * n)
    cdef i128 v
    cdef char *buf = out
    for i in range(n):
        v = get_i128(liquidity_nets[i])
        memcpy(buf + 16 * i, &v, 16)
    return bytes(out)


# ---------------------------------------------------------------- the swap

cdef struct SwapArgs:
    u256 sqrt_price
    int32_t tick
    u128 liquidity
    uint32_t fee
    bint zfo
    u256 amount
    u256 limit


cdef inline int32_t _spacing(object tick_spacing) except? -1:
    cdef int32_t s = <int32_t>get_small_int(tick_spacing, 24)
    if s <= 0:
        raise _E.TickDataError(f"tick_spacing must be positive, got {tick_spacing}")
    return s


cdef inline object _amount_obj(const u256 *x, const u256 *given, object given_obj):
    """The int256 ``x`` as an int: the caller's own ``amount_specified`` object when it holds
    that value (an exact input fully spent), else a new int."""
    if v3_eq(x, given) and PyLong_CheckExact(given_obj):
        return given_obj
    return v3_i256_to_py(x)


cdef inline tuple _result(v3_swap_out *o, const u256 *amount, object amount_obj, int32_t tick,
                          object tick_obj, u128 liquidity, object liquidity_obj):
    """The result tuple. Values equal to an argument (the amount, an unchanged tick or
    liquidity) are returned as the caller's int objects instead of new equal ints."""
    return (_amount_obj(&o.amount0, amount, amount_obj),
            _amount_obj(&o.amount1, amount, amount_obj),
            v3_u256_to_py(&o.sqrt_price),
            tick_obj if o.tick == tick and PyLong_CheckExact(tick_obj) else o.tick,
            liquidity_obj if o.liquidity == liquidity and PyLong_CheckExact(liquidity_obj)
            else v3_u128_to_py(o.liquidity),
            o.ticks_crossed)


cdef class PreparedPool:
    """A pool's static data converted once to C arrays: ``fee_pips``, ``tick_spacing`` and the
    sorted initialized ``ticks`` with their ``liquidity_nets`` (validated as :func:`swap`
    does). ``pool.swap(sqrt_price_x96, tick, liquidity, zero_for_one, amount_specified,
    sqrt_price_limit_x96)`` equals ``swap(sqrt_price_x96, tick, liquidity, fee_pips,
    tick_spacing, ticks, liquidity_nets, ...)`` without the per-call conversion of the ticks.
    The instance is immutable; build a new one when the pool's ticks change.
    """

    cdef int32_t *_ticks
    cdef i128 *_nets
    cdef Py_ssize_t _n
    cdef int32_t _spacing
    cdef uint32_t _fee
    cdef Py_ssize_t _hint[2]   # per direction: where the last swap's first tick search ended
    cdef readonly object fee_pips
    cdef readonly object tick_spacing

    def __cinit__(self, fee_pips, tick_spacing, ticks, liquidity_nets):
        cdef TickData td
        self._hint[0] = self._hint[1] = -1
        self._fee = get_fee_pips(fee_pips)
        self._spacing = _spacing(tick_spacing)
        self.fee_pips = int(fee_pips)
        self.tick_spacing = int(tick_spacing)
        cdef Py_ssize_t n = len(ticks)
        cdef Py_ssize_t m = _nets_len(liquidity_nets)
        if n != m:
            raise _E.TickDataError(f"{n} ticks but {m} liquidity_nets")
        self._ticks = <int32_t *>malloc((n if n else 1) * sizeof(int32_t))
        self._nets = <i128 *>malloc((n if n else 1) * sizeof(i128))
        if self._ticks == NULL or self._nets == NULL:
            raise MemoryError()
        _fill_ticks(ticks, self._ticks, n, self._spacing)
        _fill_nets(liquidity_nets, self._nets, n)
        self._n = n

    def __dealloc__(self):
        free(self._ticks)
        free(self._nets)

    def __len__(self):
        return self._n

    @property
    def ticks(self):
        """The initialized ticks (a new list)."""
        return [self._ticks[i] for i in range(self._n)]

    @property
    def liquidity_nets(self):
        """Their liquidity nets (a new list)."""
        return [v3_i128_to_py(self._nets[i]) for i in range(self._n)]

    def swap(self, sqrt_price_x96, tick, liquidity, zero_for_one, amount_specified,
             sqrt_price_limit_x96):
        """:func:`swap` on this pool's fee, spacing and ticks."""
        return self._swap(sqrt_price_x96, tick, liquidity, zero_for_one, amount_specified,
                          sqrt_price_limit_x96, False)

    def swap_nogil(self, sqrt_price_x96, tick, liquidity, zero_for_one, amount_specified,
                   sqrt_price_limit_x96):
        """:meth:`swap` with the GIL released around the C loop (for threads; a single
        short swap is faster with :meth:`swap`)."""
        return self._swap(sqrt_price_x96, tick, liquidity, zero_for_one, amount_specified,
                          sqrt_price_limit_x96, True)

    cdef tuple _swap(self, object sqrt_price_x96, object tick, object liquidity,
                     object zero_for_one, object amount_specified, object sqrt_price_limit_x96,
                     bint release_gil):
        cdef u256 sp, amt, lim
        cdef v3_swap_out o
        get_uint(sqrt_price_x96, &sp, 160)
        cdef int32_t t = <int32_t>get_small_int(tick, 24)
        cdef u128 l = get_u128(liquidity)
        get_int(amount_specified, &amt, 256)
        get_uint(sqrt_price_limit_x96, &lim, 160)
        cdef bint zfo = zero_for_one
        cdef int e
        cdef Py_ssize_t hint = self._hint[zfo]   # a local copy: other threads share the pool
        if release_gil:
            with nogil:
                e = v3_swap_hint(self._ticks, self._nets, self._n, &sp, t, l, self._fee,
                                 self._spacing, zfo, &amt, &lim, &o, &hint)
        else:
            e = v3_swap_hint(self._ticks, self._nets, self._n, &sp, t, l, self._fee,
                             self._spacing, zfo, &amt, &lim, &o, &hint)
        self._hint[zfo] = hint
        if e:
            raise_v3(e)
        return _result(&o, &amt, amount_specified, t, tick, l, liquidity)


def swap(sqrt_price_x96, tick, liquidity, fee_pips, tick_spacing, ticks, liquidity_nets,
         zero_for_one, amount_specified, sqrt_price_limit_x96):
    """``UniswapV3Pool.swap`` as a pure function of the pool's state, in C.

    Same arguments, results ``(amount0, amount1, sqrt_price_x96_after, tick_after,
    liquidity_after, ticks_crossed)`` and exceptions as :func:`arbstream.cyext.v3.swap_py.swap`.
    Kernel-only fast inputs: ``ticks`` may be an ``array.array('i')`` (or any C-contiguous int32
    buffer) and ``liquidity_nets`` raw int128 bytes (:func:`pack_liquidity_nets`); or ``ticks``
    may be a :class:`PreparedPool` (``liquidity_nets`` None, ``fee_pips``/``tick_spacing`` must
    be the pool's) so nothing is converted per call.
    """
    cdef u256 sp, amt, lim
    cdef v3_swap_out o
    cdef int32_t stack_ticks[STACK_TICKS]
    cdef i128 stack_nets[STACK_TICKS]
    cdef TickData td
    cdef PreparedPool pool
    get_uint(sqrt_price_x96, &sp, 160)
    cdef int32_t t = <int32_t>get_small_int(tick, 24)
    cdef u128 l = get_u128(liquidity)
    cdef uint32_t fee = get_fee_pips(fee_pips)
    cdef int32_t spacing = _spacing(tick_spacing)
    get_int(amount_specified, &amt, 256)
    get_uint(sqrt_price_limit_x96, &lim, 160)
    cdef bint zfo = zero_for_one
    cdef int e
    if type(ticks) is PreparedPool:
        pool = <PreparedPool>ticks
        if pool._spacing != spacing or pool._fee != fee:
            raise _E.TickDataError("fee_pips / tick_spacing differ from the PreparedPool's")
        e = v3_swap_hint(pool._ticks, pool._nets, pool._n, &sp, t, l, fee, spacing, zfo, &amt,
                         &lim, &o, &pool._hint[zfo])
    else:
        _load(&td, ticks, liquidity_nets, spacing, stack_ticks, stack_nets)
        e = v3_swap(td.ticks, td.nets, td.n, &sp, t, l, fee, spacing, zfo, &amt, &lim, &o)
        _release(&td)
    if e:
        raise_v3(e)
    return _result(&o, &amt, amount_specified, t, tick, l, liquidity)


def next_initialized_tick_within_one_word(ticks, tick, tick_spacing, lte):
    """``TickBitmap.nextInitializedTickWithinOneWord`` over sorted initialized ``ticks``:
    ``(next, initialized)`` (as the twin's)."""
    cdef int32_t stack_ticks[STACK_TICKS]
    cdef i128 stack_nets[STACK_TICKS]
    cdef TickData td
    cdef int32_t spacing = <int32_t>get_small_int(tick_spacing, 24)
    cdef int32_t t = <int32_t>get_small_int(tick, 24)
    cdef int initialized = 0
    cdef Py_ssize_t idx = -1
    cdef int32_t nxt
    if spacing <= 0:
        raise _E.TickDataError(f"tick_spacing must be positive, got {tick_spacing}")
    _load(&td, ticks, [0] * len(ticks), spacing, stack_ticks, stack_nets)
    nxt = v3_next_initialized_tick(td.ticks, td.n, t, spacing, lte, &initialized, &idx)
    _release(&td)
    return nxt, bool(initialized)
