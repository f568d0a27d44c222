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
import datetime as dt
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import python_calamine

from . import columns as C
from .config import HouseholdSource
from .errors import CRSError, InputError

logger = logging.getLogger(__name__)

#: Canonical column -> other headers found in real exports (P3KE, DTSEN, DTKS/BDT,
#: local verification files). Matching ignores case, spaces and punctuation.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    C.ID_KELUARGA: ("ID Keluarga P3KE", "ID Keluarga", "IDBDT", "ID DTSEN", "ID Keluarga DTSEN", "ID KK"),
    C.NO_KK: ("No KK", "NOKK", "Nomor KK", "Nomor Kartu Keluarga", "No Kartu Keluarga"),
    C.NIK: ("NIK", "NIK Kepala Keluarga", "NIK KRT", "NIK KK"),
    C.NAMA_KK: ("Kepala Keluarga", "Nama Kepala Keluarga", "Nama KRT", "Nama KK"),
    C.KODE_KEL: ("Kode Kemendagri", "Kode Desa", "Kode Kelurahan", "Kode Desa/Kelurahan", "Kode Wilayah"),
    # DTKS/BDT status_kesejahteraan 1-4 are the deciles 1-4 (10 % lowest ... 31-40 %)
    C.DESIL: ("Desil Kesejahteraan", "Desil", "Desil Nasional", "Peringkat Desil", "Status Kesejahteraan"),
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
    C.PENDIDIKAN_KK: (
        "Pendidikan",
        "Pendidikan Kepala Keluarga",
        "Pendidikan KRT",
        "Pendidikan Terakhir",
        "Ijazah Tertinggi",
        "Ijazah KRT",
    ),
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
#: Canonical member column -> headers of member tables (P3KE individual sheet,
#: DTKS/BDT ART table, DTSEN member export).
MEMBER_ALIASES: dict[str, tuple[str, ...]] = {
    C.ID_KELUARGA: ("ID Keluarga", "ID Keluarga P3KE", "IDBDT", "ID DTSEN", "ID Keluarga DTSEN", "ID KK"),
    C.ID_ANGGOTA: ("ID Individu", "ID ART", "IDARTBDT", "ID Anggota", "ID Individu P3KE"),
    C.NIK: ("NIK", "NIK ART", "NIK Anggota"),
    C.NAMA_ANGGOTA: ("Nama", "Nama ART", "Nama Anggota", "Nama Lengkap"),
    C.HUBUNGAN: ("Hubungan dengan Kepala Keluarga", "Hubungan Keluarga", "Hub KRT", "Hubungan dengan KRT", "Hub KK"),
    C.JENIS_KELAMIN: ("Jenis Kelamin", "JNSKEL", "JK"),
    C.TANGGAL_LAHIR: ("Tanggal Lahir", "Tgl Lahir"),
    C.UMUR: ("Umur", "Usia", "Umur Tahun"),
    C.PARTISIPASI_SEKOLAH: ("Partisipasi Sekolah", "Status Sekolah", "Partisipasi Pendidikan"),
    C.DISABILITAS: ("Jenis Cacat", "Penyandang Disabilitas", "Disabilitas", "Jenis Disabilitas"),
    C.PENYAKIT_KRONIS: ("Penyakit Kronis", "Penyakit Kronis Menahun", "Penyakit Kronis/Menahun"),
    "penerima_pbi_jkn": ("AdaPBI", "PBI JKN", "Penerima PBI"),
    "penerima_pkh": ("sta_pkh", "Status PKH"),
}
#: Headers that mark a member (individual) table, not a household table.
MEMBER_HEADERS: tuple[str, ...] = MEMBER_ALIASES[C.ID_ANGGOTA] + MEMBER_ALIASES[C.HUBUNGAN]
#: "Usia 7-12 Tahun", "Usia 60 Tahun ke Atas", "Usia di bawah 7 Tahun": P3KE age-band flags.
_AGE_RANGE = re.compile(r"^(?:usia|umur)\s*(\d+)\s*(?:-|–|s\.?\s*d\.?|sampai)\s*(\d+)\s*(?:tahun|thn|th)?$", re.I)
_AGE_PLUS = re.compile(
    r"^(?:usia|umur)\s*(?:>=|≥|>)?\s*(\d+)\s*(?:\+|(?:tahun|thn|th)?\s*(?:ke\s*atas|keatas|lebih))$", re.I
)
_AGE_UNDER = re.compile(r"^(?:usia|umur)\s*(?:di\s*bawah|dibawah|<|kurang\s*dari)\s*(\d+)\s*(?:tahun|thn|th)?$", re.I)


