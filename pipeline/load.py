"""Load stage: read household registers and kelurahan boundaries from disk.

The readers rename the source's own headers to the canonical columns of
:mod:`pipeline.columns` and keep every row exactly as found: checking rows is
the job of :mod:`pipeline.validate`. Two columns are added to every household
row so that any problem can be traced back: ``file_sumber`` (the file name)
and ``baris_sumber`` (the row's line number in that file, header = 1).
"""

from __future__ import annotations

import csv
import logging
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from . import columns as C
from .codes import kecamatan_of, normalize_kode
from .config import BoundarySource, HouseholdSource
from .errors import CRSError, InputError

logger = logging.getLogger(__name__)

#: Canonical column -> header of the P3KE / DTSEN family sheet as exported.
P3KE_HEADERS: dict[str, str] = {
    C.ID_KELUARGA: "ID Keluarga P3KE",
    C.KODE_KEL: "Kode Kemendagri",
    C.ALAMAT: "Alamat",
    C.RT: "RT",
    C.RW: "RW",
    C.NAMA_KK: "Kepala Keluarga",
    C.NIK: "NIK",
    C.JENIS_KELAMIN: "Jenis Kelamin",
    C.TANGGAL_LAHIR: "Tanggal Lahir",
    C.DESIL: "Desil Kesejahteraan",
    C.JUMLAH_ART: "Jumlah Anggota Keluarga",
    C.JENIS_ATAP: "Jenis Atap",
    C.JENIS_DINDING: "Jenis Dinding",
    C.JENIS_LANTAI: "Jenis Lantai",
    C.PENERANGAN: "Sumber Penerangan",
    C.BAHAN_BAKAR: "Bahan Bakar Memasak",
    C.SUMBER_AIR: "Sumber Air Minum",
    C.FASILITAS_BAB: "Memiliki Fasilitas Buang Air Besar",
    C.LANSIA_TUNGGAL: "Lansia Tunggal",
    C.DISABILITAS: "Penyandang Disabilitas",
    C.RISIKO_STUNTING: "Resiko Stunting",
    C.PEKERJA_MIGRAN: "Pekerja Migran",
    C.LAT: "Latitude",
    C.LON: "Longitude",
}

#: Register headers such as "Penerima PKH" become ``penerima_pkh``.
_PROGRAM_HEADER = re.compile(r"^\s*penerima\s+(?P<code>.+?)\s*$", re.IGNORECASE)
CSV_SUFFIXES: tuple[str, ...] = (".csv", ".txt")
EXCEL_SUFFIXES: tuple[str, ...] = (".xlsx", ".xls")


def _program_column(header: str) -> str | None:
    match = _PROGRAM_HEADER.match(header)
    if match is None:
        return None
    return C.PENERIMA_PREFIX + re.sub(r"[^a-z0-9]+", "_", match.group("code").lower()).strip("_")


def header_mapping(
    headers: list[str], *, schema: str = "p3ke", columns: dict[str, str] | None = None
) -> dict[str, str]:
    """Map a file's headers to canonical column names.

    Parameters
    ----------
    headers
        The headers as found in the file.
    schema
        ``"p3ke"`` applies :data:`P3KE_HEADERS`; ``"kanonik"`` expects the
        canonical names already.
    columns
        Overrides from the region TOML, canonical name -> source header.

    Returns
    -------
    dict
        Source header -> canonical name, for the headers that have one.
    """
    wanted = dict(P3KE_HEADERS) if schema == "p3ke" else {}
    wanted.update(columns or {})
    by_lower = {h.strip().lower(): h for h in headers}
    mapping: dict[str, str] = {}
    for canonical, source in wanted.items():
        found = by_lower.get(source.strip().lower())
        if found is not None:
            mapping[found] = canonical
    for header in headers:
        if header not in mapping:
            program = _program_column(header)
            if program is not None:
                mapping[header] = program
    return mapping


