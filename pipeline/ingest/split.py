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
names no household are returned too. Duplicate rows (a shared family ID,
KK number or NIK) go to the kab/kota of the row validation keeps, so that
duplicates are resolved once for the province.

The register is read twice, a block at a time (:func:`split_chunks`): the
first pass keeps only a few numbers per household (its kab/kota, the
checks that decide which duplicate is kept, its keys), the second writes
each block's rows to their kab/kota. A register larger than memory can so
be split: 10 M households in about 4 minutes and 4.2 GB.

The parts are written as Parquet files (0600, in a 0700 folder: they hold
personal data) that keep each row's origin (file, sheet and row of the
province register), so that a kab/kota's quarantine and validation report
name the file the officer has, not the part.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .. import columns as C
from ..codes import kabkota_of
from ..text import column_text, strip_id
from .coordinates import coordinates_from_one_column
from .row_checks import RowChecks, duplicate_keepers, row_checks

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


def assign_kabkota(
    checks: RowChecks, boundaries: gpd.GeoDataFrame, *, snap_distance_m: float, index: pd.Index
) -> pd.Series:
    """The kab/kota code of each household row (``<NA>`` where none).

    Parameters
    ----------
    checks
        The rows' :func:`~.row_checks.row_checks`: their parsed coordinates and kelurahan codes.
    boundaries
        The province's kelurahan (``kode_kel``), EPSG:4326.
    snap_distance_m
        A point outside every polygon but this near one (measured roughly, in
        degrees at the equator) takes that polygon's kab/kota; the kab/kota run
        then measures the exact distance.
    index
        The rows' index.

    Returns
    -------
    Series
        Aligned to ``index``: the point's kab/kota, else the code's, else ``<NA>``.
    """
    region = kabkota_of(boundaries[C.KODE_KEL]).to_numpy()
    known = set(region)
    code = kabkota_of(checks.kode.astype("string"))
    by_code = code.where(code.isin(known))
    lat, lon = checks.lat, checks.lon
    located = (lat.notna() & lon.notna()).to_numpy()
    by_point = pd.Series(pd.NA, index=index, dtype="string")
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


class _Writers:
    """The Parquet files of a split: one per kab/kota, kind of table and column set, appended a chunk at a time."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.open: dict[tuple[str, str, tuple[str, ...]], pq.ParquetWriter] = {}
        self.paths: dict[str, list[Path]] = {}
        self.rows: dict[tuple[str, str], int] = {}
        self.handles: list[object] = []

    def append_by(self, codes: pd.Index, kab: np.ndarray, kind: str, rows: pd.DataFrame) -> None:
        """Append each of ``rows`` to the ``kind`` file of its kab/kota (``codes[kab]``; none where -1).

        The rows are put in kab/kota order once (stable, so each kab/kota's
        rows keep the register's order) and written as slices of one table.
        """
        order = np.argsort(kab, kind="stable")
        ordered = kab[order]
        table = pa.Table.from_pandas(rows.iloc[order], preserve_index=False)
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        for start, end in zip(starts, [*starts[1:], len(ordered)], strict=True):
            if ordered[start] >= 0:
                self.append(str(codes[ordered[start]]), kind, table.slice(start, end - start))

    def append(self, kode: str, kind: str, table: pa.Table) -> None:
        """Append ``table`` to the ``kind`` file (households or members) of kab/kota ``kode``."""
        key = (kode, kind, tuple(table.column_names))
        if key not in self.open:
            where = self.folder / kode.replace(".", "")
            where.mkdir(mode=0o700, exist_ok=True)
            names = self.paths.setdefault(kode, [])
            count = sum(1 for path in names if path.name.startswith(kind.split(".")[0]))
            path = where / (kind if count == 0 else kind.replace(".parquet", f"_{count + 1}.parquet"))
            names.append(path)
            schema = table.schema.with_metadata({**(table.schema.metadata or {}), SPLIT_MARK: b"1"})
            handle = os.fdopen(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600), "wb")
            self.handles.append(handle)
            self.open[key] = pq.ParquetWriter(handle, schema)
        writer = self.open[key]
        writer.write_table(table.cast(writer.schema))
        self.rows[kode, kind] = self.rows.get((kode, kind), 0) + table.num_rows

    def close(self) -> None:
        """Finish every file (its Parquet footer) and close it."""
        for writer in self.open.values():
            writer.close()
        for handle in self.handles:
            handle.close()


@dataclass
class _Survey:
    """What the first pass over a register learns: each household row's kab/kota and its household ID."""

    kab: np.ndarray  # code position in ``codes`` per household row, -1 for none
    ids: pd.Index  # the household IDs, each once
    id_of: np.ndarray  # position in ``ids`` per household row, -1 for an empty ID
    rows: int


@dataclass(frozen=True)
class _Facts:
    """What the first pass keeps of one block of household rows."""

    kab: np.ndarray  # int16 position in the kab/kota codes, -1 for none
    bad: np.ndarray  # a reason other than a duplicate: another row of its group is kept first
    verified: np.ndarray  # verification date (NaT where none)
    keys: dict[str, pa.Array]  # the duplicate keys as text, null where empty


def _facts(households: pd.DataFrame, boundaries: gpd.GeoDataFrame, codes: pd.Index, snap: float) -> _Facts:
    """The first pass over one block: each row's kab/kota, checks and duplicate keys."""
    frame = coordinates_from_one_column(households.reset_index(drop=True))
    checks = row_checks(frame)
    kabkota = assign_kabkota(checks, boundaries, snap_distance_m=snap, index=frame.index)
    keys = {}
    for key, values in checks.keys(frame).items():
        text = pa.array(values.astype(str).to_numpy(dtype=object), type=pa.large_string())
        keys[key] = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.large_string()), text)
    return _Facts(
        codes.get_indexer(kabkota.fillna("")).astype(np.int16),
        checks.bad.to_numpy(dtype=bool),
        checks.verified.to_numpy(),
        keys,
    )


