"""Run one region end to end: ingest -> analyse -> publish.

:func:`analyse_region` reads the inputs (:mod:`pipeline.ingest`), computes
everything (:mod:`pipeline.analyse`) and applies disclosure control
(:mod:`pipeline.publish.disclosure`), in memory; :func:`run_region` adds the
writes (:mod:`pipeline.publish.region`) under the region's lock. Both report each stage through an
optional callback, which the CLI turns into a progress bar.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from . import columns as C
from . import survey as S
from .analyse.deprivation import score_households
from .analyse.hotspots import kecamatan_hotspots, knn_fallback_names
from .analyse.indicators import (
    classify_poverty,
    count_columns,
    kecamatan_indicators,
    kelurahan_indicators,
    region_summary,
)
from .analyse.matching import match_beneficiaries
from .analyse.programmes import coverage, overlap_in_excluding_areas, overlap_matrix, programme_flags, target_list
from .analyse.region import RegionAnalysis
from .analyse.spatial import hotspots_and_pockets
from .analyse.targets import reconcile, snapshot_changes, target_progress
from .analyse.verification import verification_by_kelurahan
from .codes import time_zone
from .errors import ValidationError
from .ingest.basemap import basemap_entry, read_basemap
from .ingest.boundaries import clean_boundaries, kecamatan_source, kelurahan_names, read_boundaries
from .ingest.boundary_checks import cached_diagnostics
from .ingest.coordinates import coordinate_shortfalls
from .ingest.households import beneficiaries_from_file, read_registers
from .ingest.inputs import export_files
from .ingest.join import join_households
from .ingest.members import attach_members
from .ingest.validate import read_snapshot, validate_households, validation_by_file, validation_by_reason
from .ingest.visits import (
    APPLIED,
    MAX_ACCURACY,
    STATUS_KIRIMAN,
    apply_visits,
    planned_visits,
    read_submissions,
)
from .publish.disclosure import (
    CHANGES_DERIVED,
    COVERAGE_COUNTS,
    COVERAGE_DERIVED,
    DRIVERS_DERIVED,
    PRIORITY_DERIVED,
    Published,
    cell_table,
    protect_publication,
    rate_derived,
    region_table,
)
from .publish.files import region_lock, remove_stale_staging, staged_folder
from .publish.privacy import (
    suppress_counts,
    suppress_small_counts,
)
from .publish.region import CACHE_FOLDER, write_region
from .settings import RegionConfig

logger = logging.getLogger(__name__)

#: Where field rounds are written, under ``outputs/<region>/`` (kept from one run to the next).
VERIFICATION_FOLDER: str = "terbatas/verifikasi"

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
    "restricted",
)

Progress = Callable[[str], None]


def _noop(_: str) -> None:
    return None


def _apply_verification(
    raw: pd.DataFrame, *, config: RegionConfig, boundaries: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read every ``[[verification]]`` export and apply its visits to the register rows."""
    form_id = f"{S.FORM_ID_PREFIX}{config.slug}"
    frames = [
        read_submissions(path, form_id=form_id).assign(**{MAX_ACCURACY: source.max_gps_accuracy_m})
        for source in config.verification
        for path in export_files(source.paths)
    ]
    if not frames:
        return raw, pd.DataFrame()
    return apply_visits(
        raw,
        pd.concat(frames, ignore_index=True, sort=False),
        boundaries=boundaries,
        programs=tuple(p.code for p in config.programs),
    )


def verification_summary(submissions: pd.DataFrame) -> dict[str, object]:
    """Submissions in = applied + rejected (per reason), and the outcomes of the applied visits."""
    applied = submissions[STATUS_KIRIMAN] == APPLIED
    return {
        "kiriman": int(len(submissions)),
        "diterapkan": int(applied.sum()),
        "ditolak": {str(k): int(v) for k, v in submissions.loc[~applied, STATUS_KIRIMAN].value_counts().items()},
        "hasil": {str(k): int(v) for k, v in submissions.loc[applied, S.HASIL].str.lower().value_counts().items()},
    }


