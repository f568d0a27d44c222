"""``kantong pantau``: rebuild a region when its register or verification exports change, like Bontang's 5 minutes.

Every ``interval`` the watcher re-reads the region TOML, lists the input
files (a ``[[verification]]`` pattern such as ``verifikasi/*.xlsx`` picks up
new exports) and rebuilds when one is newer than the region's
``ringkasan.json`` — the rule ``make maps`` follows — or when the set of
files changed. It never reads a file half-written:

* a file is used only once its size and modification time have stayed the
  same for ``settle`` seconds;
* names marking a download or copy in progress (``.part``, ``.tmp``, a
  leading dot, ``~$``) are not read; a completed rename is.

Two watchers never run for one region (a lock file beside its outputs), and
a build never overlaps ``make maps`` (the region's own lock). A bad export
(damaged, another region's form, unknown columns) is reported and left out
of the build; a build that fails is reported and the loop goes on.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from . import survey as S
from .config import load_config
from .errors import ConfigError, OutputError, PipelineError
from .ingest.inputs import export_files, input_files
from .ingest.visits import read_submissions
from .publish.files import region_lock
from .run import run_region
from .settings import RegionConfig, VerificationSource

logger = logging.getLogger(__name__)

_INTERVAL = re.compile(r"^\s*(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>s|m|h|detik|menit|jam)?\s*$")
_SECONDS = {"s": 1, "detik": 1, "m": 60, "menit": 60, "h": 3600, "jam": 3600}


def parse_interval(text: str) -> float:
    """``"5m"`` -> 300.0; ``"30s"``, ``"1h"``, ``"90"`` (seconds), ``"5 menit"``.

    Raises
    ------
    ConfigError
        If the text is not a number with an optional unit.
    """
    match = _INTERVAL.match(str(text).lower())
    if match is None or float(match["n"]) <= 0:
        raise ConfigError(f"interval '{text}' is not a duration; write e.g. 5m, 30s or 1h")
    return float(match["n"]) * _SECONDS[match["unit"] or "s"]


def _state(paths: list[Path]) -> dict[Path, tuple[int, int]]:
    out = {}
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            continue
        out[path] = (stat.st_size, stat.st_mtime_ns)
    return out


def settled(config: RegionConfig, *, settle: float, sleep: Callable[[float], None] = time.sleep) -> dict:
    """The input files' (size, mtime), taken twice ``settle`` seconds apart until they agree.

    A file still growing (a copy, a download) changes between the two looks,
    so it is looked at again; a build only starts on files that stood still.
    """
    before = _state(input_files(config))
    while True:
        sleep(settle)
        after = _state(input_files(config))
        if after == before:
            return after
        logger.info("pantau: %d file(s) still changing; waiting", len(set(after.items()) ^ set(before.items())))
        before = after


def _good_exports(config: RegionConfig) -> tuple[RegionConfig, list[str]]:
    """The config with unreadable verification exports left out, and one line per file left out."""
    form_id = f"{S.FORM_ID_PREFIX}{config.slug}"
    problems, sources = [], []
    for source in config.verification:
        good = []
        for path in export_files(source.paths):
            try:
                read_submissions(path, form_id=form_id)
                good.append(path)
            except PipelineError as exc:
                problems.append(f"{exc}; left out of this build")
        sources.append(VerificationSource(paths=tuple(good), max_gps_accuracy_m=source.max_gps_accuracy_m))
    return dataclasses.replace(config, verification=tuple(sources)), problems


def watch(
    region: Path,
    *,
    out_dir: Path,
    interval: float,
    settle: float = 2.0,
    cycles: int = 0,
    report: Callable[[str], None] = logger.info,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Watch a region and rebuild it when its inputs change; returns the number of builds.

    Parameters
    ----------
    region
        The region TOML (re-read every cycle).
    out_dir
        The outputs folder.
    interval
        Seconds between looks.
    settle
        Seconds a file must stand still before it is read.
    cycles
        Stop after this many looks (0: run until stopped, Ctrl+C).
    report
        Where each event is told (the CLI prints it).

    Raises
    ------
    OutputError
        If another ``kantong pantau`` watches the same region.
    """
    slug = region.stem
    builds = 0
    built: dict | None = None
    failed: dict | None = None
    try:
        with region_lock(Path(out_dir) / f"{slug}.pantau"):
            for n in _count(cycles):
                if n:
                    sleep(interval)
                try:
                    config = load_config(region)
                except PipelineError as exc:
                    report(f"pantau: {exc}; waiting for a fixed config")
                    continue
                state = settled(config, settle=settle, sleep=sleep)
                summary = Path(out_dir) / config.slug / "ringkasan.json"
                made = summary.stat().st_mtime_ns if summary.exists() else -1
                newer = {p for p, (_, m) in state.items() if m > made}
                stale = bool(newer)
                if (not stale and built is not None and set(state) == set(built)) or state == failed:
                    continue
                if not stale and built is None:
                    built = state
                    report(f"pantau: {config.slug} is up to date; watching every {interval:g} s")
                    continue
                changed = sorted(p.name for p in (set(state) ^ set(built or {})) | newer)
                unfiltered = config
                config, problems = _good_exports(config)
                for problem in problems:
                    report(f"pantau: {problem}")
                try:
                    summary_data = run_region(config, out_dir=out_dir)
                except PipelineError as exc:
                    report(f"pantau: build of {config.slug} failed: {exc}; the previous outputs stay")
                    failed = state
                else:
                    builds += 1
                    rows = summary_data["baris"]
                    report(
                        f"pantau: rebuilt {config.slug} ({', '.join(changed[:5]) or 'inputs changed'}): "
                        f"{rows['masuk']} rows in = {rows['diterima']} accepted + {rows['dikarantina']} quarantined"
                    )
                built = _state(input_files(unfiltered))  # a bad export counts as seen: no rebuild loop
    except OutputError:
        raise OutputError(
            f"another kantong pantau is watching {slug} (lock {Path(out_dir) / f'.{slug}.pantau.lock'}); stop it first"
        ) from None
    return builds


def _count(cycles: int) -> Iterator[int]:
    n = 0
    while cycles <= 0 or n < cycles:
        yield n
        n += 1