def age_band_column(header: str) -> str | None:
    """``"Usia 7-12 Tahun"`` -> ``"usia_7_12"``, ``"Usia 60+"`` -> ``"usia_60_plus"``; else None."""
    text = str(header).strip()
    if match := _AGE_RANGE.match(text):
        return f"{C.USIA_PREFIX}{int(match[1])}_{int(match[2])}"
    if match := _AGE_PLUS.match(text):
        return f"{C.USIA_PREFIX}{int(match[1])}_plus"
    if match := _AGE_UNDER.match(text):
        return f"{C.USIA_PREFIX}0_{int(match[1]) - 1}"
    return None


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
    header_key(h)
    for table in (HEADER_ALIASES, MEMBER_ALIASES)
    for canonical, aliases in table.items()
    for h in (canonical, *aliases)
)


def _program_column(header: str) -> str | None:
    match = _PROGRAM_HEADER.match(header)
    if match is None:
        return None
    return C.PENERIMA_PREFIX + re.sub(r"[^a-z0-9]+", "_", match.group("code").lower()).strip("_")


def header_mapping(
    headers: list[str],
    *,
    schema: str = "auto",
    columns: dict[str, str] | None = None,
    aliases: dict[str, tuple[str, ...]] | None = None,
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
    aliases
        The alias table: :data:`HEADER_ALIASES` (households, the default) or
        :data:`MEMBER_ALIASES` (member tables, whose age-band flags become
        ``usia_<from>_<to>``).

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
    table = HEADER_ALIASES if aliases is None else aliases
    for canonical in CANONICAL_HEADERS | frozenset(table):
        take(canonical, (canonical,))
    if schema != "kanonik":
        for canonical, names in table.items():
            take(canonical, names)
    for header in headers:
        if header not in mapping:
            program = _program_column(header) or (age_band_column(header) if aliases is not None else None)
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
POINT_SUFFIXES: tuple[str, ...] = (".gpkg", ".geojson", ".json", ".shp", ".fgb")


def header_hits(row: list[object]) -> int:
    """How many cells of a row are known headers (:data:`KNOWN_HEADER_KEYS`)."""
    return sum(header_key(v) in KNOWN_HEADER_KEYS for v in row if v is not None and str(v).strip())


def find_header_row(rows: list[list[object]]) -> int | None:
    """Index of the row that holds the table's headers, or None.

    The header is the row, among the first :data:`HEADER_SEARCH_ROWS`, that
    matches the most known headers (at least two), so that a title block above
    the table (the P3KE export's first 12 rows) is skipped.
    """
    best, best_hits = None, 1
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        hits = header_hits(row)
        if hits > best_hits:
            best, best_hits = i, hits
    return best


def _is_member_table(headers: list[str]) -> bool:
    keys = {header_key(h) for h in headers}
    return any(header_key(m) in keys for m in MEMBER_HEADERS)


#: The longest line a register row may have. A household row is a few kilobytes; a longer "line" is a file
#: without line breaks (or not a CSV at all), and reading it whole could exhaust memory.
MAX_LINE_BYTES: int = 1 << 20
CSV_DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")


#: A character that only a valid multi-byte UTF-8 sequence decodes to.
_NON_ASCII_TEXT = re.compile("[^\x00-\x7f\ufffd]")


def _csv_encoding(raw: bytes, path: Path) -> str:
    """The encoding of a whole CSV file: UTF-8 (with or without BOM), UTF-16 (with BOM), or cp1252.

    The whole file is checked, not a sample, so a multi-byte character
    split at any offset cannot tip the choice. A file that holds valid
    UTF-8 characters *and* bytes that are not UTF-8 mixes encodings:
    refused with the line of the first bad byte.

    Raises
    ------
    InputError
        If the file mixes encodings.
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        decoded = raw.decode("utf-8", errors="replace")
        if _NON_ASCII_TEXT.search(decoded):
            raise InputError(
                f"{path}: line {line} is not UTF-8 while other lines are (the file mixes encodings, e.g. two "
                "exports pasted together); open it in a spreadsheet and save it again as CSV UTF-8"
            ) from None
        logger.warning(
            "%s: not UTF-8 (first non-UTF-8 byte on line %d); read as Windows-1252 (cp1252)", path.name, line
        )
        return "cp1252"
    return "utf-8-sig"


def _check_csv_bytes(raw: bytes, path: Path) -> None:
    """Refuse files that are not a CSV text before any parser sees them.

    Raises
    ------
    InputError
        For an empty file, a ZIP (an XLSX workbook or zipped file renamed
        ``.csv``), binary data, or a line longer than :data:`MAX_LINE_BYTES`.
    """
    if not raw.strip():
        raise InputError(f"{path}: the file is empty; export the register again")
    if raw.startswith(b"PK\x03\x04"):
        raise InputError(
            f"{path}: this is a ZIP archive, not a CSV text (an .xlsx workbook renamed .csv?); "
            "rename it to .xlsx, or unzip it and list the CSV inside"
        )
    utf16 = raw.startswith((b"\xff\xfe", b"\xfe\xff"))
    if not utf16 and b"\x00" in raw[:65_536]:
        raise InputError(f"{path}: holds binary data (NUL bytes), not CSV text; export the register as CSV or XLSX")
    breaks = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) == 10)
    edges = np.concatenate(([-1], breaks, [len(raw)]))
    longest = int(np.diff(edges).max()) - 1
    if longest > MAX_LINE_BYTES * (2 if utf16 else 1):
        line = int(np.argmax(np.diff(edges))) + 1
        raise InputError(
            f"{path}: line {line} is {longest:,} bytes long with no line break (a register row is a few kB); "
            "this is not a register export, or its line breaks were lost. Export it again as CSV"
        )


def _csv_layout(lines: list[str], path: Path) -> tuple[str, int]:
    """The delimiter and the header line (0-based) of a CSV, from its first lines.

    Each delimiter is tried; the one whose best line matches the most known
    headers wins, so title lines above the header (a P3KE export) and
    separators inside titles do not mislead. Without any known header, the
    delimiter that splits the first lines most consistently is used.
    """
    best = (None, 0, 1)  # delimiter, header line, hits
    for delimiter in CSV_DELIMITERS:
        rows = list(csv.reader(lines, delimiter=delimiter))
        at = find_header_row(rows)
        if at is not None:
            hits = header_hits(rows[at])
            if hits > best[2]:
                best = (delimiter, at, hits)
    if best[0] is not None:
        return best[0], best[1]
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters="".join(CSV_DELIMITERS)).delimiter, 0
    except csv.Error:
        raise InputError(
            f"{path}: could not find a header line with ',', ';', tab or '|' between columns in the first "
            f"{len(lines)} lines; export the register as CSV with one header line"
        ) from None


def _read_csv(path: Path) -> pd.DataFrame:
    import io

    raw = path.read_bytes()
    _check_csv_bytes(raw, path)
    encoding = _csv_encoding(raw, path)
    if encoding == "utf-16":
        raw, encoding = raw.decode("utf-16").encode("utf-8"), "utf-8"
    head = raw[:65_536].decode(encoding, errors="replace").splitlines()[:HEADER_SEARCH_ROWS]
    delimiter, skip = _csv_layout(head, path)
    header = next(csv.reader(head[skip : skip + 1], delimiter=delimiter), [])
    names = [h.strip() for h in header if h.strip()]
    twice = sorted({h for h in names if names.count(h) > 1})
    if twice:
        raise InputError(
            f"{path}: column(s) {', '.join(repr(h) for h in twice)} appear more than once in the header "
            f"(line {skip + 1}); rename or delete the extra column so that each value has one meaning"
        )
    options = {"sep": delimiter, "dtype": str, "keep_default_na": False, "encoding": encoding, "skiprows": skip}
    try:
        frame = pd.read_csv(io.BytesIO(raw), engine="pyarrow", **options)  # multithreaded, ~5x faster
    except (ValueError, ImportError) as exc:  # an option or file the pyarrow parser cannot handle
        logger.debug("%s: pyarrow CSV reader failed (%s); using the C reader", path.name, exc)
        try:
            frame = pd.read_csv(io.BytesIO(raw), engine="c", **options)
        except pd.errors.ParserError as error:
            found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(error))
            detail = (
                f"line {int(found[2]) + skip} has {found[3]} values where the header has {found[1]}"
                if found
                else str(error).strip()
            )
            raise InputError(
                f"{path}: {detail}; a value probably holds the separator {delimiter!r} without quotes. "
                "Fix that line, or export again with text in quotes"
            ) from None
    frame[C.BARIS_SUMBER] = frame.index.to_numpy() + 2 + skip
    return frame


#: Rows converted to Arrow text at a time when reading a sheet (bounds peak memory).
EXCEL_CHUNK_ROWS: int = 50_000


def _cell_text(value: object) -> str:
    """One non-text Excel cell as text, the way the register meant it.

    Whole numbers lose their ``.0``; a number of 16 digits or more keeps
    Excel's scientific form (``3.374012345678901E+15``), because Excel kept
    only 15 significant digits: such a NIK or No KK is broken and must be
    reported, not repaired. Dates become ISO dates; TRUE/FALSE become 1/0.
    """
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if abs(value) >= 1e15:
            return f"{value:.15E}"
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return "" if value is None else str(value)


_to_text = np.frompyfunc(_cell_text, 1, 1)


def _text_array(values: np.ndarray) -> pa.Array:
    """An object column of Excel cells as an Arrow string array (fast when all cells are text)."""
    try:
        return pa.array(values, type=pa.large_string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):  # numbers, dates or booleans among the text
        return pa.array(_to_text(values), type=pa.large_string())


def _sheet_table(sheet: python_calamine.CalamineSheet, path: Path) -> pd.DataFrame | None:
    """One sheet's table below its detected header row, all text; None when no header is found."""
    rows = sheet.iter_rows()  # from Excel row 1, even when the sheet's first rows are empty
    head = [row for _, row in zip(range(HEADER_SEARCH_ROWS), rows, strict=False)]
    head_text = [[_cell_text(v).strip() for v in row] for row in head]
    at = find_header_row(head_text)
    if at is None:
        if any(any(row) for row in head_text):
            logger.warning(
                "%s [%s]: no household or member header found in the first %d rows; sheet skipped",
                path.name,
                sheet.name,
                HEADER_SEARCH_ROWS,
            )
        return None
    headers = [h or f"kolom_{i + 1}" for i, h in enumerate(head_text[at])]
    width = len(headers)
    tables, first_line = [], at + 2  # Excel's own row number of the first row below the header
    pending = head[at + 1 :]
    while True:
        pending += [row for _, row in zip(range(EXCEL_CHUNK_ROWS - len(pending)), rows, strict=False)]
        if not pending:
            break
        grid = np.empty((len(pending), width), dtype=object)
        grid[:] = [row[:width] + [""] * (width - len(row)) for row in pending]
        columns = {name: _text_array(grid[:, j]) for j, name in enumerate(headers)}
        columns[C.BARIS_SUMBER] = pa.array(np.arange(first_line, first_line + len(pending)))
        tables.append(pa.table(columns))
        first_line += len(pending)
        pending = []
    if not tables:
        return pd.DataFrame(columns=[*headers, C.BARIS_SUMBER, C.LEMBAR_SUMBER])
    body = pa.concat_tables(tables).to_pandas()
    body = body[(body[headers] != "").any(axis=1)].reset_index(drop=True)  # empty rows are not records
    body[C.LEMBAR_SUMBER] = sheet.name
    return body


def _read_excel(path: Path, sheet: str | None) -> list[pd.DataFrame]:
    """Every sheet of a workbook that holds a table, read with calamine (Rust) a chunk at a time."""
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        names = [sheet] if sheet else book.sheet_names
        sheets = [book.get_sheet_by_name(name) for name in names]
    except python_calamine.PasswordError:
        raise InputError(f"{path}: the workbook is password-protected; save a copy without a password") from None
    except (python_calamine.CalamineError, python_calamine.XmlError, python_calamine.ZipError, ValueError) as exc:
        if sheet and "sheet" in str(exc).lower():
            raise InputError(
                f"{path}: no sheet named '{sheet}' ({exc}); fix [households] sheet in the region TOML"
            ) from None
        raise InputError(
            f"{path}: the workbook cannot be read ({exc}); it is damaged or not an Excel file. Open it in Excel or "
            "LibreOffice and save it again as .xlsx, or export the register as CSV"
        ) from None
    frames = [frame for frame in (_sheet_table(s, path) for s in sheets) if frame is not None]
    if not frames:
        raise InputError(f"{path}: no sheet holds a household table (headers such as NIK, Desil, ID Keluarga)")
    return frames


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


@dataclass
class Registers:
    """The household and member rows of one or more register files."""

    #: Household (family / ruta) rows, canonical headers, text values.
    households: pd.DataFrame
    #: Member (individual / ART) rows, canonical member headers, text values.
    members: pd.DataFrame


def _with_code_parts(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """DTKS tables split the kelurahan code into KDPROP, KDKAB, KDKEC, KDDESA: join them.

    The parts are read as Kemendagri codes (2.2.2.4 digits, zero-padded).
    BPS-coded parts (a 3-digit KDKEC and KDDESA, as in BDT 2015) cannot be
    joined to Kemendagri boundaries without a crosswalk, so they are refused.
    """
    headers = {header_key(c): c for c in frame.columns}
    widths = {"kdprop": 2, "kdkab": 2, "kdkec": 2, "kddesa": 4}
    if C.KODE_KEL in frame.columns or not set(widths) <= set(headers):
        return frame
    parts = {n: frame[headers[n]].astype("string").fillna("").str.strip() for n in widths}
    if (parts["kdkec"].str.len() == 3).any() and (parts["kddesa"].str.len() == 3).any():
        raise InputError(
            f"{path}: KDKEC and KDDESA hold 3 digits each: these are BPS codes, not Kemendagri codes. Add a "
            "'Kode Kemendagri' column (the Kemendagri code of each desa/kelurahan) and export again"
        )
    code = parts["kdprop"].str.zfill(2)
    blank = parts["kdprop"] == ""
    for name in ("kdkab", "kdkec", "kddesa"):
        code = code + parts[name].str.zfill(widths[name])
        blank = blank | (parts[name] == "")
    return frame.assign(**{C.KODE_KEL: code.mask(blank, "")})


def register_from_file(
    path: str | Path, *, schema: str = "auto", columns: dict[str, str] | None = None, sheet: str | None = None
) -> Registers:
    """Read one register file: its household table(s) and member table(s).

    Every value is kept as text, exactly as exported: a NIK never becomes a
    float. Headers without a canonical name are kept unchanged. A table is a
    member table when it has a member ID or a relationship-to-head column
    (:data:`MEMBER_HEADERS`); its headers are matched against
    :data:`MEMBER_ALIASES`.

    Parameters
    ----------
    path
        A ``.csv``/``.txt`` (any of ``,`` ``;`` tab ``|``; UTF-8 or cp1252;
        title lines above the header are skipped), an ``.xlsx``/``.xls``
        workbook (every sheet holding a table; the header row is detected,
        the P3KE export has it on row 13), a ``.parquet`` file, or a point
        layer (``.gpkg``, ``.geojson``...) whose points become ``lat``/``lon``.
    schema, columns
        See :func:`header_mapping`; ``columns`` applies to household tables.
    sheet
        Excel sheet name; every sheet by default.

    Returns
    -------
    Registers
        Rows of each kind, each with ``file_sumber`` and ``baris_sumber``
        (and ``lembar_sumber`` for Excel).

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
        frames = [_read_csv(path)]
    elif suffix in EXCEL_SUFFIXES:
        frames = _read_excel(path, sheet)
    elif suffix == ".parquet":
        frames = [_read_parquet(path)]
    elif suffix in POINT_SUFFIXES:
        frames = [_read_points(path)]
    else:
        raise InputError(
            f"{path}: file type '{suffix}' is not supported; export the register as CSV, XLSX, Parquet or a "
            "GeoPackage/GeoJSON point layer"
        )
    households, members = [], []
    for frame in frames:
        frame.columns = [str(c).strip() for c in frame.columns]
        if _is_member_table(list(frame.columns)):
            frame = frame.rename(columns=header_mapping(list(frame.columns), schema=schema, aliases=MEMBER_ALIASES))
            members.append(frame)
        else:
            frame = _with_code_parts(frame, path)
            frame = frame.rename(columns=header_mapping(list(frame.columns), schema=schema, columns=columns))
            households.append(frame)
        frame[C.FILE_SUMBER] = path.name
    for kind, found in (("household", households), ("member", members)):
        if found:
            logger.info("read %d %s rows from %s", sum(len(f) for f in found), kind, path.name)
    return Registers(_stack(households), _stack(members))


#: Columns every loaded table has; a table with nothing else holds no rows of that kind.
_ORIGIN: tuple[str, ...] = (C.FILE_SUMBER, C.BARIS_SUMBER)


def _holds_rows(frame: pd.DataFrame) -> bool:
    """Whether a stacked table came from at least one table of its kind (see :func:`_stack`)."""
    return not frame.columns.difference(_ORIGIN).empty


def _stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame({C.FILE_SUMBER: pd.Series(dtype="string"), C.BARIS_SUMBER: pd.Series(dtype="int64")})
    return pd.concat(frames, ignore_index=True, sort=False)


def households_from_file(
    path: str | Path, *, schema: str = "auto", columns: dict[str, str] | None = None, sheet: str | None = None
) -> pd.DataFrame:
    """Read the household rows of one register file; see :func:`register_from_file`.

    Raises
    ------
    InputError
        If the file holds no household table (only a member table, say).
    """
    registers = register_from_file(path, schema=schema, columns=columns, sheet=sheet)
    if not _holds_rows(registers.households):
        raise InputError(
            f"{path}: holds a member (individual) table but no household table; list it in [households] paths "
            "beside the household file it belongs to"
        )
    return registers.households


def read_registers(source: HouseholdSource) -> Registers:
    """Read and stack every file of a region's ``[households]`` table.

    Household files and member files may be listed in any order; a workbook
    may hold both kinds of sheet.

    Raises
    ------
    InputError
        If no file holds a household table.
    """
    read = [
        register_from_file(p, schema=source.schema, columns=source.columns, sheet=source.sheet) for p in source.paths
    ]
    households = [r.households for r in read if _holds_rows(r.households)]
    if households and sum(len(f) for f in households) == 0:
        names = ", ".join(p.name for p in source.paths)
        raise InputError(
            f"{names}: a header but no household rows below it; the export is incomplete. Export the register again"
        )
    if not households:
        names = ", ".join(p.name for p in source.paths)
        raise InputError(
            f"{names}: only member (individual) tables found; add the household (keluarga / ruta) file to "
            "[households] paths"
        )
    members = [r.members for r in read if _holds_rows(r.members)]
    return Registers(_stack(households), _stack(members))


def households_from_source(source: HouseholdSource) -> pd.DataFrame:
    """The household rows of every file of a region's ``[households]`` table (without member features).

    Returns
    -------
    DataFrame
        All rows of all files, with a fresh RangeIndex.
    """
    return read_registers(source).households


def beneficiaries_from_file(path: str | Path, *, program: str) -> pd.DataFrame:
    """Read an OPD's beneficiary list (CSV or XLSX) into canonical columns.

    Headers are matched like register headers against
    :data:`pipeline.matching.BENEFICIARY_ALIASES` (NIK, No KK, Nama,
    Tanggal Lahir, Kode/Nama Kelurahan); every row is kept with its file and
    line.

    Raises
    ------
    InputError
        If the file is missing or has none of NIK, No KK or Nama.
    """
    from .matching import BENEFICIARY_ALIASES

    path = Path(path)
    if not path.is_file():
        raise InputError(f"beneficiary list '{path}' of programme {program} not found; check its [[programs]] entry")
    frames = _read_excel(path, None) if path.suffix.lower() in EXCEL_SUFFIXES else [_read_csv(path)]
    out = []
    for frame in frames:
        headers = [c for c in frame.columns if c not in (C.BARIS_SUMBER, C.LEMBAR_SUMBER)]
        mapping = header_mapping(headers, aliases=BENEFICIARY_ALIASES)
        if not {C.NIK, C.NO_KK, "nama"} & set(mapping.values()):
            raise InputError(
                f"{path}: no NIK, No KK or Nama column among {headers[:8]}; rename the header or fix the file"
            )
        renamed = frame.rename(columns=mapping)
        keep = [c for c in [*BENEFICIARY_ALIASES, C.BARIS_SUMBER, C.LEMBAR_SUMBER] if c in renamed]
        out.append(renamed[keep].assign(**{C.FILE_SUMBER: path.name, "program": program}))
    return pd.concat(out, ignore_index=True)