def _read_csv(path: Path) -> pd.DataFrame:
    raw = path.read_bytes()[:65_536]
    encoding = "utf-8-sig"
    try:
        sample = raw.decode(encoding)
    except UnicodeDecodeError:
        encoding = "cp1252"
        sample = raw.decode(encoding, errors="replace")
    try:
        delimiter = csv.Sniffer().sniff(sample.splitlines()[0], delimiters=",;\t|").delimiter
    except (csv.Error, IndexError):
        raise InputError(f"{path}: could not find a header line with ',', ';', tab or '|' between columns") from None
    options = {"sep": delimiter, "dtype": str, "keep_default_na": False, "encoding": encoding}
    try:
        frame = pd.read_csv(path, engine="pyarrow", **options)  # multithreaded, ~5x faster
    except (ValueError, ImportError) as exc:  # an option or file the pyarrow parser cannot handle
        logger.debug("%s: pyarrow CSV reader failed (%s); using the C reader", path.name, exc)
        frame = pd.read_csv(path, engine="c", **options)
    frame[C.BARIS_SUMBER] = frame.index.to_numpy() + 2
    return frame


def _read_excel(path: Path, sheet: str | None) -> pd.DataFrame:
    try:
        frame = pd.read_excel(path, sheet_name=sheet or 0, dtype=str, engine="calamine", keep_default_na=False)
    except ValueError as exc:
        raise InputError(
            f"{path}: could not read sheet {sheet or 'number 1'} ({exc}); set [households] sheet = '...' in the region TOML"
        ) from None
    frame[C.BARIS_SUMBER] = frame.index.to_numpy() + 2
    return frame


