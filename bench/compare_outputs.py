"""Compare two output folders of the same region: equal apart from timestamps?

Used to show that a change with no intended change in behaviour (such as the
move into ingest/ analyse/ publish/) leaves the outputs as they were::

    git stash; make maps; cp -a outputs/demo /tmp/before; git stash pop
    make maps
    .venv/bin/python bench/compare_outputs.py /tmp/before outputs/demo

Compared:
- every layer and table of every GeoPackage (public and restricted), read
  back with pyogrio, values and geometries exactly (``DataFrame.equals``);
  the GeoPackage metadata apart from its creation time;
- ``peta.html`` and ``ringkasan.json`` text, with the generation time masked;
- the Markdown reports, restricted CSVs and XLSX workbooks (cell values).

Exit status 0 when everything is equal; otherwise each difference is listed.

``--manifest DIR`` prints digests of the same contents as JSON; the test
``tests/test_identical_outputs.py`` compares the demo build against the
manifest of the version before the province-scale work (issue #21).
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import sys
from pathlib import Path

import pandas as pd
import pyogrio

#: Generation times as written in the map, the summary and the GeoPackage metadata.
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(?::\d{2})? ?[A-Z+\-0-9]*")


#: GeoPackage and XLSX files carry their own write time, so the sha256 of a
#: regenerated input (the demo's boundaries and beneficiary list) changes with
#: the clock alone; as listed in the metadata and in ringkasan.json.
GPKG_DIGEST = re.compile(r"(\.(?:gpkg|xlsx)(?: sha256:|\", \"sha256\": \"))[0-9a-f]{64}")


def _masked(text: str) -> str:
    return GPKG_DIGEST.sub(r"\1<sha256>", TIMESTAMP.sub("<waktu>", text))


def _layer_metadata(path: Path, layer: str) -> dict[str, str]:
    meta = pyogrio.read_info(path, layer=layer).get("layer_metadata") or {}
    return {key: _masked(value) for key, value in meta.items() if key != "DIBUAT"}


def _descriptions(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT table_name, description FROM gpkg_contents ORDER BY table_name").fetchall()


def _gpkg_differences(a: Path, b: Path) -> list[str]:
    found = []
    layers_a = [name for name, _ in pyogrio.list_layers(a)]
    layers_b = [name for name, _ in pyogrio.list_layers(b)]
    if layers_a != layers_b:
        return [f"{b.name}: layers {layers_a} != {layers_b}"]
    for layer in layers_a:
        left = pyogrio.read_dataframe(a, layer=layer)
        right = pyogrio.read_dataframe(b, layer=layer)
        for column in ("dibuat", "update_time"):  # when the row was written
            if column in left.columns:
                left, right = left.drop(columns=column), right.drop(columns=column)
        if not left.equals(right):
            found.append(f"{b.name}:{layer}: tables differ ({len(left)} vs {len(right)} rows)")
        meta_a, meta_b = _layer_metadata(a, layer), _layer_metadata(b, layer)
        if meta_a != meta_b:
            found.append(
                f"{b.name}:{layer}: metadata differs: {sorted(k for k in meta_a if meta_a[k] != meta_b.get(k))}"
            )
    if _descriptions(a) != _descriptions(b):
        found.append(f"{b.name}: layer descriptions differ")
    return found


def _cell_text(value: object) -> object:
    """A cell as compared: numbers to 16 significant digits (xlsxwriter wrote "%.16G", now the exact double)."""
    return f"{value:.16G}" if isinstance(value, float) else value


def _xlsx_differences(a: Path, b: Path) -> list[str]:
    left = pd.read_excel(a, sheet_name=None, engine="openpyxl")
    right = pd.read_excel(b, sheet_name=None, engine="openpyxl")
    if list(left) != list(right):
        return [f"{b.name}: sheets {list(left)} != {list(right)}"]
    return [
        f"{b.name}:{sheet}: cells differ"
        for sheet in left
        if not left[sheet].map(_cell_text).equals(right[sheet].map(_cell_text))
    ]


def compare(before: Path, after: Path) -> list[str]:
    """Differences between two output folders of one region (empty when equal apart from timestamps)."""
    names_a = sorted(p.relative_to(before) for p in before.rglob("*") if p.is_file())
    names_b = sorted(p.relative_to(after) for p in after.rglob("*") if p.is_file())
    found = [f"only in {before}: {p}" for p in sorted(set(names_a) - set(names_b))]
    found += [f"only in {after}: {p}" for p in sorted(set(names_b) - set(names_a))]
    for name in sorted(set(names_a) & set(names_b)):
        a, b = before / name, after / name
        if a.suffix == ".gpkg":
            found += _gpkg_differences(a, b)
        elif a.suffix == ".xlsx":
            found += _xlsx_differences(a, b)
        elif a.suffix == ".parquet":  # cache entries and large restricted lists
            if not pd.read_parquet(a).equals(pd.read_parquet(b)):
                found.append(f"{name}: table differs")
        elif a.suffix == ".json":
            left, right = json.loads(a.read_text("utf-8")), json.loads(b.read_text("utf-8"))
            if _masked(json.dumps(left | {"dibuat": ""})) != _masked(json.dumps(right | {"dibuat": ""})):
                found.append(f"{name}: differs")
        elif _masked(a.read_text("utf-8")) != _masked(b.read_text("utf-8")):
            found.append(f"{name}: text differs")
    return found


#: Not compared by the manifest: derived caches (keyed by the code's digest), make's depfile,
#: and the restricted folder's fixed README text.
MANIFEST_SKIPS: tuple[str, ...] = ("cache/", "masukan.d", "terbatas/README.txt")


def _digest(frame: pd.DataFrame) -> str:
    """sha256 of a table's CSV form (geometry as WKB hex; floats exactly, in their shortest form)."""
    if "geometry" in frame.columns:
        frame = pd.DataFrame(frame).assign(geometry=[g.wkb_hex if g is not None else "" for g in frame.geometry])
    return hashlib.sha256(frame.to_csv(index=False, lineterminator="\n").encode()).hexdigest()