#: What a worker process of the first pass needs besides a block: boundaries, codes, snap distance.
_WORKER: dict[str, object] = {}


def _start_worker(boundaries: gpd.GeoDataFrame, codes: pd.Index, snap: float) -> None:
    _WORKER.update(boundaries=boundaries, codes=codes, snap=snap)


def _worker_facts(households: pd.DataFrame) -> _Facts:
    return _facts(households, **_WORKER)


def _all_facts(chunks: Iterator[object], boundaries: gpd.GeoDataFrame, codes: pd.Index, snap: float, workers: int):
    """The :class:`_Facts` of every block in order, computed by ``workers`` processes (1: in this one).

    At most ``workers + 1`` blocks wait for a worker, so memory stays that of a few blocks.
    """
    blocks = (chunk.households for chunk in chunks if len(chunk.households))
    read = 0
    if workers <= 1:
        for households in blocks:
            read = _progress(1, read, len(households))
            yield _facts(households, boundaries, codes, snap)
        return
    context = multiprocessing.get_context("spawn")  # no fork of a process holding threads
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(boundaries, codes, snap)
    ) as pool:
        waiting: deque = deque()
        for households in blocks:
            read = _progress(1, read, len(households))
            waiting.append(pool.submit(_worker_facts, households))
            while len(waiting) > workers:
                yield waiting.popleft().result()
        while waiting:
            yield waiting.popleft().result()


def _survey(
    chunks: Iterator[object], boundaries: gpd.GeoDataFrame, codes: pd.Index, snap: float, *, workers: int = 1
) -> _Survey:
    """First pass: each household row's kab/kota, and duplicates moved to the kab/kota of the row kept.

    Only what decides this is kept per row (the checks that make a row
    ``bad``, its verification date, its three keys and its kab/kota), not
    the row, so a register larger than memory can be split.
    """
    kab, bad, verified, keys = [], [], [], {key: [] for key in C.DUPLICATE_KEYS}
    for facts in _all_facts(chunks, boundaries, codes, snap, workers):
        kab.append(facts.kab)
        bad.append(facts.bad)
        verified.append(facts.verified)
        for key, values in facts.keys.items():
            keys[key].append(values)
    if not kab:
        return _Survey(np.array([], dtype=np.int64), pd.Index([]), np.array([], dtype=np.int64), 0)
    positions, ids = {}, None
    for key, parts in keys.items():  # each key as a number per row; only the family IDs' texts are kept
        positions[key], uniques = pd.factorize(pd.Series(pd.arrays.ArrowExtensionArray(pa.chunked_array(parts))))
        ids = uniques if key == C.ID_KELUARGA else ids
    keys.clear()
    where = np.concatenate(kab)
    keeper = duplicate_keepers(
        [pd.Series(numbers).where(numbers >= 0) for numbers in positions.values()],
        bad=np.concatenate(bad),
        verified=pd.Series(np.concatenate(verified)),
    )
    # a duplicate goes where the row validation keeps lives; a kept row may itself repeat another row
    # by a later key (same family ID as one row, same KK as another): the whole chain goes to its end
    root = np.where(keeper >= 0, keeper, np.arange(len(keeper)))
    while not np.array_equal(root[root], root):  # pointer jumping: each step halves every chain
        root = root[root]
    moved = keeper >= 0
    where[moved] = where[root[moved]]
    return _Survey(where, pd.Index(ids), positions[C.ID_KELUARGA], len(where))


#: Household rows between two progress lines of a split.
PROGRESS_ROWS: int = 1_000_000


def _progress(step: int, before: int, rows: int) -> int:
    """Log the rows read by pass ``step`` each time it passes a multiple of :data:`PROGRESS_ROWS`."""
    after = before + rows
    if after // PROGRESS_ROWS > before // PROGRESS_ROWS:
        logger.info("splitting the register, pass %d of 2: %s household rows read", step, f"{after:,}")
    return after


