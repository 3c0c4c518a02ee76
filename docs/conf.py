"""Sphinx configuration for sklearn-colorquant's documentation."""

import plotly.io

import sklearn_colorquant

# Plotly figures, the last expression of a gallery block, are embedded as
# interactive HTML (their ``_repr_html_``), as sphinx-gallery documents it.
plotly.io.renderers.default = "sphinx_gallery"

project = "sklearn-colorquant"
author = "the sklearn-colorquant developers"
copyright = "2026, the sklearn-colorquant developers"
version = release = sklearn_colorquant.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
autosummary_generate = True
autodoc_default_options = {
    "members": True,
    "inherited-members": False,
    # scikit-learn's metadata-routing setters: generated, documented by scikit-learn.
    "exclude-members": "set_fit_request, set_score_request, set_transform_request",
}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]

html_theme = "pydata_sphinx_theme"
html_title = "sklearn-colorquant"
html_theme_options = {"navigation_with_keys": False}

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",
    "within_subsection_order": "FileNameSortKey",
    "image_scrapers": ("matplotlib",),
    "download_all_examples": False,
    "remove_config_comments": True,
}
