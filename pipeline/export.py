"""Export stage: write outputs to disk, atomically.

Every file is first written to a temporary file in the same folder and then
renamed over the target, so that an interrupted run leaves the previous
output intact. Public files pass :func:`pipeline.privacy.check_public`
first; the restricted tier (personal data) goes to ``terbatas/`` with
owner-only permissions (folder 0700, files 0600).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from .privacy import check_public
from .styles import Style

logger = logging.getLogger(__name__)

#: GeoPackage 1.2 opens without warnings in older QGIS LTR (GDAL 3.6).
GPKG_DATASET_OPTIONS: dict[str, str] = {"VERSION": "1.2"}
#: Geometry column name of every spatial layer (GDAL's default, named explicitly for layer_styles).
GEOMETRY_COLUMN: str = "geom"
RESTRICTED_DIR: str = "terbatas"
RESTRICTED_README: str = """TERBATAS — DATA PRIBADI
========================

Folder ini berisi data pribadi (NIK, nama, alamat, lokasi rumah tangga) yang
dilindungi Undang-Undang Nomor 27 Tahun 2022 tentang Pelindungan Data Pribadi
(UU PDP, UU 27/2022).

- Hanya untuk petugas yang ditunjuk (Bappeda, Dinas Sosial, OPD pelaksana
  program) dalam rangka verifikasi dan penanganan kemiskinan.
- JANGAN dipublikasikan, diunggah ke internet, atau dikirim melalui grup
  pesan. Jangan disalin ke folder bersama.
- Gunakan keluaran publik (peta HTML dan GeoPackage ringkasan) untuk rapat
  dan presentasi.

Isi:
- karantina.csv — baris register yang ditolak validasi atau tidak dapat
  ditempatkan di kelurahan, dengan kode alasan (kolom "alasan").
- rumah_tangga.gpkg — titik rumah tangga (hanya yang ber-GPS) dengan ID
  samaran (id_samaran, hash berkunci; kuncinya disimpan di luar repositori),
  kode kelurahan, desil, status miskin dan program. Tanpa NIK, nama, alamat.
- karantina_anggota.csv — baris tabel anggota keluarga (individu/ART) yang
  tidak tertaut ke keluarga mana pun, dengan kode alasan (hanya bila ada
  tabel anggota).
"""


def sha256_of(path: str | os.PathLike[str]) -> str:
    """The sha256 of a file, read in 1 MiB blocks (for input records and download checks)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it to ``path`` on success.

    Parameters
    ----------
    path
        The final file.
    mode
        Permission bits set on the file before it takes its final name
        (e.g. ``0o600``); by default the process umask decides.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")  # GDAL wants the real suffix
    tmp.unlink(missing_ok=True)
    try:
        yield tmp
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


