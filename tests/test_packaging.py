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
