"""Run one region end to end: load -> validate -> join -> indicators ->
pockets -> privacy -> render -> export.

:func:`analyse_region` does the in-memory work and touches no file but its
inputs; :func:`run_region` adds the writes. Both report each stage through an
optional callback, which the CLI turns into a progress bar.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from . import __version__
from . import columns as C
from .cells import aggregate_cells, cell_hotspots, merge_pockets, public_cells
from .config import RegionConfig
from .deprivation import indicator_table, score_households
from .diagnostics import diagnose_boundaries, report_markdown
from .disclosure import REGION_COUNTS, Published, protect_publication
from .errors import ValidationError
from .export import (
    RESTRICTED_DIR,
    pseudonym_key,
    region_lock,
    remove_stale_staging,
    sha256_of,
    staged_folder,
    to_geopackage,
    to_json,
    to_make_depfile,
    to_restricted,
    to_text,
)
from .indicators import classify_poverty, count_columns, kecamatan_indicators, kelurahan_indicators, region_summary
from .join import join_households
from .load import beneficiaries_from_file, read_registers
from .load_boundaries import clean_boundaries, kelurahan_names, read_boundaries
from .matching import match_beneficiaries
from .members import attach_members
from .pockets import kelurahan_hotspots, knn_fallback_names
from .priority import prioritise
from .privacy import check_public_text, household_layer, rate_sources, suppress_counts, suppress_small_counts
from .programs import coverage, overlap_in_excluding_areas, overlap_matrix, programme_flags, target_list
from .progress import compare_snapshots, reconcile, target_progress
from .render import SYNTHETIC_NOTICE, MapContext, chart_series, html_from_map, map_from_indicators, trajectory_svg
from .styles import field_dictionary, layer_styles
from .validate import validate_households, validation_by_file, validation_by_reason, validation_markdown

logger = logging.getLogger(__name__)

STAGES: tuple[str, ...] = (
    "load",
    "validate",
    "join",
    "indicators",
    "programs",
    "pockets",
    "progress",
    "render",
    "export",
)
MAP_FILE: str = "peta.html"
SUMMARY_FILE: str = "ringkasan.json"
DEPFILE: str = "masukan.d"
BOUNDARY_REPORT: str = "laporan_batas.md"
VALIDATION_REPORT: str = "laporan_validasi.md"

Progress = Callable[[str], None]


@dataclass
class RegionAnalysis:
    """Everything computed for one region, before anything is written."""

    config: RegionConfig
    boundaries: gpd.GeoDataFrame
    households: gpd.GeoDataFrame
    quarantine: pd.DataFrame
    kelurahan: gpd.GeoDataFrame
    public_kelurahan: gpd.GeoDataFrame
    public_kecamatan: gpd.GeoDataFrame
    validation: pd.DataFrame
    validation_files: pd.DataFrame
    #: Member-table rows per file and sheet: read = linked + not linked.
    validation_members: pd.DataFrame
    #: Member rows that link to no household (restricted tier only).
    unlinked_members: pd.DataFrame
    boundary_issues: pd.DataFrame
    rows_in: int
    projected_crs: str
    #: H3 cells with their Gi* classes (all cells, restricted: small cells included).
    cells: gpd.GeoDataFrame
    #: The cells as published: figures of cells under k households hidden.
    public_cells: gpd.GeoDataFrame
    #: Pocket polygons (kantong), ranked.
    pockets: gpd.GeoDataFrame
    #: The deprivation indicators used, with their effective weights.
    deprivation: tuple = ()
    #: Target gaps and status (see :mod:`pipeline.progress`).
    progress: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Register against BPS, region level and the kelurahan that drive the difference.
    reconciliation: pd.DataFrame = field(default_factory=pd.DataFrame)
    reconciliation_kelurahan: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Movements since the previous register snapshot (public: suppressed), or None.
    snapshot_changes: gpd.GeoDataFrame | None = None
    #: Programme coverage per kelurahan and programme, and per OPD (public: suppressed).
    coverage: pd.DataFrame = field(default_factory=pd.DataFrame)
    coverage_opd: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Programme x programme shared households (public: suppressed), long form.
    overlap: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: The shared target list (restricted: joined to names for the OPD workbooks).
    targets: pd.DataFrame = field(default_factory=pd.DataFrame)
    quota_report: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Beneficiary-list rows matched / not matched to the register (restricted).
    matched: pd.DataFrame = field(default_factory=pd.DataFrame)
    unmatched: pd.DataFrame = field(default_factory=pd.DataFrame)
    summary: dict[str, float | int] = field(default_factory=dict)


def _noop(_: str) -> None:
    return None


#: Count columns of the coverage tables, and the fields derived from them (hidden with them).
COVERAGE_COUNTS: list[str] = [
    "kk_layak",
    "kk_layak_terima",
    "kk_eksklusi",
    "kk_eksklusi_total",
    "kk_inklusi",
    "kk_penerima",
]
COVERAGE_DERIVED: dict[str, tuple[str, ...]] = {"persen_cakupan": ("kk_layak_terima", "kk_layak")}
CHANGES_DERIVED: dict[str, tuple[str, ...]] = {"perubahan_miskin": ("kk_miskin_sekarang", "kk_miskin_sebelum")}
DRIVERS_DERIVED: dict[str, tuple[str, ...]] = {"selisih": ("jiwa_register",), "persen_dari_selisih": ("jiwa_register",)}
#: Priority scores and ranks rest on counts: hidden with them.
PRIORITY_DERIVED: dict[str, tuple[str, ...]] = {
    "skor_ekstrem": (C.KK_MISKIN_EKSTREM,),
    "skor_eb": (C.KK_MISKIN,),
    "skor_mpi": (C.KK_MISKIN_MULTIDIMENSI,),
    C.SKOR_PRIORITAS: (C.KK_MISKIN_EKSTREM, C.KK_MISKIN, C.KK_MISKIN_MULTIDIMENSI),
    C.PERINGKAT: (C.KK_MISKIN_EKSTREM, C.KK_MISKIN, C.KK_MISKIN_MULTIDIMENSI),
}


def rate_derived(columns) -> dict[str, tuple[str, ...]]:
    """Rate column -> (the count it rests on,), for :class:`pipeline.disclosure.Published`."""
    return {rate: (count,) for rate, count in rate_sources(columns).items()}


def _region_table(summary: dict, *, k: int) -> Published:
    """The region totals (``ringkasan.json``, the map panel) as a one-row table for disclosure control."""
    keys = [key for key in REGION_COUNTS if key in summary]
    true = pd.DataFrame([{key: summary[key] for key in keys}])
    public = true.astype("Int64").mask(true.apply(lambda col: col.between(1, k - 1)))
    derived = {
        C.PERSEN_MISKIN: (C.KK_MISKIN,),
        C.PERSEN_MISKIN_EKSTREM: (C.KK_MISKIN_EKSTREM,),
        **{key: (C.KK_MISKIN_MULTIDIMENSI,) for key in (C.MPI_H, C.MPI_A, C.MPI_M0)},
    }
    rates = pd.DataFrame([{key: summary[key] for key in derived if key in summary}])
    return Published(pd.concat([true, rates], axis=1), pd.concat([public, rates], axis=1), keys, derived=derived)


def _cell_table(cells: gpd.GeoDataFrame, pockets: gpd.GeoDataFrame, *, k: int) -> Published:
    """H3 cells for disclosure control: sub-counts of 1..k-1 hidden too, and the pocket each cell lies in."""
    public = public_cells(cells, k=k)
    counts = [c for c in ("jumlah_kk", C.KK_MISKIN, C.KK_MISKIN_EKSTREM) if c in public]
    for column in counts[1:]:
        public[column] = public[column].mask(public[column].between(1, k - 1).fillna(False).to_numpy())
    true = public.assign(**{c: cells[c].to_numpy() for c in counts})
    key = np.full(len(cells), "", dtype=object)
    if len(pockets) and len(cells):
        inside = gpd.sjoin(
            gpd.GeoDataFrame(geometry=cells.geometry.representative_point().to_numpy(), crs=cells.crs),
            pockets[["kantong_id", "geometry"]].to_crs(cells.crs),
            predicate="within",
        )
        key[inside.index.to_numpy()] = inside["kantong_id"].astype(str).to_numpy()
    true["kantong"] = key
    derived = {
        C.PERSEN_MISKIN: (C.KK_MISKIN,),
        C.RATA_SKOR_DEPRIVASI: ("jumlah_kk",),
        C.GI_Z: (C.KK_MISKIN, "jumlah_kk"),
    }
    return Published(true, public, counts, derived=derived)


def analyse_region(config: RegionConfig, *, on_stage: Progress = _noop) -> RegionAnalysis:
    """Load a region's inputs and compute its indicators and hot spots.

    Parameters
    ----------
    config
        The region's configuration.
    on_stage
        Called with each stage name as it starts.

    Returns
    -------
    RegionAnalysis

    Raises
    ------
    ValidationError
        If rows were lost between stages (an internal invariant).
    """
    on_stage("load")
    source = config.boundaries
    raw_boundaries = read_boundaries(source.path, layer=source.layer)
    boundaries = clean_boundaries(
        raw_boundaries, columns=source.columns, crosswalk=source.crosswalk, source=source.path.name
    )
    crs = config.analysis.projected_crs or boundaries.estimate_utm_crs().to_string()
    boundary_issues = diagnose_boundaries(boundaries, crs=crs, raw=raw_boundaries, region_code=config.kode)
    registers = read_registers(config.households)
    raw, unlinked, member_report = attach_members(registers.households, registers.members, on=config.data_date)
    rows_in = len(raw)

    on_stage("validate")
    accepted, quarantine_v = validate_households(raw)

    on_stage("join")
    joined, quarantine_j = join_households(
        accepted, boundaries, crs=crs, snap_distance_m=config.boundaries.snap_distance_m
    )
    quarantine = pd.concat([quarantine_v, quarantine_j], ignore_index=True, sort=False)
    if len(joined) + len(quarantine) != rows_in:
        raise ValidationError(
            f"{config.slug}: {rows_in} rows in but {len(joined)} accepted + {len(quarantine)} quarantined; "
            "this is a bug, please report it with the input's row count"
        )

    on_stage("indicators")
    classified = classify_poverty(joined, rule=config.poverty, on=config.data_date)
    classified, deprivation = score_households(classified, settings=config.deprivation)
    settings = config.analysis
    kelurahan = kelurahan_indicators(
        classified,
        boundaries,
        programs=config.programs,
        deprivation=deprivation,
        small_base=settings.small_base_households,
    )

    on_stage("programs")
    names = kelurahan_names(boundaries)
    lists = [beneficiaries_from_file(p, program=prog.code) for prog in config.programs for p in prog.beneficiaries]
    matched, unmatched = (
        match_beneficiaries(pd.concat(lists, ignore_index=True), classified, kelurahan_names=names)
        if lists
        else (pd.DataFrame(), pd.DataFrame())
    )
    flags, assessed = programme_flags(classified, config.programs, matched=matched)
    per_kelurahan = coverage(classified, flags, config.programs, assessed)
    crowded = overlap_in_excluding_areas(classified, flags, config.programs, n=config.analysis.overlap_programs)
    kelurahan = kelurahan.merge(crowded, on=C.KODE_KEL, how="left")
    for column in ("kk_terima_banyak", "kk_layak_tanpa_program"):
        kelurahan[column] = kelurahan[column].fillna(0).astype("int64")
    kelurahan["tumpang_tindih_dan_eksklusi"] = kelurahan["tumpang_tindih_dan_eksklusi"].astype("boolean").fillna(False)
    targets, quota_report = target_list(classified, flags, config.programs)
    shared = overlap_matrix(flags, config.programs)
    overlap_long = shared.stack().rename("kk_bersama").reset_index()
    overlap_long.columns = ["program_a", "program_b", "kk_bersama"]

    on_stage("pockets")
    kelurahan = kelurahan_hotspots(
        kelurahan, crs=crs, permutations=settings.permutations, seed=settings.seed, significance=settings.significance
    )
    kelurahan = prioritise(kelurahan, weights=config.priority.weights)
    cells = cell_hotspots(
        aggregate_cells(classified, resolution=settings.h3_resolution), significance=settings.significance
    )
    pockets = merge_pockets(cells, kelurahan_names=names, min_households=config.min_households)
    k = config.min_households
    counts = count_columns(kelurahan)
    public_kel = suppress_small_counts(kelurahan, k=k, counts=counts)
    kecamatan = kecamatan_indicators(kelurahan, deprivation=deprivation)
    public_kec = suppress_small_counts(kecamatan, k=k, counts=counts)
    public_pockets = suppress_small_counts(pockets, k=k, counts=count_columns(pockets))

    on_stage("progress")
    progress = target_progress(
        config.progress,
        register_people=int(kelurahan[C.JUMLAH_JIWA].sum()),
        register_households=int(kelurahan[C.JUMLAH_KK].sum()),
    )
    reconciliation, drivers = reconcile(kelurahan, config.progress)
    drivers_true = drivers
    if len(drivers):  # people counts of 1..k-1 are hidden like household counts, with what reveals them
        drivers = suppress_counts(
            drivers,
            k=k,
            counts=["jiwa_register"],
            derived={"selisih": ("jiwa_register",), "persen_dari_selisih": ("jiwa_register",)},
        )
    changes = changes_true = None
    if config.progress.snapshots:
        changes_true = snapshot_changes(config, classified, boundaries)
        changes = suppress_counts(
            changes_true,
            k=k,
            derived={"perubahan_miskin": ("kk_miskin_sekarang", "kk_miskin_sebelum")},
        )
    public_coverage = public_coverage_opd = coverage_true = coverage_opd_true = pd.DataFrame()
    public_overlap = suppress_counts(overlap_long, k=k)
    if config.programs:  # without [[programs]] there is no coverage to publish
        coverage_true = per_kelurahan.merge(boundaries[[C.KODE_KEL, C.NAMA_KEL]], on=C.KODE_KEL, how="left")
        public_coverage = suppress_counts(coverage_true, k=k, derived=COVERAGE_DERIVED)
        coverage_opd_true = coverage(
            classified.assign(_wilayah=config.name), flags, config.programs, assessed, by="_wilayah"
        ).drop(columns="_wilayah")
        public_coverage_opd = suppress_counts(coverage_opd_true, k=k, derived=COVERAGE_DERIVED)
    summary = {
        **region_summary(kelurahan, deprivation=deprivation),
        "jumlah_kantong": int(len(pockets)),
        "kk_dalam_kantong": int(pockets["jumlah_kk"].sum()) if len(pockets) else 0,
    }
    published = {
        "kel": Published(
            kelurahan, public_kel, counts, derived={**rate_derived(public_kel.columns), **PRIORITY_DERIVED}
        ),
        "kec": Published(kecamatan, public_kec, counts, derived=rate_derived(public_kec.columns)),
        "wilayah": _region_table(summary, k=k),
        "sel": _cell_table(cells, pockets, k=k),
        "kantong": Published(
            pockets.assign(kantong=pockets["kantong_id"].astype(str)),
            public_pockets,
            count_columns(pockets),
            derived=rate_derived(pockets.columns),
        ),
    }
    if config.programs:
        published["cakupan"] = Published(coverage_true, public_coverage, COVERAGE_COUNTS, derived=COVERAGE_DERIVED)
        published["opd"] = Published(coverage_opd_true, public_coverage_opd, COVERAGE_COUNTS, derived=COVERAGE_DERIVED)
        published["tumpang"] = Published(overlap_long, public_overlap, ["kk_bersama"])
    if changes_true is not None:
        counts_changes = [c for c in changes_true.columns if c.startswith("kk_")]
        published["perubahan"] = Published(changes_true, changes, counts_changes, derived=CHANGES_DERIVED)
    if len(drivers_true):
        published["rekon"] = Published(drivers_true, drivers, ["jiwa_register"], derived=DRIVERS_DERIVED)
    protected = protect_publication(
        published,
        k=k,
        poor_max_decile=config.poverty.poor_max_decile,
        extreme_max_decile=config.poverty.extreme_max_decile,
    )
    hidden_totals = protected["wilayah"].iloc[0]
    summary = {
        key: (None if key in hidden_totals and pd.isna(hidden_totals[key]) else value) for key, value in summary.items()
    }
    return RegionAnalysis(
        config=config,
        boundaries=boundaries,
        households=classified,
        quarantine=quarantine,
        kelurahan=kelurahan,
        public_kelurahan=protected["kel"],
        public_kecamatan=protected["kec"],
        validation=validation_by_reason(rows_in, joined, quarantine),
        validation_files=validation_by_file(raw, joined, quarantine),
        validation_members=member_report,
        unlinked_members=unlinked,
        boundary_issues=boundary_issues,
        rows_in=rows_in,
        projected_crs=crs,
        cells=cells,
        public_cells=protected["sel"],
        pockets=protected["kantong"],
        deprivation=deprivation,
        progress=progress,
        reconciliation=reconciliation,
        reconciliation_kelurahan=protected.get("rekon", drivers),
        snapshot_changes=protected.get("perubahan", changes),
        coverage=protected.get("cakupan", public_coverage),
        coverage_opd=protected.get("opd", public_coverage_opd),
        overlap=protected.get("tumpang", public_overlap),
        targets=targets,
        quota_report=quota_report,
        matched=matched,
        unmatched=unmatched,
        summary={
            **summary,
            "kelurahan_tetangga_knn": knn_fallback_names(kelurahan),
            "kk_sasaran_terpadu": int(len(targets)),
            "kk_miskin_ekstrem_tanpa_program_tersisa": int(targets["catatan"].ne("").sum()),
            "prioritas_teratas": kelurahan.dropna(subset=[C.PERINGKAT])
            .sort_values(C.PERINGKAT)[C.NAMA_KEL]
            .astype(str)
            .head(5)
            .tolist(),
        },
    )


#: Personal columns the field staff need in the by-name workbooks.
WORKBOOK_COLUMNS: tuple[str, ...] = (C.NIK, C.NO_KK, C.NAMA_KK, C.ALAMAT, C.RT, C.RW, C.KODE_KEL, C.DESIL)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:60] or "opd"


def target_workbooks(analysis: RegionAnalysis) -> dict[str, dict[str, pd.DataFrame]]:
    """The restricted by-name workbooks: the whole target list, and one per OPD with its households.

    Returns
    -------
    dict
        ``sasaran_terpadu`` and ``opd/<opd>`` -> sheets, for :func:`pipeline.export.to_restricted`.
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
    given = full["program_diberikan"].str.split(",")
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
        codes = {p.code for p in config.programs if p.opd in opds}
        mine = given.map(lambda assigned, codes=codes: bool(codes & set(assigned)))
        rows = full[mine.to_numpy()].assign(
            program_opd=given[mine].map(lambda assigned, codes=codes: ",".join(sorted(codes & set(assigned))))
        )
        out[f"opd/{stem}"] = {"sasaran": rows}
    return out


