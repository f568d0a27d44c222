"""`make shapes`: download, verify, convert. Only a server on 127.0.0.1 is used."""

from __future__ import annotations

import functools
import shutil
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyogrio
import pytest

from pipeline.download import fetch_boundaries, read_sources
from pipeline.errors import InputError

from .conftest import ROOT, SHARED_DATA, cli

BOUNDARIES = SHARED_DATA / "boundaries"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    if not BOUNDARIES.is_dir():
        pytest.skip(f"shared boundaries not found at {BOUNDARIES}; set KANTONG_SHARED_DATA")
    handler = functools.partial(_QuietHandler, directory=str(BOUNDARIES))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def shapes_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "shapes"
    folder.mkdir()
    shutil.copy(ROOT / "shapes" / "README.md", folder / "README.md")
    return folder


def test_every_listed_file_matches_its_checksum_in_shared() -> None:
    entries = read_sources(ROOT / "shapes" / "sources.toml")
    assert set(entries) == {"bontang", "kupang", "pekalongan", "palangka_raya", "dompu"}
    if not BOUNDARIES.is_dir():
        pytest.skip("shared boundaries not found")
    import hashlib

    for entry in entries.values():
        digest = hashlib.sha256((BOUNDARIES / entry.mirror_path).read_bytes()).hexdigest()
        assert digest == entry.sha256, entry.name


def test_download_from_a_local_server_is_verified_converted_and_recorded(server: str, shapes_dir: Path) -> None:
    entry = read_sources(ROOT / "shapes" / "sources.toml")["bontang"]
    entry = replace(entry, url=f"{server}/{entry.mirror_path}")
    path = fetch_boundaries(entry, out_dir=shapes_dir, mirror="")
    assert path == shapes_dir / "bontang.gpkg"
    frame = pyogrio.read_dataframe(path, layer="kelurahan")
    assert len(frame) == 15 and frame.crs == "EPSG:4326"
    assert 117 < frame.total_bounds[0] < 118  # read as [lat, lng]: longitudes are right
    readme = (shapes_dir / "README.md").read_text(encoding="utf-8")
    assert "| bontang.gpkg | Kota Bontang |" in readme and "none committed" not in readme
    fetch_boundaries(entry, out_dir=shapes_dir, mirror="")  # again: the row is replaced, not repeated
    assert (shapes_dir / "README.md").read_text(encoding="utf-8").count("| bontang.gpkg |") == 1


def test_a_changed_file_is_refused(server: str, shapes_dir: Path) -> None:
    entry = read_sources(ROOT / "shapes" / "sources.toml")["kupang"]
    entry = replace(entry, url=f"{server}/{entry.mirror_path}", sha256="0" * 64)
    with pytest.raises(InputError, match="sha256 .* is not used"):
        fetch_boundaries(entry, out_dir=shapes_dir, mirror="")
    assert not (shapes_dir / "kupang.gpkg").exists()


def test_offline_mirror_through_the_cli(shapes_dir: Path) -> None:
    if not BOUNDARIES.is_dir():
        pytest.skip("shared boundaries not found")
    import os
    import subprocess
    import sys

    env = {**os.environ, "KANTONG_SHAPES_MIRROR": str(BOUNDARIES)}
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "shapes", "dompu", "--out", str(shapes_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert len(pyogrio.read_dataframe(shapes_dir / "dompu.gpkg", layer="kelurahan", read_geometry=False)) == 81
    unknown = cli("shapes", "atlantis", "--out", str(shapes_dir), check=False)
    assert unknown.returncode == 2 and "atlantis not in" in unknown.stderr
