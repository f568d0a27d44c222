"""The data the map's script draws: kelurahan records with every theme, and H3 cells, as JSON for a script tag."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ... import columns as C
from ..palette import CELL_STYLE, NO_DATA_COLOR, PEOPLE_UNKNOWN, POCKET_COLOR, POCKET_HALO
from .format import format_households, format_int, format_percent
from .geometry import encode_polygons
from .themes import Theme


def _json_for_script(text: str) -> str:
    """JSON text that can sit inside a ``<script>`` element whatever the names contain."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _priority_text(kelurahan: pd.DataFrame) -> list[str]:
    if C.PERINGKAT not in kelurahan:
        return ["—"] * len(kelurahan)
    total = int(kelurahan[C.PERINGKAT].notna().sum())
    return ["—" if pd.isna(r) else f"{int(r)} dari {total}" for r in kelurahan[C.PERINGKAT]]


def pocket_records(pockets: gpd.GeoDataFrame | None) -> list[dict]:
    """Pockets for the map's script: id, rank, the texts of their details, badge point and outline."""
    if pockets is None or not len(pockets):
        return []
    badges = shapely.get_coordinates(pockets.geometry.representative_point().values).round(5).tolist()
    area = pockets["luas_km2"].map(lambda v: format_percent(v).replace(" %", " km²"))
    return [
        {"id": str(i), "r": int(r), "kel": str(kel), "kk": kk, "m": poor, "p": share, "a": a, "b": b, "g": g}
        for i, r, kel, kk, poor, share, a, b, g in zip(
            pockets["kantong_id"],
            pockets["peringkat"],
            pockets[C.NAMA_KEL],
            format_households(pockets["jumlah_kk"]),
            format_households(pockets[C.KK_MISKIN]),
            pockets[C.PERSEN_MISKIN].map(format_percent),
            area,
            badges,
            encode_polygons(pockets.geometry),
            strict=True,
        )
    ]


def _pockets_per_kelurahan(codes: pd.Series, pockets: gpd.GeoDataFrame | None) -> list[list[str]]:
    """The pocket ids each kelurahan holds (a pocket lists the kelurahan it spans), in rank order."""
    held: dict[str, list[str]] = {}
    if pockets is not None and len(pockets):
        for pocket, spanned in zip(pockets["kantong_id"], pockets[C.KODE_KEL], strict=True):
            for code in str(spanned).split(","):
                held.setdefault(code, []).append(str(pocket))
    return [held.get(code, []) for code in codes]


def _ranks(kelurahan: pd.DataFrame) -> list[int | None]:
    """Published priority rank per kelurahan (None where hidden or absent): the labels are placed in this order."""
    if C.PERINGKAT not in kelurahan:
        return [None] * len(kelurahan)
    return [None if pd.isna(r) else int(r) for r in kelurahan[C.PERINGKAT]]


def map_data(
    kelurahan: gpd.GeoDataFrame,
    themes: list[Theme],
    *,
    geometry: gpd.GeoSeries,
    cells: dict | None = None,
    pockets: gpd.GeoDataFrame | None = None,
) -> str:
    """The data the map's script draws from, as JSON safe inside a ``<script>`` element.

    ``kel``: one record per kelurahan with its name (``n``), kecamatan
    (``kc``), colour class and text per theme (``c``, ``t``), profile
    values (``v``), programme coverage for the chart (``pc``) and its
    polygons (``g``, :func:`encode_polygons`). ``kec``: kecamatan
    outlines dissolved from those polygons, so the lines coincide, with a
    label point. ``cells``: the H3 cells (:func:`cell_records`), drawn
    only when a planner turns them on. Plus the themes, the profile
    labels and the charted programmes (the themes with a ``chart``).
    """
    profile = ["Jumlah KK", "Jumlah jiwa", "KK miskin & rentan", "Peringkat prioritas"]
    values = zip(
        format_households(kelurahan[C.JUMLAH_KK]),
        kelurahan[C.JUMLAH_JIWA].map(format_int)
        if kelurahan[C.JUMLAH_JIWA].notna().any()
        else pd.Series(PEOPLE_UNKNOWN, index=kelurahan.index),
        format_households(kelurahan[C.KK_MISKIN]),
        _priority_text(kelurahan),
        strict=True,
    )
    classes = np.column_stack([t.classes for t in themes]).tolist()
    texts = list(zip(*(t.texts for t in themes), strict=True))
    charted = [(i, t.chart) for i, t in enumerate(themes) if t.chart is not None]
    shares = np.column_stack([share for _, (_, share) in charted]) if charted else np.empty((len(kelurahan), 0))
    bars = np.where(np.isnan(shares), None, np.round(shares, 1)).tolist()
    label_points = (
        shapely.get_coordinates(
            shapely.point_on_surface(geometry.to_numpy())  # inside the drawn polygon
        )
        .round(5)
        .tolist()
    )
    kel = [
        {"n": str(n), "kc": str(kc), "c": c, "t": t, "v": v, "pc": pc, "k": k, "r": r, "lp": lp, "g": g}
        for n, kc, c, t, v, pc, k, r, lp, g in zip(
            kelurahan[C.NAMA_KEL],
            kelurahan[C.NAMA_KEC],
            classes,
            texts,
            values,
            bars,
            _pockets_per_kelurahan(kelurahan[C.KODE_KEL], pockets),
            _ranks(kelurahan),
            label_points,
            encode_polygons(geometry),
            strict=True,
        )
    ]
    kec = (
        gpd.GeoDataFrame(
            {C.KODE_KEC: kelurahan[C.KODE_KEC].to_numpy(), C.NAMA_KEC: kelurahan[C.NAMA_KEC].astype(str).to_numpy()},
            geometry=geometry.to_numpy(),
            crs=geometry.crs,
        )
        .dissolve(C.KODE_KEC, aggfunc="first")
        .reset_index()
    )
    kec_points = shapely.get_coordinates(kec.geometry.representative_point().values).round(5).tolist()
    data = {
        "nodata": NO_DATA_COLOR,
        "themes": [
            {"name": t.name, "group": t.group, "label": t.label, "colors": t.colors, "profile": t.profile}
            for t in themes
        ],
        "profile": profile,
        "programs": [{"name": name, "theme": i} for i, (name, _) in charted],
        "kel": kel,
        "kec": [
            {"n": n, "p": point, "g": g}
            for n, point, g in zip(kec[C.NAMA_KEC], kec_points, encode_polygons(kec.geometry), strict=True)
        ],
        "cells": cells,
        "pockets": pocket_records(pockets),
        "pocketColors": [POCKET_COLOR, POCKET_HALO],
    }
    return _json_for_script(json.dumps(data, ensure_ascii=False, separators=(",", ":")))


def cell_records(cells: gpd.GeoDataFrame, *, k: int, fdr: str = "5 %") -> dict:
    """H3 cells for the map's script: class colours and labels, and per cell its class, texts and polygon."""
    styles = {cls: (color, label.format(k=k, fdr=fdr)) for cls, (color, label) in CELL_STYLE.items()}
    order = list(styles)
    classes = cells["gi_kelas"].where(cells["gi_kelas"].isin(order), "tidak_signifikan")
    return {
        "colors": [color for color, _ in styles.values()],
        "labels": [label for _, label in styles.values()],
        "records": [
            {"c": order.index(c), "kk": kk, "p": share, "g": g}
            for c, kk, share, g in zip(
                classes,
                format_households(cells["jumlah_kk"]),
                cells[C.PERSEN_MISKIN].map(format_percent),
                encode_polygons(cells.geometry),
                strict=True,
            )
        ],
    }