def analyse_region(
    config: RegionConfig,
    *,
    on_stage: Progress = _noop,
    planned: pd.DataFrame | None = None,
    cache: Path | None = None,
) -> RegionAnalysis:
    """Load a region's inputs and compute its indicators and hot spots.

    Parameters
    ----------
    config
        The region's configuration.
    on_stage
        Called with each stage name as it starts.
    planned
        Households on the region's field rounds (``id_keluarga``, ``kode_kel``;
        :func:`pipeline.ingest.visits.planned_visits`), for the verification progress.
    cache
        Folder for what is computed once per input file (boundary diagnostics, the basemap); None: no cache.

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
        raw_boundaries,
        columns=source.columns,
        crosswalk=source.crosswalk,
        source=source.path.name,
        kecamatan=kecamatan_source(source),
    )
    crs = config.analysis.projected_crs or boundaries.estimate_utm_crs().to_string()
    boundary_issues, diagnostics_entry = cached_diagnostics(
        boundaries, crs=crs, raw=raw_boundaries, region_code=config.kode, source=source, cache=cache
    )
    basemap = read_basemap(config.basemap, bounds=tuple(boundaries.total_bounds), cache=cache, region=config.slug)
    registers = read_registers(config.households)
    raw, unlinked, member_report = attach_members(registers.households, registers.members, on=config.data_date)
    del registers  # the register as read: each stage below holds one frame of a million rows, not all of them
    submissions = pd.DataFrame()
    if config.verification:
        raw, submissions = _apply_verification(raw, config=config, boundaries=boundaries)
    rows_in = len(raw)

    on_stage("validate")
    accepted, quarantine_v = validate_households(raw)
    sources = raw[[c for c in (C.FILE_SUMBER, C.LEMBAR_SUMBER) if c in raw]]  # all validation_by_file reads of it
    del raw

    on_stage("join")
    joined, quarantine_j = join_households(
        accepted,
        boundaries,
        crs=crs,
        snap_distance_m=config.boundaries.snap_distance_m,
        wider_codes=config.boundaries.wider_codes,
    )
    quarantine = pd.concat([quarantine_v, quarantine_j], ignore_index=True, sort=False)
    validation_files = validation_by_file(sources, joined, quarantine)
    validation = validation_by_reason(rows_in, joined, quarantine)
    del accepted
    if len(joined) + len(quarantine) != rows_in:
        raise ValidationError(
            f"{config.slug}: {rows_in} rows in but {len(joined)} accepted + {len(quarantine)} quarantined; "
            "this is a bug, please report it with the input's row count"
        )

    on_stage("indicators")
    classified = classify_poverty(joined, rule=config.poverty, on=config.data_date)
    del joined
    classified, deprivation = score_households(classified, settings=config.deprivation)
    settings = config.analysis
    kelurahan = kelurahan_indicators(
        classified,
        boundaries,
        programs=config.programs,
        deprivation=deprivation,
        small_base=settings.small_base_households,
        overlap_programs=settings.overlap_programs,
        household_size=config.progress.household_size,
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
    if len(submissions) or (planned is not None and len(planned)):
        verified = verification_by_kelurahan(
            classified, quarantine, settings=config.deprivation,
            planned=planned if planned is not None else pd.DataFrame(columns=[C.ID_KELUARGA, C.KODE_KEL]),
        )  # fmt: skip
        kelurahan = kelurahan.merge(verified, on=C.KODE_KEL, how="left")
        counts_v = [c for c in verified.columns if c.startswith("kk_")]
        kelurahan[counts_v] = kelurahan[counts_v].fillna(0).astype("int64")
    targets, quota_report = target_list(classified, flags, config.programs)
    shared = overlap_matrix(flags, config.programs)
    overlap_long = shared.stack().rename("kk_bersama").reset_index()
    overlap_long.columns = ["program_a", "program_b", "kk_bersama"]

    on_stage("pockets")
    kelurahan, cells, pockets = hotspots_and_pockets(
        kelurahan,
        classified,
        boundaries=boundaries,
        settings=settings,
        crs=crs,
        weights=config.priority.weights,
        kelurahan_names=names,
    )
    k = config.min_households
    counts = count_columns(kelurahan)
    public_kel = suppress_small_counts(kelurahan, k=k, counts=counts)
    kecamatan = kecamatan_hotspots(
        kecamatan_indicators(kelurahan, deprivation=deprivation, small_base=settings.small_base_households),
        crs=crs,
        permutations=settings.permutations,
        seed=settings.seed,
        significance=settings.significance,
    )
    public_kec = suppress_small_counts(kecamatan, k=k, counts=counts)
    public_pockets = suppress_small_counts(pockets, k=k, counts=count_columns(pockets))

    on_stage("progress")
    progress = target_progress(
        config.progress,
        register_people=None if kelurahan[C.JUMLAH_JIWA].isna().all() else int(kelurahan[C.JUMLAH_JIWA].sum()),
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
        snapshot = config.progress.snapshots[-1]
        changes_true = snapshot_changes(
            classified,
            read_snapshot(config.households, snapshot),
            boundaries=boundaries,
            rule=config.poverty,
            on=snapshot.date,
        )
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
        "wilayah": region_table(summary, k=k),
        "sel": cell_table(cells, k=k),
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
        validation=validation,
        validation_files=validation_files,
        coordinate_shortfalls=coordinate_shortfalls(validation_files, min_share=config.households.min_located_share),
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
            **({"verifikasi": verification_summary(submissions)} if len(submissions) else {}),
        },
        verification=submissions,
        basemap=basemap,
        cache_entries=[e for e in (diagnostics_entry, basemap_entry(basemap)) if e is not None],
    )


def rows_line(summary: dict) -> str:
    """``50000 rows in = 49805 accepted + 195 quarantined``, from a region's summary."""
    rows = summary["baris"]
    return f"{rows['masuk']} rows in = {rows['diterima']} accepted + {rows['dikarantina']} quarantined"


