# Inline helpers that every kernel module shares: a copy is compiled into each.
#
# Distances are always exact sums of squared differences, channel by channel in
# order, compared with ``<`` over centers in increasing index order, so ties go
# to the lowest index and every kernel agrees with a brute-force search.

from libc.math cimport INFINITY, fabs, sqrt
from libc.stdint cimport int64_t


cdef inline double squared_distance(
    const double* x, const double* y, Py_ssize_t n_channels
) noexcept nogil:
    cdef double total = 0.0, diff
    cdef Py_ssize_t channel
    if n_channels == 3:
        # Written out for the common case: the compiler then keeps it in
        # registers, with the sum in the same order as the loop's.
        return (
            (x[0] - y[0]) * (x[0] - y[0])
            + (x[1] - y[1]) * (x[1] - y[1])
            + (x[2] - y[2]) * (x[2] - y[2])
        )
    for channel in range(n_channels):
        diff = x[channel] - y[channel]
        total += diff * diff
    return total


cdef inline void quarter_gaps(
    const double* centers, Py_ssize_t n_centers, Py_ssize_t n_channels,
    double* quarter_gap,
) noexcept nogil:
    """A quarter of the squared distance from each center to its nearest other.

    A color closer to center j than half the distance from j to any other center
    has j as its only nearest center: no search needed.
    """
    cdef Py_ssize_t j, other
    for j in range(n_centers):
        quarter_gap[j] = INFINITY
        for other in range(n_centers):
            if other != j:
                quarter_gap[j] = _min2(
                    quarter_gap[j],
                    0.25 * squared_distance(
                        centers + j * n_channels, centers + other * n_channels,
                        n_channels,
                    ),
                )


cdef inline Py_ssize_t box_candidates(
    const double* box_low,
    const double* box_high,
    const double* centers,
    Py_ssize_t n_channels,
    const int64_t* among,
    Py_ssize_t n_among,
    int64_t* candidates,
    double* near,
    double margin,
    double* others_bound,
) noexcept nogil:
    """Those of the centers ``among`` (rows of ``centers``) that can be nearest
    to a point of the box, into ``candidates``; returns how many, and a lower
    bound on the squared distance from the box to the others in
    ``others_bound``.

    A center can be nearest to a point of the box only if its smallest distance
    to the box is at most the smallest, over centers, of the largest distance to
    the box. ``among`` must hold every center that can be nearest, which all
    centers do. With a ``margin``, the centers within ``margin`` more of that
    bound are kept too: the list then holds every center that can be nearest
    while no center moves ``margin / 2``. ``near``, as long as ``among``, is
    scratch.
    """
    # Three channels, the common case, as a constant: the compiler unrolls the
    # loop over them (the same sums, in the same order).
    if n_channels == 3:
        return _box_candidates(
            box_low, box_high, centers, 3, among, n_among, candidates, near,
            margin, others_bound,
        )
    return _box_candidates(
        box_low, box_high, centers, n_channels, among, n_among, candidates, near,
        margin, others_bound,
    )


cdef inline Py_ssize_t _box_candidates(
    const double* box_low,
    const double* box_high,
    const double* centers,
    Py_ssize_t n_channels,
    const int64_t* among,
    Py_ssize_t n_among,
    int64_t* candidates,
    double* near,
    double margin,
    double* others_bound,
) noexcept nogil:
    cdef double bound = INFINITY, closest, farthest, c, gap, reach, low, high
    cdef Py_ssize_t k, channel, n_candidates = 0
    cdef const double* center
    for k in range(n_among):
        center = centers + among[k] * n_channels
        closest = 0.0
        farthest = 0.0
        for channel in range(n_channels):
            c = center[channel]
            low = box_low[channel]
            high = box_high[channel]
            gap = _max3(low - c, c - high, 0.0)
            closest += gap * gap
            reach = _max2(fabs(c - low), fabs(c - high))
            farthest += reach * reach
        near[k] = closest
        bound = _min2(bound, farthest)
    if margin > 0.0:
        bound = sqrt(bound) + margin
        bound = bound * bound
    # Points sit on the box's faces up to rounding: widen the bound a little.
    bound = bound * (1.0 + 1e-9) + 1e-300
    others_bound[0] = INFINITY
    for k in range(n_among):
        if near[k] <= bound:
            candidates[n_candidates] = among[k]
            n_candidates += 1
        else:
            others_bound[0] = _min2(others_bound[0], near[k])
    return n_candidates


# Python's min and max of two or three floats: the first of equals wins.
cdef inline double _min2(double a, double b) noexcept nogil:
    return b if b < a else a


cdef inline double _max2(double a, double b) noexcept nogil:
    return b if b > a else a


cdef inline double _max3(double a, double b, double c) noexcept nogil:
    return _max2(_max2(a, b), c)

