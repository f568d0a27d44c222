"""Many regions as tasks on Dask distributed (``kantong run-many``).

The unit of work is a region (a kab/kota): its indicators and pockets do
not depend on any other region, so each region is one task that reads its
own inputs, runs the whole pipeline and writes its outputs atomically
(:func:`pipeline.run.run_region`). Splitting the spatial join itself across
workers was measured slower than plain ``sjoin`` on two cores; regions are
the natural grain.

- Locally, a ``LocalCluster`` of worker *processes* sized to the machine
  (:func:`default_workers`); ``--scheduler tcp://host:8786`` uses a running
  cluster instead, whose workers must see the same paths (shared storage).
- A region with bad input or a bad configuration fails at once with its
  one-line message (retrying cannot fix a file); any other failure, a
  crash or a lost worker, is retried (``retries``). A failed region never
  stops the others.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .config import load_config
from .errors import CapturedWarnings, ConfigError, PipelineError
from .run import rows_line, run_region, validation_rows
from .settings import RegionConfig

logger = logging.getLogger(__name__)

#: Peak memory one region of a kab/kota needs, with room (measured: a 110,000-household city about 1 GB).
REGION_MEMORY_BYTES: int = 3 * 1024**3


@dataclass(frozen=True)
class RegionResult:
    """What became of one region's task."""

    config: str
    slug: str
    ok: bool
    seconds: float
    message: str
    worker: str = ""
    warnings: tuple[str, ...] = field(default=())
    #: The validation table of the summary: (stage, reason, rows).
    validation: tuple[tuple[str, str, int], ...] = field(default=())


def run_one(config_path: str | RegionConfig, out_dir: str, restricted: bool = True) -> RegionResult:
    """Run one region (in a worker). Bad input is a failed result; anything else raises, to be retried.

    ``config_path`` is a region TOML, or a configuration already made (a
    kab/kota of a province run, :mod:`pipeline.province`).

    The warnings the run logs are returned with the result, so that the
    user sees them where the command was typed, not in a worker's log.
    """
    try:
        from distributed import get_worker

        worker = get_worker().address
    except (ImportError, ValueError):
        worker = ""
    collect = CapturedWarnings()
    pipeline_logger = logging.getLogger("pipeline")
    pipeline_logger.addHandler(collect)
    start = time.perf_counter()
    slug = _name(config_path)
    try:
        config = config_path if isinstance(config_path, RegionConfig) else load_config(config_path)
        slug = config.slug
        summary = run_region(config, out_dir=out_dir, restricted=restricted)
    except PipelineError as error:
        return RegionResult(_label(config_path), slug, False, time.perf_counter() - start, str(error), worker)
    finally:
        pipeline_logger.removeHandler(collect)
    seconds = time.perf_counter() - start
    return RegionResult(
        _label(config_path),
        slug,
        True,
        seconds,
        rows_line(summary),
        worker,
        tuple(collect.messages),
        validation_rows(summary),
    )


def _name(config: str | RegionConfig) -> str:
    """A region's name before its file is read: its slug, or the TOML file's stem."""
    return config.slug if isinstance(config, RegionConfig) else Path(config).stem


def _label(config: str | RegionConfig) -> str:
    """What a result calls its region's configuration: the TOML path, or the slug of one made in code."""
    return config.slug if isinstance(config, RegionConfig) else str(config)


def default_workers(*, memory_bytes: int | None = None, cores: int | None = None) -> int:
    """Workers for a LocalCluster on this machine: one per core, as many as memory holds regions.

    Parameters
    ----------
    memory_bytes, cores
        The machine's memory and cores (read from the system when None).
    """
    cores = cores or os.cpu_count() or 1
    if memory_bytes is None:
        memory_bytes = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return max(1, min(cores, memory_bytes // REGION_MEMORY_BYTES))


def run_many(
    configs: Sequence[str | os.PathLike[str] | RegionConfig],
    *,
    out_dir: str | os.PathLike[str] = "outputs",
    workers: int | None = None,
    scheduler: str | None = None,
    retries: int = 1,
    restricted: bool = True,
    on_done: Callable[[RegionResult], None] | None = None,
) -> list[RegionResult]:
    """Run every region as a task on Dask distributed; return what became of each, in finishing order.

    Parameters
    ----------
    configs
        Region TOML files, or configurations already made.
    out_dir
        The outputs folder (``<out_dir>/<slug>/`` per region).
    workers
        Worker processes of the local cluster (default :func:`default_workers`);
        ignored with ``scheduler``.
    scheduler
        Address of a running scheduler (``tcp://host:8786``), or None for a local cluster.
    retries
        How many times a task that crashed (not bad input) is run again.
    restricted
        Write each region's restricted tier.
    on_done
        Called with each region's result as it finishes.

    Raises
    ------
    ConfigError
        Two configurations with the same slug (they would write one folder),
        or a scheduler that cannot be reached.
    """
    from distributed import Client, LocalCluster, as_completed

    paths = [p if isinstance(p, RegionConfig) else str(Path(p).resolve()) for p in configs]
    slugs: dict[str, str] = {}
    for path in paths:
        try:
            slug = path.slug if isinstance(path, RegionConfig) else load_config(path).slug
        except PipelineError:
            continue  # reported as that region's failure, by its task
        if slug in slugs:
            raise ConfigError(
                f"{_label(path)} and {slugs[slug]} both have slug "
                f"{slug!r}: they would write the same outputs/{slug}/. Give each region its own [region] slug"
            )
        slugs[slug] = _label(path)
    out = str(Path(out_dir).resolve())
    cluster = client = None
    try:
        if scheduler:
            try:
                client = Client(scheduler, timeout=10)
            except OSError as error:
                raise ConfigError(
                    f"no Dask scheduler answers at {scheduler} ({error}). Start one (dask scheduler) "
                    "or leave out --scheduler to use this machine"
                ) from None
        else:
            n = workers or default_workers()
            # dashboard on a free port (None does not turn it off: dask/distributed#8136)
            cluster = LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                memory_limit=0,  # workers are sized by memory (default_workers); no nanny kills a large region
                dashboard_address=":0",
                silence_logs=logging.ERROR,
            )
            client = Client(cluster)
        logger.info("running %d regions on %s", len(paths), client.scheduler.address)
        batch = uuid.uuid4().hex[:8]
        futures = [
            client.submit(
                run_one, path, out, restricted, key=f"kantong-{_name(path)}-{batch}", retries=retries, pure=False
            )
            for path in paths
        ]
        by_key = {f.key: path for f, path in zip(futures, paths, strict=True)}
        results: list[RegionResult] = []
        for future in as_completed(futures):
            if future.status == "error":
                error = future.exception()
                path = by_key[future.key]
                result = RegionResult(
                    _label(path),
                    _name(path),
                    False,
                    0.0,
                    f"{type(error).__name__}: {error} (after {retries + 1} attempts)",
                )
            else:
                result = future.result()
            results.append(result)
            if on_done:
                on_done(result)
        return results
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
