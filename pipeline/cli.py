"""Command line: ``kantong`` (or ``python -m pipeline``).

This is the only module that sets up logging and progress output.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import sys
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .config import load_config
from .errors import PipelineError

app = typer.Typer(
    help="kantong: find poverty pockets (kantong kemiskinan) from verified household registers.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)
logger = logging.getLogger("pipeline")


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False, show_time=False)],
        force=True,
    )
    if not verbose:  # Dask's own loggers carry their levels; their start/stop chatter is not the user's news
        logging.root.handlers[0].addFilter(
            lambda record: record.levelno >= logging.WARNING or not record.name.startswith(("distributed", "tornado"))
        )
    for noisy in ("pyogrio", "fiona"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _fail(exc: PipelineError) -> None:
    """Print a pipeline error plainly (no traceback) and exit with status 2."""
    console.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
    raise typer.Exit(code=2)


#: Where the traceback of an unexpected error is written (the user sees one line naming it).
CRASH_LOG_DIR: Path = Path(os.environ.get("TMPDIR", "/tmp"))


@contextlib.contextmanager
def _guarded() -> Iterator[None]:
    """Turn every failure into one line on the console: no traceback for the user.

    Pipeline errors (bad input, bad config) and operating-system errors
    (full disk, read-only folder, file-size limit) say what happened and
    how to fix it. Anything else is a bug: its traceback goes to a log file
    whose path is printed.
    """
    try:
        yield
    except PipelineError as exc:
        _fail(exc)
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except (OSError, MemoryError) as exc:
        where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        what = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        console.print(
            f"[red]error:[/red] could not read or write{escape(where)}: {escape(str(what))}. "
            "Check free disk space, file-size limits (ulimit -f) and that the folder is writable; "
            "the previous outputs are left as they were.",
            soft_wrap=True,
        )
        raise typer.Exit(code=2) from None
    except Exception as exc:  # a bug: keep the traceback for the report, show one line
        log = CRASH_LOG_DIR / f"kantong-error-{dt.datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}.log"
        try:
            log.write_text(traceback.format_exc(), encoding="utf-8")
            saved = f"the details are in {log}"
        except OSError:
            saved = "run again with --verbose for details"
        console.print(
            f"[red]error:[/red] unexpected {type(exc).__name__}: {escape(str(exc)[:200])}; {saved}. "
            "Please report it with that file.",
            soft_wrap=True,
        )
        raise typer.Exit(code=3) from None


def _validation_table(name: str, rows: Sequence[tuple[str, str, int]]) -> None:
    """Print a region's validation table: stage, reason, rows."""
    table = Table(title=f"Validasi — {name}", show_lines=False)
    for column in ("tahap", "alasan", "jumlah_baris"):
        table.add_column(column, justify="right" if column == "jumlah_baris" else "left")
    for stage, reason, count in rows:
        table.add_row(stage, reason, f"{count:,}".replace(",", "."))
    console.print(table)


Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Show debug messages.")]


@app.command()
def run(
    regions: Annotated[list[Path], typer.Argument(help="Region TOML file(s), e.g. regions/demo.toml.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Outputs folder.")] = Path("outputs"),
    restricted: Annotated[
        bool, typer.Option("--restricted/--no-restricted", help="Write the restricted tier (personal data) too.")
    ] = True,
    verbose: Verbose = False,
) -> None:
    """Run the whole pipeline for each region and write its map and GeoPackage."""
    from .run import STAGES, rows_line, run_region, validation_rows

    _setup_logging(verbose)
    with _guarded():
        for path in regions:
            config = load_config(path)
            with Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[stage]}"),
                TimeElapsedColumn(),
                console=console,
                transient=False,
            ) as progress:
                task = progress.add_task(config.name, total=len(STAGES), stage="")

                def on_stage(stage: str, task: int = task) -> None:
                    progress.update(task, completed=STAGES.index(stage), stage=stage)

                summary = run_region(config, out_dir=out, restricted=restricted, on_stage=on_stage)
                progress.update(task, completed=len(STAGES), stage="selesai")
            _validation_table(config.name, validation_rows(summary))
            console.print(f"{config.slug}: {rows_line(summary)} -> {out / config.slug}", soft_wrap=True, markup=False)


Workers = Annotated[
    int | None,
    typer.Option("--workers", "-w", min=1, help="Worker processes on this machine (default: sized to it)."),
]
Scheduler = Annotated[
    str | None, typer.Option("--scheduler", help="A running Dask scheduler, e.g. tcp://10.0.0.5:8786.")
]
Retries = Annotated[int, typer.Option(min=0, help="Runs again of a region whose task crashed.")]
Restricted = Annotated[
    bool, typer.Option("--restricted/--no-restricted", help="Write the restricted tier (personal data) too.")
]


