"""Deterministic synthetic inputs: the demo city and households for any region.

Nothing here reads or writes files and nothing needs the network. The same
seed gives the same frames on every machine. The output looks like a real
register export (P3KE/DTSEN family sheet headers, see
:data:`pipeline.load.P3KE_HEADERS`) so that the demo runs through exactly the
same load and validation path as real data, including a few malformed rows
that a verification team would recognise.

Every NIK starts with the fictional province code ``99``, so it can never
be a real person's.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.special import ndtr

from . import columns as C
from .load import P3KE_HEADERS

logger = logging.getLogger(__name__)

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
FIRST_NAMES_M: tuple[str, ...] = (
    "Budi",
    "Agus",
    "Slamet",
    "Joko",
    "Hendra",
    "Yohanes",
    "Muhammad",
    "Ahmad",
    "Rudi",
    "Dedi",
    "Wayan",
    "Made",
    "Fransiskus",
    "Yusuf",
    "Arif",
    "Bambang",
    "Eko",
    "Hasan",
)
FIRST_NAMES_F: tuple[str, ...] = (
    "Siti",
    "Sri",
    "Maria",
    "Dewi",
    "Nur",
    "Yuliana",
    "Rina",
    "Wati",
    "Fatimah",
    "Ketut",
    "Agustina",
    "Lestari",
    "Aminah",
    "Magdalena",
    "Ratna",
    "Sulastri",
)
FAMILY_NAMES: tuple[str, ...] = (
    "Santoso",
    "Wijaya",
    "Hidayat",
    "Saputra",
    "Lete",
    "Ndun",
    "Manafe",
    "Hasibuan",
    "Nugroho",
    "Rahman",
    "Pratama",
    "Sinaga",
    "Kurniawan",
    "Daeng",
    "Lamba",
    "Tefa",
    "Setiawan",
    "Purba",
    "Mbete",
    "Halim",
)
STREETS: tuple[str, ...] = (
    "Jl. Merdeka",
    "Jl. Pahlawan",
    "Jl. Kenanga",
    "Jl. Melati",
    "Gg. Damai",
    "Jl. Nelayan",
    "Jl. Pasar Lama",
    "Jl. Cendana",
    "Gg. Mawar",
    "Jl. Pelabuhan",
    "Jl. Sukun",
    "Jl. Flamboyan",
)

# Dwelling categories, from worst to best, as they appear in P3KE exports.
FLOORS = ("Tanah", "Bambu", "Kayu/Papan Kualitas Rendah", "Semen/Bata Merah", "Kayu/Papan Kualitas Tinggi", "Keramik")
WALLS = ("Bambu", "Anyaman Bambu", "Kayu/Papan", "Plesteran Anyaman Bambu/Kawat", "Tembok")
ROOFS = ("Ijuk/Rumbia", "Bambu", "Seng", "Asbes", "Genteng", "Beton")
WATER = ("Sungai/Danau/Waduk", "Mata Air Tidak Terlindung", "Sumur Terlindung", "Air Isi Ulang", "Leding")
LIGHT = ("Bukan Listrik", "Listrik Non PLN", "Listrik PLN 450 VA", "Listrik PLN 900 VA", "Listrik PLN > 900 VA")
FUEL = ("Kayu Bakar", "Minyak Tanah", "Gas 3 kg", "Gas > 3 kg", "Listrik")
TOILET = ("Tidak Ada", "Bersama/Umum", "Sendiri")
JOBS = ("Nelayan", "Buruh Harian Lepas", "Pedagang", "Petani", "Wiraswasta", "Karyawan Swasta", "Tidak Bekerja", "PNS")
SCHOOLING = ("Tidak/Belum Sekolah", "SD/Sederajat", "SMP/Sederajat", "SMA/Sederajat", "Diploma/S1")

#: Programmes the demo households receive, with how well each one targets the poor.
#: (code, base log-odds, poverty effect, "connectedness" effect)
DEMO_PROGRAMS: tuple[tuple[str, float, float, float], ...] = (
    ("pkh", -4.4, 2.6, 2.0),
    ("bpnt", -4.0, 2.8, 2.0),
    ("pbi_jkn", -3.0, 2.6, 1.8),
    ("pip", -4.6, 2.2, 1.8),
    ("rtlh", -6.0, 2.4, 2.0),
    ("asistensi_sosial", -6.2, 2.2, 2.2),
)


def _in_polygons(geoms: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Return, per point, whether it lies inside any of ``geoms`` (vectorised)."""
    tree = shapely.STRtree(geoms)
    points = shapely.points(x, y)
    idx = tree.query(points, predicate="within")
    inside = np.zeros(len(x), dtype=bool)
    inside[idx[0]] = True
    return inside


