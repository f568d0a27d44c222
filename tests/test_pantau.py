"""``kantong pantau``: a watcher that rebuilds when a new export arrives, and never reads a half-written file."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from pipeline.config import load_config
from pipeline.watch import parse_interval, settled

from .conftest import ROOT, synth_region

FORM = "kantong_verifikasi_uji"


def _lines(process: subprocess.Popen[str]) -> tuple[queue.Queue[str], threading.Thread]:
    out: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in process.stderr:  # type: ignore[union-attr]
            out.put(line.rstrip("\n"))

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    return out, thread


def _wait_for(lines: queue.Queue[str], seen: list[str], text: str, *, timeout: float = 180) -> str:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        seen.append(line)
        if text in line:
            return line
    raise AssertionError(f"'{text}' not seen in {timeout:g} s; output:\n" + "\n".join(seen))


def _odk_export(register: Path) -> str:
    frame = pd.read_csv(register, dtype=str, keep_default_na=False).drop_duplicates("ID Keluarga P3KE", keep=False)
    row = frame[(frame["Latitude"] != "") & frame["NIK"].str.fullmatch(r"\d{16}")].iloc[0]
    return (
        "SubmissionDate,id_formulir,petugas,id_keluarga,hasil_kunjungan,persetujuan,lokasi-Latitude,"
        "lokasi-Longitude,lokasi-Altitude,lokasi-Accuracy,jenis_lantai,jumlah_art,KEY\n"
        f"2026-10-03T01:00:00.000Z,{FORM},1,{row['ID Keluarga P3KE']},ditemukan,ya,{row['Latitude']},"
        f"{row['Longitude']},10,5,keramik,4,uuid:satu\n"
    )


@pytest.fixture
def watched(tmp_path: Path) -> tuple[Path, Path]:
    config = synth_region(tmp_path, households=3000)
    (tmp_path / "data" / "verifikasi").mkdir()
    text = config.read_text(encoding="utf-8") + '\n[[verification]]\npaths = ["data/verifikasi/*"]\n'
    config.write_text(text, encoding="utf-8")
    return config, tmp_path / "outputs"


def test_a_new_export_gives_one_rebuild_and_a_half_written_file_no_crash(watched: tuple[Path, Path]) -> None:
    config, out = watched
    folder = config.parent / "data" / "verifikasi"
    command = [sys.executable, "-m", "pipeline", "pantau", str(config), "--setiap", "1s", "--tenang", "0.5"]
    process = subprocess.Popen([*command, "--out", str(out), "--kali", "400"], cwd=ROOT, text=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    (lines, pump), seen = _lines(process), []
    try:
        _wait_for(lines, seen, "pantau: rebuilt uji")  # the first build: no outputs yet
        # a second watcher of the same region is refused
        second = subprocess.run([*command, "--out", str(out), "--kali", "1"], cwd=ROOT, text=True,
                                capture_output=True, timeout=120)  # fmt: skip
        assert second.returncode == 2 and "another kantong pantau is watching uji" in second.stderr

        # a download in progress (.part) is not read; its completed rename is, once
        part = folder / "odk_central.csv.part"
        part.write_text(_odk_export(config.parent / "data" / "rumah_tangga.csv"), encoding="utf-8")
        time.sleep(3)
        part.rename(folder / "odk_central.csv")
        line = _wait_for(lines, seen, "pantau: rebuilt uji")
        assert "odk_central.csv" in line
        summary = json.loads((out / "uji" / "ringkasan.json").read_text(encoding="utf-8"))
        assert summary["ringkasan"]["verifikasi"] == {**summary["ringkasan"]["verifikasi"], "kiriman": 1}

        # a half-written workbook (a copy cut off) is reported and left out; the loop goes on
        whole = (out / "uji" / "rekap_uji.xlsx").read_bytes()
        (folder / "kobo.xlsx").write_bytes(whole[: len(whole) // 3])
        _wait_for(lines, seen, "kobo.xlsx")
        _wait_for(lines, seen, "pantau: rebuilt uji")
        time.sleep(3)
        assert process.poll() is None  # still watching
        summary = json.loads((out / "uji" / "ringkasan.json").read_text(encoding="utf-8"))
        assert summary["ringkasan"]["verifikasi"]["kiriman"] == 1  # nothing read from the broken file
    finally:
        process.terminate()
        process.wait(timeout=60)
        pump.join(timeout=10)
        process.stderr.close()  # type: ignore[union-attr]
        while not lines.empty():
            seen.append(lines.get())
    rebuilds = [line for line in seen if line.startswith("pantau: rebuilt")]
    assert len(rebuilds) == 3, seen  # first build, the new export, the broken file left out
    assert not any("Traceback" in line for line in seen)
    assert any("left out of this build" in line and "kobo.xlsx" in line for line in seen)


def test_a_file_still_growing_is_waited_for(watched: tuple[Path, Path]) -> None:
    """The watcher looks twice, ``settle`` seconds apart: a file that grew in between is looked at again."""
    config, _ = watched
    growing = config.parent / "data" / "verifikasi" / "kobo.csv"
    growing.write_text("id_keluarga,hasil_kunjungan\n", encoding="utf-8")
    looks = []

    def sleep(seconds: float) -> None:  # the copy goes on during the first wait only
        looks.append(seconds)
        if len(looks) == 1:
            with growing.open("a", encoding="utf-8") as handle:
                handle.write("P1,ditemukan\n")

    state = settled(load_config(config), settle=0.5, sleep=sleep)
    assert looks == [0.5, 0.5] and state[growing][0] == growing.stat().st_size


@pytest.mark.parametrize(("text", "seconds"), [("5m", 300), ("30s", 30), ("1h", 3600), ("90", 90), ("5 menit", 300)])
def test_interval(text: str, seconds: float) -> None:
    assert parse_interval(text) == seconds
