"""Household registers: read every register file of a region into canonical rows.

Files are read by :mod:`pipeline.ingest.tables` and their headers mapped by
:mod:`pipeline.ingest.headers`; boundaries are read by
:mod:`pipeline.ingest.boundaries`. The readers rename the source's own headers to the canonical columns of
:mod:`pipeline.columns` and keep every row exactly as found: checking rows is
the job of :mod:`pipeline.ingest.validate`. Two columns are added to every household
row so that any problem can be traced back: ``file_sumber`` (the file name)
and ``baris_sumber`` (the row's line number in that file, header = 1).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import columns as C
from ..errors import InputError
from ..settings import HouseholdSource
from ..text import header_key
from .csv_chunks import read_csv_chunks
from .excel import EXCEL_SUFFIXES, read_excel
from .headers import MEMBER_ALIASES, header_mapping, is_member_table
from .split import SPLIT_MARK
from .tables import CSV_BLOCK_BYTES, CSV_SUFFIXES, POINT_SUFFIXES, read_csv, read_parquet, read_points

logger = logging.getLogger(__name__)


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


def register_tables(path: str | Path, *, sheet: str | None = None) -> list[pd.DataFrame]:
    """The tables of one register file as found: text values, headers stripped, not renamed.

    Raises
    ------
    InputError
        If the file is missing or of an unknown type.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"household file '{path}' not found; check [households] paths in the region TOML")
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        frames = [read_csv(path)]
    elif suffix in EXCEL_SUFFIXES:
        frames = read_excel(path, sheet)
    elif suffix == ".parquet":
        frames = [read_parquet(path)]
    elif suffix in POINT_SUFFIXES:
        frames = [read_points(path)]
    else:
        raise InputError(
            f"{path}: file type '{suffix}' is not supported; export the register as CSV, XLSX, Parquet or a "
            "GeoPackage/GeoJSON point layer"
        )
    for frame in frames:
        frame.columns = [str(c).strip() for c in frame.columns]
    return frames