def _reporter(failed: list) -> object:
    """A callback printing each region's result as it finishes (failed ones are appended to ``failed``)."""

    def done(result) -> None:  # a pipeline.many.RegionResult
        where = f" on {result.worker}" if result.worker else ""
        for warning in result.warnings:
            logger.warning("%s: %s", result.slug, warning)
        if result.ok:
            _validation_table(result.slug, result.validation)
            console.print(
                f"selesai: {result.slug}: {result.message} ({result.seconds:.1f} s{where})",
                markup=False,
                soft_wrap=True,
            )
        else:
            failed.append(result)
            console.print(f"gagal: {result.slug}: {result.message}", markup=False, style="red", soft_wrap=True)

    return done


@app.command("run-many")
def run_many(
    regions: Annotated[list[Path], typer.Argument(help="Region TOML files, e.g. regions/*.toml.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Outputs folder.")] = Path("outputs"),
    workers: Workers = None,
    scheduler: Scheduler = None,
    retries: Retries = 1,
    restricted: Restricted = True,
    verbose: Verbose = False,
) -> None:
    """Run many regions as tasks on Dask distributed: a local cluster, or --scheduler for a running one.

    Each region reads its inputs and writes its outputs on its own; a
    region that fails is reported (and, if it crashed, retried) without
    stopping the others. The exit status is 1 when any region failed.
    """
    from .many import run_many as run_tasks

    _setup_logging(verbose)
    failed: list = []
    with _guarded():
        options = {"workers": workers, "scheduler": scheduler, "retries": retries, "restricted": restricted}
        results = run_tasks(regions, out_dir=out, on_done=_reporter(failed), **options)
        _write_index(out)
    console.print(f"{len(results) - len(failed)} of {len(results)} regions built -> {out}", markup=False)
    if failed:
        raise typer.Exit(code=1)


@app.command()
def provinsi(
    region: Annotated[Path, typer.Argument(help="The province's region TOML (its boundaries hold several kab/kota).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Outputs folder.")] = Path("outputs"),
    workers: Workers = None,
    scheduler: Scheduler = None,
    retries: Retries = 1,
    restricted: Restricted = True,
    verbose: Verbose = False,
) -> None:
    """Split a province register by kab/kota, run each kab/kota as a task, and write the province overview.

    Each kab/kota is built as its own region (outputs/<province>_<code>/);
    the province gets an overview map linking to them, a GeoPackage and a
    summary (outputs/<province>/). The exit status is 1 when any kab/kota failed.
    """
    from .province import run_province

    _setup_logging(verbose)
    failed: list = []
    with _guarded():
        options = {"workers": workers, "scheduler": scheduler, "retries": retries, "restricted": restricted}
        done = run_province(region, out_dir=out, on_done=_reporter(failed), **options)
        _write_index(out)
    console.print(f"{done.line()} -> {out / done.summary['slug']}", markup=False, soft_wrap=True)
    if failed:
        raise typer.Exit(code=1)


@app.command()
def check(
    region: Annotated[Path, typer.Argument(help="Region TOML file, e.g. regions/demo.toml.")],
    verbose: Verbose = False,
) -> None:
    """Dry run: what the boundaries and registers hold and what would fail. Writes nothing."""
    from .check import check_region

    _setup_logging(verbose)
    out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 120)  # a log file gets wide tables
    with _guarded():
        report = check_region(load_config(region))
    out.print(f"[bold]{escape(report.region)}[/bold] — kantong check ({escape(str(region))})")
    problems = ", ".join(f"{k} {v}" for k, v in report.boundary_problems.items()) or "tidak ada"
    out.print(
        f"Batas wilayah: {report.kelurahan} kelurahan/desa, tata letak {escape(report.schema)}, CRS "
        f"{escape(report.crs)}; masalah: {escape(problems)}",
        markup=True,
    )
    for t in report.tables:
        sheet = f" [{t.sheet}]" if t.sheet else ""
        table = Table(title=f"{t.file}{sheet}: tabel {t.kind}, {t.rows} baris", title_justify="left")
        table.add_column("kolom kanonik")
        table.add_column("← kolom di file")
        for canonical, header in t.mapping:
            table.add_row(escape(canonical), escape(header))
        out.print(table)
        if t.unmapped:
            out.print(f"  tidak dipetakan: {escape(', '.join(t.unmapped))}")
        if t.located_share is not None:
            out.print(
                f"  berkoordinat: {100 * t.located_share:.0f} %; kode kelurahan ada di batas: "
                f"{100 * (t.known_code_share or 0):.0f} %"
            )
    out.print(
        f"Baris rumah tangga: {report.rows_in} masuk = {report.accepted} diterima + {report.quarantined} dikarantina"
    )
    if report.programmes:
        table = Table(title="Program: aturan kelayakan dapat dihitung dari register?", title_justify="left")
        for column in ("kode", "aturan", "dapat dihitung"):
            table.add_column(column)
        for code, rule, verdict in report.programmes:
            table.add_row(escape(code), escape(rule or "–"), escape(verdict))
        out.print(table)
    out.print("Target dan angka: " + escape("; ".join(f"{k}: {v}" for k, v in report.progress)))
    for text in report.warnings:
        out.print(f"[yellow]warning:[/yellow] {escape(text)}")
    for text in report.errors:
        out.print(f"[red]error:[/red] {escape(text)}")
    if report.errors:
        raise typer.Exit(code=1)
    out.print("[green]ok[/green]: no error; `kantong run` can build this region")


