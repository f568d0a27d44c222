"""Writers of the outputs: GeoPackage (with styles and metadata), CSV, XLSX, the restricted tier.

Every file goes through :func:`pipeline.publish.files.atomic_path`, so an
interrupted run leaves the previous output intact. Public files pass :func:`pipeline.publish.privacy.check_public`
first; the restricted tier (personal data) goes to ``terbatas/`` with
owner-only permissions (folder 0700, files 0600).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from .. import columns as C
from ..analyse.region import RegionAnalysis
from ..ingest.boundaries import kelurahan_names
from .files import atomic_path, to_text
from .privacy import check_public
from .qgis import Style
from .xlsx import WORKBOOK_MAX_ROWS, split_sheets, write_xlsx

logger = logging.getLogger(__name__)

#: GeoPackage 1.2 opens without warnings in older QGIS LTR (GDAL 3.6).
GPKG_DATASET_OPTIONS: dict[str, str] = {"VERSION": "1.2"}
#: Geometry column name of every spatial layer (GDAL's default, named explicitly for layer_styles).
GEOMETRY_COLUMN: str = "geom"
RESTRICTED_DIR: str = "terbatas"
RESTRICTED_README: str = """TERBATAS — DATA PRIBADI
========================

Folder ini berisi data pribadi (NIK, nama, alamat, lokasi rumah tangga) yang
dilindungi Undang-Undang Nomor 27 Tahun 2022 tentang Pelindungan Data Pribadi
(UU PDP, UU 27/2022).

- Hanya untuk petugas yang ditunjuk (Bappeda, Dinas Sosial, OPD pelaksana
  program) dalam rangka verifikasi dan penanganan kemiskinan.
- JANGAN dipublikasikan, diunggah ke internet, atau dikirim melalui grup
  pesan. Jangan disalin ke folder bersama.
- Gunakan keluaran publik (peta HTML dan GeoPackage ringkasan) untuk rapat
  dan presentasi.

Isi:
- karantina.csv — baris register yang ditolak validasi atau tidak dapat
  ditempatkan di kelurahan, dengan kode alasan (kolom "alasan").
- rumah_tangga.gpkg — titik rumah tangga (hanya yang ber-GPS) dengan ID
  samaran (id_samaran, hash berkunci; kuncinya disimpan di luar repositori),
  kode kelurahan, desil, status miskin dan program. Tanpa NIK, nama, alamat.
- sasaran_terpadu.xlsx — daftar sasaran terpadu by-name (peringkat, NIK,
  nama, alamat, program); opd/<opd>.xlsx — rumah tangga sasaran tiap OPD.
  Daftar lebih dari 200.000 baris dipecah per kecamatan menjadi beberapa
  lembar (lihat lembar "indeks"), dan daftar lengkapnya juga ditulis di
  sebelahnya sebagai .csv dan .parquet.
- karantina_anggota.csv — baris tabel anggota keluarga (individu/ART) yang
  tidak tertaut ke keluarga mana pun, dengan kode alasan (hanya bila ada
  tabel anggota).
"""


#: A text cell starting with one of these is a formula in a spreadsheet.
FORMULA_START: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_START = re.compile("^[" + re.escape("".join(FORMULA_START)) + "]")
_PLAIN_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")


def formula_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula, made inert with a leading ``'``.

    Follows OWASP's advice on CSV injection: a cell starting with ``=``,
    ``+``, ``-``, ``@``, a tab or a carriage return (``=HYPERLINK(...)``,
    ``+cmd|' /C calc'!A0``) gets a leading apostrophe, which Excel and
    LibreOffice show as text. A plain number such as ``-8,1234`` (a
    latitude as exported) cannot be a formula and is left as it is.
    Column names are treated the same way.
    """
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        text = values.astype("string")
        risky = text.str.contains(_FORMULA_START) & ~text.str.contains(_PLAIN_NUMBER)
        if risky.fillna(False).any():
            out[column] = values.astype(object).where(~risky.fillna(False).to_numpy(), "'" + text.astype(object))
    out.columns = [
        f"'{c}" if _FORMULA_START.match(str(c)) and not _PLAIN_NUMBER.match(str(c)) else c for c in out.columns
    ]
    return out