def register_from_file(
    path: str | Path,
    *,
    schema: str = "auto",
    columns: dict[str, str] | None = None,
    sheet: str | None = None,
    tables: list[pd.DataFrame] | None = None,
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
    tables
        The file's tables as :func:`register_tables` read them, when the
        caller has them already (they are not changed); read here otherwise.

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
    registers = _canonical(register_tables(path, sheet=sheet) if tables is None else tables, path, schema, columns)
    for kind, found in (("household", registers.households), ("member", registers.members)):
        if holds_rows(found):
            logger.info("read %d %s rows from %s", len(found), kind, path.name)
    return registers


def _canonical(tables: list[pd.DataFrame], path: Path, schema: str, columns: dict[str, str] | None) -> Registers:
    """A file's tables sorted into household and member rows, with canonical headers and their file."""
    households, members = [], []
    for frame in tables:
        part = frame.attrs.get(SPLIT_MARK.decode(), False)  # a part of a province register: origin kept
        if is_member_table(list(frame.columns)):
            frame = frame.rename(columns=header_mapping(list(frame.columns), schema=schema, aliases=MEMBER_ALIASES))
            members.append(frame)
        else:
            frame = _with_code_parts(frame, path)
            frame = frame.rename(columns=header_mapping(list(frame.columns), schema=schema, columns=columns))
            households.append(frame)
        if not part:
            frame[C.FILE_SUMBER] = path.name
    return Registers(_stack(households), _stack(members))


def register_chunks(source: HouseholdSource, *, block_bytes: int = CSV_BLOCK_BYTES) -> Iterator[Registers]:
    """The files of a ``[households]`` table as :func:`read_registers` reads them, a block of rows at a time.

    A CSV file is read a block at a time (:func:`~.csv_chunks.read_csv_chunks`),
    so that a register larger than memory can be split; other files whole.
    Call :func:`check_household_rows` with what was found at the end.

    Yields
    ------
    Registers
        Consecutive rows of one file.
    """
    for path in source.paths:
        path = Path(path)
        if path.suffix.lower() not in CSV_SUFFIXES or not path.is_file():
            yield register_from_file(path, schema=source.schema, columns=source.columns, sheet=source.sheet)
            continue
        for frame in read_csv_chunks(path, block_bytes=block_bytes):
            frame.columns = [str(c).strip() for c in frame.columns]
            yield _canonical([frame], path, source.schema, source.columns)


def check_household_rows(source: HouseholdSource, *, tables: int, rows: int) -> None:
    """Refuse a register with no household table (``tables`` = 0) or no rows under its headers.

    Raises
    ------
    InputError
        Naming the files and what to add.
    """
    names = ", ".join(p.name for p in source.paths)
    if tables and rows == 0:
        raise InputError(
            f"{names}: a header but no household rows below it; the export is incomplete. Export the register again"
        )
    if not tables:
        raise InputError(
            f"{names}: only member (individual) tables found; add the household (keluarga / ruta) file to "
            "[households] paths"
        )


#: Columns every loaded table has; a table with nothing else holds no rows of that kind.
_ORIGIN: tuple[str, ...] = (C.FILE_SUMBER, C.BARIS_SUMBER)


def holds_rows(frame: pd.DataFrame) -> bool:
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
    if not holds_rows(registers.households):
        raise InputError(
            f"{path}: holds a member (individual) table but no household table; list it in [households] paths "
            "beside the household file it belongs to"
        )
    return registers.households


def read_registers(source: HouseholdSource, *, tables: dict[Path, list[pd.DataFrame]] | None = None) -> Registers:
    """Read and stack every file of a region's ``[households]`` table.

    Household files and member files may be listed in any order; a workbook
    may hold both kinds of sheet. ``tables`` (path -> :func:`register_tables`)
    spares reading files the caller has read already.

    Raises
    ------
    InputError
        If no file holds a household table.
    """
    read = [
        register_from_file(
            p, schema=source.schema, columns=source.columns, sheet=source.sheet, tables=(tables or {}).get(p)
        )
        for p in source.paths
    ]
    households = [r.households for r in read if holds_rows(r.households)]
    check_household_rows(source, tables=len(households), rows=sum(len(f) for f in households))
    members = [r.members for r in read if holds_rows(r.members)]
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
    :data:`pipeline.ingest.headers.BENEFICIARY_ALIASES` (NIK, No KK, Nama,
    Tanggal Lahir, Kode/Nama Kelurahan); every row is kept with its file and
    line.

    Raises
    ------
    InputError
        If the file is missing or has none of NIK, No KK or Nama.
    """
    from .headers import BENEFICIARY_ALIASES

    path = Path(path)
    if not path.is_file():
        raise InputError(f"beneficiary list '{path}' of programme {program} not found; check its [[programs]] entry")
    frames = read_excel(path, None) if path.suffix.lower() in EXCEL_SUFFIXES else [read_csv(path)]
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


def rows_per_source(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Count rows per file and Excel sheet, for several frames side by side.

    Parameters
    ----------
    frames
        Output column -> rows with ``file_sumber`` (and ``lembar_sumber``
        when read from Excel).

    Returns
    -------
    DataFrame
        ``file_sumber``, ``lembar_sumber`` (``""`` for non-Excel files), then
        one integer column per entry of ``frames``; 0 where a frame has no
        row from that file.
    """
    keys = [C.FILE_SUMBER, C.LEMBAR_SUMBER]

    def count(frame: pd.DataFrame, name: str) -> pd.Series:
        sources = pd.DataFrame(  # the two key columns only: no copy of the whole register
            {k: frame[k].fillna("") if k in frame else pd.Series("", index=frame.index, dtype=object) for k in keys}
        )
        return sources.groupby(keys).size().rename(name)

    counts = [count(frame, name) for name, frame in frames.items()]
    return pd.concat(counts, axis=1).fillna(0).astype("int64").reset_index()
