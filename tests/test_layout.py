"""The package layout: the data path points one way, modules stay small, outputs stay the same.

import-linter checks the contracts of ``pyproject.toml`` (layers: cli -> run ->
publish -> analyse -> ingest -> settings -> base; no cycles among siblings).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipeline.text import parse_flag, parse_presence, parse_sex

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from compare_outputs import compare  # noqa: E402

#: A module longer than this must be one job; these are, and say so in their docstring.
MAX_LINES = 500
ONE_JOB = {"config.py", "demo/households.py"}


def test_import_contracts_are_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "2 kept, 0 broken" in result.stdout


def test_a_stage_importing_upstream_breaks_the_contract(tmp_path: Path) -> None:
    """The linter is not a formality: ingest importing publish is caught."""
    copy = tmp_path / "repo"
    shutil.copytree(ROOT / "pipeline", copy / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    join = copy / "pipeline" / "ingest" / "join.py"
    join.write_text(join.read_text(encoding="utf-8") + "\nfrom ..publish import files  # noqa\n", encoding="utf-8")
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-cache"],
        cwd=copy,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode != 0
    assert "pipeline.ingest.join -> pipeline.publish.files" in result.stdout


def test_modules_stay_small() -> None:
    long = {
        str(p.relative_to(ROOT / "pipeline")): n
        for p in (ROOT / "pipeline").rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert set(long) <= ONE_JOB, long


def test_one_yes_no_vocabulary() -> None:
    values = pd.Series(["Ya", "1", "true", "Tidak", "0", "tidak ada", "bukan", "", "mungkin"], dtype="string")
    assert parse_flag(values).tolist() == [1, 1, 1, 0, 0, 0, 0, 0, pd.NA]
    # presence: a type code counts as yes, a no word as no, empty as unknown
    assert parse_presence(values).tolist() == [1, 1, 1, 0, 0, 0, 0, pd.NA, 1]


def test_one_sex_parser_reads_words_letters_and_codes() -> None:
    values = pd.Series(["Perempuan", "LAKI-LAKI", " p ", "L", "2", "1", "", "3"], dtype="string")
    assert parse_sex(values).tolist() == ["P", "L", "P", "L", "P", "L", None, None]


def test_compare_outputs_finds_a_changed_map_and_a_changed_cell(tmp_path: Path) -> None:
    before, after = tmp_path / "a", tmp_path / "b"
    for folder, stamp in ((before, "2026-12-01 10:00 UTC"), (after, "2026-12-07 09:30 WIB")):
        folder.mkdir()
        (folder / "peta.html").write_text(f"<p>Dibuat {stamp}</p><p>Kota Contoh 12,5 %</p>", encoding="utf-8")
        (folder / "ringkasan.json").write_text(f'{{"dibuat": "{stamp}", "kk": 10}}', encoding="utf-8")
    assert compare(before, after) == []  # equal apart from the generation time

    (after / "peta.html").write_text("<p>Dibuat 2026-12-07 09:30 WIB</p><p>Kota Contoh 12,6 %</p>", encoding="utf-8")
    (after / "ringkasan.json").write_text('{"dibuat": "x", "kk": 11}', encoding="utf-8")
    assert compare(before, after) == ["peta.html: text differs", "ringkasan.json: differs"]


@pytest.mark.parametrize("module", ["pipeline.config", "pipeline.publish.write"])
def test_light_modules_do_not_load_heavy_ones(module: str) -> None:
    """Reading a TOML loads no file readers; writing a GeoPackage loads no folium."""
    code = (
        f"import json, sys, {module}; "
        "print(json.dumps(sorted(m for m in ('pyarrow', 'python_calamine', 'folium') if m in sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    loaded = json.loads(result.stdout)
    assert "folium" not in loaded
    if module == "pipeline.config":
        assert loaded == []