def validation_rows(summary: dict) -> tuple[tuple[str, str, int], ...]:
    """The validation table of a region's summary: (stage, reason, rows)."""
    return tuple((r["tahap"], r["alasan"], int(r["jumlah_baris"])) for r in summary["validasi"])


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
        analysis = analyse_region(
            config, on_stage=on_stage, planned=planned_visits(final / VERIFICATION_FOLDER), cache=final / CACHE_FOLDER
        )
        with staged_folder(final, keep=(VERIFICATION_FOLDER,)) as folder:
            return write_region(analysis, folder=folder, final=final, restricted=restricted, on_stage=on_stage)


def field_round(
    config: RegionConfig, *, out_dir: str | Path = "outputs", on_stage: Progress = _noop
) -> tuple[Path, dict]:
    """Analyse a region and write a field-verification round (``kantong verifikasi``).

    Returns
    -------
    folder, counts
        ``<out_dir>/<slug>/terbatas/verifikasi/<date>_<time>/``, and the households,
        enumerators and kelurahan of the round.

    Raises
    ------
    InputError
        If no household is selected (``[verification_round] select`` finds none).
    """
    import datetime as dt

    from .analyse.visits import select_visits
    from .errors import InputError
    from .publish.fieldwork import write_round

    final = Path(out_dir) / config.slug
    analysis = analyse_region(config, on_stage=on_stage, cache=final / CACHE_FOLDER)
    names = kelurahan_names(analysis.boundaries)
    households = analysis.households.assign(**{C.NAMA_KEL: analysis.households[C.KODE_KEL].map(names)})
    visits = select_visits(
        households,
        boundaries=analysis.boundaries,
        cells=analysis.cells,
        targets=analysis.targets,
        kelurahan=analysis.kelurahan,
        settings=config.verification_round,
        resolution=config.analysis.h3_resolution,
        crs=analysis.projected_crs,
    )
    if not len(visits):
        raise InputError(
            f"{config.source}: [verification_round] select = {list(config.verification_round.select)} finds no "
            "household to visit; add 'prioritas' or 'bendera'"
        )
    made = dt.datetime.now(time_zone(config.kode)).replace(tzinfo=None)
    with region_lock(final):
        return write_round(visits, config=config, folder=final / VERIFICATION_FOLDER, made=made)