@app.command()
def init(
    slug: Annotated[
        str, typer.Argument(help="The region's short name: lower-case letters, digits and _, e.g. kupang.")
    ],
    boundaries: Annotated[Path, typer.Option("--boundaries", "-b", help="The kelurahan/desa boundary file.")],
    households: Annotated[
        list[Path] | None, typer.Option("--households", help="A register file (repeat for several).")
    ] = None,
    kecamatan: Annotated[
        Path | None, typer.Option("--kecamatan", help="A file or layer of kecamatan codes and names.")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="The region's name, if not in the official list.")] = None,
    folder: Annotated[Path, typer.Option("--regions", help="Folder for <slug>.toml.")] = Path("regions"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing <slug>.toml.")] = False,
    verbose: Verbose = False,
) -> None:
    """Write regions/<slug>.toml from what the boundary and register files hold."""
    import re

    from .onboard import draft_region
    from .publish.files import to_text

    _setup_logging(verbose)
    with _guarded():
        if not re.fullmatch(r"[a-z][a-z0-9_]*", slug):
            raise PipelineError(f"slug '{slug}' must be lower-case letters, digits and '_', e.g. kota_contoh")
        target = folder / f"{slug}.toml"
        if target.exists() and not force:
            raise PipelineError(f"{target} exists; choose another slug or pass --force to overwrite it")
        missing = [
            str(p) for p in (boundaries, *(households or []), *([kecamatan] if kecamatan else [])) if not p.exists()
        ]
        if missing:
            raise PipelineError(f"not found: {', '.join(missing)}; check the paths given to kantong init")
        folder.mkdir(parents=True, exist_ok=True)
        draft = draft_region(
            slug, boundaries=boundaries, households=list(households or []), folder=folder, kecamatan=kecamatan,
            name=name,
        )  # fmt: skip
        to_text(draft.text, target)
    out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 120)
    out.print(f"wrote {escape(str(target))}")
    for text in draft.found:
        out.print(f"  found: {escape(text)}")
    for text in draft.undecided:
        out.print(f"  [yellow]not decided:[/yellow] {escape(text)}")
    out.print(f"next: kantong check {escape(str(target))}, then make maps REGIONS={slug}")


@app.command()
def verifikasi(
    region: Annotated[Path, typer.Argument(help="Region TOML file, e.g. regions/demo.toml.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Outputs folder.")] = Path("outputs"),
    verbose: Verbose = False,
) -> None:
    """Write a field-verification round: who to visit, the XLSForm, one sheet per enumerator (restricted)."""
    from .run import field_round

    _setup_logging(verbose)
    with _guarded():
        folder, counts = field_round(load_config(region), out_dir=out)
    console.print(
        f"wrote {folder}: {counts['rumah_tangga']} households to visit in {counts['kelurahan']} kelurahan, "
        f"{counts['petugas']} enumerator sheets. Upload formulir_verifikasi.xlsx with daftar_kunjungan.csv "
        "(its media file) to ODK Central or KoboToolbox",
        soft_wrap=True,
        markup=False,
    )


