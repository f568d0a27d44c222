"""Write every output of one analysed region: map, GeoPackage, reports, summary, restricted tier.

:func:`write_region` renders the map, checks it for personal data, writes
the public GeoPackage with its QGIS styles and descriptions, the Markdown
reports, ``ringkasan.json``, the make depfile and (unless told not to) the
restricted tier, all into the staging folder that :mod:`pipeline.publish.files`
swaps in.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from .. import __version__
from .. import columns as C
from ..analyse.deprivation import indicator_table
from ..analyse.region import RegionAnalysis
from ..analyse.verification import SHARE_DONE, VERIFICATION_COLUMNS
from ..codes import time_zone
from ..ingest.basemap import BASEMAP_LAYERS
from ..ingest.boundaries import kelurahan_names
from ..ingest.boundary_checks import report_markdown
from ..ingest.cache import write_entry
from ..ingest.coordinates import shortfall_texts
from ..ingest.inputs import input_files, pattern_folders, sha256_of
from ..ingest.validate import validation_markdown
from ..ingest.visits import APPLIED, STATUS_KIRIMAN
from ..survey import REJECTIONS
from .basemap import basemap_layers, basemap_styles
from .dictionary import field_dictionary, layer_descriptions
from .files import to_json, to_text
from .palette import SYNTHETIC_NOTICE
from .privacy import (
    check_public_text,
    household_layer,
    pseudonym_key,
)
from .qgis import layer_styles
from .recap import recap_sheets
from .webmap.assemble import html_from_map, map_from_indicators
from .webmap.basemap import basemap_note, without_basemap
from .webmap.chart import chart_series, trajectory_svg
from .webmap.geometry import cached_web_geometry
from .webmap.panel import MapContext
from .write import RESTRICTED_DIR, target_workbooks, to_geopackage, to_make_depfile, to_restricted, to_workbook

logger = logging.getLogger(__name__)


MAP_FILE: str = "peta.html"
SUMMARY_FILE: str = "ringkasan.json"
DEPFILE: str = "masukan.d"
BOUNDARY_REPORT: str = "laporan_batas.md"
VALIDATION_REPORT: str = "laporan_validasi.md"
#: What is computed once per input file (boundary diagnostics, web geometry, the basemap), under
#: ``outputs/<region>/`` (:mod:`pipeline.ingest.cache`): written by a build, read by the next.
CACHE_FOLDER: str = "cache"


def verification_layer(kelurahan: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """``{"verifikasi": ...}``: the public (suppressed) verification counts per kelurahan, if there are any."""
    if SHARE_DONE not in kelurahan:
        return {}
    return {"verifikasi": pd.DataFrame(kelurahan[[C.KODE_KEL, C.NAMA_KEL, *VERIFICATION_COLUMNS]])}


def submission_table(submissions: pd.DataFrame) -> pd.DataFrame:
    """Field-verification submissions per status (applied, or a rejection reason): counts only, no household."""
    counts = submissions[STATUS_KIRIMAN].value_counts()
    rows = [(APPLIED, "Diterapkan ke register", int(counts.get(APPLIED, 0)))]
    rows += [(reason, text, int(counts.get(reason, 0))) for reason, text in REJECTIONS.items()]
    return pd.DataFrame(rows, columns=[STATUS_KIRIMAN, "keterangan", "jumlah_kiriman"])


def write_region(
    analysis: RegionAnalysis, *, folder: Path, final: Path, restricted: bool, on_stage: Callable[[str], None]
) -> dict[str, object]:
    """Render and write every output of a region into ``folder`` (the staging copy of ``final``)."""
    config = analysis.config
    generated = dt.datetime.now(time_zone(config.kode)).strftime("%Y-%m-%d %H:%M %Z")  # WIB, WITA or WIT

    on_stage("render")
    people = analysis.summary[C.JUMLAH_JIWA]
    extreme_people = int(analysis.kelurahan["jiwa_miskin_ekstrem"].sum())
    chart = {
        "bps": [[b.year, b.poverty_rate] for b in config.progress.bps if b.poverty_rate is not None],
        "target": [[t.year, t.poverty_rate] for t in config.progress.targets if t.poverty_rate is not None],
        "register": [config.data_date.year, round(100 * extreme_people / people, 2)] if people else None,
    }
    warnings = shortfall_texts(analysis.coordinate_shortfalls, min_share=config.households.min_located_share)
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
        source="; ".join(
            [
                "register " + ", ".join(p.name for p in config.households.paths),
                f"batas wilayah {config.boundaries.path.name}",
                *(
                    [f"verifikasi lapangan {len(analysis.verification)} kiriman (KoboToolbox/ODK)"]
                    if len(analysis.verification)
                    else []
                ),
            ]
        ),
        priority_weights=dict(config.priority.weights),
        significance=config.analysis.significance,
        min_pocket_households=config.analysis.min_pocket_households,
        warnings=tuple(warnings),
        basemap_html=basemap_note(config.basemap is not None, analysis.basemap.drawn),
    )
    web, web_entry = cached_web_geometry(analysis.public_kelurahan.geometry, cache=final / CACHE_FOLDER)
    page = html_from_map(
        map_from_indicators(
            analysis.public_kelurahan,
            context=context,
            pockets=analysis.pockets,
            cells=analysis.public_cells,
            changes=analysis.snapshot_changes,
            coverage=analysis.coverage,
            coverage_region=analysis.coverage_opd,
            programs={p.code: p.name for p in config.programs},
            basemap=analysis.basemap.layers if analysis.basemap.drawn else None,
            geometry=web,
        )
    )
    names = (
        tuple(analysis.households[C.NAMA_KK].dropna().astype(str).unique()) if C.NAMA_KK in analysis.households else ()
    )
    # OpenStreetMap's names (Jalan Ahmad Yani, Masjid Nurul Huda) are public place names, not households:
    # the basemap's data is checked for NIK-like numbers only
    check_public_text(without_basemap(page), what=f"{config.slug}/{MAP_FILE}", forbidden=names)
    check_public_text(page, what=f"{config.slug}/{MAP_FILE}")

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
        **({"verifikasi_kiriman": submission_table(analysis.verification)} if len(analysis.verification) else {}),
        **verification_layer(analysis.public_kelurahan),
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
        **(basemap_layers(analysis.basemap.layers) if analysis.basemap.drawn else {}),
    }
    if config.is_synthetic:  # impossible to miss in QGIS's attribute table too
        layers = {name: frame.assign(catatan=SYNTHETIC_NOTICE) for name, frame in layers.items()}
    layers["kamus_data"] = field_dictionary(layers)
    # a pattern's folder too: a new export dropped there makes `make maps` rebuild
    inputs = [*input_files(config), *pattern_folders(config)]
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
        styles={
            **layer_styles(layers, min_households=config.min_households, significance=config.analysis.significance),
            **basemap_styles({name: layers[name] for name in BASEMAP_LAYERS if name in layers}),
        },
        metadata=metadata,
        descriptions=layer_descriptions(
            label, min_households=config.min_households, h3_resolution=config.analysis.h3_resolution
        ),
    )
    html_path = to_text(page, folder / MAP_FILE)
    to_text(
        validation_markdown(
            analysis.validation,
            analysis.validation_files,
            region=config.name,
            members=analysis.validation_members,
            warnings=warnings,
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
        on_stage("restricted")
        tables = {
            "karantina": analysis.quarantine,
            "rumah_tangga": household_layer(analysis.households, key=pseudonym_key()),
        }
        if len(analysis.validation_members):
            tables["karantina_anggota"] = analysis.unlinked_members
        if len(analysis.verification):  # every submission with what became of it
            tables["kiriman_verifikasi"] = analysis.verification
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
        "peringatan": warnings,
    }
    to_workbook(
        recap_sheets(analysis, names=kelurahan_names(analysis.boundaries)), folder / f"rekap_{config.slug}.xlsx"
    )
    for entry in [*analysis.cache_entries, web_entry]:  # computed once per input file: the next build reads them
        write_entry(folder / CACHE_FOLDER, entry)
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