def households_from_file(
    path: str | Path, *, schema: str = "p3ke", columns: dict[str, str] | None = None, sheet: str | None = None
) -> pd.DataFrame:
    """Read one household register file (CSV or XLSX) with canonical headers.

    Every value is kept as text, exactly as exported: a NIK never becomes a
    float. Headers without a canonical name are kept unchanged.

    Parameters
    ----------
    path
        A ``.csv``/``.txt`` (any of ``,`` ``;`` tab ``|``; UTF-8 or cp1252)
        or ``.xlsx``/``.xls`` file.
    schema, columns
        See :func:`header_mapping`.
    sheet
        Excel sheet name; the first sheet by default.

    Returns
    -------
    DataFrame
        One row per source row, plus ``file_sumber`` and ``baris_sumber``.

    Raises
    ------
    InputError
        If the file is missing, of an unknown type, or unreadable.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"household file '{path}' not found; check [households] paths in the region TOML")
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        frame = _read_csv(path)
    elif suffix in EXCEL_SUFFIXES:
        frame = _read_excel(path, sheet)
    else:
        raise InputError(f"{path}: file type '{suffix}' is not supported; export the register as CSV or XLSX")
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.rename(columns=header_mapping(list(frame.columns), schema=schema, columns=columns))
    frame[C.FILE_SUMBER] = path.name
    logger.info("read %d household rows from %s", len(frame), path.name)
    return frame


def households_from_source(source: HouseholdSource) -> pd.DataFrame:
    """Read and stack every file of a region's ``[households]`` table.

    Returns
    -------
    DataFrame
        All rows of all files, with a fresh RangeIndex.
    """
    frames = [
        households_from_file(p, schema=source.schema, columns=source.columns, sheet=source.sheet) for p in source.paths
    ]
    return pd.concat(frames, ignore_index=True, sort=False)


def boundaries_from_file(
    path: str | Path, *, layer: str | None = None, columns: dict[str, str] | None = None
) -> gpd.GeoDataFrame:
    """Read kelurahan polygons with canonical columns, in EPSG:4326.

    Z values are dropped, invalid polygons are repaired with ``make_valid``
    (and logged), and codes are normalised to the dotted form. When the file
    has no kecamatan code, it is derived from the kelurahan code.

    Parameters
    ----------
    path
        Any vector file GDAL reads (GeoPackage, Shapefile, GeoJSON, ...).
    layer
        Layer name; the first layer by default.
    columns
        Canonical name -> the file's column, for ``kode_kel``, ``nama_kel``,
        ``kode_kec`` and ``nama_kec``.

    Returns
    -------
    GeoDataFrame
        Columns ``kode_kel``, ``nama_kel``, ``kode_kec``, ``nama_kec``,
        ``geometry``, one row per kelurahan.

    Raises
    ------
    InputError
        If the file or layer is missing or lacks the code or name column.
    CRSError
        If the layer has no CRS.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"boundary file '{path}' not found; check [boundaries] path in the region TOML")
    try:
        gdf = pyogrio.read_dataframe(path, layer=layer, use_arrow=False)
    except pyogrio.errors.DataLayerError as exc:
        layers = ", ".join(pyogrio.list_layers(path)[:, 0])
        raise InputError(f"{path}: {exc}; layers found: {layers}. Set [boundaries] layer in the region TOML") from None
    if gdf.crs is None:
        raise CRSError(
            f"{path}: layer has no CRS. Assign one in QGIS (Layer > Set CRS) or with "
            "`ogr2ogr -a_srs EPSG:4326`, then run again"
        )
    mapping = columns or {}
    missing = [canonical for canonical in (C.KODE_KEL, C.NAMA_KEL) if mapping.get(canonical) not in gdf.columns]
    if missing:
        wanted = ", ".join(f"{c} = '{mapping.get(c)}'" for c in missing)
        found = ", ".join(f"'{c}'" for c in gdf.columns if c != "geometry")
        raise InputError(
            f"{path}: boundary columns not found ({wanted}); found {found}. "
            "Map them in the region TOML under [boundaries.columns]"
        )
    out = gpd.GeoDataFrame(
        {
            C.KODE_KEL: normalize_kode(gdf[mapping[C.KODE_KEL]]),
            C.NAMA_KEL: gdf[mapping[C.NAMA_KEL]].astype("string").str.strip(),
        },
        geometry=gdf.geometry,
        crs=gdf.crs,
    )
    bad_codes = out[C.KODE_KEL].isna()
    if bad_codes.any():
        examples = ", ".join(map(str, gdf.loc[bad_codes, mapping[C.KODE_KEL]].head(3)))
        raise InputError(
            f"{path}: {int(bad_codes.sum())} kelurahan codes are not 10-digit Kemendagri codes (e.g. {examples}); "
            "BPS codes need a crosswalk to Kemendagri codes first"
        )
    kec_col = mapping.get(C.KODE_KEC)
    out[C.KODE_KEC] = (
        gdf[kec_col].astype("string").str.strip() if kec_col in gdf.columns else kecamatan_of(out[C.KODE_KEL])
    )
    name_col = mapping.get(C.NAMA_KEC)
    out[C.NAMA_KEC] = gdf[name_col].astype("string").str.strip() if name_col in gdf.columns else out[C.KODE_KEC]

    geoms = shapely.force_2d(out.geometry.values)
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        logger.warning("%s: repaired %d invalid polygons with make_valid", path.name, int(invalid.sum()))
        geoms[invalid] = shapely.make_valid(geoms[invalid], method="structure", keep_collapsed=False)
    out = out.set_geometry(gpd.GeoSeries(geoms, crs=out.crs, index=out.index))
    out = out[~out.geometry.is_empty & out.geometry.notna()]
    if out.crs.to_epsg() != 4326:
        logger.info("%s: reprojecting boundaries from %s to EPSG:4326", path.name, out.crs.to_string())
        out = out.to_crs("EPSG:4326")
    duplicated = out[C.KODE_KEL].duplicated()
    if duplicated.any():
        logger.warning(
            "%s: %d duplicated kelurahan codes; dissolving them into one polygon each", path.name, int(duplicated.sum())
        )
        out = out.dissolve(by=C.KODE_KEL, as_index=False, aggfunc="first")
    logger.info("read %d kelurahan from %s", len(out), path.name)
    return out.reset_index(drop=True)


def boundaries_from_source(source: BoundarySource) -> gpd.GeoDataFrame:
    """Read a region's ``[boundaries]`` table with :func:`boundaries_from_file`."""
    return boundaries_from_file(source.path, layer=source.layer, columns=source.columns)
