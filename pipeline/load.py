"""Load stage for households: read register exports from disk.

Boundaries are read by :mod:`pipeline.load_boundaries`.

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

import pandas as pd
import pyogrio

from . import columns as C
from .config import HouseholdSource
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

#: Canonical column -> other headers found in real exports (P3KE, DTSEN, DTKS/BDT,
#: local verification files). Matching ignores case, spaces and punctuation.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    C.ID_KELUARGA: ("ID Keluarga P3KE", "ID Keluarga", "IDBDT", "ID DTSEN", "ID Keluarga DTSEN", "ID KK"),
    C.NO_KK: ("No KK", "NOKK", "Nomor KK", "Nomor Kartu Keluarga", "No Kartu Keluarga"),
    C.NIK: ("NIK", "NIK Kepala Keluarga", "NIK KRT", "NIK KK"),
    C.NAMA_KK: ("Kepala Keluarga", "Nama Kepala Keluarga", "Nama KRT", "Nama KK"),
    C.KODE_KEL: ("Kode Kemendagri", "Kode Desa", "Kode Kelurahan", "Kode Desa/Kelurahan", "Kode Wilayah"),
    C.DESIL: ("Desil Kesejahteraan", "Desil", "Desil Nasional", "Peringkat Desil"),
    C.JUMLAH_ART: ("Jumlah Anggota Keluarga", "Jumlah ART", "Jml ART", "Jumlah Anggota"),
    C.ALAMAT: ("Alamat", "Alamat Lengkap"),
    C.RT: ("RT",),
    C.RW: ("RW",),
    C.JENIS_KELAMIN: ("Jenis Kelamin", "JK", "Jenis Kelamin KRT", "JNSKEL"),
    C.TANGGAL_LAHIR: ("Tanggal Lahir", "Tgl Lahir", "Tanggal Lahir KRT"),
    C.STATUS: ("Status", "Status Verifikasi", "Status Keberadaan", "Hasil Verifikasi", "Keterangan Verifikasi"),
    C.TANGGAL_VERIFIKASI: ("Tanggal Verifikasi", "Tgl Verifikasi", "Tanggal Verval", "Tgl Verval"),
    C.JENIS_LANTAI: ("Jenis Lantai", "Lantai"),
    C.JENIS_DINDING: ("Jenis Dinding", "Dinding"),
    C.JENIS_ATAP: ("Jenis Atap", "Atap"),
    C.SUMBER_AIR: ("Sumber Air Minum", "sumber_airminum", "Air Minum"),
    C.PENERANGAN: ("Sumber Penerangan", "Penerangan"),
    C.BAHAN_BAKAR: ("Bahan Bakar Memasak", "bb_masak", "Bahan Bakar"),
    C.FASILITAS_BAB: ("Memiliki Fasilitas Buang Air Besar", "fasbab", "Fasilitas BAB"),
    C.LANSIA_TUNGGAL: ("Lansia Tunggal", "Lansia Hidup Sendiri"),
    C.DISABILITAS: ("Penyandang Disabilitas", "Disabilitas", "Ada Disabilitas"),
    C.RISIKO_STUNTING: ("Resiko Stunting", "Risiko Stunting"),
    C.PEKERJA_MIGRAN: ("Pekerja Migran", "PMI", "Pekerja Migran Indonesia"),
    C.LAT: ("Latitude", "Lat", "Lintang"),
    C.LON: ("Longitude", "Long", "Lon", "Lng", "Bujur"),
    C.PENGELUARAN: ("Pengeluaran per Kapita", "Pengeluaran Kapita", "Pengeluaran"),
    # programme flags of DTKS/BDT exports
    "penerima_pkh": ("sta_pkh", "Status PKH"),
    "penerima_pbi_jkn": ("AdaPBI", "PBI JKN"),
    "penerima_bpnt": ("AdaBPNT",),
}
#: The header each canonical column has in the P3KE family sheet as exported
#: (the synthetic demo writes these).
P3KE_HEADERS: dict[str, str] = {
    canonical: aliases[0]
    for canonical, aliases in HEADER_ALIASES.items()
    if not canonical.startswith(C.PENERIMA_PREFIX)
}
#: Register headers such as "Penerima PKH" become ``penerima_pkh``.
_PROGRAM_HEADER = re.compile(r"^\s*penerima\s+(?P<code>.+?)\s*$", re.IGNORECASE)
CSV_SUFFIXES: tuple[str, ...] = (".csv", ".txt")
EXCEL_SUFFIXES: tuple[str, ...] = (".xlsx", ".xls")


def header_key(header: str) -> str:
    """``"Desil Kesejahteraan"`` -> ``"desilkesejahteraan"``: the form headers are matched in."""
    return re.sub(r"[^0-9a-z]+", "", str(header).lower())


#: Canonical names a file may already use as headers.
CANONICAL_HEADERS: frozenset[str] = (
    frozenset(HEADER_ALIASES) | frozenset(C.PERSONAL) | {C.KODE_KEL, C.DESIL, C.JUMLAH_ART}
)
#: Every header the alias table knows, in matching form (for finding the header row).
KNOWN_HEADER_KEYS: frozenset[str] = frozenset(
    header_key(h) for canonical, aliases in HEADER_ALIASES.items() for h in (canonical, *aliases)
)


def _program_column(header: str) -> str | None:
    match = _PROGRAM_HEADER.match(header)
    if match is None:
        return None
    return C.PENERIMA_PREFIX + re.sub(r"[^a-z0-9]+", "_", match.group("code").lower()).strip("_")


def header_mapping(
    headers: list[str], *, schema: str = "auto", columns: dict[str, str] | None = None
) -> dict[str, str]:
    """Map a file's headers to canonical column names.

    Matching ignores case, spaces and punctuation. The region TOML's
    ``columns`` win; then the canonical names themselves; then
    :data:`HEADER_ALIASES` (unless ``schema = "kanonik"``); then any
    "Penerima <programme>" header becomes ``penerima_<programme>``.
    A canonical column is taken from the first header that matches.

    Parameters
    ----------
    headers
        The headers as found in the file.
    schema
        ``"auto"`` (or ``"p3ke"``): use the alias table; ``"kanonik"``: only
        canonical names and ``columns``.
    columns
        Overrides from the region TOML, canonical name -> source header.

    Returns
    -------
    dict
        Source header -> canonical name, for the headers that have one.
    """
    by_key: dict[str, str] = {}
    for header in headers:
        by_key.setdefault(header_key(header), header)
    mapping: dict[str, str] = {}
    taken: set[str] = set()

    def take(canonical: str, candidates: tuple[str, ...]) -> None:
        if canonical in taken:
            return
        for candidate in candidates:
            found = by_key.get(header_key(candidate))
            if found is not None and found not in mapping:
                mapping[found] = canonical
                taken.add(canonical)
                return

    for canonical, source in (columns or {}).items():
        take(canonical, (source,))
    for canonical in CANONICAL_HEADERS:
        take(canonical, (canonical,))
    if schema != "kanonik":
        for canonical, aliases in HEADER_ALIASES.items():
            take(canonical, aliases)
    for header in headers:
        if header not in mapping:
            program = _program_column(header)
            if program is not None and program not in taken:
                mapping[header] = program
                taken.add(program)
    return mapping


def closest_headers(canonical: str, headers: list[str], *, n: int = 3) -> list[str]:
    """The file's unmapped headers most like ``canonical`` or one of its aliases.

    Headers that contain a known name (``"Nomor NIK KRT"`` contains ``nik``)
    come first, then close spellings. Headers that already are canonical
    columns are not candidates. Used in error messages.
    """
    import difflib

    keys = {header_key(h): h for h in headers if h not in CANONICAL_HEADERS}
    wanted = [header_key(canonical), *(header_key(a) for a in HEADER_ALIASES.get(canonical, ()))]
    found = [h for key, h in keys.items() if any(w and w in key for w in wanted)]
    for key in wanted:
        for match in difflib.get_close_matches(key, list(keys), n=n, cutoff=0.6):
            if keys[match] not in found:
                found.append(keys[match])
    return found[:n]


#: How far down a sheet the header row is looked for (P3KE puts it on row 13).
HEADER_SEARCH_ROWS: int = 30
#: Headers that mark a member (individual) table, not a household table.
MEMBER_HEADERS: tuple[str, ...] = (
    "ID Individu",
    "ID ART",
    "IDARTBDT",
    "Hubungan dengan Kepala Keluarga",
    "Hubungan Keluarga",
)
POINT_SUFFIXES: tuple[str, ...] = (".gpkg", ".geojson", ".json", ".shp", ".fgb")


def find_header_row(rows: list[list[object]]) -> int | None:
    """Index of the row that holds the table's headers, or None.

    The header is the row, among the first :data:`HEADER_SEARCH_ROWS`, that
    matches the most known headers (at least two), so that a title block above
    the table (the P3KE export's first 12 rows) is skipped.
    """
    best, best_hits = None, 1
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        hits = sum(header_key(v) in KNOWN_HEADER_KEYS for v in row if v is not None and str(v).strip())
        if hits > best_hits:
            best, best_hits = i, hits
    return best


def _is_member_table(headers: list[str]) -> bool:
    keys = {header_key(h) for h in headers}
    return any(header_key(m) in keys for m in MEMBER_HEADERS)


def _read_csv(path: Path) -> pd.DataFrame:
    raw = path.read_bytes()[:65_536]
    encoding = "utf-8-sig"
    try:
        sample = raw.decode(encoding)
    except UnicodeDecodeError:
        encoding = "cp1252"
        sample = raw.decode(encoding, errors="replace")
    lines = sample.splitlines()
    if not lines or not any(line.strip() for line in lines):
        raise InputError(f"{path}: the file is empty; export the register again")
    try:
        delimiter = csv.Sniffer().sniff("\n".join(lines[:HEADER_SEARCH_ROWS]), delimiters=",;\t|").delimiter
    except csv.Error:
        raise InputError(f"{path}: could not find a header line with ',', ';', tab or '|' between columns") from None
    rows = list(csv.reader(lines[:HEADER_SEARCH_ROWS], delimiter=delimiter))
    skip = find_header_row(rows) or 0
    options = {"sep": delimiter, "dtype": str, "keep_default_na": False, "encoding": encoding, "skiprows": skip}
    try:
        frame = pd.read_csv(path, engine="pyarrow", **options)  # multithreaded, ~5x faster
    except (ValueError, ImportError) as exc:  # an option or file the pyarrow parser cannot handle
        logger.debug("%s: pyarrow CSV reader failed (%s); using the C reader", path.name, exc)
        frame = pd.read_csv(path, engine="c", **options)
    frame[C.BARIS_SUMBER] = frame.index.to_numpy() + 2 + skip
    return frame


def _read_excel(path: Path, sheet: str | None) -> pd.DataFrame:
    try:
        sheets = pd.read_excel(
            path, sheet_name=sheet if sheet else None, header=None, dtype=str, engine="calamine", keep_default_na=False
        )
    except ValueError as exc:
        raise InputError(
            f"{path}: could not read sheet {sheet or '(all)'} ({exc}); set [households] sheet = '...' in the region TOML"
        ) from None
    if isinstance(sheets, pd.DataFrame):
        sheets = {sheet: sheets}
    frames = []
    for name, grid in sheets.items():
        rows = grid.head(HEADER_SEARCH_ROWS).values.tolist()
        at = find_header_row(rows)
        if at is None:
            if len(grid):
                logger.warning(
                    "%s [%s]: no household header found in the first %d rows; sheet skipped",
                    path.name,
                    name,
                    HEADER_SEARCH_ROWS,
                )
            continue
        headers = [str(h).strip() if str(h).strip() else f"kolom_{i + 1}" for i, h in enumerate(grid.iloc[at])]
        if _is_member_table(headers):
            logger.warning(
                "%s [%s]: a member (individual) table: its %d rows are not households and are not counted; "
                "aggregating member sheets is not supported yet",
                path.name,
                name,
                len(grid) - at - 1,
            )
            continue
        body = grid.iloc[at + 1 :].copy()
        body.columns = headers
        body = body[(body != "").any(axis=1)]  # trailing empty rows of a sheet are not records
        body[C.BARIS_SUMBER] = body.index.to_numpy() + 1  # Excel's own row number
        body[C.LEMBAR_SUMBER] = str(name)
        frames.append(body.reset_index(drop=True))
    if not frames:
        raise InputError(f"{path}: no sheet holds a household table (headers such as NIK, Desil, ID Keluarga)")
    return pd.concat(frames, ignore_index=True, sort=False)


def _read_parquet(path: Path) -> pd.DataFrame:
    frame = pd.read_parquet(path)
    text = frame.astype("string").fillna("")
    text[C.BARIS_SUMBER] = frame.index.to_numpy() + 1
    return text


def _read_points(path: Path) -> pd.DataFrame:
    try:
        layer = pyogrio.read_dataframe(path)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InputError(
            f"{path}: GDAL cannot read it as a point layer ({exc}); export it as GeoPackage or CSV"
        ) from None
    if layer.crs is None:
        raise CRSError(f"{path}: point layer has no CRS; assign one in QGIS (Layer > Set CRS) and export again")
    if set(layer.geom_type.dropna()) - {"Point"}:
        raise InputError(f"{path}: households must be points, found {sorted(set(layer.geom_type.dropna()))}")
    points = layer.geometry.to_crs("EPSG:4326")
    text = pd.DataFrame(layer.drop(columns="geometry")).astype("string").fillna("")
    text[P3KE_HEADERS[C.LAT]] = points.y.map("{:.7f}".format).where(points.notna(), "")
    text[P3KE_HEADERS[C.LON]] = points.x.map("{:.7f}".format).where(points.notna(), "")
    text[C.BARIS_SUMBER] = layer.index.to_numpy() + 1
    return text


def households_from_file(
    path: str | Path, *, schema: str = "auto", columns: dict[str, str] | None = None, sheet: str | None = None
) -> pd.DataFrame:
    """Read one household register file with canonical headers.

    Every value is kept as text, exactly as exported: a NIK never becomes a
    float. Headers without a canonical name are kept unchanged.

    Parameters
    ----------
    path
        A ``.csv``/``.txt`` (any of ``,`` ``;`` tab ``|``; UTF-8 or cp1252;
        title lines above the header are skipped), an ``.xlsx``/``.xls``
        workbook (every sheet holding a household table; the header row is
        detected), a ``.parquet`` file, or a point layer (``.gpkg``,
        ``.geojson``...) whose points become ``lat``/``lon``.
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
    elif suffix == ".parquet":
        frame = _read_parquet(path)
    elif suffix in POINT_SUFFIXES:
        frame = _read_points(path)
    else:
        raise InputError(
            f"{path}: file type '{suffix}' is not supported; export the register as CSV, XLSX, Parquet or a "
            "GeoPackage/GeoJSON point layer"
        )
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
