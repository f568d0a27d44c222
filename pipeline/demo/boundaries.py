"""Synthetic kelurahan and kecamatan for the demo region: an invented city with plausible shapes and names."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

#: Where Kota Contoh lies: open sea in the Makassar Strait, so that it can
#: never be mistaken for a real place.
DEMO_CENTER: tuple[float, float] = (118.30, -2.20)


DEMO_REGION_CODE: str = "99.71"
DEMO_REGION_NAME: str = "Kota Contoh"


KELURAHAN_NAMES: tuple[str, ...] = (
    "Sukamaju",
    "Tanjung Harapan",
    "Karang Rejo",
    "Sidomulyo",
    "Mekarsari",
    "Bumi Ayu",
    "Telaga Biru",
    "Batu Putih",
    "Pasir Panjang",
    "Kampung Baru",
    "Tanah Merah",
    "Sungai Jernih",
    "Bukit Indah",
    "Padang Raya",
    "Lembah Hijau",
    "Teluk Damai",
    "Pantai Indah",
    "Tegal Sari",
    "Margo Mulyo",
    "Harapan Jaya",
    "Suka Damai",
    "Rawa Indah",
    "Gunung Sari",
    "Air Tenang",
)


def in_polygons(geoms: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Return, per point, whether it lies inside any of ``geoms`` (vectorised)."""
    tree = shapely.STRtree(geoms)
    points = shapely.points(x, y)
    idx = tree.query(points, predicate="within")
    inside = np.zeros(len(x), dtype=bool)
    inside[idx[0]] = True
    return inside


def _kmeans(points: np.ndarray, k: int, *, iterations: int = 50) -> np.ndarray:
    """Small deterministic k-means: label each point with one of ``k`` groups."""
    angle = np.arctan2(points[:, 1], points[:, 0])
    order = np.argsort(angle)
    centers = np.array([points[chunk].mean(axis=0) for chunk in np.array_split(order, k)])
    labels = np.zeros(len(points), dtype=int)
    for _ in range(iterations):
        labels = np.argmin(((points[:, None, :] - centers[None]) ** 2).sum(axis=2), axis=1)
        new = np.array([points[labels == j].mean(axis=0) if (labels == j).any() else centers[j] for j in range(k)])
        if np.allclose(new, centers):
            break
        centers = new
    return labels


def _compass_names(centers: np.ndarray) -> list[str]:
    """Name groups around a centre "Contoh Utara/Timur/Selatan/Barat" by direction.

    With four groups each direction is used once (the rotation that fits the
    angles best); otherwise groups are numbered.
    """
    if len(centers) != 4:
        return [f"Contoh {i + 1}" for i in range(len(centers))]
    angle = np.arctan2(centers[:, 1], centers[:, 0])
    order = np.argsort(angle)  # counter-clockwise from west-south-west
    compass = np.array([0.0, np.pi / 2, np.pi, -np.pi / 2])  # east, north, west, south
    words = np.array(["Timur", "Utara", "Barat", "Selatan"])
    best, best_cost = None, np.inf
    for shift in range(4):
        target = np.roll(np.arange(4), shift)
        diff = np.angle(np.exp(1j * (angle[order] - compass[target])))
        cost = float((diff**2).sum())
        if cost < best_cost:
            best, best_cost = target, cost
    names = np.empty(4, dtype=object)
    names[order] = ["Contoh " + w for w in words[best]]
    return list(names)


