"""The lock file CI installs from satisfies every requirement pyproject.toml declares."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[3]


def locked_versions(text: str) -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, _, version = line.partition("==")
        assert version, f"requirements/dev.lock: {line!r} is not pinned with =="
        pins[canonicalize_name(name.split("[")[0])] = Version(version.split(";")[0].strip())
    return pins


def declared_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    texts = list(project["dependencies"]) + [
        text for group in extras.values() for text in group if not text.startswith("cronwright")
    ]
    return [Requirement(text) for text in texts]


def test_every_declared_requirement_is_locked_at_a_version_it_allows() -> None:
    pins = locked_versions((ROOT / "requirements" / "dev.lock").read_text())
    problems = []
    for requirement in declared_requirements():
        name = canonicalize_name(requirement.name)
        if name not in pins:
            problems.append(f"{requirement} is not in the lock")
        elif not requirement.specifier.contains(pins[name], prereleases=True):
            problems.append(f"{requirement} does not allow the locked {pins[name]}")
    assert problems == [], "refresh the lock (CONTRIBUTING.md): " + "; ".join(problems)


def test_a_line_without_a_pin_is_reported() -> None:
    with pytest.raises(AssertionError, match="is not pinned"):
        locked_versions("httpx>=0.27\n")
