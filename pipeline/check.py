"""``kantong check``: a dry run that says what a region's inputs hold, in seconds, writing nothing.

It reads the boundaries and every register file as the pipeline would,
validates the rows and classifies them, and reports:

* the boundaries: kelurahan, layout (schema), CRS and the problems found;
* per register file and sheet: rows, the header mapping (canonical name <-
  header) and the headers left unmapped, the share of rows with usable
  coordinates and the share of kelurahan codes that exist in the boundaries;
* the programmes, and whether each rule can be computed from the register;
* the BPS figures, targets, reported counts and snapshots recorded.

Problems that would make the run fail or leave the map empty are *errors*
(the command exits non-zero); others are *warnings* — among them a
programme rule the register cannot compute, which the run survives by
showing the programme's recipients without a coverage.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from . import columns as C
from .analyse.deprivation import score_households
from .analyse.indicators import classify_poverty
from .ingest.boundaries import clean_boundaries, detect_boundary_schema, kecamatan_source, read_boundaries
from .ingest.boundary_checks import diagnose_boundaries
from .ingest.coordinates import coordinate_shortfalls
from .ingest.headers import MEMBER_ALIASES, header_mapping, is_member_table
from .ingest.households import read_registers, register_tables, rows_per_source
from .ingest.members import attach_members
from .ingest.validate import validate_households
from .rules import rule_fields
from .settings import RegionConfig

#: Columns the reader adds to every table (not headers of the file).
_ORIGIN = {C.FILE_SUMBER, C.BARIS_SUMBER, C.LEMBAR_SUMBER}
_SOURCE = [C.FILE_SUMBER, C.LEMBAR_SUMBER]


@dataclass
class RegisterTable:
    """One table (a CSV, or one sheet) of a register file."""

    file: str
    sheet: str
    kind: str  # "keluarga" or "anggota"
    rows: int
    mapping: list[tuple[str, str]]  # (canonical, header)
    unmapped: list[str]
    located_share: float | None  # households only
    known_code_share: float | None  # households only


@dataclass
class CheckReport:
    """What ``kantong check`` found."""

    region: str
    kelurahan: int
    schema: str
    crs: str
    boundary_problems: dict[str, int]
    kecamatan_unnamed: int
    tables: list[RegisterTable]
    rows_in: int
    accepted: int
    quarantined: int
    programmes: list[tuple[str, str, str]]  # (code, rule, verdict)
    progress: list[tuple[str, str]]
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _table(frame: pd.DataFrame, *, config: RegionConfig, shares: pd.DataFrame) -> RegisterTable:
    """One table's header mapping, and for household tables its shares from ``shares`` (see :func:`check_region`)."""
    headers = [h for h in frame.columns if h not in _ORIGIN]
    member = is_member_table(headers)
    source = config.households
    mapping = (
        header_mapping(headers, schema=source.schema, aliases=MEMBER_ALIASES)
        if member
        else header_mapping(headers, schema=source.schema, columns=source.columns)
    )
    file = str(frame[C.FILE_SUMBER].iloc[0]) if len(frame) else ""
    sheet = str(frame[C.LEMBAR_SUMBER].iloc[0]) if C.LEMBAR_SUMBER in frame and len(frame) else ""
    located = known = None
    if not member and len(frame):  # a table whose every row is quarantined has 0 of each
        row = shares.loc[(file, sheet)] if (file, sheet) in shares.index else {}
        located = row.get("baris_berkoordinat", 0) / len(frame)
        known = row.get("baris_kode_dikenal", 0) / len(frame)
    return RegisterTable(
        file=file,
        sheet=sheet,
        kind="anggota" if member else "keluarga",
        rows=len(frame),
        mapping=sorted(((canonical, header) for header, canonical in mapping.items()), key=lambda m: m[0]),
        unmapped=[h for h in headers if h not in mapping],
        located_share=located,
        known_code_share=known,
    )


def _progress(config: RegionConfig) -> list[tuple[str, str]]:
    from . import survey as S
    from .ingest.inputs import export_files
    from .ingest.visits import read_submissions

    progress = config.progress
    form_id = f"{S.FORM_ID_PREFIX}{config.slug}"
    submissions = [
        len(read_submissions(p, form_id=form_id)) for v in config.verification for p in export_files(v.paths)
    ]
    items = [
        ("BPS", ", ".join(f"{b.year}" for b in progress.bps) or "tidak ada"),
        ("target", ", ".join(f"{t.year}" for t in progress.targets) or "tidak ada"),
        ("hitungan register dinas", ", ".join(f"{r.year}" for r in progress.reported) or "tidak ada"),
        ("snapshot", ", ".join(s.date.isoformat() for s in progress.snapshots) or "tidak ada"),
        ("populasi", f"{progress.population:,}".replace(",", ".") if progress.population else "dari BPS/register"),
        ("jiwa per KK", f"{progress.household_size:g}" if progress.household_size else "dari register"),
        (
            "verifikasi lapangan",
            f"{sum(submissions)} kiriman dari {len(submissions)} file" if submissions else "tidak ada",
        ),
    ]
    return items


