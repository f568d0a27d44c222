"""Write a province run's own outputs: overview map, GeoPackage, summary, and its restricted rows.

Everything public here is made of what the kab/kota runs already published
(their ``ringkasan.json`` and their public GeoPackage layers), so the
province adds no figure that a kab/kota's own suppression did not pass;
the province totals are sums of kab/kota totals.

``outputs/<province>/``:

- ``peta.html``: kab/kota coloured by the share of poor households, each a link to its map;
- ``<province>.gpkg``: ``kabkota`` (polygons and figures), ``kelurahan`` and
  ``kantong`` (every built kab/kota's layers, with ``kode_kabkota``),
  ``validasi_kabkota`` (rows and status per kab/kota);
- ``ringkasan.json``: rows in = accepted + quarantined + in failed kab/kota;
- ``terbatas/``: the register split by kab/kota (``pecahan/``, the inputs
  of the kab/kota runs) and the rows of no kab/kota (``karantina.csv``,
  ``karantina_anggota.csv``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from .. import __version__
from .. import columns as C
from ..analyse.province import KABKOTA_COLUMNS, SUMMED, kabkota_polygons, province_figures
from ..codes import time_zone
from ..errors import ValidationError
from ..ingest.split import Part
from ..settings import RegionConfig
from .files import to_json, to_text
from .region import MAP_FILE, SUMMARY_FILE
from .webmap.assemble import html_from_map
from .webmap.overview import province_map
from .write import RESTRICTED_DIR, to_csv, to_geopackage

logger = logging.getLogger(__name__)

#: Where the register split by kab/kota is kept (restricted: personal data).
SPLIT_FOLDER: str = f"{RESTRICTED_DIR}/pecahan"

DESCRIPTIONS: dict[str, str] = {
    "kabkota": "Kabupaten/kota provinsi: jumlah KK, % KK miskin & rentan dan miskin ekstrem, kantong (dari peta kab/kota)",
    "kelurahan": "Indikator kelurahan/desa semua kab/kota (lapisan publik kab/kota, sudah disensor)",
    "kantong": "Kantong kemiskinan semua kab/kota",
    "validasi_kabkota": "Baris register per kab/kota: masuk, diterima, dikarantina, status",
}


#: A built kab/kota's headline figures taken from its summary.
FIGURES: tuple[str, ...] = (C.JUMLAH_KK, C.KK_MISKIN, C.KK_MISKIN_EKSTREM, C.PERSEN_MISKIN, C.PERSEN_MISKIN_EKSTREM)


def _figures(out_dir: Path, slug: str) -> dict:
    """A built kab/kota's summary (``ringkasan.json``)."""
    return json.loads((out_dir / slug / SUMMARY_FILE).read_text(encoding="utf-8"))


def kabkota_table(
    polygons: gpd.GeoDataFrame,
    *,
    parts: list[Part],
    configs: dict[str, RegionConfig],
    results: dict[str, object],
    out_dir: Path,
) -> gpd.GeoDataFrame:
    """One row per kab/kota of the boundaries: its status and the figures its run published."""
    by_code = {part.kode: part for part in parts}
    rows = []
    for kode in polygons["kode_kabkota"]:
        part = by_code.get(kode)
        config = configs.get(kode)
        result = results.get(config.slug) if config else None
        row: dict[str, object] = {"kode_kabkota": kode, "nama_kabkota": config.name if config else kode}
        if part is None:
            row.update(status="tanpa_data", keterangan="tidak ada KK di register provinsi", baris_masuk=0)
        elif result is None or not result.ok:
            row.update(status="gagal", keterangan=result.message if result else "tidak dijalankan")
            row["baris_masuk"] = part.households
        else:
            summary = _figures(out_dir, config.slug)
            figures = summary["ringkasan"]
            row.update(
                status="selesai",
                keterangan="",
                jumlah_kantong=figures.get("jumlah_kantong", 0),
                baris_masuk=summary["baris"]["masuk"],
                baris_diterima=summary["baris"]["diterima"],
                baris_dikarantina=summary["baris"]["dikarantina"],
                peta=f"../{config.slug}/{MAP_FILE}",
                **{c: figures[c] for c in ("jumlah_kelurahan", *FIGURES)},
            )
        rows.append(row)
    table = pd.DataFrame(rows).reindex(columns=list(KABKOTA_COLUMNS))
    table["peta"] = table["peta"].fillna("")
    for column in (*SUMMED, "baris_masuk", "baris_diterima", "baris_dikarantina"):
        table[column] = table[column].astype("Int64")
    return gpd.GeoDataFrame(table, geometry=polygons.geometry.to_numpy(), crs=polygons.crs)


def _layer(out_dir: Path, slug: str, layer: str, kode: str) -> gpd.GeoDataFrame | None:
    """A built kab/kota's public layer, with its kab/kota code; None if it has none."""
    path = out_dir / slug / f"{slug}.gpkg"
    if layer not in set(pyogrio.list_layers(path)[:, 0]):
        return None
    frame = pyogrio.read_dataframe(path, layer=layer)
    frame.insert(0, "kode_kabkota", kode)
    return frame