def to_csv(frame: pd.DataFrame, path: str | os.PathLike[str], *, mode: int | None = None, safe: bool = False) -> Path:
    """Write a table as UTF-8 CSV (comma-separated), atomically.

    With ``safe``, cells that a spreadsheet would run as formulas are made
    inert (:func:`formula_safe`): every CSV an officer may open in Excel.
    """
    return to_text((formula_safe(frame) if safe else frame).to_csv(index=False), path, mode=mode)


@contextlib.contextmanager
def csv_chunks(path: str | os.PathLike[str], *, mode: int | None = None) -> Iterator[Callable[[pd.DataFrame], None]]:
    """Write consecutive tables as one UTF-8 CSV, atomically, holding one table at a time.

    Yields a function that appends a table (the header is written with the
    first); the file takes its name when the block ends without an error.
    One table gives the same bytes as :func:`to_csv`.
    """
    with atomic_path(path, mode=mode) as tmp:
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, mode if mode is not None else 0o666)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            written = [False]

            def append(frame: pd.DataFrame) -> None:
                handle.write(frame.to_csv(index=False, header=not written[0]))
                written[0] = True

            yield append


def to_parquet(frame: pd.DataFrame, path: str | os.PathLike[str], *, mode: int | None = None) -> Path:
    """Write a table as Parquet, atomically; text columns of mixed values stored as text."""
    mixed = {c: "string" for c in frame.columns if frame[c].dtype == object}
    with atomic_path(path, mode=mode) as tmp:
        frame.astype(mixed).to_parquet(tmp, index=False)
    return Path(path)


def to_geopackage(
    layers: dict[str, pd.DataFrame],
    path: str | os.PathLike[str],
    *,
    descriptions: dict[str, str] | None = None,
    public: bool = True,
    styles: Mapping[str, list[Style]] | None = None,
    metadata: Mapping[str, str] | None = None,
    mode: int | None = None,
) -> Path:
    """Write several layers into one GeoPackage, atomically.

    Styles go into the ``layer_styles`` table that QGIS reads (created the
    way QGIS creates it: an attribute table), so each layer opens styled.
    Metadata goes into ``gpkg_metadata`` on each layer (GDAL metadata:
    ``ogrinfo`` prints it, QGIS shows it under Layer Properties >
    Information) and once for the whole file, as a GeoPackage metadata
    record of scope ``geopackage`` (``ogrinfo -so file.gpkg`` prints it as
    ``GPKG_METADATA_ITEM_1``). Not as GDAL dataset metadata: GDAL 3.12
    then writes a ``.aux.xml`` beside the file whenever a client reads it.

    Parameters
    ----------
    layers
        Layer name -> GeoDataFrame (spatial layer, spatial index) or
        DataFrame (attribute table).
    path
        The ``.gpkg`` file.
    descriptions
        Layer name -> description stored in ``gpkg_contents``.
    public
        Check every layer with :func:`pipeline.publish.privacy.check_public` first.
    styles
        Layer name -> its QGIS styles, the first being the default.
    metadata
        Key -> value, stored on each layer.
    mode
        Permission bits of the file (``0o600`` in the restricted tier).

    Returns
    -------
    Path

    Raises
    ------
    PrivacyError
        If ``public`` and a layer carries personal data.
    """
    descriptions = descriptions or {}
    if public:
        for name, frame in layers.items():
            check_public(frame, what=f"{Path(path).name}:{name}")
    tables = dict(layers)
    if styles:
        tables[STYLE_TABLE] = _style_table(styles, layers)
    with atomic_path(path, mode=mode) as tmp:
        for i, (name, frame) in enumerate(tables.items()):
            options = {"DESCRIPTION": descriptions.get(name, "")}
            if isinstance(frame, gpd.GeoDataFrame):
                options.update(SPATIAL_INDEX="YES", GEOMETRY_NAME=GEOMETRY_COLUMN)
            try:
                pyogrio.write_dataframe(
                    frame.reset_index(drop=True),
                    tmp,
                    layer=name,
                    driver="GPKG",
                    dataset_options=GPKG_DATASET_OPTIONS if i == 0 else None,
                    layer_options=options,
                    layer_metadata=dict(metadata) if metadata and name in layers else None,
                    use_arrow=True,
                )
            except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
                from ..errors import OutputError

                raise OutputError(
                    f"{path}: GDAL could not write layer '{name}' ({exc}); check free disk space, the file-size "
                    "limit and that the folder is writable. The previous outputs are left as they were"
                ) from None
        if metadata:
            _file_metadata(tmp, metadata)
    logger.info("wrote %s (%s)", path, ", ".join(layers))
    return Path(path)


