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
from collections.abc import Iterator, Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from .privacy import check_public

logger = logging.getLogger(__name__)

#: GeoPackage 1.2 opens without warnings in older QGIS LTR (GDAL 3.6).
GPKG_DATASET_OPTIONS: dict[str, str] = {"VERSION": "1.2"}
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


def to_csv(frame: pd.DataFrame, path: str | os.PathLike[str], *, mode: int | None = None) -> Path:
    """Write a table as UTF-8 CSV (comma-separated), atomically."""
    return to_text(frame.to_csv(index=False), path, mode=mode)


def to_geopackage(
    layers: dict[str, pd.DataFrame],
    path: str | os.PathLike[str],
    *,
    descriptions: dict[str, str] | None = None,
    public: bool = True,
) -> Path:
    """Write several layers into one GeoPackage, atomically.

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
    with atomic_path(path) as tmp:
        for i, (name, frame) in enumerate(layers.items()):
            options = {"DESCRIPTION": descriptions.get(name, "")}
            if isinstance(frame, gpd.GeoDataFrame):
                options["SPATIAL_INDEX"] = "YES"
            pyogrio.write_dataframe(
                frame.reset_index(drop=True),
                tmp,
                layer=name,
                driver="GPKG",
                dataset_options=GPKG_DATASET_OPTIONS if i == 0 else None,
                layer_options=options,
            )
    logger.info("wrote %s (%s)", path, ", ".join(layers))
    return Path(path)


def to_restricted(tables: Mapping[str, pd.DataFrame], directory: str | os.PathLike[str]) -> Path:
    """Write the restricted tier: tables with personal data, one CSV each.

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
        to_csv(table, directory / f"{stem}.csv", mode=0o600)
    logger.info(
        "wrote restricted tier to %s (%s)", directory, ", ".join(f"{s}: {len(t)} rows" for s, t in tables.items())
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
