"""Shared fixtures: tiny synthetic frames with known answers, and one small
end-to-end run of the demo configuration into a temporary folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from pipeline import columns as C
from pipeline.ingest.headers import P3KE_HEADERS

ROOT = Path(__file__).resolve().parents[1]
# A fixed pseudonym key for the restricted tier in tests (the CLI runs inherit it),
# so no test writes a key file into the user's home.
os.environ.setdefault("KANTONG_KUNCI_SAMARAN", "kunci-uji-bukan-rahasia-0123456789abcdef")
SHARED_DATA = Path(os.environ.get("KANTONG_SHARED_DATA", ROOT.parent / "shared" / "data"))
#: Size of one grid cell in degrees (about 1.1 km at the equator).
CELL = 0.01
ORIGIN = (117.40, 0.10)  # near Bontang, UTM 50N


def grid_boundaries(nx: int, ny: int, *, origin: tuple[float, float] = ORIGIN) -> gpd.GeoDataFrame:
    """``nx`` x ``ny`` square kelurahan in canonical columns, EPSG:4326.

    Codes run row by row: ``99.71.01.1001`` is the south-west cell. Each
    row of cells is one kecamatan.
    """
    x0, y0 = origin
    rows = []
    for j in range(ny):
        for i in range(nx):
            n = j * nx + i + 1
            rows.append(
                {
                    C.KODE_KEL: f"99.71.{j + 1:02d}.{1000 + n}",
                    C.NAMA_KEL: f"Kel {n}",
                    C.KODE_KEC: f"99.71.{j + 1:02d}",
                    C.NAMA_KEC: f"Kec {j + 1}",
                    "geometry": shapely.box(x0 + i * CELL, y0 + j * CELL, x0 + (i + 1) * CELL, y0 + (j + 1) * CELL),
                }
            )
    return gpd.GeoDataFrame(rows, crs="EPSG:4326")


def cell_center(boundaries: gpd.GeoDataFrame, kode: str) -> tuple[float, float]:
    """(lon, lat) of the centre of the cell with ``kode``."""
    point = boundaries.loc[boundaries[C.KODE_KEL] == kode, "geometry"].iloc[0].centroid
    return point.x, point.y


def make_nik(i: int) -> str:
    """A structurally valid fake NIK with the fictional prefix 99."""
    return f"997101{(i % 28) + 1:02d}0190{i % 10000:04d}"


def household_rows(points: list[dict]) -> pd.DataFrame:
    """Text rows in canonical columns, as :func:`households_from_file` returns them.

    Each dict may set any canonical column; sensible defaults fill the rest.
    """
    rows = []
    defaults = [
        C.ID_KELUARGA,
        C.NIK,
        C.NAMA_KK,
        C.DESIL,
        C.JUMLAH_ART,
        C.KODE_KEL,
        C.LAT,
        C.LON,
        C.JENIS_KELAMIN,
        C.FILE_SUMBER,
        C.BARIS_SUMBER,
    ]
    for i, p in enumerate(points):
        row = {
            C.ID_KELUARGA: f"K{i:06d}",
            C.NIK: make_nik(i),
            C.NAMA_KK: f"Warga Uji {i}",
            C.DESIL: "5",
            C.JUMLAH_ART: "4",
            C.KODE_KEL: "",
            C.LAT: "",
            C.LON: "",
            C.JENIS_KELAMIN: "Laki-laki",
            C.FILE_SUMBER: "uji.csv",
            C.BARIS_SUMBER: i + 2,
        }
        row.update({k: ("" if v is None else str(v)) if k != C.BARIS_SUMBER else v for k, v in p.items()})
        rows.append(row)
    return pd.DataFrame(rows) if rows else pd.DataFrame(columns=defaults)


@pytest.fixture
def grid3() -> gpd.GeoDataFrame:
    """Nine 1.1 km square kelurahan in three kecamatan."""
    return grid_boundaries(3, 3)


def write_region(tmp: Path, *, households: int = 3000, slug: str = "uji", extra: str = "") -> Path:
    """Write a copy of the demo config with smaller synthetic inputs into ``tmp``."""
    text = (ROOT / "regions" / "demo.toml").read_text(encoding="utf-8")
    text = re.sub(r'slug = "demo"', f'slug = "{slug}"', text)
    text = text.replace("../data/demo/", "data/")
    text = re.sub(r"(?m)^households = \d+", f"households = {households}", text)
    path = tmp / f"{slug}.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def synth_region(tmp: Path, *, households: int) -> Path:
    """:func:`write_region` with its synthetic inputs generated (``kantong synth``)."""
    path = write_region(tmp, households=households)
    cli("synth", str(path))
    return path


def cli(
    *args: str, cwd: Path | None = None, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m pipeline`` as a user would (``env``: variables added to the environment)."""
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **env} if env else None,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"kantong {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo region generated and run through the CLI; returns its outputs folder."""
    tmp = tmp_path_factory.mktemp("demo_run")
    config = write_region(tmp, households=6000)
    cli("synth", str(config))
    cli("run", str(config), "--out", str(tmp / "outputs"))
    return tmp / "outputs" / "uji"


