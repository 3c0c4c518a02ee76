"""What pyproject.toml declares is what CI installs and tests."""

from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")

ROOT = Path(__file__).parents[1]


def _pins():
    pins = {}
    for line in (ROOT / ".ci" / "oldest-versions.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower()] = version
    return pins


def test_the_oldest_job_pins_each_declared_minimum():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = _pins()
    for requirement in project["dependencies"]:
        name, minimum = requirement.split(">=")
        assert pins[name.lower()] == minimum, (
            f"pyproject.toml declares {requirement}; .ci/oldest-versions.txt pins "
            f"{name}=={pins.get(name.lower())}: the oldest job must test the minimum"
        )


def test_the_package_imports_its_public_names_on_first_use():
    """``import sklearn_colorquant`` loads neither scikit-learn nor Numba (the
    helper that compiles kernels ahead starts fast because of it); every public
    name is there when asked for."""
    import subprocess
    import sys

    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, sklearn_colorquant; "
            "print(sorted({'sklearn', 'numba', 'skimage'} & set(sys.modules)))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert loaded == "[]"

    import sklearn_colorquant

    for name in sklearn_colorquant.__all__:
        assert getattr(sklearn_colorquant, name) is not None
        assert name in dir(sklearn_colorquant)
    with pytest.raises(AttributeError, match="no attribute 'ColourQuantizer'"):
        sklearn_colorquant.ColourQuantizer  # noqa: B018