def manifest(folder: Path) -> dict[str, str]:
    """A digest of every output of one region's folder, timestamps masked: ``path[:layer]`` -> sha256.

    Two builds with equal manifests have equal tables (every GeoPackage
    layer and its metadata, every workbook sheet with numbers to 16
    significant digits, every Parquet table), equal JSON and equal text.
    """
    out: dict[str, str] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        if name.startswith(MANIFEST_SKIPS):
            continue
        if path.suffix == ".gpkg":
            for layer, _ in pyogrio.list_layers(path):
                frame = pyogrio.read_dataframe(path, layer=layer)
                frame = frame.drop(columns=[c for c in ("dibuat", "update_time") if c in frame.columns])
                meta = json.dumps(_layer_metadata(path, layer), sort_keys=True)
                out[f"{name}:{layer}"] = _digest(frame)
                out[f"{name}:{layer}:metadata"] = hashlib.sha256(meta.encode()).hexdigest()
            out[f"{name}:descriptions"] = hashlib.sha256(repr(_descriptions(path)).encode()).hexdigest()
        elif path.suffix == ".xlsx":
            for sheet, frame in pd.read_excel(path, sheet_name=None, engine="openpyxl").items():
                out[f"{name}:{sheet}"] = _digest(frame.map(_cell_text))
        elif path.suffix == ".parquet":
            out[name] = _digest(pd.read_parquet(path))
        elif path.suffix == ".json":
            data = json.loads(path.read_text("utf-8"))
            if isinstance(data, dict):  # input files by name: the checkout's folder differs between machines
                inputs = [{**entry, "file": Path(str(entry.get("file", ""))).name} for entry in data.get("masukan", [])]
                data = data | {"dibuat": "", "masukan": inputs}
            text = _masked(json.dumps(data, sort_keys=True))
            out[name] = hashlib.sha256(text.encode()).hexdigest()
        else:
            out[name] = hashlib.sha256(_masked(path.read_text("utf-8")).encode()).hexdigest()
    return out


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--manifest":
        sys.stdout.write(json.dumps(manifest(Path(argv[1])), indent=1, sort_keys=True) + "\n")
        return 0
    if len(argv) != 2:
        sys.stderr.write(
            "usage: compare_outputs.py BEFORE_DIR AFTER_DIR (one region's output folders)\n"
            "       compare_outputs.py --manifest DIR (digests of DIR's outputs, as JSON)\n"
        )
        return 2
    before, after = Path(argv[0]), Path(argv[1])
    found = compare(before, after)
    files = sum(1 for p in before.rglob("*") if p.is_file())
    if found:
        sys.stdout.write("\n".join(found) + "\n")
        return 1
    sys.stdout.write(f"{before} and {after}: {files} files equal apart from timestamps\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