#: Where the file-level record says it comes from (GeoPackage ``md_standard_uri``).
FILE_METADATA_URI: str = "urn:x-kantong:ringkasan-berkas"


def _file_metadata(path: Path, metadata: Mapping[str, str]) -> None:
    """One metadata record for the whole GeoPackage (scope ``geopackage``), ``KEY=value`` per line.

    The layers' metadata has already created the GeoPackage metadata tables.
    """
    text = "\n".join(f"{key}={value}" for key, value in metadata.items())
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        row = db.execute(
            "INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, metadata) VALUES (?, ?, ?, ?)",
            ("dataset", FILE_METADATA_URI, "text/plain", text),
        ).lastrowid
        db.execute(
            "INSERT INTO gpkg_metadata_reference (reference_scope, table_name, column_name, row_id_value, timestamp,"
            " md_file_id) VALUES ('geopackage', NULL, NULL, NULL, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?)",
            (row,),
        )


#: The table QGIS reads layer styles from.
STYLE_TABLE: str = "layer_styles"


def _style_table(styles: Mapping[str, list[Style]], layers: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """``layer_styles`` rows, with QGIS's own column names."""
    rows = []
    now = pd.Timestamp.now(tz="UTC").floor("s")
    for layer, layer_styles in styles.items():
        spatial = isinstance(layers.get(layer), gpd.GeoDataFrame)
        for style in layer_styles:
            rows.append(
                {
                    "f_table_catalog": "",
                    "f_table_schema": "",
                    "f_table_name": layer,
                    "f_geometry_column": GEOMETRY_COLUMN if spatial else "",
                    "styleName": style.name,
                    "styleQML": style.qml,
                    "styleSLD": "",
                    "useAsDefault": style.default,
                    "description": style.description,
                    "owner": "kantong",
                    "ui": "",
                    "update_time": now,  # QGIS orders a layer's styles by it
                }
            )
    return pd.DataFrame(rows)


def to_workbook(
    sheets: Mapping[str, pd.DataFrame],
    path: str | os.PathLike[str],
    *,
    mode: int | None = None,
    max_rows: int = WORKBOOK_MAX_ROWS,
) -> Path:
    """Write sheets to an Excel workbook that no cell can turn into a formula.

    Every text is written as a text cell (a shared string; no formula
    element is ever written), so a name typed as ``=HYPERLINK(...)`` or
    ``@SUM(...)`` stays the text it is; a NIK stays 16 digits, not a rounded
    number. The header row is bold and frozen, with an autofilter. Written a
    column at a time (:mod:`pipeline.publish.xlsx`), not a cell at a time.

    Parameters
    ----------
    sheets
        Sheet name (at most 31 characters) -> table.
    path
        The ``.xlsx`` file; written atomically.
    mode
        Permission bits (``0o600`` in the restricted tier).
    max_rows
        A sheet longer than this is split into parts by kecamatan, with an
        ``indeks`` sheet (:func:`pipeline.publish.xlsx.split_sheets`).
    """
    with atomic_path(path, mode=mode) as tmp:
        write_xlsx(split_sheets({name[:31]: frame for name, frame in sheets.items()}, max_rows=max_rows), tmp)
    return Path(path)


def to_restricted(
    tables: Mapping[str, pd.DataFrame], directory: str | os.PathLike[str], *, max_rows: int = WORKBOOK_MAX_ROWS
) -> Path:
    """Write the restricted tier: tables with personal data, one CSV each,
    and point layers (GeoDataFrames) as GeoPackages.

    The folder gets mode 0700 and every file 0600, with a README stating
    that it holds personal data under UU 27/2022.

    Parameters
    ----------
    tables
        File stem -> table, e.g. ``{"karantina": quarantine}``.
    directory
        The restricted folder, ``outputs/<region>/terbatas``.
    max_rows
        Workbook sheets longer than this are split by kecamatan
        (:func:`pipeline.publish.xlsx.split_sheets`), and the whole list is
        also written beside the workbook as CSV and Parquet.

    Returns
    -------
    Path
        The folder.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    to_text(RESTRICTED_README, directory / "README.txt", mode=0o600)
    for stem, table in tables.items():
        if isinstance(table, gpd.GeoDataFrame):
            to_geopackage({stem: table}, directory / f"{stem}.gpkg", public=False, mode=0o600)
        elif isinstance(table, dict):  # sheets: a workbook (stem may hold a sub-folder, e.g. opd/dinas_sosial)
            (directory / stem).parent.mkdir(parents=True, exist_ok=True)
            os.chmod((directory / stem).parent, 0o700)
            to_workbook(table, directory / f"{stem}.xlsx", mode=0o600, max_rows=max_rows)
            for sheet, frame in table.items():
                if len(frame) > max_rows:  # the whole list beside the split workbook
                    base = stem if sheet == Path(stem).name else f"{stem}_{sheet}"
                    to_csv(frame, directory / f"{base}.csv", mode=0o600, safe=True)
                    to_parquet(frame, directory / f"{base}.parquet", mode=0o600)
        else:
            to_csv(table, directory / f"{stem}.csv", mode=0o600, safe=True)
    logger.info(
        "wrote restricted tier to %s (%s)",
        directory,
        ", ".join(f"{s}: {len(t)} {'sheets' if isinstance(t, dict) else 'rows'}" for s, t in tables.items()),
    )
    return directory


def to_make_depfile(targets: list[Path], inputs: list[Path], path: str | os.PathLike[str]) -> Path:
    """Write a Makefile fragment: ``targets`` depend on ``inputs``.

    Each input also gets an empty rule, so that a deleted input makes the
    targets rebuild instead of stopping make.
    """
    cwd = Path.cwd()

    def show(p: Path) -> str:
        p = Path(p).resolve()
        text = str(p.relative_to(cwd)) if p.is_relative_to(cwd) else str(p)
        return text.replace(" ", "\\ ")

    lines = [" ".join(show(t) for t in targets) + ": " + " ".join(show(i) for i in inputs)]
    lines += [f"{show(i)}:" for i in inputs]
    return to_text("\n".join(lines) + "\n", path)


#: Personal columns the field staff need in the by-name workbooks.
WORKBOOK_COLUMNS: tuple[str, ...] = (C.NIK, C.NO_KK, C.NAMA_KK, C.ALAMAT, C.RT, C.RW, C.KODE_KEL, C.DESIL)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:60] or "opd"


def target_workbooks(analysis: RegionAnalysis) -> dict[str, dict[str, pd.DataFrame]]:
    """The restricted by-name workbooks: the whole target list, and one per OPD with its households.

    Returns
    -------
    dict
        ``sasaran_terpadu`` and ``opd/<opd>`` -> sheets, for :func:`pipeline.publish.write.to_restricted`.
    """
    config = analysis.config
    targets = analysis.targets
    if not len(targets):
        return {}
    people = analysis.households.loc[targets.index, [c for c in WORKBOOK_COLUMNS if c in analysis.households]]
    names = kelurahan_names(analysis.boundaries)
    full = targets.drop(columns=[C.KODE_KEL, C.DESIL]).join(people)
    full.insert(full.columns.get_loc(C.KODE_KEL) + 1, C.NAMA_KEL, full[C.KODE_KEL].map(names))
    out = {
        "sasaran_terpadu": {
            "sasaran_terpadu": full,
            "kuota": analysis.quota_report,
            **({"penerima_cocok": analysis.matched} if len(analysis.matched) else {}),
            **({"penerima_tidak_cocok": analysis.unmatched} if len(analysis.unmatched) else {}),
        }
    }
    given = full["program_diberikan"].fillna("").str.get_dummies(sep=",").astype(bool)
    by_file: dict[str, set[str]] = {}
    for program in config.programs:
        by_file.setdefault(_slug(program.opd), set()).add(program.opd)
    for stem, opds in sorted(by_file.items()):
        if len(opds) > 1:  # "Dinas Sosial" and "DINAS SOSIAL" would overwrite each other's file
            logger.warning(
                "OPD names %s all become opd/%s.xlsx; their households are merged into that one workbook. "
                "Write the OPD name the same way in every [[programs]] entry",
                ", ".join(repr(o) for o in sorted(opds)),
                stem,
            )
        codes = sorted({p.code for p in config.programs if p.opd in opds} & set(given.columns))
        listed = given[codes].to_numpy()
        mine = listed.any(axis=1)
        joined = pd.Series("", index=full.index)
        for k, code in enumerate(codes):  # in code order, as before
            joined = joined + np.where(listed[:, k], code + ",", "")
        rows = full[mine].assign(program_opd=joined[mine].str[:-1])
        out[f"opd/{stem}"] = {"sasaran": rows}
    return out
