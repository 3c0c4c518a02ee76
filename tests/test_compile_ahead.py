"""The helper that compiles a first fit's kernels in a second process."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.datasets import load_sample_image

from sklearn_colorquant import ColorQuantizer, _compile_ahead, _threads

# A first fit + transform of china.jpg at 64 colors that prints, as its last
# line, which of the package's kernels it compiled (not found in the cache),
# and compares them with FIRST_FIT_KERNELS.
_FIRST_FIT = textwrap.dedent(
    """
    import hashlib
    from numba.core import event
    from sklearn.datasets import load_sample_image
    from sklearn_colorquant import ColorQuantizer
    from sklearn_colorquant._compile_ahead import (
        FIRST_FIT_KERNELS, _cache_lacks_first_fit)

    compiled, depth = [], [0]

    class Recorder(event.Listener):
        def on_start(self, ev):
            function = ev.data["dispatcher"].py_func
            if depth[0] == 0 and function.__module__.startswith("sklearn_colorquant"):
                module = function.__module__.rpartition(".")[2]
                compiled.append((module, function.__name__, tuple(ev.data["args"])))
            depth[0] += 1

        def on_end(self, ev):
            depth[0] -= 1

    event.register("numba:compile", Recorder())
    print("cache lacks a first fit:", _cache_lacks_first_fit())
    pixels = load_sample_image("china.jpg").reshape(-1, 3)
    quantizer = ColorQuantizer(64, random_state=0).fit(pixels)
    labels = quantizer.transform(pixels)
    print("result:", hashlib.sha256(quantizer.palette_.tobytes() + labels.tobytes())
          .hexdigest())
    for expected, found in zip(FIRST_FIT_KERNELS, compiled):
        if expected != found:
            print("expected:", expected)
            print("compiled:", found)
            break
    print("compiled:", [name for _, name, _ in compiled])
    """
)


def _first_fit(cache, *, compile_ahead="0"):
    """Run ``_FIRST_FIT`` in a new process over the Numba cache ``cache``."""
    return subprocess.Popen(
        [sys.executable, "-c", _FIRST_FIT],
        env=dict(
            os.environ,
            NUMBA_CACHE_DIR=str(cache),
            SKLEARN_COLORQUANT_COMPILE_AHEAD=compile_ahead,
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finished(process):
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    return out.splitlines()


def _helper(cache):
    return subprocess.Popen(
        [sys.executable, "-m", "sklearn_colorquant._compile_ahead"],
        env=dict(os.environ, NUMBA_CACHE_DIR=str(cache)),
        stderr=subprocess.PIPE,
        text=True,
    )


def _expected_result():
    import hashlib

    pixels = load_sample_image("china.jpg").reshape(-1, 3)
    quantizer = ColorQuantizer(64, random_state=0).fit(pixels)
    labels = quantizer.transform(pixels)
    digest = hashlib.sha256(quantizer.palette_.tobytes() + labels.tobytes())
    return "result: " + digest.hexdigest()


def test_the_list_is_what_a_first_fit_compiles(tmp_path):
    """If this fails, the kernels or their argument types changed: update
    ``FIRST_FIT_KERNELS`` from the 'compiled' lines printed."""
    lines = _finished(_first_fit(tmp_path))
    assert lines[0] == "cache lacks a first fit: True"
    assert lines[1] == _expected_result()
    assert lines[2:] == [
        "compiled: " + str([name for _, name, _ in _compile_ahead.FIRST_FIT_KERNELS])
    ]


def test_the_helper_compiles_all_a_first_fit_needs(tmp_path):
    helper = _helper(tmp_path)
    _, err = helper.communicate(timeout=600)
    assert helper.returncode == 0, err
    after = _finished(_first_fit(tmp_path))
    assert after == [
        "cache lacks a first fit: False",
        _expected_result(),
        "compiled: []",
    ]


def test_a_first_fit_beside_the_helper(tmp_path):
    """The helper and a first fit fill one cache at once: the fit's result is
    the usual one."""
    helper, fit = _helper(tmp_path), _first_fit(tmp_path)
    lines = _finished(fit)
    _, err = helper.communicate(timeout=600)
    assert helper.returncode == 0, err
    assert lines[1] == _expected_result()


@pytest.fixture
def started(monkeypatch):
    """``start`` as in a new process whose cache lacks a first fit; the
    helpers it would start, in a list."""
    helpers = []
    monkeypatch.setattr(_compile_ahead, "_started", False)
    monkeypatch.setattr(_compile_ahead, "_cache_lacks_first_fit", lambda: True)
    monkeypatch.setattr(_threads, "_idle_cores", lambda: 2)
    monkeypatch.setattr(_threads, "_caller_limit", lambda: 2)
    monkeypatch.delenv("SKLEARN_COLORQUANT_COMPILE_AHEAD", raising=False)
    monkeypatch.setattr(
        _compile_ahead.subprocess, "Popen", lambda *a, **k: helpers.append(a[0])
    )
    return helpers


@pytest.mark.parametrize("idle_cores", [2, 1])
def test_the_first_fit_of_a_process_starts_one_helper(started, monkeypatch, idle_cores):
    """Also beside a busy process: the helper takes what is left of a core."""
    monkeypatch.setattr(_threads, "_idle_cores", lambda: idle_cores)
    pixels = np.random.default_rng(0).integers(0, 256, (500, 3), dtype=np.uint8)
    ColorQuantizer(4, random_state=0).fit(pixels)
    ColorQuantizer(4, random_state=0).fit(pixels)
    assert started == [[sys.executable, "-m", "sklearn_colorquant._compile_ahead"]]


@pytest.mark.parametrize(
    "setting",
    [
        "turned off: 0",
        "turned off: false",
        "turned off: Off",
        "turned off: no",
        "one thread",
        "one core",
        "nested",
        "cache has them",
        "frozen application",
        "embedding application",
    ],
)
def test_no_helper(started, monkeypatch, setting):
    pixels = np.random.default_rng(0).integers(0, 256, (500, 3), dtype=np.uint8)
    n_threads = None
    if setting.startswith("turned off"):
        monkeypatch.setenv("SKLEARN_COLORQUANT_COMPILE_AHEAD", setting.split(": ")[1])
    elif setting == "one thread":
        n_threads = 1
    elif setting == "one core":  # the process's CPUs, or OMP_NUM_THREADS=1
        monkeypatch.setattr(_threads, "_caller_limit", lambda: 1)
    elif setting == "cache has them":
        monkeypatch.setattr(_compile_ahead, "_cache_lacks_first_fit", lambda: False)
    elif setting == "frozen application":  # PyInstaller sets sys.frozen
        monkeypatch.setattr(sys, "frozen", True, raising=False)
    elif setting == "embedding application":  # a program with Python inside
        monkeypatch.setattr(sys, "executable", "/usr/bin/blender")
    if setting == "nested":
        with _threads.limit(1):
            ColorQuantizer(4, random_state=0).fit(pixels)
    else:
        ColorQuantizer(4, random_state=0, n_threads=n_threads).fit(pixels)
    assert started == []


def test_one_compiled_cube_lookup_for_every_kind_of_uint8_array():
    """The cube lookup is compiled for read-only C arrays, as the helper does;
    writable and Fortran-ordered pixels take a read-only view, not a second
    compilation."""
    from sklearn_colorquant import _assign_kernels

    pixels = load_sample_image("flower.jpg").reshape(-1, 3)
    quantizer = ColorQuantizer(16, random_state=0).fit(pixels)
    labels = quantizer.transform(pixels)
    for variant in (pixels.copy(), np.asfortranarray(pixels)):
        np.testing.assert_array_equal(quantizer.transform(variant), labels)
    assert len(_assign_kernels.nearest_in_cube.signatures) == 1
    assert not _assign_kernels.nearest_in_cube.signatures[0][0].mutable
