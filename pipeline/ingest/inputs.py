"""The files a region's build reads: the one list that ``make maps`` (``masukan.d``) and ``kantong pantau`` watch."""

from __future__ import annotations

import functools
import hashlib
import os
import re
from pathlib import Path

from ..config import is_pattern
from ..settings import RegionConfig

#: File names that are still being written or are an editor's lock: never read.
_UNFINISHED = re.compile(r"^(?:\.|~\$)|(?:\.part|\.tmp|\.crdownload|\.download|~)$", re.IGNORECASE)


def export_files(paths: tuple[Path, ...] | list[Path]) -> list[Path]:
    """The export files named by ``[[verification]] paths``: a pattern (``verifikasi/*.xlsx``) is expanded.

    Files whose name marks them as unfinished (``.part``, ``.tmp``, a leading
    dot, Excel's ``~$`` lock) are left out: a download or copy in progress is
    read once it is renamed to its final name.
    """
    files: list[Path] = []
    for path in paths:
        if is_pattern(path):
            files += [p for p in sorted(path.parent.glob(path.name)) if p.is_file() and not _UNFINISHED.search(p.name)]
        else:
            files.append(path)
    return files


def input_files(config: RegionConfig) -> list[Path]:
    """Every file a build of the region reads, ``[[verification]]`` patterns expanded."""
    return [
        config.boundaries.path,
        *config.households.paths,
        *(p for s in config.progress.snapshots for p in s.paths),
        *(p for program in config.programs for p in program.beneficiaries),
        *(p for source in config.verification for p in export_files(source.paths)),
        *([config.basemap] if config.basemap else []),
    ]


def sha256_of(path: str | os.PathLike[str]) -> str:
    """The sha256 of a file, read in 1 MiB blocks (input records, download checks, cache keys).

    A build asks for the same file more than once (the boundary file and the
    OpenStreetMap extract: for their cache keys and for the input records);
    it is read once, for as long as its size and modification time stay the same.
    """
    path = Path(path).resolve()
    stat = path.stat()
    return _sha256(path, stat.st_size, stat.st_mtime_ns, stat.st_ino)


@functools.lru_cache(maxsize=256)
def _sha256(path: Path, size: int, mtime_ns: int, inode: int) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pattern_folders(config: RegionConfig) -> list[Path]:
    """The folders of ``[[verification]]`` patterns: a new export dropped there is a change of the inputs."""
    return sorted({p.parent for source in config.verification for p in source.paths if is_pattern(p)})
