"""Split a province register by kab/kota: the first step of ``kantong provinsi``.

A province Bappeda holds one register for all its kab/kota. The kab/kota is
the natural unit of work (its indicators and pockets do not depend on its
neighbours), so the register is split once, here, and each kab/kota is then
run as a region of its own (:mod:`pipeline.province`).

Which kab/kota a household row goes to follows the join's own rule
(:mod:`pipeline.ingest.join`): the kab/kota its GPS point lies in (or the
nearest within the snap distance), else the kab/kota of its register code.
A row with neither a point in the province nor a code of one of its
kab/kota cannot go anywhere: it is returned as a quarantine row with the
reason ``kabkota_tidak_dikenal``, so that rows in = the kab/kota's rows in +
these, always. Member rows follow their household's ID; members whose ID
names no household are returned too.

The parts are written as Parquet files (0600, in a 0700 folder: they hold
personal data) that keep each row's origin (file, sheet and row of the
province register), so that a kab/kota's quarantine and validation report
name the file the officer has, not the part.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .. import columns as C
from ..codes import kabkota_of, normalize_kode
from ..text import column_text, parse_number, strip_id

logger = logging.getLogger(__name__)

#: Parquet metadata key marking a part written here: its origin columns are kept on reading.
SPLIT_MARK: bytes = b"kantong.pecahan"
#: Reason of a household row that belongs to no kab/kota of the province.
NO_KABKOTA: str = "kabkota_tidak_dikenal"
#: Reason of a member row whose household is in no part.
NO_HOUSEHOLD: str = "anggota_tanpa_keluarga"
#: Stage name of rows quarantined by the split.
STAGE: str = "pemisahan"
HOUSEHOLDS_FILE: str = "rumah_tangga.parquet"
MEMBERS_FILE: str = "anggota.parquet"
BOUNDARIES_FILE: str = "batas_wilayah.gpkg"


@dataclass(frozen=True)
class Part:
    """One kab/kota's share of a province register, as written."""

    #: Dotted kab/kota code (``33.01``).
    kode: str
    households: int
    members: int
    boundaries: Path
    registers: tuple[Path, ...]


def assign_kabkota(households: pd.DataFrame, boundaries: gpd.GeoDataFrame, *, snap_distance_m: float) -> pd.Series:
    """The kab/kota code of each household row (``<NA>`` where none).

    Parameters
    ----------
    households
        Register rows, canonical headers, text values (``lat``/``lon``, ``kode_kel``).
    boundaries
        The province's kelurahan (``kode_kel``), EPSG:4326.
    snap_distance_m
        A point outside every polygon but this near one (measured roughly, in
        degrees at the equator) takes that polygon's kab/kota; the kab/kota run
        then measures the exact distance.

    Returns
    -------
    Series
        Aligned to ``households``: the point's kab/kota, else the code's, else ``<NA>``.
    """
    region = kabkota_of(boundaries[C.KODE_KEL]).to_numpy()
    known = set(region)
    code = kabkota_of(normalize_kode(column_text(households, C.KODE_KEL)))
    by_code = code.where(code.isin(known))
    lat, lon = parse_number(column_text(households, C.LAT)), parse_number(column_text(households, C.LON))
    located = (lat.notna() & lon.notna()).to_numpy()
    by_point = pd.Series(pd.NA, index=households.index, dtype="string")
    if located.any():
        points = gpd.points_from_xy(lon.to_numpy()[located], lat.to_numpy()[located], crs="EPSG:4326")
        tree = boundaries.sindex
        row, poly = tree.query(np.asarray(points), predicate="within")
        first = np.unique(row, return_index=True)[1]
        found = np.full(len(points), None, dtype=object)
        found[row[first]] = region[poly[first]]
        missing = np.flatnonzero(pd.isna(found))
        if missing.size:
            reach = snap_distance_m / 111_000.0
            near_row, near_poly = tree.nearest(np.asarray(points)[missing], max_distance=reach, return_all=False)
            found[missing[near_row]] = region[near_poly]
        by_point.iloc[np.flatnonzero(located)] = found
    return by_point.fillna(by_code)