def snapshot_changes(config: RegionConfig, current: gpd.GeoDataFrame, boundaries: gpd.GeoDataFrame):
    """Compare the current households with the latest earlier snapshot of ``[[snapshots]]``.

    The earlier snapshot is read and validated like the current register
    (its quarantined rows are counted in the log); its households keep the
    kelurahan of their register code, and are classified by the same rule.
    """
    from dataclasses import replace

    snapshot = config.progress.snapshots[-1]
    source = replace(config.households, paths=snapshot.paths)
    earlier = read_registers(source).households
    accepted, quarantined = validate_households(earlier)
    logger.info(
        "snapshot %s: %d rows in = %d accepted + %d quarantined",
        snapshot.date.isoformat(),
        len(earlier),
        len(accepted),
        len(quarantined),
    )
    known = accepted[accepted[C.KODE_KEL].isin(boundaries[C.KODE_KEL])]
    if len(known) < len(accepted):
        logger.warning(
            "snapshot %s: %d households have a kelurahan code outside the boundaries; not compared",
            snapshot.date.isoformat(),
            len(accepted) - len(known),
        )
    earlier = classify_poverty(known, rule=config.poverty, on=snapshot.date)
    return compare_snapshots(current, earlier, kelurahan=boundaries)


def run_region(
    config: RegionConfig, *, out_dir: str | Path = "outputs", restricted: bool = True, on_stage: Progress = _noop
) -> dict[str, object]:
    """Run the whole pipeline for one region and write its outputs.

    Writes ``<out_dir>/<slug>/peta.html`` (the map), ``<slug>.gpkg`` (public
    GeoPackage), ``ringkasan.json`` (headline figures), ``masukan.d`` (input
    files, for make) and, unless ``restricted`` is False, ``terbatas/``.

    Parameters
    ----------
    config
        The region's configuration.
    out_dir
        The outputs folder.
    restricted
        Write the restricted tier (quarantined rows with personal data).
    on_stage
        Called with each stage name as it starts.

    Returns
    -------
    dict
        The contents of ``ringkasan.json``.
    """
    final = Path(out_dir) / config.slug
    with region_lock(final):
        remove_stale_staging(final)
        analysis = analyse_region(config, on_stage=on_stage)
        with staged_folder(final) as folder:
            return _write_region(analysis, folder=folder, final=final, restricted=restricted, on_stage=on_stage)


