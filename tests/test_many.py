"""Many regions as tasks on Dask distributed: a local cluster, and a scheduler with two workers of its own."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline import many
from pipeline.errors import ConfigError
from pipeline.many import default_workers, run_many

from .conftest import cli, write_region

GIB = 1024**3
DASK = Path(sys.executable).with_name("dask")


@pytest.fixture(scope="module")
def regions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Three small synthetic regions sharing one data folder, and one whose register file is missing."""
    tmp = tmp_path_factory.mktemp("many")
    paths = {slug: write_region(tmp, households=1500, slug=slug) for slug in ("satu", "dua", "tiga")}
    cli("synth", str(paths["satu"]))
    text = paths["satu"].read_text(encoding="utf-8")
    broken = text.replace('slug = "satu"', 'slug = "rusak"').replace("data/rumah_tangga.csv", "data/tidak_ada.csv")
    paths["rusak"] = tmp / "rusak.toml"
    paths["rusak"].write_text(broken, encoding="utf-8")
    return paths


def _rows(summary: Path) -> tuple[int, int, int]:
    rows = json.loads(summary.read_text(encoding="utf-8"))["baris"]
    return rows["masuk"], rows["diterima"], rows["dikarantina"]


def test_a_local_cluster_builds_every_region_and_reports_the_broken_one(
    regions: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "outputs"
    done = cli(
        "run-many",
        str(regions["satu"]),
        str(regions["rusak"]),
        str(regions["dua"]),
        "--workers",
        "2",
        "--out",
        str(out),
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    text = done.stdout + done.stderr
    assert re.search(r"gagal: rusak: household file '.*tidak_ada\.csv' not found; check \[households\] paths", text)
    assert "Traceback" not in text + done.stderr
    for slug in ("satu", "dua"):
        assert re.search(rf"selesai: {slug}: 1500 rows in = \d+ accepted \+ \d+ quarantined", text)
        assert (out / slug / "peta.html").exists() and (out / slug / f"{slug}.gpkg").exists()
        rows_in, accepted, quarantined = _rows(out / slug / "ringkasan.json")
        assert rows_in == 1500 == accepted + quarantined
        reasons = json.loads((out / slug / "ringkasan.json").read_text(encoding="utf-8"))["validasi"]
        assert f"Validasi — {slug}" in text and reasons  # each region's validation table, filled
        assert all(r["alasan"] in text for r in reasons)
    assert not (out / "rusak").exists()
    assert "2 of 3 regions built" in text
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "satu/peta.html" in index and "dua/peta.html" in index
    assert "Scheduler at" not in text + done.stderr  # Dask's start-up chatter stays out of the user's screen


def test_a_crashed_region_is_retried_and_one_that_keeps_crashing_does_not_stop_the_others(
    regions: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from distributed import LocalCluster

    calls: dict[str, int] = {}
    real = many.run_region

    def flaky(config, **kwargs):
        calls[config.slug] = calls.get(config.slug, 0) + 1
        if config.slug == "satu" and calls["satu"] == 1:
            raise RuntimeError("worker lost its disk for a moment")
        if config.slug == "dua":
            raise RuntimeError("always crashes")
        return real(config, **kwargs)

    monkeypatch.setattr(many, "run_region", flaky)  # the tasks run in this process's threads
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0") as cluster:
        results = run_many(
            [regions["satu"], regions["dua"]], out_dir=tmp_path, scheduler=cluster.scheduler_address, retries=1
        )
    by_slug = {r.slug: r for r in results}
    assert calls == {"satu": 2, "dua": 2}  # one retry each
    assert by_slug["satu"].ok and (tmp_path / "satu" / "peta.html").exists()
    assert not by_slug["dua"].ok
    assert by_slug["dua"].message == "RuntimeError: always crashes (after 2 attempts)"


def test_bad_input_is_not_retried(regions: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from distributed import LocalCluster

    calls: list[str] = []
    real = many.load_config

    def counted(path):
        calls.append(Path(path).stem)
        return real(path)

    monkeypatch.setattr(many, "load_config", counted)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster:
        results = run_many([regions["rusak"]], out_dir=tmp_path, scheduler=cluster.scheduler_address, retries=3)
    assert [r.ok for r in results] == [False]
    assert "tidak_ada.csv" in results[0].message
    assert calls.count("rusak") == 2  # the duplicate-slug check, then the one task: no retry


def test_two_regions_with_one_slug_are_refused(regions: dict[str, Path], tmp_path: Path) -> None:
    copy = tmp_path / "satu_lagi.toml"
    copy.write_text(
        regions["satu"].read_text(encoding="utf-8").replace("data/", f"{regions['satu'].parent}/data/"),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"both have slug 'satu'.*Give each region its own \[region\] slug"):
        run_many([regions["satu"], copy], out_dir=tmp_path, workers=1)


def test_an_unreachable_scheduler_is_one_line(regions: dict[str, Path], tmp_path: Path) -> None:
    done = cli(
        "run-many", str(regions["satu"]), "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path), check=False
    )
    assert done.returncode == 2
    assert "no Dask scheduler answers at tcp://127.0.0.1:9" in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_a_scheduler_and_two_workers_in_their_own_processes(regions: dict[str, Path], tmp_path: Path) -> None:
    """As on a real cluster: `dask scheduler` and two `dask worker` processes on 127.0.0.1."""
    address_file = tmp_path / "scheduler.json"
    log = (tmp_path / "dask.log").open("w")
    common = ["--no-dashboard"]
    processes = [
        subprocess.Popen(
            [
                str(DASK),
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--scheduler-file",
                str(address_file),
                *common,
            ],
            stdout=log,
            stderr=log,
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while not address_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(address_file.read_text(encoding="utf-8"))["address"]
        for name in ("pekerja-1", "pekerja-2"):
            processes.append(
                subprocess.Popen(
                    [str(DASK), "worker", address, "--nthreads", "1", "--name", name, "--host", "127.0.0.1", *common],
                    stdout=log,
                    stderr=log,
                )
            )
        from distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
            workers = set(client.scheduler_info()["workers"])
        out = tmp_path / "outputs"
        paths = [str(regions[s]) for s in ("satu", "dua", "tiga")]
        done = cli("run-many", *paths, "--scheduler", address, "--out", str(out))
        used = set(re.findall(r"s on (tcp://127\.0\.0\.1:\d+)\)", done.stdout + done.stderr))
        assert used == workers and len(used) == 2  # both workers ran regions
        for slug in ("satu", "dua", "tiga"):
            rows_in, accepted, quarantined = _rows(out / slug / "ringkasan.json")
            assert rows_in == 1500 == accepted + quarantined
        assert "3 of 3 regions built" in done.stdout + done.stderr
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        log.close()


@pytest.mark.parametrize(
    ("memory", "cores", "expected"),
    [
        (24 * GIB, 2, 2),  # this machine: both cores
        (4 * GIB, 8, 1),  # memory for one region (3 GiB each)
        (10 * GIB, 8, 3),  # 10 // 3
        (64 * GIB, 8, 8),  # one per core
        (1 * GIB, 1, 1),  # never none
    ],
)
def test_local_workers_are_sized_to_cores_and_memory(memory: int, cores: int, expected: int) -> None:
    assert default_workers(memory_bytes=memory, cores=cores) == expected
