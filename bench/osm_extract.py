"""A large synthetic OpenStreetMap extract for the basemap benchmark (an island-sized .osm.pbf).

Tiles of 0.05° are filled with a jittered street grid (every way its own
nodes, coordinates to 1e-7°, so the file compresses about as badly as real
data), written as OPL text with numpy and converted to PBF by libosmium's
writer (``osmium.apply`` with a ``WriteHandler``: no Python per object).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import osmium

TILE = 0.05  # degrees
STREETS = 48  # per direction per tile
NODES = 16  # per street


def _tile_lines(rng: np.random.Generator, x0: float, y0: float, node0: int, way0: int) -> tuple[str, str, int, int]:
    """OPL lines of the nodes and ways of one tile, and the next free ids."""
    t = np.linspace(0, TILE, NODES)
    offsets = (np.arange(STREETS) + 0.5) * TILE / STREETS
    xs = np.concatenate([np.broadcast_to(t, (STREETS, NODES)), np.broadcast_to(offsets[:, None], (STREETS, NODES))])
    ys = np.concatenate([np.broadcast_to(offsets[:, None], (STREETS, NODES)), np.broadcast_to(t, (STREETS, NODES))])
    xs = x0 + xs + rng.normal(0, 2e-5, xs.shape)
    ys = y0 + ys + rng.normal(0, 2e-5, ys.shape)
    ids = node0 + np.arange(xs.size).reshape(xs.shape)
    nodes = "".join(f"n{i} v1 x{x:.7f} y{y:.7f}\n" for i, x, y in zip(ids.ravel(), xs.ravel(), ys.ravel(), strict=True))
    kinds = rng.choice(["residential", "residential", "residential", "tertiary", "unclassified"], size=len(ids))
    ways = "".join(
        f"w{way0 + k} v1 Thighway={kind},name=Jalan%20%{way0 + k} N{','.join('n' + str(n) for n in row)}\n"
        for k, (kind, row) in enumerate(zip(kinds, ids.tolist(), strict=True))
    )
    return nodes, ways, node0 + ids.size, way0 + len(ids)


def big_extract(path: Path, *, bounds: tuple[float, float, float, float], target_mb: float, seed: int = 1) -> Path:
    """Write tiles over ``bounds`` (west, south, east, north), row by row, until the PBF passes ``target_mb``."""
    if path.exists() and path.stat().st_size >= 0.95 * target_mb * 1e6:  # the size is estimated: within 5 %
        return path
    path.unlink(missing_ok=True)
    rng = np.random.default_rng(seed)
    west, south, east, north = bounds
    xs = np.arange(west, east, TILE)
    ys = np.arange(south, north, TILE)
    opl_nodes, opl_ways = path.with_suffix(".nodes.opl"), path.with_suffix(".ways.opl")
    node, way = 1, 1
    # about 4.5 bytes of PBF per node (measured): enough tiles for target_mb, then stop
    wanted_tiles = int(target_mb * 1e6 / (4.3 * 2 * STREETS * NODES)) + 1
    done = 0
    with opl_nodes.open("w") as n_out, opl_ways.open("w") as w_out:
        for y in ys:
            for x in xs:
                nodes, ways, node, way = _tile_lines(rng, float(x), float(y), node, way)
                n_out.write(nodes)
                w_out.write(ways)
                done += 1
                if done >= wanted_tiles:
                    break
            if done >= wanted_tiles:
                break
    opl = path.with_suffix(".opl")
    with opl.open("wb") as out:
        for part in (opl_nodes, opl_ways):
            with part.open("rb") as source:
                while block := source.read(1 << 24):
                    out.write(block)
            part.unlink()
    writer = osmium.WriteHandler(str(path), 4 * 1024 * 1024)  # libosmium writes: no Python per object
    osmium.apply(str(opl), writer)
    writer.close()
    os.unlink(opl)
    return path