def _write_region(
    analysis: RegionAnalysis, *, folder: Path, final: Path, restricted: bool, on_stage: Progress
) -> dict[str, object]:
    """Render and write every output of a region into ``folder`` (the staging copy of ``final``)."""
    config = analysis.config
    generated = dt.datetime.now(dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M %Z")

    on_stage("render")
    people = analysis.summary[C.JUMLAH_JIWA]
    extreme_people = int(analysis.kelurahan["jiwa_miskin_ekstrem"].sum())
    chart = {
        "bps": [[b.year, b.poverty_rate] for b in config.progress.bps if b.poverty_rate is not None],
        "target": [[t.year, t.poverty_rate] for t in config.progress.targets if t.poverty_rate is not None],
        "register": [config.data_date.year, round(100 * extreme_people / people, 2)] if people else None,
    }
    targets = analysis.progress.astype(object).where(analysis.progress.notna(), None).to_dict("records")
    context = MapContext(
        region_name=config.name,
        data_date=config.data_date,
        synthetic=config.is_synthetic,
        min_households=config.min_households,
        poverty_rule=config.poverty.describe(config.data_date),
        summary=analysis.summary,
        generated=generated,
        targets=targets,
        chart=trajectory_svg(*chart_series({"grafik": chart})),
        overlap_programs=config.analysis.overlap_programs,
    )
    page = html_from_map(
        map_from_indicators(
            analysis.public_kelurahan,
            context=context,
            pockets=analysis.pockets,
            cells=analysis.public_cells,
            changes=analysis.snapshot_changes,
            coverage=analysis.coverage,
            programs={p.code: p.name for p in config.programs},
        )
    )
    names = (
        tuple(analysis.households[C.NAMA_KK].dropna().astype(str).unique()) if C.NAMA_KK in analysis.households else ()
    )
    check_public_text(page, what=f"{config.slug}/{MAP_FILE}", forbidden=names)

    on_stage("export")
    label = f"{config.name} ({config.kode}), data {config.data_date.isoformat()}"
    if config.is_synthetic:
        label += f" — {SYNTHETIC_NOTICE}"
    gpkg = folder / f"{config.slug}.gpkg"
    layers = {
        "kelurahan": analysis.public_kelurahan,
        "kecamatan": analysis.public_kecamatan,
        "validasi": analysis.validation,
        "validasi_file": analysis.validation_files,
        **({"validasi_anggota": analysis.validation_members} if len(analysis.validation_members) else {}),
        "diagnostik_batas": analysis.boundary_issues,
        "kantong": analysis.pockets,
        "sel_h3": analysis.public_cells,
        "indikator_deprivasi": indicator_table(analysis.deprivation, cutoff=config.deprivation.poverty_cutoff),
        **({"target_kemiskinan": analysis.progress} if len(analysis.progress) else {}),
        **({"rekonsiliasi": analysis.reconciliation} if len(analysis.reconciliation) else {}),
        **(
            {"rekonsiliasi_kelurahan": analysis.reconciliation_kelurahan}
            if len(analysis.reconciliation_kelurahan)
            else {}
        ),
        **({"perubahan_snapshot": analysis.snapshot_changes} if analysis.snapshot_changes is not None else {}),
        **({"cakupan_program": analysis.coverage} if len(analysis.coverage) else {}),
        **({"cakupan_opd": analysis.coverage_opd} if len(analysis.coverage_opd) else {}),
        **({"tumpang_tindih": analysis.overlap} if len(analysis.overlap) else {}),
    }
    if config.is_synthetic:  # impossible to miss in QGIS's attribute table too
        layers = {name: frame.assign(catatan=SYNTHETIC_NOTICE) for name, frame in layers.items()}
    layers["kamus_data"] = field_dictionary(layers)
    inputs = [
        config.boundaries.path,
        *config.households.paths,
        *(p for s in config.progress.snapshots for p in s.paths),
        *(p for program in config.programs for p in program.beneficiaries),
    ]
    input_records = [{"file": str(p), "sha256": sha256_of(p)} for p in inputs if p.is_file()]
    metadata = {
        "WILAYAH": f"{config.name} ({config.kode})",
        "TANGGAL_DATA": config.data_date.isoformat(),
        "VERSI_PIPELINE": __version__,
        "ATURAN_KEMISKINAN": config.poverty.describe(config.data_date),
        "AMBANG_SUPRESI_K": str(config.min_households),
        "CRS_PROYEKSI": analysis.projected_crs,
        "DIBUAT": generated,
        "MASUKAN": "; ".join(f"{Path(r['file']).name} sha256:{r['sha256']}" for r in input_records),
        "DATA_SINTETIS": SYNTHETIC_NOTICE if config.is_synthetic else "tidak",
    }
    to_geopackage(
        layers,
        gpkg,
        styles=layer_styles(layers),
        metadata=metadata,
        descriptions={
            "kamus_data": f"Kamus data: arti setiap kolom setiap lapisan — {label}.",
            "layer_styles": f"Gaya tampilan QGIS (QML) setiap lapisan — {label}.",
            "kelurahan": f"Indikator kemiskinan per kelurahan/desa — {label}. Angka < {config.min_households} KK disembunyikan.",
            "kecamatan": f"Indikator kemiskinan per kecamatan — {label}.",
            "validasi": f"Ringkasan validasi register per alasan dan bendera — {label}.",
            "validasi_file": f"Baris per file dan lembar register: masuk = diterima + dikarantina — {label}.",
            "validasi_anggota": f"Baris tabel anggota per file dan lembar: masuk = tertaut + tidak tertaut — {label}.",
            "diagnostik_batas": f"Masalah pada file batas wilayah (tumpang tindih, celah, perbaikan), luas dalam m² — {label}.",
            "kantong": f"Kantong kemiskinan: sel H3 titik panas Gi* (FDR) yang bersebelahan, diberi peringkat — {label}.",
            "sel_h3": f"Sel heksagon H3 resolusi {config.analysis.h3_resolution}; sel < {config.min_households} KK disembunyikan — {label}.",
            "indikator_deprivasi": f"Indikator, batas deprivasi dan bobot indeks kemiskinan multidimensi (Alkire-Foster) — {label}.",
            "target_kemiskinan": f"Angka BPS terbaru terhadap target RPJMD/RPD: selisih (poin, jiwa, KK) dan status — {label}.",
            "rekonsiliasi": f"Register terhadap BPS: jumlah jiwa miskin, rasio dan selisih, dengan penjelasan — {label}.",
            "rekonsiliasi_kelurahan": f"Kelurahan yang paling menyumbang selisih register dan BPS — {label}.",
            "perubahan_snapshot": f"Perubahan sejak snapshot register sebelumnya: masuk/keluar desil miskin, KK baru/hilang — {label}.",
            "cakupan_program": f"Cakupan setiap program per kelurahan: layak, terjangkau, eksklusi, inklusi — {label}.",
            "cakupan_opd": f"Cakupan setiap program dan OPD untuk seluruh wilayah — {label}.",
            "tumpang_tindih": f"Tumpang tindih: KK yang menerima dua program sekaligus (matriks program × program) — {label}.",
        },
    )
    html_path = to_text(page, folder / MAP_FILE)
    to_text(
        validation_markdown(
            analysis.validation, analysis.validation_files, region=config.name, members=analysis.validation_members
        ),
        folder / VALIDATION_REPORT,
    )
    to_text(
        report_markdown(
            analysis.boundary_issues,
            region=config.name,
            source=config.boundaries.path.name,
            kelurahan=len(analysis.boundaries),
        ),
        folder / BOUNDARY_REPORT,
    )
    if restricted:
        tables = {
            "karantina": analysis.quarantine,
            "rumah_tangga": household_layer(analysis.households, key=pseudonym_key()),
        }
        if len(analysis.validation_members):
            tables["karantina_anggota"] = analysis.unlinked_members
        tables.update(target_workbooks(analysis))
        to_restricted(tables, folder / RESTRICTED_DIR)
    summary = {
        "slug": config.slug,
        "nama": config.name,
        "kode": config.kode,
        "sintetis": config.is_synthetic,
        "tanggal_data": config.data_date.isoformat(),
        "aturan_kemiskinan": config.poverty.describe(config.data_date),
        "crs_proyeksi": analysis.projected_crs,
        "versi_pipeline": __version__,
        "dibuat": generated,
        "baris": {
            "masuk": analysis.rows_in,
            "diterima": int(len(analysis.households)),
            "dikarantina": int(len(analysis.quarantine)),
        },
        "masukan": input_records,
        "ringkasan": analysis.summary,
        "target": targets,
        "grafik": chart,
        "validasi": analysis.validation[[C.TAHAP, C.ALASAN, "jumlah_baris"]].to_dict("records"),
    }
    summary_path = to_json(summary, folder / SUMMARY_FILE)
    to_make_depfile([final / p.name for p in (html_path, gpkg, summary_path)], inputs, folder / DEPFILE)
    logger.info(
        "%s: %d rows in = %d accepted + %d quarantined; outputs in %s",
        config.slug,
        analysis.rows_in,
        len(analysis.households),
        len(analysis.quarantine),
        final,
    )
    return summary


def write_synthetic_inputs(config: RegionConfig) -> list[Path]:
    """Generate and write the inputs of a region that has a ``[synthetic]`` table.

    For the demo (``boundaries = true``) the kelurahan and kecamatan layers
    are generated too and written to ``[boundaries] path``. Households are
    generated on the region's boundaries and written, as a P3KE-style CSV,
    to the first of ``[households] paths``; when a second path is given, the
    matching individual (member) sheet is written there.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    ConfigError
        If the region has no ``[synthetic]`` table.
    """
    from .errors import ConfigError
    from .export import to_csv, to_workbook
    from .load_boundaries import boundaries_from_source
    from .synth import (
        synthetic_beneficiary_list,
        synthetic_boundaries,
        synthetic_households,
        synthetic_kecamatan,
        synthetic_members,
        synthetic_previous_snapshot,
    )

    spec = config.synthetic
    if spec is None:
        raise ConfigError(
            f"{config.source}: no [synthetic] table; this region reads real register files, nothing to generate"
        )
    written = []
    if spec.boundaries:
        kelurahan = synthetic_boundaries(seed=spec.seed, region_code=config.kode, region_name=config.name)
        to_geopackage(
            {"kelurahan": kelurahan, "kecamatan": synthetic_kecamatan(kelurahan)},
            config.boundaries.path,
            descriptions={"kelurahan": f"Batas kelurahan {config.name} — {SYNTHETIC_NOTICE}"},
        )
        written.append(config.boundaries.path)
    boundaries = boundaries_from_source(config.boundaries)
    households = synthetic_households(
        boundaries, n=spec.households, seed=spec.seed, pockets=spec.pockets, region_code=config.kode
    )
    target, *rest = config.households.paths
    to_csv(households, target)
    written.append(target)
    if rest:
        to_csv(synthetic_members(households, seed=spec.seed, on=config.data_date.isoformat()), rest[0])
        written.append(rest[0])
    for program in config.programs:
        if program.beneficiaries:
            table = synthetic_beneficiary_list(households, program=program.code, seed=spec.seed)
            target_path = program.beneficiaries[0]
            if target_path.suffix.lower() == ".xlsx":
                to_workbook({"penerima": table}, target_path)
            else:
                to_csv(table, target_path)
            written.append(target_path)
    for snapshot in config.progress.snapshots:
        (path,) = snapshot.paths[:1]
        to_csv(synthetic_previous_snapshot(households, seed=spec.seed), path)
        written.append(path)
    return written