def _smooth_field(rng: np.random.Generator, scale: float, amplitude: float, waves: int = 6):
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
    polygons = shapely.transform(polygons, _smooth_field(rng, scale=2.2 * radius_m / 3, amplitude=220.0))
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


def _sample_points(
    rng: np.random.Generator, polygons: np.ndarray, n: int, *, clusters: int, cluster_share: float, metric_scale: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sample ``n`` settlement-like points inside ``polygons`` (projected metres).

    Returns x, y, the cluster centres (cx, cy) and each point's cluster id
    (-1 for background points).
    """
    xmin, ymin, xmax, ymax = shapely.total_bounds(polygons)

    def uniform(count: int) -> tuple[np.ndarray, np.ndarray]:
        xs, ys = [], []
        got = 0
        while got < count:
            x = rng.uniform(xmin, xmax, size=max(4 * (count - got), 64))
            y = rng.uniform(ymin, ymax, size=x.size)
            keep = _in_polygons(polygons, x, y)
            xs.append(x[keep])
            ys.append(y[keep])
            got += int(keep.sum())
        return np.concatenate(xs)[:count], np.concatenate(ys)[:count]

    cx, cy = uniform(clusters)
    sigma = rng.uniform(0.04, 0.12, size=clusters) * metric_scale
    weight = rng.lognormal(0.0, 0.7, size=clusters)
    weight /= weight.sum()
    n_cluster = int(round(n * cluster_share))
    xs, ys, ids = [], [], []
    remaining = n_cluster
    while remaining > 0:
        cid = rng.choice(clusters, size=int(remaining * 1.3) + 16, p=weight)
        x = cx[cid] + rng.normal(0, 1, size=cid.size) * sigma[cid]
        y = cy[cid] + rng.normal(0, 1, size=cid.size) * sigma[cid]
        keep = _in_polygons(polygons, x, y)
        x, y, cid = x[keep][:remaining], y[keep][:remaining], cid[keep][:remaining]
        xs.append(x)
        ys.append(y)
        ids.append(cid)
        remaining -= x.size
    bx, by = uniform(n - n_cluster)
    x = np.concatenate(xs + [bx])
    y = np.concatenate(ys + [by])
    cluster = np.concatenate(ids + [np.full(bx.size, -1)])
    return x, y, np.column_stack([cx, cy]), cluster


def _pocket_centres(rng: np.random.Generator, centres: np.ndarray, count: int, *, reach: float) -> np.ndarray:
    """Choose ``count`` settlement centres, each within ``reach`` of the first one."""
    first = int(rng.integers(centres.shape[0]))
    distance = np.hypot(*(centres - centres[first]).T)
    near = np.flatnonzero((distance > 0) & (distance <= reach))
    pool = near if near.size >= count - 1 else np.argsort(distance)[1:]
    rest = rng.choice(pool, size=min(count - 1, pool.size), replace=False)
    return np.concatenate([[first], rest]).astype(int)


def _pick(rng: np.random.Generator, options: tuple[str, ...], score: np.ndarray, spread: float = 0.9) -> np.ndarray:
    """Pick ordered categories: low ``score`` (0..1) picks early (worse) options."""
    position = np.clip(score + rng.normal(0, spread / len(options), size=score.size), 0, 0.999)
    return np.asarray(options, dtype=object)[(position * len(options)).astype(int)]


def _nik(region_code: str, kec_index: np.ndarray, birth: pd.Series, female: np.ndarray) -> np.ndarray:
    """Structurally valid 16-digit NIKs under the fictional province ``99``."""
    kab = region_code.split(".")[-1][-2:].zfill(2)
    day = birth.dt.day.to_numpy() + np.where(female, 40, 0)
    stem = pd.Series(
        [
            f"99{kab}{k:02d}{d:02d}{m:02d}{yy:02d}"
            for k, d, m, yy in zip(
                kec_index, day, birth.dt.month.to_numpy(), birth.dt.year.to_numpy() % 100, strict=True
            )
        ]
    )
    serial = stem.groupby(stem).cumcount().to_numpy() + 1  # unique within kecamatan + birth date
    return (stem + pd.Series(serial).map("{:04d}".format)).to_numpy()


def synthetic_households(
    boundaries: gpd.GeoDataFrame,
    *,
    n: int = 50_000,
    seed: int = 42,
    pockets: int = 3,
    region_code: str = DEMO_REGION_CODE,
    located_share: float = 0.92,
    malformed_share: float = 0.004,
) -> pd.DataFrame:
    """Generate a P3KE/DTSEN-style family export for the given kelurahan.

    Households cluster in settlements. Poverty is concentrated in
    ``pockets`` planted centres; elsewhere it is spatially random.
    Programme receipt overlaps (a "well-connected" poor household tends to
    receive several programmes) and excludes (others receive none).

    Parameters
    ----------
    boundaries
        Kelurahan polygons in canonical columns (``kode_kel``, ``kode_kec``),
        any CRS.
    n
        Number of households.
    seed
        Random seed.
    pockets
        Number of planted poverty pockets.
    region_code
        Dotted region code; its last two digits go into the NIKs.
    located_share
        Share of households with a GPS point.
    malformed_share
        Share of rows given a typical data-entry error (short NIK, decile out
        of range, swapped coordinates, duplicated ID), so that the demo
        exercises quarantine.

    Returns
    -------
    DataFrame
        One row per household, with the P3KE headers of
        :data:`pipeline.load.P3KE_HEADERS`, all values as text like an export.
    """
    rng = np.random.default_rng(seed)
    utm = boundaries.estimate_utm_crs()
    metric = boundaries.to_crs(utm)
    polygons = metric.geometry.values
    area = float(shapely.area(shapely.union_all(polygons)))
    scale = float(np.sqrt(area))
    clusters = max(12, min(400, int(len(boundaries) * 3)))
    x, y, centres, cluster = _sample_points(
        rng, polygons, n, clusters=clusters, cluster_share=0.85, metric_scale=scale / 6
    )

    # Planted pockets: centred on settlements along one strip (as along a
    # coast or a river), so that together they span neighbouring kelurahan.
    pocket_ids = _pocket_centres(rng, centres, pockets, reach=scale / 3)
    sigma = np.clip(scale / 14, 300.0, 1_500.0)
    pocket_effect = np.zeros(n)
    for pid in pocket_ids:
        d2 = (x - centres[pid, 0]) ** 2 + (y - centres[pid, 1]) ** 2
        pocket_effect = np.maximum(pocket_effect, np.exp(-d2 / (2 * sigma**2)))
    welfare = rng.normal(0.55, 1.0, size=n) - 2.4 * pocket_effect
    decile = np.clip(np.ceil(ndtr(welfare) * 10), 1, 10).astype(int)
    score = (decile - 1) / 9.0  # 0 = poorest

    # kelurahan of each point (a point in an overlap takes the first polygon)
    tree = shapely.STRtree(polygons)
    hit = tree.query(shapely.points(x, y), predicate="within")
    first = pd.Series(hit[1]).groupby(hit[0]).min()
    poly_index = np.full(n, -1)
    poly_index[first.index.to_numpy()] = first.to_numpy()
    assert (poly_index >= 0).all(), "sampled points must lie in a kelurahan"
    kode_kel = metric[C.KODE_KEL].to_numpy()[poly_index].astype(object)
    kec_codes = metric[C.KODE_KEC].to_numpy()[poly_index]
    kec_index = pd.Series(kec_codes).str[-2:].astype(int).to_numpy()

    female = rng.random(n) < (0.13 + 0.12 * (1 - score))
    age = np.clip(rng.normal(47, 13, size=n), 19, 90)
    birth = pd.Timestamp("2026-07-01") - pd.to_timedelta(age * 365.25, unit="D")
    birth = pd.Series(birth).dt.normalize()
    first_names = np.where(female, rng.choice(FIRST_NAMES_F, size=n), rng.choice(FIRST_NAMES_M, size=n))
    names = pd.Series(first_names) + " " + pd.Series(rng.choice(FAMILY_NAMES, size=n))
    members = np.clip(rng.poisson(2.6 + 1.4 * (1 - score)) + 1, 1, 12)
    elderly_alone = (age >= 60) & (rng.random(n) < 0.25) & (score < 0.5)
    members = np.where(elderly_alone, 1, members)

    connected = rng.normal(0, 1, size=n)
    poor = decile <= 4
    program_flags = {}
    for code, base, effect, link in DEMO_PROGRAMS:
        logit = base + effect * (1 - score) ** 2 + link * connected + 1.2 * poor
        program_flags[code] = rng.random(n) < 1 / (1 + np.exp(-logit))

    lon, lat = (
        gpd.GeoSeries(shapely.points(x, y), crs=utm)
        .to_crs("EPSG:4326")
        .pipe(lambda s: (s.x.to_numpy(), s.y.to_numpy()))
    )
    located = rng.random(n) < located_share
    kab_digits = region_code.replace(".", "")
    yes_no = np.array(["Tidak", "Ya"], dtype=object)

    headers = P3KE_HEADERS
    frame = pd.DataFrame(
        {
            headers[C.ID_KELUARGA]: [f"P{kab_digits}{i:08d}" for i in range(1, n + 1)],
            headers[C.KODE_KEL]: pd.Series(kode_kel).str.replace(".", "", regex=False),
            headers[C.ALAMAT]: pd.Series(rng.choice(STREETS, size=n))
            + " No. "
            + pd.Series(rng.integers(1, 160, size=n)).astype(str),
            headers[C.RT]: pd.Series(rng.integers(1, 16, size=n)).map("{:03d}".format),
            headers[C.RW]: pd.Series(rng.integers(1, 9, size=n)).map("{:03d}".format),
            headers[C.NAMA_KK]: names,
            headers[C.NIK]: _nik(region_code, kec_index, birth, female),
            headers[C.JENIS_KELAMIN]: np.where(female, "Perempuan", "Laki-laki"),
            headers[C.TANGGAL_LAHIR]: birth.dt.strftime("%Y-%m-%d"),
            "Pekerjaan": _pick(rng, JOBS, score, spread=3.0),
            "Pendidikan": _pick(rng, SCHOOLING, score, spread=2.0),
            headers[C.DESIL]: decile.astype(str),
            headers[C.JUMLAH_ART]: members.astype(str),
            "Kepemilikan Rumah": _pick(rng, ("Menumpang", "Sewa", "Milik Sendiri"), score, spread=2.5),
            headers[C.JENIS_ATAP]: _pick(rng, ROOFS, score),
            headers[C.JENIS_DINDING]: _pick(rng, WALLS, score),
            headers[C.JENIS_LANTAI]: _pick(rng, FLOORS, score),
            headers[C.PENERANGAN]: _pick(rng, LIGHT, score),
            headers[C.BAHAN_BAKAR]: _pick(rng, FUEL, score),
            headers[C.SUMBER_AIR]: _pick(rng, WATER, score),
            headers[C.FASILITAS_BAB]: _pick(rng, TOILET, score),
            headers[C.LANSIA_TUNGGAL]: yes_no[elderly_alone.astype(int)],
            headers[C.DISABILITAS]: yes_no[(rng.random(n) < 0.03 + 0.04 * (1 - score)).astype(int)],
            headers[C.RISIKO_STUNTING]: yes_no[(rng.random(n) < 0.02 + 0.12 * (1 - score) ** 2).astype(int)],
            headers[C.PEKERJA_MIGRAN]: yes_no[(rng.random(n) < 0.02).astype(int)],
            **{
                f"Penerima {code.replace('_', ' ').upper()}": yes_no[flag.astype(int)]
                for code, flag in program_flags.items()
            },
            headers[C.LAT]: np.where(located, np.char.mod("%.6f", lat), ""),
            headers[C.LON]: np.where(located, np.char.mod("%.6f", lon), ""),
        }
    )

    # A household registered in one kelurahan but surveyed next door (~1 %).
    moved = np.flatnonzero(located & (rng.random(n) < 0.01))
    others = metric[C.KODE_KEL].str.replace(".", "", regex=False).to_numpy()
    frame.loc[moved, headers[C.KODE_KEL]] = rng.choice(others, size=moved.size)

    # Typical data-entry errors, so that the demo exercises quarantine.
    bad = rng.choice(n, size=int(n * malformed_share), replace=False)
    kinds = np.array_split(bad, 4)
    frame.loc[kinds[0], headers[C.NIK]] = frame.loc[kinds[0], headers[C.NIK]].str[:15]
    frame.loc[kinds[1], headers[C.DESIL]] = rng.choice(["0", "11", ""], size=kinds[1].size)
    swap = kinds[2][frame.loc[kinds[2], headers[C.LAT]].to_numpy() != ""]
    frame.loc[swap, [headers[C.LAT], headers[C.LON]]] = frame.loc[swap, [headers[C.LON], headers[C.LAT]]].to_numpy()
    frame.loc[kinds[3], headers[C.ID_KELUARGA]] = frame.loc[
        np.maximum(kinds[3] - 1, 0), headers[C.ID_KELUARGA]
    ].to_numpy()
    logger.info(
        "generated %d synthetic households in %d kelurahan, %d planted pockets", n, len(boundaries), len(pocket_ids)
    )
    return frame


#: Headers of the synthetic member table, as in the P3KE individual sheet.
MEMBER_HEADERS: dict[str, str] = {
    C.ID_KELUARGA: "ID Keluarga",
    C.ID_ANGGOTA: "ID Individu",
    C.HUBUNGAN: "Hubungan dengan Kepala Keluarga",
    C.JENIS_KELAMIN: "Jenis Kelamin",
    C.TANGGAL_LAHIR: "Tanggal Lahir",
    C.PARTISIPASI_SEKOLAH: "Partisipasi Sekolah",
    C.DISABILITAS: "Penyandang Disabilitas",
    C.PENYAKIT_KRONIS: "Penyakit Kronis",
}


def synthetic_members(households: pd.DataFrame, *, seed: int = 42, on: str = "2026-07-01") -> pd.DataFrame:
    """Generate the individual sheet that goes with :func:`synthetic_households`.

    Each family gets ``Jumlah Anggota Keluarga`` members: the head (the
    family row's own sex and birth date), a spouse when there are two or
    more, then children, and a parent in larger families. Poorer families
    (lower decile) keep fewer school-age children in school. Names and NIKs
    are left out: the demo needs none.

    Returns
    -------
    DataFrame
        One row per member, with P3KE individual-sheet headers.
    """
    rng = np.random.default_rng(seed + 1)
    h = P3KE_HEADERS
    size = pd.to_numeric(households[h[C.JUMLAH_ART]], errors="coerce").fillna(1).astype(int).clip(1, 12).to_numpy()
    decile = pd.to_numeric(households[h[C.DESIL]], errors="coerce").fillna(5).clip(1, 10).to_numpy()
    family = np.repeat(np.arange(len(households)), size)
    order = np.arange(len(family)) - np.repeat(np.cumsum(size) - size, size)  # 0 = head, 1 = spouse, ...
    n = len(family)
    head_birth = pd.to_datetime(households[h[C.TANGGAL_LAHIR]], errors="coerce").to_numpy()[family]
    head_female = (households[h[C.JENIS_KELAMIN]] == "Perempuan").to_numpy()[family]
    parent = (order == size[family] - 1) & (size[family] >= 5)
    relation = np.select(
        [order == 0, order == 1, parent], ["Kepala Keluarga", "Istri/Suami", "Orang Tua"], "Anak"
    ).astype(object)
    head_age = (pd.Timestamp(on) - pd.DatetimeIndex(head_birth)).days.to_numpy() / 365.25
    child_age = rng.uniform(0, np.clip(head_age - 18, 1, 25), size=n)
    age = np.select(
        [order == 0, order == 1, parent],
        [head_age, head_age + rng.normal(-3, 3, n), head_age + rng.uniform(22, 32, n)],
        child_age,
    )
    birth = pd.Timestamp(on) - pd.to_timedelta(np.clip(age, 0, 100) * 365.25, unit="D")
    female = np.select([order == 0, order == 1], [head_female, ~head_female], rng.random(n) < 0.5)
    school_age = (age >= 7) & (age < 19)
    out_of_school = school_age & (rng.random(n) < 0.02 + 0.05 * (10 - decile[family]) / 9 + 0.08 * (age >= 16))
    schooling = np.where(
        age < 5,
        "Belum Sekolah",
        np.where(
            school_age, np.where(out_of_school, "Tidak Bersekolah Lagi", "Masih Sekolah"), "Tidak Bersekolah Lagi"
        ),
    )
    yes_no = np.array(["Tidak", "Ya"], dtype=object)
    ids = households[h[C.ID_KELUARGA]].to_numpy()[family]
    frame = pd.DataFrame(
        {
            MEMBER_HEADERS[C.ID_KELUARGA]: ids,
            MEMBER_HEADERS[C.ID_ANGGOTA]: pd.Series(ids) + "-" + pd.Series(order + 1).map("{:02d}".format),
            MEMBER_HEADERS[C.HUBUNGAN]: relation,
            MEMBER_HEADERS[C.JENIS_KELAMIN]: np.where(female, "Perempuan", "Laki-laki"),
            MEMBER_HEADERS[C.TANGGAL_LAHIR]: pd.Series(birth).dt.strftime("%Y-%m-%d").fillna(""),
            MEMBER_HEADERS[C.PARTISIPASI_SEKOLAH]: schooling,
            MEMBER_HEADERS[C.DISABILITAS]: yes_no[(rng.random(n) < 0.015 + 0.01 * (age >= 60)).astype(int)],
            MEMBER_HEADERS[C.PENYAKIT_KRONIS]: yes_no[(rng.random(n) < 0.03 + 0.12 * (age >= 50)).astype(int)],
        }
    )
    logger.info("generated %d synthetic members for %d families", n, len(households))
    return frame


def synthetic_previous_snapshot(
    households: pd.DataFrame, *, seed: int = 42, new_share: float = 0.03, removed_share: float = 0.02
) -> pd.DataFrame:
    """An earlier snapshot of a :func:`synthetic_households` export, with known movements.

    Compared with ``households``: a ``new_share`` of its families did not
    exist yet, a ``removed_share`` of extra families existed then (copies
    with new IDs: they have since left the register), and about 8 % of the
    continuing families had a decile one or two steps away.

    Returns
    -------
    DataFrame
        The earlier export, with the same headers.
    """
    rng = np.random.default_rng(seed + 1)
    headers = P3KE_HEADERS
    n = len(households)
    keep = rng.random(n) >= new_share
    earlier = households.loc[keep].copy()
    moved = rng.random(len(earlier)) < 0.08
    decile = pd.to_numeric(earlier[headers[C.DESIL]], errors="coerce")
    shift = rng.choice([-2, -1, 1, 2], size=len(earlier))
    earlier.loc[moved & decile.notna().to_numpy(), headers[C.DESIL]] = (
        (decile + shift).clip(1, 10).loc[moved & decile.notna().to_numpy()].astype(int).astype(str)
    )
    extra = households.sample(n=int(n * removed_share), random_state=seed + 2).copy()
    extra[headers[C.ID_KELUARGA]] = [f"{i}X" for i in extra[headers[C.ID_KELUARGA]]]
    # their own NIKs: the serial (last four digits) from 9000 up, which the generator never reaches
    serial = pd.Series(np.arange(len(extra)) % 1000 + 9000, index=extra.index).map("{:04d}".format)
    extra[headers[C.NIK]] = extra[headers[C.NIK]].str[:12] + serial
    return pd.concat([earlier, extra], ignore_index=True)


def synthetic_beneficiary_list(
    households: pd.DataFrame, *, program: str, n: int = 300, strangers: int = 20, seed: int = 42
) -> pd.DataFrame:
    """An OPD's own beneficiary spreadsheet for ``program``, with the typos such lists have.

    ``n`` families of the :func:`synthetic_households` export that the
    register does not flag as recipients, typed by hand: some with the NIK,
    some with a digit wrong, some with no NIK and a misspelt name or a title
    ("Hj.", "H."), birth dates as dd/mm/yyyy; plus ``strangers`` people who
    are not in the register at all.
    """
    rng = np.random.default_rng(seed + 3)
    headers = P3KE_HEADERS
    flag = f"Penerima {program.replace('_', ' ').upper()}"
    pool = households[households.get(flag, "Tidak") != "Ya"] if flag in households else households
    chosen = pool.sample(n=min(n, len(pool)), random_state=seed + 4)
    names = chosen[headers[C.NAMA_KK]].to_numpy().astype(object)
    nik = chosen[headers[C.NIK]].to_numpy().astype(object)
    kind = rng.choice(["nik", "nik_salah", "nama_salah", "gelar"], size=len(chosen), p=[0.5, 0.15, 0.2, 0.15])
    for i in np.flatnonzero(kind == "nik_salah"):
        digit = 7 + int(rng.integers(0, 8))
        nik[i] = nik[i][:digit] + str((int(nik[i][digit]) + 1) % 10) + nik[i][digit + 1 :]
    for i in np.flatnonzero(kind == "nama_salah"):
        j = int(rng.integers(1, max(2, len(names[i]) - 2)))
        names[i] = names[i][:j] + names[i][j + 1] + names[i][j] + names[i][j + 2 :]
        nik[i] = ""
    for i in np.flatnonzero(kind == "gelar"):
        names[i] = ("Hj. " if rng.random() < 0.5 else "H. ") + names[i].upper()
        nik[i] = ""
    listed = pd.DataFrame(
        {
            "NIK": nik,
            "Nama Penerima": names,
            "Tgl Lahir": pd.to_datetime(chosen[headers[C.TANGGAL_LAHIR]]).dt.strftime("%d/%m/%Y").to_numpy(),
            "Kode Desa": chosen[headers[C.KODE_KEL]].to_numpy(),
        }
    )
    others = pd.DataFrame(
        {
            "NIK": [f"9999{rng.integers(10**11, 10**12 - 1)}" for _ in range(strangers)],
            "Nama Penerima": rng.choice(FIRST_NAMES_M, size=strangers) + " " + rng.choice(FAMILY_NAMES, size=strangers),
            "Tgl Lahir": "01/01/1970",
            "Kode Desa": rng.choice(households[headers[C.KODE_KEL]].to_numpy(), size=strangers),
        }
    )
    out = pd.concat([listed, others], ignore_index=True)
    out.insert(0, "No", np.arange(1, len(out) + 1))
    return out
