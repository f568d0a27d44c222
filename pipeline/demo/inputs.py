"""Write the generated inputs of a region with a ``[synthetic]`` table (the demo and the seed regions)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from ..errors import ConfigError
from ..ingest.boundaries import boundaries_from_source
from ..publish.palette import SYNTHETIC_NOTICE
from ..publish.write import csv_chunks, to_csv, to_geopackage, to_workbook
from ..settings import RegionConfig
from .basemap import write_synthetic_basemap
from .boundaries import synthetic_boundaries, synthetic_kecamatan
from .households import (
    synthetic_beneficiary_list,
    synthetic_household_chunks,
    synthetic_members,
    synthetic_previous_snapshot,
)


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
        if config.basemap is not None:  # an invented OpenStreetMap extract for the invented city
            written.append(write_synthetic_basemap(kelurahan, config.basemap, seed=spec.seed))
    boundaries = boundaries_from_source(config.boundaries)
    chunks = synthetic_household_chunks(
        boundaries, n=spec.households, seed=spec.seed, pockets=spec.pockets, region_code=config.kode
    )
    target, *rest = config.households.paths
    snapshots = [snapshot.paths[0] for snapshot in config.progress.snapshots]
    with contextlib.ExitStack() as files:
        register = files.enter_context(csv_chunks(target))
        members = files.enter_context(csv_chunks(rest[0])) if rest else None
        earlier = [files.enter_context(csv_chunks(path)) for path in snapshots]
        for index, households in enumerate(chunks):  # a chunk at a time: 10 M households fit in memory
            register(households)
            if members is not None:
                on = config.data_date.isoformat()
                members(synthetic_members(households, seed=spec.seed, on=on, stream=index))
            for write in earlier:
                write(synthetic_previous_snapshot(households, seed=spec.seed, stream=index))
            if index == 0:
                first = households  # the OPD lists (a few hundred names each) are drawn from the first chunk
    written += [target, *rest[:1]]
    for program in config.programs:
        if program.beneficiaries:
            table = synthetic_beneficiary_list(first, program=program.code, seed=spec.seed)
            target_path = program.beneficiaries[0]
            if target_path.suffix.lower() == ".xlsx":
                to_workbook({"penerima": table}, target_path)
            else:
                to_csv(table, target_path)
            written.append(target_path)
    return written + snapshots