def synthetic_boundaries(
    *,
    seed: int = 42,
    n_kelurahan: int = 20,
    n_kecamatan: int = 4,
    center: tuple[float, float] = DEMO_CENTER,
    radius_m: float = 5_500.0,
    region_code: str = DEMO_REGION_CODE,
    region_name: str = DEMO_REGION_NAME,
) -> gpd.GeoDataFrame:
    """Generate the kelurahan of a fictional city.

    Kelurahan are Voronoi cells of well-spaced seeds, clipped to an irregular
    city outline, then bent by one smooth displacement field so that edges
    curve like real boundaries while neighbours still share them exactly.

    Parameters
    ----------
    seed
        Random seed; the same seed gives the same city.
    n_kelurahan, n_kecamatan
        How many kelurahan, grouped into how many kecamatan.
    center
        (lon, lat) of the city centre.
    radius_m
        Mean radius of the city outline, in metres.
    region_code, region_name
        Dotted Kemendagri-style code (``99.71``) and name of the city.

    Returns
    -------
    GeoDataFrame
        In EPSG:4326 with the columns of a ``wilayah_boundaries`` kelurahan
        layer: ``kode``, ``kode_kemendagri``, ``nama``, ``jenis``,
        ``kec_kode``, ``kec_nama``, ``kabkota_kode``, ``kabkota_nama``,
        ``prov_kode``.
    """
    if n_kelurahan > len(KELURAHAN_NAMES):
        raise ValueError(f"at most {len(KELURAHAN_NAMES)} kelurahan names are available, asked for {n_kelurahan}")
    rng = np.random.default_rng(seed)
    utm = gpd.GeoSeries([shapely.Point(center)], crs="EPSG:4326").estimate_utm_crs()
    origin = gpd.GeoSeries([shapely.Point(center)], crs="EPSG:4326").to_crs(utm).iloc[0]

    theta = np.linspace(0, 2 * np.pi, 240, endpoint=False)
    radius = np.ones_like(theta)
    for k in range(2, 7):
        radius += rng.uniform(0.02, 0.09) / (k - 1) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    outline = shapely.Polygon(np.column_stack([radius_m * radius * np.cos(theta), radius_m * radius * np.sin(theta)]))

    min_gap = 0.75 * radius_m * np.sqrt(np.pi / n_kelurahan)
    seeds: list[np.ndarray] = []
    while len(seeds) < n_kelurahan:
        candidate = rng.uniform(-radius_m, radius_m, size=2)
        if not outline.buffer(-0.25 * min_gap).contains(shapely.Point(candidate)):
            continue
        if all(np.hypot(*(candidate - s)) >= min_gap for s in seeds):
            seeds.append(candidate)
        else:
            min_gap *= 0.999  # relax slowly so that the loop always ends
    seed_xy = np.array(seeds)

    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(seed_xy), extend_to=outline.buffer(radius_m))
    )
    tree = shapely.STRtree(cells)
    owner = tree.query(shapely.points(seed_xy), predicate="within")
    ordered = np.empty(n_kelurahan, dtype=object)
    ordered[owner[0]] = cells[owner[1]]
    polygons = shapely.intersection(ordered, outline)
    polygons = shapely.segmentize(polygons, 60.0)
    polygons = shapely.transform(polygons, smooth_field(rng, scale=2.2 * radius_m / 3, amplitude=220.0))
    polygons = shapely.make_valid(shapely.set_precision(polygons, 0.01))

    kec_label = _kmeans(seed_xy, n_kecamatan)
    kec_center = np.array([seed_xy[kec_label == j].mean(axis=0) for j in range(n_kecamatan)])
    kec_rank = np.argsort(np.argsort(-kec_center[:, 1])) + 1  # number kecamatan north to south
    kec_names = {int(kec_rank[j]): name for j, name in enumerate(_compass_names(kec_center))}
    names = rng.permutation(np.array(KELURAHAN_NAMES))[:n_kelurahan]
    frame = pd.DataFrame({"kec": kec_rank[kec_label], "y": -seed_xy[:, 1], "x": seed_xy[:, 0]})
    frame["nomor"] = frame.sort_values(["kec", "y", "x"]).groupby("kec").cumcount() + 1

    prov = region_code.split(".")[0]
    kec_kode = [f"{region_code}.{k:02d}" for k in frame["kec"]]
    kode = [f"{kk}.{1000 + n}" for kk, n in zip(kec_kode, frame["nomor"], strict=True)]
    gdf = gpd.GeoDataFrame(
        {
            "kode": kode,
            "kode_kemendagri": [k.replace(".", "") for k in kode],
            "nama": names,
            "jenis": "kelurahan",
            "kec_kode": kec_kode,
            "kec_nama": [kec_names[k] for k in frame["kec"]],
            "kabkota_kode": region_code,
            "kabkota_nama": region_name,
            "prov_kode": prov,
        },
        geometry=shapely.transform(polygons, lambda xy: xy + np.array([origin.x, origin.y])),
        crs=utm,
    )
    gdf = gdf.sort_values("kode", ignore_index=True).to_crs("EPSG:4326")
    gdf["geometry"] = shapely.set_precision(gdf.geometry.values, 1e-7)
    return gdf


def synthetic_kecamatan(kelurahan: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Dissolve synthetic kelurahan into their kecamatan (``kode``, ``nama``)."""
    kec = kelurahan.dissolve(by=["kec_kode", "kec_nama"], as_index=False)[["kec_kode", "kec_nama", "geometry"]]
    return kec.rename(columns={"kec_kode": "kode", "kec_nama": "nama"})


def smooth_field(rng: np.random.Generator, scale: float, amplitude: float, waves: int = 6):
    """Return a smooth displacement function (x, y) -> (dx, dy)."""
    k = rng.uniform(0.6, 1.6, size=(waves, 2)) * (2 * np.pi / scale) * rng.choice([-1, 1], size=(waves, 2))
    phase = rng.uniform(0, 2 * np.pi, size=(waves, 2))
    amp = amplitude / np.sqrt(waves)

    def displace(coords: np.ndarray) -> np.ndarray:
        x, y = coords[:, 0:1], coords[:, 1:2]
        dx = amp * np.sin(x * k[:, 0] + y * k[:, 1] + phase[:, 0]).sum(axis=1)
        dy = amp * np.sin(x * k[:, 1] - y * k[:, 0] + phase[:, 1]).sum(axis=1)
        return coords + np.column_stack([dx, dy])

    return displace
