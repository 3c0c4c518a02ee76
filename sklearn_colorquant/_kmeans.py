"""Weighted k-means for colors, coarse to fine.

The fit seeds with k-means++ and runs Lloyd's iterations on the weighted means of
the cells of a grid over the colors (a few thousand points), then refines on every
distinct color. Lloyd's iterations use Hamerly's bounds and the grid's pruning of
candidate centers (see ``_assign``), so most points are not looked at again once
the centers settle.
"""

import numpy as np

from . import _kernels
from ._assign import MAX_GRID_DIMENSIONS, build_grid

# The coarse level: weighted means of the cells of a grid this fine. On uint8 RGB
# it is a 5-bit histogram; seeding and converging there costs little, and leaves
# the full level a few Lloyd iterations from a k-means-quality palette.
_COARSE_CELLS_PER_AXIS = 32
# A full-level iteration costs about in proportion to the number of centers: small
# palettes can afford more of them.
_FINE_ITERATIONS_TIMES_CLUSTERS = 2560
_FINE_MIN_ITER = 10


def weighted_kmeans(points, weights, n_clusters, random_state, *, tol=1e-4):
    """Centers of a weighted k-means of ``points``, seeded by k-means++.

    Where the points fill more than ``4 * n_clusters`` cells of a 32-per-axis
    grid, k-means++ and Lloyd's iterations run to convergence on the cells'
    weighted means first, then at most ``max(10, 2560 // n_clusters)`` Lloyd
    iterations refine on every point.
    Otherwise Lloyd's iterations run on the points to convergence.

    Parameters
    ----------
    points : ndarray of shape (n_points, n_channels), float64
        Distinct colors in the working space; more than ``n_clusters`` of them.
    weights : ndarray of shape (n_points,)
        Pixel count of each color.
    n_clusters : int
    random_state : RandomState instance
    tol : float
        Convergence: the centers move less than ``tol`` times the mean variance
        of the points (scikit-learn's rule), or no label changes.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_channels)
    """
    points = np.ascontiguousarray(points, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    tolerance = tol * np.mean(_weighted_variance(points, weights))
    levels = [(points, weights, build_grid(points), 300)]
    coarse = build_grid(points, _COARSE_CELLS_PER_AXIS)
    if (
        points.shape[1] <= MAX_GRID_DIMENSIONS
        and len(coarse.cell_lows) >= 4 * n_clusters
    ):
        cell_weights = np.bincount(coarse.cell_of_point, weights=weights)
        cell_means = (
            np.stack(
                [
                    np.bincount(coarse.cell_of_point, weights=weights * column)
                    for column in points.T
                ],
                axis=1,
            )
            / cell_weights[:, None]
        )
        levels = [
            (cell_means, cell_weights, build_grid(cell_means), 300),
            (points, weights, levels[0][2], _fine_max_iter(n_clusters)),
        ]

    seed_points, seed_weights = levels[0][:2]
    centers = seed_points[_seeds(seed_points, seed_weights, n_clusters, random_state)]
    for level_points, level_weights, grid, max_iter in levels:
        centers, _ = _kernels.lloyd(
            level_points,
            level_weights,
            centers,
            grid.order,
            grid.cell_starts,
            grid.cell_lows,
            grid.cell_size,
            max_iter,
            tolerance,
        )
    return centers


def _fine_max_iter(n_clusters):
    return max(_FINE_MIN_ITER, _FINE_ITERATIONS_TIMES_CLUSTERS // n_clusters)


def _seeds(points, weights, n_clusters, random_state):
    n_trials = 2 + int(np.log(n_clusters))
    uniforms = random_state.uniform(size=1 + (n_clusters - 1) * n_trials)
    return _kernels.kmeans_plusplus(points, weights, n_clusters, uniforms, n_trials)


def _weighted_variance(points, weights):
    # Weighted sums rather than a matrix product: no BLAS threads (see _color_spaces).
    mean = np.average(points, axis=0, weights=weights)
    return np.average((points - mean) ** 2, axis=0, weights=weights)
