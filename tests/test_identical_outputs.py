"""The demo region's outputs (50,000 households) are what they were before the province-scale work.

``tests/data/demo_manifest_882cdc3.json`` holds digests of every output of
``outputs/demo`` as built by commit 882cdc3 (before the column-wise workbook
writer, ``run-many`` and the rest of issue #21), made with
``bench/compare_outputs.py --manifest``: every GeoPackage layer and its
metadata, every workbook sheet (numbers to 16 significant digits: the old
writer wrote "%.16G"), the map, the summary, the reports and the restricted
CSVs, with timestamps masked. ``make test`` builds ``outputs/demo`` first
(through ``make maps``' Dask path). A change meant to change the outputs
regenerates the manifest and says why in its commit.
"""

from __future__ import annotations

import importlib.util
import json

import pytest

from .conftest import ROOT

DEMO = ROOT / "outputs" / "demo"
BEFORE = ROOT / "tests" / "data" / "demo_manifest_882cdc3.json"


def _compare_outputs():
    spec = importlib.util.spec_from_file_location("compare_outputs", ROOT / "bench" / "compare_outputs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_outputs_equal_the_version_before() -> None:
    if not (DEMO / "peta.html").exists():
        pytest.skip("run `make maps` first (`make test` does)")
    before = json.loads(BEFORE.read_text(encoding="utf-8"))
    now = _compare_outputs().manifest(DEMO)
    assert len(before) > 60  # every layer, sheet and file, not an empty list
    assert sorted(now) == sorted(before), "outputs added or missing"
    changed = sorted(name for name in before if now[name] != before[name])
    assert changed == [], f"outputs that differ from 882cdc3: {changed}"