@pytest.fixture(scope="session")
def demo_inputs(demo_run: Path) -> pd.DataFrame:
    """The synthetic register behind :func:`demo_run`, with P3KE headers."""
    return pd.read_csv(demo_run.parents[1] / "data" / "rumah_tangga.csv", dtype=str, keep_default_na=False)


def points_in(boundaries: gpd.GeoDataFrame, kode: str, n: int, rng: np.random.Generator) -> list[tuple[float, float]]:
    """``n`` random (lon, lat) points well inside the cell ``kode``."""
    minx, miny, maxx, maxy = boundaries.loc[boundaries[C.KODE_KEL] == kode, "geometry"].iloc[0].bounds
    pad = (maxx - minx) * 0.1
    return list(zip(rng.uniform(minx + pad, maxx - pad, n), rng.uniform(miny + pad, maxy - pad, n), strict=True))


P3KE = P3KE_HEADERS


@pytest.fixture(scope="session")
def kupang_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real region: Kota Kupang's 51 kelurahan from ../shared, 4,000 synthetic households."""
    boundaries = SHARED_DATA / "boundaries" / "kupang"
    if not boundaries.is_dir():
        pytest.skip(f"shared boundaries not found at {boundaries}; set KANTONG_SHARED_DATA")
    tmp = tmp_path_factory.mktemp("kupang_run")
    text = (ROOT / "regions" / "kupang.toml").read_text(encoding="utf-8")
    text = text.replace("${KANTONG_SHARED_DATA:-../../shared/data}", str(SHARED_DATA))
    text = text.replace("../data/kupang/", "data/")
    text = re.sub(r"(?m)^households = \d+", "households = 4000", text)
    config = tmp / "kupang.toml"
    config.write_text(text, encoding="utf-8")
    cli("synth", str(config))
    cli("run", str(config), "--out", str(tmp / "outputs"))
    return tmp / "outputs" / "kupang"


def small_map(names: dict[int, str] | None = None, *, programs: dict[str, str] | None = None):
    """Inputs of a 3 x 3 kelurahan map: (public kelurahan, coverage, context); ``names`` renames kelurahan by row."""
    import datetime as dt

    from pipeline.analyse.hotspots import local_gi_star
    from pipeline.analyse.indicators import classify_poverty, count_columns, kelurahan_indicators, region_summary
    from pipeline.ingest.join import join_households
    from pipeline.ingest.validate import validate_households
    from pipeline.publish.privacy import suppress_small_counts
    from pipeline.publish.webmap.panel import MapContext
    from pipeline.settings import PovertyRule

    boundaries = grid_boundaries(3, 3)
    for row, name in (names or {}).items():
        boundaries.loc[row, C.NAMA_KEL] = name
    codes = boundaries[C.KODE_KEL].str.replace(".", "", regex=False)
    rows = [{C.KODE_KEL: code, C.DESIL: str(1 + (i * 7 + j) % 10)} for i, code in enumerate(codes) for j in range(12)]
    accepted, _ = validate_households(household_rows(rows))
    joined, _ = join_households(accepted, boundaries)
    kel = kelurahan_indicators(classify_poverty(joined, rule=PovertyRule()), boundaries)
    kel = local_gi_star(kel, crs="EPSG:32650", permutations=99, seed=1)
    public = suppress_small_counts(kel, k=5, counts=count_columns(kel))
    programs = programs or {"pkh": "Program Keluarga Harapan"}
    coverage = pd.DataFrame(
        [
            # 10 eligible per kelurahan, i of them reached (none known in the first: hidden)
            {
                C.KODE_KEL: code,
                "program": program,
                "kk_layak": None if i == 0 else 10,
                "kk_layak_terima": None if i == 0 else i,
                "kk_eksklusi": None if i == 0 else 10 - i,
                "kk_penerima": None if i == 0 else i,
                "persen_cakupan": None if i == 0 else 10.0 * i,
                C.DISEMBUNYIKAN: "kk_layak,kk_layak_terima,kk_eksklusi,kk_penerima" if i == 0 else "",
            }
            for program in programs
            for i, code in enumerate(boundaries[C.KODE_KEL])
        ]
    )
    context = MapContext("Kota Uji", dt.date(2026, 9, 30), True, 5, PovertyRule().describe(), region_summary(kel), "x")
    return public, coverage, context


from .browser import browser, offline, phone, region  # noqa: E402, F401  (fixtures for the map tests)
