"""What a region's build computes once per input file, kept under ``outputs/<region>/cache/``.

An entry is a folder ``<name>/<key>/`` of Parquet tables and a
``selesai.json`` (written last: an entry without it is ignored). The key is
a digest of everything the result depends on: the input files' sha256, the
settings, and the source of the code that computes it (:func:`code_digest`),
so an edited boundary file, a changed setting or a new pipeline version all
compute afresh, and nothing stale is ever read. Only one entry per name is
kept.

A build reads entries from the published folder and writes the ones it
used into its staging folder (:mod:`pipeline.publish.files`), so a failed
build leaves no half entry, and the entries are published with the outputs
they served.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import geopandas as gpd
import pandas as pd

DONE: str = "selesai.json"


@dataclass
class CacheEntry:
    """Tables computed once, and the key they were computed for."""

    name: str
    key: str
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)


def code_digest(*modules: ModuleType) -> str:
    """A digest of the source files of ``modules``: a changed computation never reads an old result."""
    digest = hashlib.sha256()
    for module in modules:
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()


def cache_key(*parts: object) -> str:
    """A short digest of the parts (file digests, settings), for an entry's folder name."""
    return hashlib.sha256(json.dumps([str(p) for p in parts]).encode("utf-8")).hexdigest()[:32]


def read_entry(cache: Path | None, name: str, key: str) -> CacheEntry | None:
    """The entry ``name`` for ``key``, or None when there is none (or the cache is off)."""
    if cache is None:
        return None
    folder = cache / name / key
    if not (folder / DONE).is_file():
        return None
    meta = json.loads((folder / DONE).read_text(encoding="utf-8"))
    frames = {}
    for table, geo in meta.pop("tabel", {}).items():
        path = folder / f"{table}.parquet"
        frames[table] = gpd.read_parquet(path) if geo else pd.read_parquet(path)
    return CacheEntry(name, key, frames, meta)


def write_entry(cache: Path, entry: CacheEntry) -> None:
    """Write ``entry`` under ``cache``, replacing any other entry of its name."""
    shutil.rmtree(cache / entry.name, ignore_errors=True)
    folder = cache / entry.name / entry.key
    folder.mkdir(parents=True)
    tables = {}
    for table, frame in entry.frames.items():
        frame.to_parquet(folder / f"{table}.parquet")
        tables[table] = isinstance(frame, gpd.GeoDataFrame)
    meta = {**entry.meta, "tabel": tables}
    (folder / DONE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")  # last