def _duplicates_together(kab: pd.Series, households: pd.DataFrame, kept: pd.Series) -> pd.Series:
    """Every duplicate row goes to the kab/kota of the row validation keeps for it.

    Validation keeps one row of a duplicate group and quarantines the
    others (``id_ganda``); that must happen in one kab/kota, as it does for
    the whole province, not once in each. ``kept`` is validation's pointer
    (``<file>:<line>``, :data:`C.BARIS_DIPERTAHANKAN`) of the kept row, for the
    duplicate rows; each follows its kept row, wherever its own point lies.
    """
    if kept.empty:
        return kab
    where = households[C.FILE_SUMBER].astype(str) + ":" + households[C.BARIS_SUMBER].astype(str)
    position = pd.Series(np.arange(len(households)), index=where.to_numpy())
    position = position[~position.index.duplicated()]
    keeper = position.reindex(kept.astype(str).to_numpy()).to_numpy()
    found = ~np.isnan(keeper)
    moved = kab.copy()
    rows = households.index.get_indexer(kept.index[found])
    moved.iloc[rows] = kab.iloc[keeper[found].astype(np.int64)].to_numpy()
    return moved


def _write_part(frame: pd.DataFrame, path: Path) -> None:
    """One part as Parquet (0600), text columns as text, marked as a part."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), SPLIT_MARK: b"1"})
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        pq.write_table(table, handle)


def split_register(
    households: pd.DataFrame,
    members: pd.DataFrame,
    boundaries: gpd.GeoDataFrame,
    *,
    folder: Path,
    snap_distance_m: float,
    kept: pd.Series | None = None,
) -> tuple[list[Part], pd.DataFrame, pd.DataFrame]:
    """Write each kab/kota's households, members and kelurahan into ``folder/<kode>/``.

    Parameters
    ----------
    households, members
        The province register (:func:`pipeline.ingest.households.read_registers`).
    boundaries
        The province's cleaned kelurahan, EPSG:4326.
    folder
        Emptied first; made 0700.
    snap_distance_m
        See :func:`assign_kabkota`.
    kept
        For each duplicate row (index of ``households``), validation's pointer
        to the row it keeps (the ``baris_dipertahankan`` of its quarantine):
        the group goes to that row's kab/kota.

    Returns
    -------
    parts, quarantine, unlinked
        One :class:`Part` per kab/kota with households, in code order; the
        household rows of no kab/kota (with ``alasan`` and ``tahap``); the
        member rows of no household.
    """
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, mode=0o700)
    os.chmod(folder, 0o700)
    kab = assign_kabkota(households, boundaries, snap_distance_m=snap_distance_m)
    kab = _duplicates_together(kab, households, kept if kept is not None else pd.Series(dtype=str))
    quarantine = households.loc[kab.isna()].assign(**{C.ALASAN: NO_KABKOTA, C.TAHAP: STAGE})
    ids = strip_id(column_text(households, C.ID_KELUARGA))
    home = pd.Series(kab.to_numpy(), index=ids.to_numpy()).dropna()
    home = home[~home.index.duplicated() & (home.index != "")]  # an ID in two kab/kota: the first row's
    member_kab = (
        strip_id(column_text(members, C.ID_KELUARGA)).map(home)
        if len(members) and C.ID_KELUARGA in members
        else pd.Series(pd.NA, index=members.index, dtype="string")
    )
    unlinked = members.loc[member_kab.isna()].assign(**{C.ALASAN: NO_HOUSEHOLD, C.TAHAP: STAGE})
    region = kabkota_of(boundaries[C.KODE_KEL])
    parts = []
    for kode, rows in households.groupby(kab, sort=True):
        where = folder / str(kode).replace(".", "")
        where.mkdir(mode=0o700)
        registers = [where / HOUSEHOLDS_FILE]
        _write_part(rows, registers[0])
        own = members.loc[member_kab == kode]
        if len(own):
            registers.append(where / MEMBERS_FILE)
            _write_part(own, registers[1])
        boundary_path = where / BOUNDARIES_FILE
        boundaries.loc[(region == kode).to_numpy()].to_file(boundary_path, layer="kelurahan", driver="GPKG")
        parts.append(Part(str(kode), len(rows), len(own), boundary_path, tuple(registers)))
    logger.info("split %d household rows into %d kab/kota (%d in none)", len(households), len(parts), len(quarantine))
    return parts, quarantine, unlinked
