"""Download official boundary files listed in ``shapes/sources.toml``.

This is the one place that may use the network, and only when a data officer
asks for it (``make shapes REGION=...``). Every file is checked against its
sha256 before it is used; a mismatch is refused. Offices without internet set
``KANTONG_SHAPES_MIRROR`` to a local folder (or a base URL) holding the same
files under each entry's ``mirror_path``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
import tomllib
import urllib.parse
import urllib.request
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

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


def _entries(path: str | Path, kind: type, what: str) -> dict[str, Any]:
    """The entries of a sources file as ``kind`` dataclasses (every field but ``name`` required)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path} not found; it lists the {what}")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    wanted = [f.name for f in fields(kind) if f.name != "name"]
    entries = {}
    for name, raw in data.items():
        missing = [k for k in wanted if k not in raw]
        if missing:
            raise ConfigError(f"{path} [{name}]: missing {', '.join(missing)}")
        values = {k: tuple(raw[k]) if isinstance(raw[k], list) else str(raw[k]) for k in wanted}
        entries[name] = kind(name=name, **values)
    return entries


def read_sources(path: str | Path) -> dict[str, BoundaryDownload]:
    """Read ``shapes/sources.toml``.

    Raises
    ------
    ConfigError
        If the file is missing or an entry lacks a key.
    """
    return _entries(path, BoundaryDownload, "boundary files `make shapes` can download")


def _location(url: str, mirror_path: str, mirror: str | None) -> str:
    """Where to fetch from: the mirror (a folder or base URL) when one is set, else the URL."""
    if not mirror:
        return url
    base = mirror if "://" in mirror else str(Path(mirror).resolve())
    return base.rstrip("/") + "/" + mirror_path


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
    location = _location(entry.url, entry.mirror_path, mirror if mirror is not None else os.environ.get(MIRROR_ENV))
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


BASEMAP_MIRROR_ENV: str = "KANTONG_OSM_MIRROR"


@dataclass(frozen=True)
class ExtractDownload:
    """One entry of ``shapes/basemaps.toml``: an OpenStreetMap extract and the regions it holds."""

    name: str
    regions: tuple[str, ...]
    url: str
    sha256: str
    mirror_path: str
    source: str
    licence: str


def read_extract_sources(path: str | Path) -> dict[str, ExtractDownload]:
    """Read ``shapes/basemaps.toml``.

    Raises
    ------
    ConfigError
        If the file is missing or an entry lacks a key.
    """
    return _entries(path, ExtractDownload, "OpenStreetMap extracts `make basemap` can download")


def extract_for(region: str, entries: dict[str, ExtractDownload], *, sources: Path) -> ExtractDownload:
    """The entry whose ``regions`` hold ``region`` (or the entry called so)."""
    for entry in entries.values():
        if region == entry.name or region in entry.regions:
            return entry
    known = sorted({r for e in entries.values() for r in e.regions})
    raise ConfigError(
        f"{sources}: no extract lists region '{region}'; add its slug to the 'regions' of the island's entry "
        f"(listed: {', '.join(known)})"
    )


def _md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_extract(
    entry: ExtractDownload, *, out_dir: str | Path, sources: Path, mirror: str | None = None, pin: bool = False
) -> Path:
    """Download (or copy from a mirror) one OpenStreetMap extract and verify its sha256.

    An entry whose sha256 is still empty (Geofabrik's ``-latest`` files
    change daily) is refused unless ``pin``: the file is then checked against
    the ``.md5`` its publisher puts beside it, and its sha256 is written into
    ``sources``, so that every later copy (a colleague's, the office mirror's)
    must be that same file.

    Returns
    -------
    Path
        ``<out_dir>/<name>.osm.pbf``. A file already there with the listed
        sha256 is kept as it is (a second ``make basemap`` does nothing).

    Raises
    ------
    InputError
        If the download fails, or its sha256 (or md5) differs.
    """
    target = Path(out_dir) / f"{entry.name}.osm.pbf"
    if entry.sha256 and target.is_file() and sha256_of(target) == entry.sha256.lower():
        logger.info("%s: %s is up to date (sha256 %s…)", entry.name, target, entry.sha256[:12])
        return target
    if not entry.sha256 and not pin:
        raise InputError(
            f"{sources} [{entry.name}]: no sha256 listed yet, so a download cannot be checked; run "
            f"`make basemap REGION={entry.regions[0] if entry.regions else entry.name} PIN=1` once (it checks the "
            f"publisher's .md5 and writes the sha256 into {sources.name}), then share that file"
        )
    mirror = mirror if mirror is not None else os.environ.get(BASEMAP_MIRROR_ENV)
    location = _location(entry.url, entry.mirror_path, mirror)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")  # never read: the basemap reader skips nothing, make waits
    logger.info("fetching %s from %s", entry.name, location)
    try:
        _retrieve(location, partial)
        if pin and not entry.sha256:
            _retrieve(location + ".md5", partial.with_suffix(".md5"))
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise InputError(
            f"{entry.name}: could not fetch {location} ({exc}); set {BASEMAP_MIRROR_ENV} to a folder holding a copy"
        ) from None
    digest = sha256_of(partial)
    if entry.sha256 and digest != entry.sha256.lower():
        partial.unlink()
        raise InputError(
            f"{entry.name}: sha256 of {location} is {digest}, but {sources.name} lists {entry.sha256}; "
            "the file changed or is corrupt, so it is not used"
        )
    if not entry.sha256:
        md5_file = partial.with_suffix(".md5")
        published = md5_file.read_text(encoding="utf-8", errors="replace").split()[:1]
        md5_file.unlink()
        if published != [_md5_of(partial)]:
            partial.unlink()
            raise InputError(
                f"{entry.name}: the md5 of {location} does not match the publisher's {location}.md5; not used"
            )
        _pin(sources, entry.name, digest)
    os.replace(partial, target)
    logger.info("%s: verified (sha256 %s…) -> %s", entry.name, digest[:12], target)
    return target


def _pin(sources: Path, name: str, digest: str) -> None:
    """Write ``sha256 = "<digest>"`` into the entry ``name`` of the sources file."""
    text = sources.read_text(encoding="utf-8")
    pattern = re.compile(rf'(?ms)(^\[{re.escape(name)}\]\s*$.*?^sha256\s*=\s*)""')
    text, count = pattern.subn(rf'\g<1>"{digest}"', text, count=1)
    if count != 1:
        raise InputError(f"{sources} [{name}]: could not write the sha256 {digest}; add it by hand")
    to_text(text, sources)
