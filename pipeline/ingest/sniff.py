"""What an input file holds, for ``kantong init``: which layer has the kelurahan, which the kecamatan.

A boundary GeoPackage often holds several polygon layers with the same
columns (the wilayah_boundaries GeoPackage has ``kelurahan``, ``kecamatan``
and ``kabkota``, each with ``kode`` and ``nama``). The layer of kelurahan is
the one whose codes are kelurahan/desa codes (10 digits, 4th segment 1xxx
or 2xxx), not the one that happens to come first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyogrio

from .. import columns as C
from ..codes import normalize_kode
from ..errors import InputError
from .boundaries import BOUNDARY_SCHEMAS, KECAMATAN_CODE_COLUMNS

#: Rows read from each layer to judge what it holds.
SNIFF_ROWS: int = 50
#: Share of sniffed values that must be kelurahan codes for a column to be the code column.
CODE_SHARE: float = 0.9


@dataclass(frozen=True)
class Layer:
    """One polygon layer of a boundary file, judged from its first rows."""

    name: str
    features: int
    code_column: str | None  # the column holding kelurahan/desa codes, if any
    kecamatan_codes: bool  # its code column holds kecamatan codes (6 digits)


def _kelurahan_share(values: pd.Series) -> float:
    kode = normalize_kode(values.astype("string"))
    valid = kode.notna() & kode.str[9].isin(["1", "2"]).fillna(False)
    return float(valid.mean()) if len(values) else 0.0


def code_column(frame: pd.DataFrame) -> str | None:
    """The column of ``frame`` whose values are kelurahan/desa codes (at least :data:`CODE_SHARE`), or None.

    Known code columns (``kode``, ``KDEPUM``...) are tried first, then every text or number column.
    """
    known = [m[C.KODE_KEL] for m, _ in BOUNDARY_SCHEMAS.values()]
    ordered = [c for c in known if c in frame.columns] + [c for c in frame.columns if c not in known]
    for column in ordered:
        if column == "geometry" or frame[column].dtype.kind in "fcbM":
            continue
        if _kelurahan_share(frame[column]) >= CODE_SHARE:
            return column
    return None


def name_column(frame: pd.DataFrame, *, exclude: set[str]) -> str | None:
    """The column most like kelurahan names: text, not codes, most distinct values; names with "nam" first."""
    best, best_score = None, 0.0
    for column in frame.columns:
        if column == "geometry" or column in exclude or frame[column].dtype.kind not in "OSU":
            continue
        text = frame[column].astype("string").str.strip()
        letters = text.str.contains(r"[A-Za-z]{3}", regex=True).fillna(False)
        if letters.mean() < CODE_SHARE:
            continue
        score = text.nunique() / max(len(text), 1) + (
            1 if any(w in column.lower() for w in ("nam", "desa", "kel")) else 0
        )
        if score > best_score:
            best, best_score = column, score
    return best


def polygon_layers(path: str | Path) -> list[Layer]:
    """The polygon layers of a boundary file, each judged from its first :data:`SNIFF_ROWS` rows.

    Raises
    ------
    InputError
        If GDAL cannot open the file.
    """
    path = Path(path)
    try:
        listed = pyogrio.list_layers(path)
    except pyogrio.errors.DataSourceError as exc:
        raise InputError(f"{path}: GDAL cannot open it ({exc}); export it as GeoPackage or Shapefile") from None
    layers = []
    for name, kind in listed:
        if kind is not None and "polygon" not in str(kind).lower():
            continue
        info = pyogrio.read_info(path, layer=name)
        sample = pyogrio.read_dataframe(path, layer=name, read_geometry=False, max_features=SNIFF_ROWS)
        column = code_column(sample)
        six = False
        if column is None:
            for candidate in (c for c in KECAMATAN_CODE_COLUMNS if c in sample.columns):
                digits = sample[candidate].astype("string").str.replace(r"\D", "", regex=True)
                six = six or bool(len(digits) and (digits.str.len() == 6).mean() >= CODE_SHARE)
        layers.append(Layer(str(name), int(info.get("features") or 0), column, six))
    return layers


def kelurahan_layer(path: str | Path) -> tuple[str | None, list[Layer]]:
    """The layer holding the kelurahan of a boundary file, and every polygon layer found.

    A ``.sql`` dump and a file of one layer need no layer name (None). Among
    several, the layer whose codes are kelurahan codes; if more than one, the
    one named like kelurahan/desa, else the one with most features.
    """
    path = Path(path)
    if path.suffix.lower() == ".sql":
        return None, []
    layers = polygon_layers(path)
    if len(layers) <= 1:
        return None, layers
    coded = [layer for layer in layers if layer.code_column] or layers
    named = [layer for layer in coded if any(w in layer.name.lower() for w in ("kel", "desa", "village", "adm4"))]
    chosen = max(named or coded, key=lambda layer: layer.features)
    return chosen.name, layers


def kecamatan_layer(path: str | Path) -> str | None:
    """The layer of a kecamatan file that holds kecamatan codes and names (None: a CSV, a dump or one layer)."""
    path = Path(path)
    if path.suffix.lower() in {".csv", ".sql"}:
        return None
    layers = polygon_layers(path)
    if len(layers) <= 1:
        return None
    for layer in layers:
        if layer.kecamatan_codes or "kec" in layer.name.lower():
            return layer.name
    return None