def _homes(survey: _Survey) -> np.ndarray:
    """The kab/kota of each household ID: that of its first row with one (-1 for none)."""
    home = np.full(len(survey.ids), -1, dtype=np.int64)
    placed = (survey.id_of >= 0) & (survey.kab >= 0)
    first = pd.Series(survey.kab[placed], index=survey.id_of[placed])
    first = first[~first.index.duplicated()]
    home[first.index.to_numpy()] = first.to_numpy()
    return home


def split_register(
    households: pd.DataFrame,
    members: pd.DataFrame,
    boundaries: gpd.GeoDataFrame,
    *,
    folder: Path,
    snap_distance_m: float,
) -> tuple[list[Part], pd.DataFrame, pd.DataFrame]:
    """:func:`split_chunks` of a register held in memory (its households and members as one chunk)."""

    def chunks() -> Iterator[object]:
        yield SimpleNamespace(households=households, members=pd.DataFrame())
        yield SimpleNamespace(households=pd.DataFrame(), members=members)

    return split_chunks(chunks, boundaries, folder=folder, snap_distance_m=snap_distance_m)


def split_chunks(
    chunks: Callable[[], Iterator[object]],
    boundaries: gpd.GeoDataFrame,
    *,
    folder: Path,
    snap_distance_m: float,
    workers: int = 1,
) -> tuple[list[Part], pd.DataFrame, pd.DataFrame]:
    """Write each kab/kota's households, members and kelurahan into ``folder/<kode>/``, a chunk at a time.

    The register is read twice (``chunks()`` is called twice and must give
    the same rows in the same order): first to place every household row
    and resolve duplicates for the whole province, then to write the rows.
    Memory holds one chunk and a few numbers per household, so a register
    larger than memory can be split.

    Parameters
    ----------
    chunks
        Gives consecutive parts of the register, each with ``households``
        and ``members`` tables (:func:`pipeline.ingest.households.register_chunks`).
    boundaries
        The province's cleaned kelurahan, EPSG:4326.
    folder
        Emptied first; made 0700.
    snap_distance_m
        See :func:`assign_kabkota`.
    workers
        Processes checking and placing the blocks of the first pass (the
        blocks are independent until duplicates are resolved); 1 does it here.

    Returns
    -------
    parts, quarantine, unlinked
        One :class:`Part` per kab/kota with households, in code order; the
        household rows of no kab/kota (with ``alasan`` and ``tahap``); the
        member rows of no household.

    Raises
    ------
    ValidationError
        If the register lacks a required column.
    """
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, mode=0o700)
    os.chmod(folder, 0o700)
    region = kabkota_of(boundaries[C.KODE_KEL])
    codes = pd.Index(sorted(set(region)))
    survey = _survey(chunks(), boundaries, codes, snap_distance_m, workers=workers)
    home = _homes(survey)
    writers, quarantine, unlinked, done = _Writers(folder), [], [], 0
    try:
        for chunk in chunks():
            rows = chunk.households
            if len(rows):
                kab = survey.kab[done : done + len(rows)]
                done = _progress(2, done, len(rows))
                quarantine.append(rows.loc[kab < 0].assign(**{C.ALASAN: NO_KABKOTA, C.TAHAP: STAGE}))
                writers.append_by(codes, kab, HOUSEHOLDS_FILE, rows)
            people = chunk.members
            if len(people):
                if C.ID_KELUARGA in people:
                    found = survey.ids.get_indexer(strip_id(column_text(people, C.ID_KELUARGA)).to_numpy(dtype=object))
                    kab = np.where(found >= 0, home[np.maximum(found, 0)], -1)
                else:
                    kab = np.full(len(people), -1)
                unlinked.append(people.loc[kab < 0].assign(**{C.ALASAN: NO_HOUSEHOLD, C.TAHAP: STAGE}))
                writers.append_by(codes, kab, MEMBERS_FILE, people)
    finally:
        writers.close()
    if done != survey.rows:
        raise RuntimeError(f"the register gave {done} household rows on its second reading, {survey.rows} on its first")
    parts = []
    for kode in sorted(writers.paths):
        where = folder / kode.replace(".", "")
        boundary_path = where / BOUNDARIES_FILE
        boundaries.loc[(region == kode).to_numpy()].to_file(boundary_path, layer="kelurahan", driver="GPKG")
        households = writers.rows.get((kode, HOUSEHOLDS_FILE), 0)
        paths = sorted(writers.paths[kode], key=lambda path: not path.name.startswith("rumah_tangga"))
        parts.append(Part(kode, households, writers.rows.get((kode, MEMBERS_FILE), 0), boundary_path, tuple(paths)))
    quarantine = pd.concat(quarantine, ignore_index=True) if quarantine else pd.DataFrame()
    unlinked = pd.concat(unlinked, ignore_index=True) if unlinked else pd.DataFrame()
    logger.info("split %d household rows into %d kab/kota (%d in none)", survey.rows, len(parts), len(quarantine))
    return parts, quarantine, unlinked
