"""Codebooks: how a palette is learned from weighted colors in the working space."""

import numpy as np
from sklearn.base import clone
from sklearn.cluster import MiniBatchKMeans
from sklearn.utils.validation import has_fit_parameter

from ._kmeans import refine_around, weighted_kmeans

CODEBOOK_NAMES = ("kmeans", "minibatch", "random")


def learn_centers(
    codebook,
    colors,
    weights,
    n_colors,
    random_state,
    to_working=None,
    fixed=None,
    grid=None,
):
    """Learn ``n_colors`` centers from ``colors`` weighted by ``weights``.

    Parameters
    ----------
    codebook : {"kmeans", "minibatch", "random"} or clusterer instance
        ``"kmeans"`` is this package's weighted k-means (k-means++ seeding and
        Lloyd's iterations, as :class:`~sklearn.cluster.KMeans`, coarse to fine).
        A clusterer is cloned; ``n_clusters`` is set to ``n_colors`` and, when
        the instance leaves it as None, ``random_state`` is set too.
    colors : ndarray of shape (n_distinct, n_channels), float64, working space
        Distinct colors; at least ``n_colors`` of them.
    weights : ndarray of shape (n_distinct,)
        How many pixels have each color.
    n_colors : int
    random_state : RandomState instance
    to_working : callable, optional
        Converts colors given in the data's scale into the working space: a
        clusterer's array ``init`` is read in the data's scale, as a fixed
        palette is.
    fixed : ndarray of shape (n_fixed, n_channels), optional
        Reserved colors, working space: the first centers of the result, as
        given. The k-means codebook learns the others with them held in place;
        another clusterer learns ``n_colors - n_fixed`` centers, which Lloyd's
        iterations then refine with the reserved ones held in place; random
        colors are drawn beside them.
    grid : Grid, optional
        ``build_grid(colors)``, when the caller has it already (the k-means
        codebook uses it).

    Returns
    -------
    centers : ndarray of shape (n_centers, n_channels), float64
    n_iter : int
        Lloyd iterations run (a clusterer's ``n_iter_``; 0 for random colors).
    """
    n_fixed = 0 if fixed is None else len(fixed)
    if isinstance(codebook, str) and codebook == "random":
        drawn = _random_colors(colors, weights, n_colors - n_fixed, random_state)
        return (drawn if fixed is None else np.concatenate([fixed, drawn])), 0
    if isinstance(codebook, str) and codebook == "kmeans":
        return weighted_kmeans(
            colors, weights, n_colors, random_state, fixed=fixed, grid=grid
        )
    if n_fixed:
        centers, n_iter = learn_centers(
            codebook, colors, weights, n_colors - n_fixed, random_state, to_working
        )
        centers, more_iter = refine_around(colors, weights, fixed, centers)
        return centers, n_iter + more_iter
    seed = random_state.randint(np.iinfo(np.int32).max)
    if isinstance(codebook, str):
        clusterer = MiniBatchKMeans(n_clusters=n_colors, random_state=seed)
    else:
        clusterer = _configured_clone(codebook, n_colors, seed, to_working)

    if has_fit_parameter(clusterer, "sample_weight"):
        clusterer.fit(colors, sample_weight=weights)
    else:
        # Without weights, the clusterer must see every pixel to fit the same objective.
        clusterer.fit(np.repeat(colors, _whole_counts(weights, clusterer), axis=0))

    centers = getattr(clusterer, "cluster_centers_", None)
    if centers is None:
        raise TypeError(
            f"codebook={codebook!r} has no cluster_centers_ after fit. Pass a "
            "clusterer that exposes cluster_centers_ (KMeans, MiniBatchKMeans, "
            "BisectingKMeans, ...) or a fixed palette array."
        )
    centers = np.asarray(centers, dtype=np.float64)
    if centers.ndim != 2 or centers.shape[1] != colors.shape[1]:
        raise ValueError(
            f"codebook={codebook!r} returned cluster_centers_ of shape "
            f"{centers.shape}; expected (n_clusters, {colors.shape[1]})."
        )
    return centers, int(getattr(clusterer, "n_iter_", 0))


def _configured_clone(clusterer, n_colors, seed, to_working):
    clusterer = clone(clusterer)
    params = clusterer.get_params(deep=False)
    updates = {}
    init = params.get("init")
    if (
        to_working is not None
        and not isinstance(init, str)
        and hasattr(init, "__len__")
    ):
        # Starting centers come in the data's scale; the clusterer sees working colors.
        updates["init"] = to_working(np.asarray(init))
    if "n_clusters" in params:
        updates["n_clusters"] = n_colors
    if "random_state" in params and params["random_state"] is None:
        updates["random_state"] = seed
    return clusterer.set_params(**updates)


def _random_colors(colors, weights, n_colors, random_state):
    """Distinct colors drawn like random pixels: with probability by pixel count."""
    probabilities = weights / weights.sum()
    chosen = random_state.choice(len(colors), n_colors, replace=False, p=probabilities)
    return colors[np.sort(chosen)]


def _whole_counts(weights, clusterer):
    counts = np.round(weights).astype(np.int64)
    if not np.array_equal(counts, weights):
        raise ValueError(
            f"{type(clusterer).__name__}.fit takes no sample_weight, so each color "
            "is repeated as many times as its weight, which must then be a whole "
            "number. Pass whole-number sample_weight or a clusterer whose fit takes "
            "sample_weight."
        )
    return counts
