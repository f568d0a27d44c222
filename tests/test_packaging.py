"""The project's own files must install what it needs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

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


def _tiny_project(tmp: Path) -> Path:
    """A copy of the project's Makefile with three small regions: ``a`` and ``b`` (synthetic), ``rusak`` (broken)."""
    project = tmp / "proyek"
    (project / "regions").mkdir(parents=True)
    shutil.copy(ROOT / "Makefile", project / "Makefile")
    shutil.copy(ROOT / "pyproject.toml", project / "pyproject.toml")
    os.utime(project / "pyproject.toml", (0, 0))  # older than the installed .venv/done: no reinstall
    (project / ".venv").symlink_to(ROOT / ".venv")
    (project / "pipeline").symlink_to(ROOT / "pipeline")
    demo = (ROOT / "regions" / "demo.toml").read_text(encoding="utf-8")
    for slug in ("a", "b"):
        text = demo.replace('slug = "demo"', f'slug = "{slug}"').replace("data/demo/", f"data/{slug}/")
        (project / "regions" / f"{slug}.toml").write_text(re.sub(r"(?m)^households = \d+", "households = 1500", text))
    broken = demo.replace('slug = "demo"', 'slug = "rusak"').replace("data/demo/", "data/tidak_ada/")
    (project / "regions" / "rusak.toml").write_text(broken.split("[synthetic]")[0], encoding="utf-8")
    return project


def _make(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", *args], cwd=project, capture_output=True, text=True, timeout=600
    )


def _indexed(project: Path) -> list[str]:
    return re.findall(r"href='([a-z_]+)/peta.html'", (project / "outputs" / "index.html").read_text(encoding="utf-8"))


def test_the_index_lists_every_built_region_even_when_a_later_region_fails(tmp_path: Path) -> None:
    """The review's stale index: regions built, the index not refreshed because the run stopped early."""
    project = _tiny_project(tmp_path)
    assert _make(project, "maps", "REGIONS=a").returncode == 0
    assert _indexed(project) == ["a"]
    failed = _make(project, "maps", "REGIONS=b rusak")  # b is built, then rusak stops make
    assert failed.returncode != 0 and "rusak" in failed.stdout + failed.stderr, failed.stdout + failed.stderr
    assert _indexed(project) == ["a", "b"]  # b is listed although make stopped before the index target
    # once everything is built, a second make has nothing to do
    assert _make(project, "maps", "REGIONS=a b").returncode == 0
    up_to_date = _make(project, "-q", "maps", "REGIONS=a b")
    assert up_to_date.returncode == 0, up_to_date.stdout + up_to_date.stderr
    for region in ("a", "b"):  # each map links back to the index
        assert 'href="../index.html"' in (project / "outputs" / region / "peta.html").read_text(encoding="utf-8")