def check_region(config: RegionConfig) -> CheckReport:
    """Read and check a region's inputs without writing anything.

    Returns
    -------
    CheckReport
        With ``errors`` (the run would fail or show nothing) and ``warnings``.

    Raises
    ------
    InputError, CRSError, ValidationError
        When a file cannot be read at all (the same errors as ``kantong run``).
    """
    source = config.boundaries
    raw = read_boundaries(source.path, layer=source.layer)
    schema = "kolom dari [boundaries.columns]" if source.columns else detect_boundary_schema(list(raw.columns))[0]
    boundaries = clean_boundaries(
        raw, columns=source.columns, crosswalk=source.crosswalk, source=source.path.name,
        kecamatan=kecamatan_source(source),
    )  # fmt: skip
    crs = config.analysis.projected_crs or boundaries.estimate_utm_crs().to_string()
    issues = diagnose_boundaries(boundaries, crs=crs, raw=raw, region_code=config.kode)
    problems = issues.groupby("masalah").size().to_dict() if len(issues) and "masalah" in issues else {}
    read = {path: register_tables(path, sheet=config.households.sheet) for path in config.households.paths}
    registers = read_registers(config.households, tables=read)
    households, _, _ = attach_members(registers.households, registers.members, on=config.data_date)
    accepted, quarantine = validate_households(households)
    # per file and sheet, counted on the rows as the run validates them: accepted, with a GPS
    # point, with a kelurahan code of these boundaries
    shares = rows_per_source(
        {
            "baris_diterima": accepted,
            "baris_berkoordinat": accepted[accepted.geometry.notna()],
            "baris_kode_dikenal": accepted[accepted[C.KODE_KEL].isin(set(boundaries[C.KODE_KEL]))],
        }
    )
    tables = [
        _table(frame.assign(**{C.FILE_SUMBER: path.name}), config=config, shares=shares.set_index(_SOURCE))
        for path, frames in read.items()
        for frame in frames
    ]
    classified, _ = score_households(
        classify_poverty(accepted, rule=config.poverty, on=config.data_date), settings=config.deprivation
    )
    report = CheckReport(
        region=config.name,
        kelurahan=len(boundaries),
        schema=schema,
        crs=str(raw.crs.to_string()) if raw.crs else "tidak ada",
        boundary_problems={str(k): int(v) for k, v in problems.items()},
        kecamatan_unnamed=int(boundaries.loc[boundaries[C.NAMA_KEC] == "", C.KODE_KEC].nunique()),
        tables=tables,
        rows_in=len(households),
        accepted=len(accepted),
        quarantined=len(quarantine),
        programmes=[],
        progress=_progress(config),
    )
    for program in config.programs:
        if not program.eligibility:
            report.programmes.append((program.code, "", "tanpa aturan: hanya daftar penerima"))
            continue
        missing = sorted(rule_fields(program.eligibility) - set(classified.columns))
        verdict = f"TIDAK: register tidak punya {', '.join(missing)}" if missing else "ya"
        report.programmes.append((program.code, program.eligibility, verdict))
        if missing:  # the run goes on: the programme's recipients are shown, its coverage is not computed
            report.warnings.append(
                f"programme '{program.code}': its rule reads {', '.join(missing)}, which the register does not have, "
                "so its eligibility and coverage will not be computed; map the header in [households.columns] "
                "or change the rule in [[programs]]"
            )
    _basemap(report, config=config, bounds=tuple(boundaries.total_bounds))
    _judge(report, config=config, shares=shares)
    return report


def _basemap(report: CheckReport, *, config: RegionConfig, bounds: tuple[float, float, float, float]) -> None:
    """The extract's header only (a whole island's extract is read by the build, once): found, a PBF, covering."""
    from .ingest.basemap import coverage_of, coverage_warning
    from .ingest.osm import BasemapError, extract_box

    if config.basemap is None:
        report.progress.append(("peta dasar", "tidak ada ([basemap] osm)"))
        return
    try:
        box = extract_box(config.basemap, region=config.slug)
    except BasemapError as error:
        report.warnings.append(f"basemap not drawn: {error}")
        report.progress.append(("peta dasar", "tidak terbaca"))
        return
    share = coverage_of(box, bounds) if box else None
    report.progress.append(
        ("peta dasar", config.basemap.name + (f", menutup {100 * share:.0f} % wilayah" if share is not None else ""))
    )
    warning = coverage_warning(config.basemap, share, region=config.slug) if share is not None else None
    if warning:
        report.warnings.append(warning)


def _judge(report: CheckReport, *, config: RegionConfig, shares: pd.DataFrame) -> None:
    """Errors (the run fails or the map shows nothing) and warnings."""
    households = [t for t in report.tables if t.kind == "keluarga"]
    if report.accepted == 0:
        report.errors.append("no register row is accepted: see the quarantine reasons with `kantong run`")
    for table in households:
        where = f"{table.file}" + (f" [{table.sheet}]" if table.sheet else "")
        if table.known_code_share == 0 and not table.located_share:
            report.errors.append(
                f"{where}: no row has a kelurahan code of these boundaries nor coordinates; nothing can be placed. "
                "Check that the register and the boundaries are of the same region, and the code header"
            )
    for row in coordinate_shortfalls(shares, min_share=config.households.min_located_share).itertuples():
        report.warnings.append(
            f"{row.file_sumber}: {row.persen_berkoordinat:.0f} % of rows have coordinates (below "
            f"{100 * config.households.min_located_share:.0f} %): pockets will be few or none"
        )
    if report.kecamatan_unnamed:
        report.warnings.append(
            f"{report.kecamatan_unnamed} kecamatan have no name; set [boundaries] kecamatan to a file of names"
        )
    has_members = any(C.JUMLAH_ART == canonical for t in households for canonical, _ in t.mapping) or any(
        t.kind == "anggota" for t in report.tables
    )
    if not has_members and not config.progress.household_size:
        report.warnings.append(
            "the register has no member count (jumlah_art) and no member table: people figures will be empty "
            "unless [progress] household_size is set"
        )
    if config.is_synthetic:
        report.warnings.append("[synthetic] is set: this region's inputs are generated demo data")