def _exchange(a: Path, b: Path) -> None:
    """Swap two folders in one step (Linux ``renameat2(RENAME_EXCHANGE)``)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        raise OSError("renameat2 is not available")
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), str(a))


@contextlib.contextmanager
def region_lock(folder: str | os.PathLike[str]) -> Iterator[None]:
    """Hold an exclusive lock on a region's outputs for the length of a run.

    The lock file ``.<name>.lock`` sits beside the folder and holds the
    owner's process id; the operating system releases it when the process
    ends, however it ends.

    Raises
    ------
    OutputError
        If another run of the same region holds the lock.
    """
    import fcntl

    from .errors import OutputError

    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    lock = folder.with_name(f".{folder.name}.lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise OutputError(
                f"{folder}: another kantong run (process {owner}) is writing this region's outputs; "
                "wait for it to finish, or stop it, then run again"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


#: Name of a region's folder while a run builds it: ``.<region>.tmp-<pid>``.
_STAGING = re.compile(r"^\.(?P<name>.+)\.tmp-(?P<pid>\d+)$")


def remove_stale_staging(folder: str | os.PathLike[str]) -> list[Path]:
    """Delete half-built copies of ``folder`` (and temporary files in it) left by runs that died.

    Only leftovers whose owning process is no longer alive are removed, so
    a run in progress never loses its files.
    """
    import shutil

    folder = Path(folder)
    removed = []
    candidates = [*folder.parent.glob(f".{folder.name}.tmp-*")]
    if folder.is_dir():
        candidates += [p for p in folder.rglob(".*.tmp-*")]
    for path in candidates:
        pid = re.search(r"\.tmp-(\d+)", path.name)
        if pid is None or _pid_alive(int(pid.group(1))):
            continue
        logger.warning("removing %s, left by an interrupted run", path)
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


@contextlib.contextmanager
def staged_folder(folder: str | os.PathLike[str]) -> Iterator[Path]:
    """Build a region's outputs in a new folder, then put it in place in one step.

    Yields the staging folder ``.<name>.tmp-<pid>`` beside ``folder``. On
    success the two folders are exchanged atomically (``renameat2``), so a
    reader, or a run killed at any point, sees either the whole previous set
    of outputs or the whole new one, never a mix; files a run no longer
    produces (a renamed OPD's workbook) disappear with the old set. On
    failure the staging folder is removed and the previous outputs stay.
    """
    import shutil

    folder = Path(folder)
    staging = folder.with_name(f".{folder.name}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        yield staging
        if folder.is_dir():
            try:
                _exchange(staging, folder)
            except OSError:  # no renameat2 (not Linux, old glibc): two renames, a moment apart
                old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
                os.rename(folder, old)
                os.rename(staging, folder)
                staging = old
            shutil.rmtree(staging, ignore_errors=True)
        else:
            os.rename(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def to_text(text: str, path: str | os.PathLike[str], *, mode: int | None = None) -> Path:
    """Write UTF-8 text atomically and return the path."""
    with atomic_path(path, mode=mode) as tmp:
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, mode if mode is not None else 0o666)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    return Path(path)


def to_json(data: object, path: str | os.PathLike[str]) -> Path:
    """Write ``data`` as indented UTF-8 JSON, atomically."""
    return to_text(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n", path)


#: A text cell starting with one of these is a formula in a spreadsheet.
FORMULA_START: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_START = re.compile("^[" + re.escape("".join(FORMULA_START)) + "]")
_PLAIN_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")


def formula_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula, made inert with a leading ``'``.

    Follows OWASP's advice on CSV injection: a cell starting with ``=``,
    ``+``, ``-``, ``@``, a tab or a carriage return (``=HYPERLINK(...)``,
    ``+cmd|' /C calc'!A0``) gets a leading apostrophe, which Excel and
    LibreOffice show as text. A plain number such as ``-8,1234`` (a
    latitude as exported) cannot be a formula and is left as it is.
    Column names are treated the same way.
    """
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        text = values.astype("string")
        risky = text.str.contains(_FORMULA_START) & ~text.str.contains(_PLAIN_NUMBER)
        if risky.fillna(False).any():
            out[column] = values.astype(object).where(~risky.fillna(False).to_numpy(), "'" + text.astype(object))
    out.columns = [
        f"'{c}" if _FORMULA_START.match(str(c)) and not _PLAIN_NUMBER.match(str(c)) else c for c in out.columns
    ]
    return out


def to_csv(frame: pd.DataFrame, path: str | os.PathLike[str], *, mode: int | None = None, safe: bool = False) -> Path:
    """Write a table as UTF-8 CSV (comma-separated), atomically.

    With ``safe``, cells that a spreadsheet would run as formulas are made
    inert (:func:`formula_safe`): every CSV an officer may open in Excel.
    """
    return to_text((formula_safe(frame) if safe else frame).to_csv(index=False), path, mode=mode)


def to_geopackage(
    layers: dict[str, pd.DataFrame],
    path: str | os.PathLike[str],
    *,
    descriptions: dict[str, str] | None = None,
    public: bool = True,
    styles: Mapping[str, list[Style]] | None = None,
    metadata: Mapping[str, str] | None = None,
    mode: int | None = None,
) -> Path:
    """Write several layers into one GeoPackage, atomically.

    Styles go into the ``layer_styles`` table that QGIS reads (created the
    way QGIS creates it: an attribute table), so each layer opens styled.
    Metadata goes into ``gpkg_metadata`` on each layer (GDAL metadata:
    ``ogrinfo`` prints it, QGIS shows it under Layer Properties >
    Information). Not at dataset level: GDAL then writes a ``.aux.xml``
    beside the file whenever a client opens it read-only.

    Parameters
    ----------
    layers
        Layer name -> GeoDataFrame (spatial layer, spatial index) or
        DataFrame (attribute table).
    path
        The ``.gpkg`` file.
    descriptions
        Layer name -> description stored in ``gpkg_contents``.
    public
        Check every layer with :func:`pipeline.privacy.check_public` first.
    styles
        Layer name -> its QGIS styles, the first being the default.
    metadata
        Key -> value, stored on each layer.
    mode
        Permission bits of the file (``0o600`` in the restricted tier).

    Returns
    -------
    Path

    Raises
    ------
    PrivacyError
        If ``public`` and a layer carries personal data.
    """
    descriptions = descriptions or {}
    if public:
        for name, frame in layers.items():
            check_public(frame, what=f"{Path(path).name}:{name}")
    tables = dict(layers)
    if styles:
        tables[STYLE_TABLE] = _style_table(styles, layers)
    with atomic_path(path, mode=mode) as tmp:
        for i, (name, frame) in enumerate(tables.items()):
            options = {"DESCRIPTION": descriptions.get(name, "")}
            if isinstance(frame, gpd.GeoDataFrame):
                options.update(SPATIAL_INDEX="YES", GEOMETRY_NAME=GEOMETRY_COLUMN)
            try:
                pyogrio.write_dataframe(
                    frame.reset_index(drop=True),
                    tmp,
                    layer=name,
                    driver="GPKG",
                    dataset_options=GPKG_DATASET_OPTIONS if i == 0 else None,
                    layer_options=options,
                    layer_metadata=dict(metadata) if metadata and name in layers else None,
                )
            except pyogrio.errors.DataSourceError as exc:
                from .errors import OutputError

                raise OutputError(
                    f"{path}: GDAL could not write layer '{name}' ({exc}); check free disk space, the file-size "
                    "limit and that the folder is writable. The previous outputs are left as they were"
                ) from None
    logger.info("wrote %s (%s)", path, ", ".join(layers))
    return Path(path)


#: The table QGIS reads layer styles from.
STYLE_TABLE: str = "layer_styles"


def _style_table(styles: Mapping[str, list[Style]], layers: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """``layer_styles`` rows, with QGIS's own column names."""
    rows = []
    now = pd.Timestamp.now(tz="UTC").floor("s")
    for layer, layer_styles in styles.items():
        spatial = isinstance(layers.get(layer), gpd.GeoDataFrame)
        for style in layer_styles:
            rows.append(
                {
                    "f_table_catalog": "",
                    "f_table_schema": "",
                    "f_table_name": layer,
                    "f_geometry_column": GEOMETRY_COLUMN if spatial else "",
                    "styleName": style.name,
                    "styleQML": style.qml,
                    "styleSLD": "",
                    "useAsDefault": style.default,
                    "description": style.description,
                    "owner": "kantong",
                    "ui": "",
                    "update_time": now,  # QGIS orders a layer's styles by it
                }
            )
    return pd.DataFrame(rows)


#: Environment variable holding the pseudonym key itself.
KEY_ENV: str = "KANTONG_KUNCI_SAMARAN"
#: Environment variable naming a file that holds the pseudonym key.
KEY_FILE_ENV: str = "KANTONG_KUNCI_SAMARAN_FILE"
#: Where the key is kept (and created) when neither variable is set: outside the repository.
DEFAULT_KEY_FILE: Path = Path("~/.config/kantong/kunci_samaran")


def pseudonym_key() -> bytes:
    """The secret key of the restricted tier's pseudonymous household IDs.

    Read from ``$KANTONG_KUNCI_SAMARAN``, else from the file named by
    ``$KANTONG_KUNCI_SAMARAN_FILE``, else from ``~/.config/kantong/kunci_samaran``,
    which is created (mode 0600, 32 random bytes as hex) on first use. The
    same key gives the same pseudonyms run after run; keep it out of the
    repository and out of shared folders.

    Raises
    ------
    PrivacyError
        If the key file lies inside this repository.
    """
    import secrets

    from .errors import PrivacyError

    if os.environ.get(KEY_ENV):
        return os.environ[KEY_ENV].encode()
    path = Path(os.environ.get(KEY_FILE_ENV) or DEFAULT_KEY_FILE).expanduser().resolve()
    repository = Path(__file__).resolve().parents[1]
    if path.is_relative_to(repository):
        raise PrivacyError(
            f"pseudonym key file {path} is inside the repository, where it could be committed; "
            f"move it elsewhere and set {KEY_FILE_ENV}"
        )
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        to_text(secrets.token_hex(32) + "\n", path, mode=0o600)
        logger.warning("created a new pseudonym key in %s; back it up with the restricted data", path)
    return path.read_text(encoding="utf-8").strip().encode()


def to_workbook(sheets: Mapping[str, pd.DataFrame], path: str | os.PathLike[str], *, mode: int | None = None) -> Path:
    """Write sheets to an Excel workbook that no cell can turn into a formula.

    Every text is written as a text cell (``strings_to_formulas``,
    ``strings_to_urls`` and ``strings_to_numbers`` off), so a name typed as
    ``=HYPERLINK(...)`` or ``@SUM(...)`` stays the text it is; a NIK stays
    16 digits, not a rounded number. The header row is bold and frozen,
    with an autofilter.

    Parameters
    ----------
    sheets
        Sheet name (at most 31 characters) -> table.
    path
        The ``.xlsx`` file; written atomically.
    mode
        Permission bits (``0o600`` in the restricted tier).
    """
    import xlsxwriter

    with atomic_path(path, mode=mode) as tmp:
        options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
        book = xlsxwriter.Workbook(str(tmp), {**options, "nan_inf_to_errors": True})
        bold = book.add_format({"bold": True})
        for name, frame in sheets.items():
            sheet = book.add_worksheet(name[:31])
            for j, column in enumerate(frame.columns):
                sheet.write_string(0, j, str(column), bold)
                values = frame[column]
                numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
                for i, value in enumerate(values.tolist(), start=1):
                    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
                        continue
                    if numeric:
                        sheet.write_number(i, j, float(value))
                    else:
                        sheet.write_string(i, j, str(value))
                sheet.set_column(j, j, min(40, max(10, len(str(column)) + 2)))
            sheet.freeze_panes(1, 0)
            if len(frame.columns):
                sheet.autofilter(0, 0, max(len(frame), 1), len(frame.columns) - 1)
        book.close()
    return Path(path)


def to_restricted(tables: Mapping[str, pd.DataFrame], directory: str | os.PathLike[str]) -> Path:
    """Write the restricted tier: tables with personal data, one CSV each,
    and point layers (GeoDataFrames) as GeoPackages.

    The folder gets mode 0700 and every file 0600, with a README stating
    that it holds personal data under UU 27/2022.

    Parameters
    ----------
    tables
        File stem -> table, e.g. ``{"karantina": quarantine}``.
    directory
        The restricted folder, ``outputs/<region>/terbatas``.

    Returns
    -------
    Path
        The folder.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    to_text(RESTRICTED_README, directory / "README.txt", mode=0o600)
    for stem, table in tables.items():
        if isinstance(table, gpd.GeoDataFrame):
            to_geopackage({stem: table}, directory / f"{stem}.gpkg", public=False, mode=0o600)
        elif isinstance(table, dict):  # sheets: a workbook (stem may hold a sub-folder, e.g. opd/dinas_sosial)
            (directory / stem).parent.mkdir(parents=True, exist_ok=True)
            os.chmod((directory / stem).parent, 0o700)
            to_workbook(table, directory / f"{stem}.xlsx", mode=0o600)
        else:
            to_csv(table, directory / f"{stem}.csv", mode=0o600, safe=True)
    logger.info(
        "wrote restricted tier to %s (%s)",
        directory,
        ", ".join(f"{s}: {len(t)} {'sheets' if isinstance(t, dict) else 'rows'}" for s, t in tables.items()),
    )
    return directory


def to_make_depfile(targets: list[Path], inputs: list[Path], path: str | os.PathLike[str]) -> Path:
    """Write a Makefile fragment: ``targets`` depend on ``inputs``.

    Each input also gets an empty rule, so that a deleted input makes the
    targets rebuild instead of stopping make.
    """
    cwd = Path.cwd()

    def show(p: Path) -> str:
        p = Path(p).resolve()
        text = str(p.relative_to(cwd)) if p.is_relative_to(cwd) else str(p)
        return text.replace(" ", "\\ ")

    lines = [" ".join(show(t) for t in targets) + ": " + " ".join(show(i) for i in inputs)]
    lines += [f"{show(i)}:" for i in inputs]
    return to_text("\n".join(lines) + "\n", path)
