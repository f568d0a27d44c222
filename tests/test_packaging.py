"""The project's own files must install what it needs."""

from __future__ import annotations

import re
import tomllib

from .conftest import ROOT

REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9_.-]+)\s*(.*)$")


def _parse(requirement: str) -> tuple[str, str]:
    match = REQUIREMENT.match(requirement)
    assert match, requirement
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def _environment_packages() -> dict[str, str]:
    packages: dict[str, str] = {}
    in_pip = False
    text = (ROOT / "environment.yml").read_text(encoding="utf-8")
    for line in text.split("\ndependencies:", 1)[1].splitlines():
        stripped = line.split("#", 1)[0].rstrip()
        if re.match(r"^\s*- pip:\s*$", stripped):
            in_pip = True
            continue
        item = re.match(r"^(\s*)- (\S.*)$", stripped)
        if not item:
            continue
        if in_pip and len(item.group(1)) <= 2:
            in_pip = False
        name, spec = _parse(item.group(2))
        if name not in ("python", "pip"):
            packages[name] = spec
    return packages


def test_environment_yml_agrees_with_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = dict(_parse(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"])
    assert _environment_packages() == wanted


def test_makefile_bootstraps_from_pyproject() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "$(VENV)/done: pyproject.toml" in makefile
    assert re.search(r"^\$\(CHROMIUM\):", makefile, flags=re.M)
    assert re.search(r"^test: .*\$\(CHROMIUM\)", makefile, flags=re.M)