def _stacked(frames: list[gpd.GeoDataFrame | None]) -> gpd.GeoDataFrame | None:
    found = [f for f in frames if f is not None and len(f)]
    return gpd.GeoDataFrame(pd.concat(found, ignore_index=True), crs=found[0].crs) if found else None


def write_province(
    province: RegionConfig,
    *,
    boundaries: gpd.GeoDataFrame,
    parts: list[Part],
    configs: dict[str, RegionConfig],
    results: list,
    quarantine: pd.DataFrame,
    unlinked: pd.DataFrame,
    rows_in: int,
    out_dir: Path,
) -> dict:
    """Write the province's overview map, GeoPackage, summary and restricted rows; return the summary.

    Raises
    ------
    ValidationError
        If rows in differ from accepted + quarantined + rows of failed kab/kota (an internal invariant).
    """
    folder = out_dir / province.slug
    done = {r.slug: r for r in results}
    table = kabkota_table(kabkota_polygons(boundaries), parts=parts, configs=configs, results=done, out_dir=out_dir)
    figures = province_figures(table)
    built = table[table["status"] == "selesai"]
    rows = {
        "masuk": int(rows_in),
        "diterima": int(built["baris_diterima"].sum()),
        "dikarantina": int(built["baris_dikarantina"].sum()) + len(quarantine),
        "di_kabkota_gagal": int(table.loc[table["status"] == "gagal", "baris_masuk"].sum()),
    }
    if rows["masuk"] != rows["diterima"] + rows["dikarantina"] + rows["di_kabkota_gagal"]:
        raise ValidationError(
            f"{province.slug}: {rows['masuk']} rows in but {rows['diterima']} accepted + {rows['dikarantina']} "
            f"quarantined + {rows['di_kabkota_gagal']} in failed kab/kota; this is a bug, please report it"
        )
    made = dt.datetime.now(time_zone(province.kode)).strftime("%Y-%m-%d %H:%M %Z")
    page = html_from_map(
        province_map(
            table,
            name=province.name,
            made=made,
            data_date=province.data_date.isoformat(),
            synthetic=province.is_synthetic,
            figures=figures,
        )
    )
    to_text(page, folder / MAP_FILE)
    codes = dict(zip(table["kode_kabkota"], table["status"], strict=True))
    slugs = [(kode, configs[kode].slug) for kode, status in codes.items() if status == "selesai"]
    layers = {
        "kabkota": table.to_crs("EPSG:4326"),
        "kelurahan": _stacked([_layer(out_dir, slug, "kelurahan", kode) for kode, slug in slugs]),
        "kantong": _stacked([_layer(out_dir, slug, "kantong", kode) for kode, slug in slugs]),
        "validasi_kabkota": pd.DataFrame(
            table[["kode_kabkota", "nama_kabkota", "status", "keterangan", "baris_masuk", "baris_diterima",
                   "baris_dikarantina"]]
        ),
    }  # fmt: skip
    layers = {name: frame for name, frame in layers.items() if frame is not None}
    to_geopackage(
        layers,
        folder / f"{province.slug}.gpkg",
        descriptions=DESCRIPTIONS,
        metadata={"wilayah": province.name, "tanggal_data": province.data_date.isoformat(), "dibuat": made,
                  "versi_pipeline": __version__, **({"data": "DATA SINTETIS"} if province.is_synthetic else {})},
    )  # fmt: skip
    restricted = folder / RESTRICTED_DIR
    for name, frame in (("karantina.csv", quarantine), ("karantina_anggota.csv", unlinked)):
        if len(frame):
            to_csv(frame, restricted / name, mode=0o600, safe=True)
    summary = {
        "slug": province.slug,
        "nama": province.name,
        "kode": province.kode,
        "jenis": "provinsi",
        "sintetis": province.is_synthetic,
        "tanggal_data": province.data_date.isoformat(),
        "versi_pipeline": __version__,
        "dibuat": made,
        "baris": rows,
        "ringkasan": figures,
        "kabkota": pd.DataFrame(table.drop(columns="geometry"))
        .astype(object)
        .where(table.notna(), None)
        .to_dict("records"),
        "validasi": [
            {C.TAHAP: stage, C.ALASAN: reason, "jumlah_baris": int(n)}
            for (stage, reason), n in quarantine.groupby([C.TAHAP, C.ALASAN]).size().items()
        ],
    }
    to_json(summary, folder / SUMMARY_FILE)
    logger.info(
        "%s: %d rows in = %d accepted + %d quarantined + %d in failed kab/kota; %d of %d kab/kota built",
        province.slug, rows["masuk"], rows["diterima"], rows["dikarantina"], rows["di_kabkota_gagal"],
        figures["kabkota_selesai"], figures["jumlah_kabkota"],
    )  # fmt: skip
    return summary