@app.command()
def pantau(
    region: Annotated[Path, typer.Argument(help="Region TOML file, e.g. regions/kupang.toml.")],
    setiap: Annotated[str, typer.Option("--setiap", help="How often to look: 5m, 30s, 1h.")] = "5m",
    tenang: Annotated[float, typer.Option("--tenang", help="Seconds a file must stand still before it is read.")] = 2.0,
    kali: Annotated[int, typer.Option("--kali", help="Stop after this many looks (0: until Ctrl+C).")] = 0,
    out: Annotated[Path, typer.Option("--out", "-o", help="Outputs folder.")] = Path("outputs"),
    verbose: Verbose = False,
) -> None:
    """Watch a region's register and verification exports; rebuild when they change (Ctrl+C stops)."""
    from .watch import parse_interval, watch

    _setup_logging(verbose)

    def report(text: str) -> None:
        console.print(text, soft_wrap=True, markup=False)

    with _guarded():
        try:
            builds = watch(
                region, out_dir=out, interval=parse_interval(setiap), settle=tenang, cycles=kali, report=report
            )
        except KeyboardInterrupt:
            builds = None
    console.print(f"pantau: stopped ({'?' if builds is None else builds} builds)", markup=False)


@app.command()
def synth(
    regions: Annotated[list[Path], typer.Argument(help="Region TOML file(s) with a [synthetic] table.")],
    verbose: Verbose = False,
) -> None:
    """Generate synthetic inputs (boundaries for the demo, households for any region)."""
    from .demo.inputs import write_synthetic_inputs

    _setup_logging(verbose)
    with _guarded():
        for path in regions:
            for written in write_synthetic_inputs(load_config(path)):
                console.print(f"wrote {written}", soft_wrap=True, markup=False)


@app.command()
def shapes(
    names: Annotated[list[str], typer.Argument(help="Entries of shapes/sources.toml, e.g. bontang.")],
    sources: Annotated[Path, typer.Option(help="The list of downloadable files.")] = Path("shapes/sources.toml"),
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for <name>.gpkg.")] = Path("shapes"),
    verbose: Verbose = False,
) -> None:
    """Download official boundary files, verify their sha256, convert them to GeoPackage."""
    from .download import fetch_boundaries, read_sources

    _setup_logging(verbose)
    with _guarded():
        entries = read_sources(sources)
        unknown = [n for n in names if n not in entries]
        if unknown:
            raise PipelineError(f"{', '.join(unknown)} not in {sources}; listed: {', '.join(entries)}")
        for name in names:
            console.print(f"wrote {fetch_boundaries(entries[name], out_dir=out)}", soft_wrap=True, markup=False)


@app.command()
def basemap(
    region: Annotated[str, typer.Argument(help="A region slug (e.g. kupang) or an entry of shapes/basemaps.toml.")],
    sources: Annotated[Path, typer.Option(help="The list of extracts.")] = Path("shapes/basemaps.toml"),
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for <entry>.osm.pbf.")] = Path("shapes/osm"),
    pin: Annotated[
        bool, typer.Option(help="Accept an entry without sha256 after checking the publisher's .md5; record it.")
    ] = False,
    verbose: Verbose = False,
) -> None:
    """Download the OpenStreetMap extract of a region's island for the offline basemap, verifying its sha256."""
    from .download import extract_for, fetch_extract, read_extract_sources

    _setup_logging(verbose)
    with _guarded():
        entry = extract_for(region, read_extract_sources(sources), sources=sources)
        path = fetch_extract(entry, out_dir=out, sources=sources, pin=pin)
        console.print(f"ready: {path}", soft_wrap=True, markup=False)
        console.print(
            f'in regions/{region}.toml: [basemap] osm = "../{path.as_posix()}"'
            if not path.is_absolute()
            else f'in the region TOML: [basemap] osm = "{path}"',
            soft_wrap=True,
            markup=False,
        )


@app.command()
def index(
    out: Annotated[Path, typer.Argument(help="Outputs folder holding <region>/ringkasan.json.")] = Path("outputs"),
    verbose: Verbose = False,
) -> None:
    """Write <out>/index.html listing every region built so far."""
    _setup_logging(verbose)
    with _guarded():
        _write_index(out)


def _write_index(out: Path) -> None:
    """Write ``out/index.html`` from every ``<region>/ringkasan.json`` (a damaged one is left out, said)."""
    from .publish.files import to_text
    from .publish.webmap.index import index_html

    entries = []
    for summary in sorted(out.glob("*/ringkasan.json")):
        try:
            entry = json.loads(summary.read_text(encoding="utf-8"))
            if not isinstance(entry, dict) or not {"slug", "nama", "ringkasan", "tanggal_data"} <= set(entry):
                raise ValueError("not a region summary")
        except (ValueError, UnicodeDecodeError) as exc:
            logger.warning("%s is damaged (%s); region left out of the index. Rebuild it with make maps", summary, exc)
            continue
        entries.append(entry)
    path = to_text(index_html(entries), out / "index.html")
    console.print(f"wrote {path} ({len(entries)} regions)", soft_wrap=True, markup=False)
