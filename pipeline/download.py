"""Download official boundary files listed in ``shapes/sources.toml``.

This is the one place that may use the network, and only when a data officer
asks for it (``make shapes REGION=...``). Every file is checked against its
sha256 before it is used; a mismatch is refused. Offices without internet set
``KANTONG_SHAPES_MIRROR`` to a local folder (or a base URL) holding the same
files under each entry's ``mirror_path``.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import tomllib
import urllib.parse
import urllib.request
from dataclasses import dataclass, fields
from pathlib import Path

from .errors import ConfigError, InputError
from .ingest.boundaries import read_boundaries
from .ingest.inputs import sha256_of
from .publish.files import to_text
from .publish.write import to_geopackage

logger = logging.getLogger(__name__)

MIRROR_ENV: str = "KANTONG_SHAPES_MIRROR"
TIMEOUT_S: float = 60.0
_TABLE_HEADER = "| file | region | source | date | licence | CRS | notes |"


@dataclass(frozen=True)
class BoundaryDownload:
    """One entry of ``shapes/sources.toml``."""

    name: str
    region: str
    url: str
    sha256: str
    mirror_path: str
    source: str
    date: str
    licence: str
    crs: str


def read_sources(path: str | Path) -> dict[str, BoundaryDownload]:
    """Read ``shapes/sources.toml``.

    Raises
    ------
    ConfigError
        If the file is missing or an entry lacks a key.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path} not found; it lists the boundary files `make shapes` can download")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    wanted = [f.name for f in fields(BoundaryDownload) if f.name != "name"]
    entries = {}
    for name, raw in data.items():
        missing = [k for k in wanted if k not in raw]
        if missing:
            raise ConfigError(f"{path} [{name}]: missing {', '.join(missing)}")
        entries[name] = BoundaryDownload(name=name, **{k: str(raw[k]) for k in wanted})
    return entries


def _retrieve(location: str, target: Path) -> None:
    parsed = urllib.parse.urlparse(location)
    if parsed.scheme in ("http", "https"):
        with urllib.request.urlopen(location, timeout=TIMEOUT_S) as response, target.open("wb") as out:
            shutil.copyfileobj(response, out)
    else:
        source = Path(parsed.path if parsed.scheme == "file" else location)
        if not source.is_file():
            raise InputError(f"{source} not found in the mirror; check {MIRROR_ENV}")
        shutil.copyfile(source, target)


def fetch_boundaries(entry: BoundaryDownload, *, out_dir: str | Path, mirror: str | None = None) -> Path:
    """Download (or copy from a mirror) one boundary file, verify it, convert it.

    Parameters
    ----------
    entry
        The entry of ``shapes/sources.toml``.
    out_dir
        Where ``<name>.gpkg`` goes (normally ``shapes/``); its README gets a row.
    mirror
        A folder or base URL holding the files under ``mirror_path``;
        defaults to the environment variable ``KANTONG_SHAPES_MIRROR``.

    Returns
    -------
    Path
        The GeoPackage written.

    Raises
    ------
    InputError
        If the download fails or its sha256 differs from the listed one.
    """
    out_dir = Path(out_dir)
    mirror = mirror if mirror is not None else os.environ.get(MIRROR_ENV)
    if mirror:
        base = mirror if "://" in mirror else str(Path(mirror).resolve())
        location = base.rstrip("/") + "/" + entry.mirror_path
    else:
        location = entry.url
    suffix = Path(urllib.parse.urlparse(entry.url).path).suffix or ".dat"
    with tempfile.TemporaryDirectory() as tmp:
        download = Path(tmp) / f"{entry.name}{suffix}"
        logger.info("fetching %s from %s", entry.name, location)
        try:
            _retrieve(location, download)
        except OSError as exc:
            raise InputError(
                f"{entry.name}: could not fetch {location} ({exc}); set {MIRROR_ENV} to a local copy"
            ) from None
        digest = sha256_of(download)
        if digest != entry.sha256:
            raise InputError(
                f"{entry.name}: sha256 of {location} is {digest}, but shapes/sources.toml lists {entry.sha256}; "
                "the file changed or is corrupt, so it is not used"
            )
        layer = read_boundaries(download)
        target = to_geopackage(
            {"kelurahan": layer},
            out_dir / f"{entry.name}.gpkg",
            descriptions={"kelurahan": f"{entry.region}: {entry.source}, {entry.licence}"},
            public=False,  # an input boundary file; its lat/lng columns are polygon centroids, not households
        )
    record_in_readme(entry, out_dir / "README.md", target.name)
    logger.info("%s: %d polygons verified (sha256 %s…) -> %s", entry.name, len(layer), digest[:12], target)
    return target


def record_in_readme(entry: BoundaryDownload, readme: Path, file_name: str) -> None:
    """Add (or replace) the file's row in the table of ``shapes/README.md``."""
    row = (
        f"| {file_name} | {entry.region} | {entry.source} ({entry.url}) | {entry.date} | {entry.licence} | "
        f"{entry.crs} | downloaded by `make shapes`, sha256 {entry.sha256[:16]}… |"
    )
    lines = (
        readme.read_text(encoding="utf-8").splitlines()
        if readme.exists()
        else [_TABLE_HEADER, "|---|---|---|---|---|---|---|"]
    )
    lines = [
        line
        for line in lines
        if not line.startswith(f"| {file_name} |") and not line.startswith("| *(none committed)*")
    ]
    try:
        at = lines.index(_TABLE_HEADER) + 2
    except ValueError:
        lines += ["", _TABLE_HEADER, "|---|---|---|---|---|---|---|"]
        at = len(lines)
    lines.insert(at, row)
    to_text("\n".join(lines) + "\n", readme)
