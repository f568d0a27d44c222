"""Deterministic synthetic households, members, snapshots and beneficiary lists for any region.

Nothing here reads or writes files and nothing needs the network. The same
seed gives the same frames on every machine. The output looks like a real
register export (P3KE/DTSEN family sheet headers, see
:data:`pipeline.ingest.headers.P3KE_HEADERS`) so that the demo runs through exactly the
same load and validation path as real data, including a few malformed rows
that a verification team would recognise.

Every NIK starts with the fictional province code ``99``, so it can never
be a real person's.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.special import ndtr

from .. import columns as C
from ..ingest.headers import P3KE_HEADERS
from .boundaries import DEMO_REGION_CODE, in_polygons

logger = logging.getLogger(__name__)


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


def _uniform(rng: np.random.Generator, polygons: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` points spread evenly over ``polygons`` (projected metres)."""
    xmin, ymin, xmax, ymax = shapely.total_bounds(polygons)
    xs, ys = [], []
    got = 0
    while got < count:
        x = rng.uniform(xmin, xmax, size=max(4 * (count - got), 64))
        y = rng.uniform(ymin, ymax, size=x.size)
        keep = in_polygons(polygons, x, y)
        xs.append(x[keep])
        ys.append(y[keep])
        got += int(keep.sum())
    return np.concatenate(xs)[:count], np.concatenate(ys)[:count]


@dataclass(frozen=True)
class _Settlements:
    """Where a region's households live: settlement centres, their spread and their share of people."""

    polygons: np.ndarray
    centres: np.ndarray
    sigma: np.ndarray
    weight: np.ndarray


def _settlements(rng: np.random.Generator, polygons: np.ndarray, *, clusters: int, metric_scale: float) -> _Settlements:
    """Draw ``clusters`` settlement centres inside ``polygons``, with a spread and a weight each."""
    cx, cy = _uniform(rng, polygons, clusters)
    sigma = rng.uniform(0.04, 0.12, size=clusters) * metric_scale
    weight = rng.lognormal(0.0, 0.7, size=clusters)
    return _Settlements(polygons, np.column_stack([cx, cy]), sigma, weight / weight.sum())


def _settle(
    rng: np.random.Generator, places: _Settlements, n: int, *, cluster_share: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` household points: ``cluster_share`` around the settlements, the rest spread evenly.

    Returns x, y and each point's settlement (-1 for spread points).
    """
    n_cluster = int(round(n * cluster_share))
    xs, ys, ids = [], [], []
    remaining = n_cluster
    while remaining > 0:
        cid = rng.choice(len(places.weight), size=int(remaining * 1.3) + 16, p=places.weight)
        x = places.centres[cid, 0] + rng.normal(0, 1, size=cid.size) * places.sigma[cid]
        y = places.centres[cid, 1] + rng.normal(0, 1, size=cid.size) * places.sigma[cid]
        keep = in_polygons(places.polygons, x, y)
        x, y, cid = x[keep][:remaining], y[keep][:remaining], cid[keep][:remaining]
        xs.append(x)
        ys.append(y)
        ids.append(cid)
        remaining -= x.size
    bx, by = _uniform(rng, places.polygons, n - n_cluster)
    return np.concatenate(xs + [bx]), np.concatenate(ys + [by]), np.concatenate(ids + [np.full(bx.size, -1)])


def _sample_points(
    rng: np.random.Generator, polygons: np.ndarray, n: int, *, clusters: int, cluster_share: float, metric_scale: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sample ``n`` settlement-like points inside ``polygons`` (projected metres).

    Returns x, y, the cluster centres (cx, cy) and each point's cluster id
    (-1 for background points).
    """
    places = _settlements(rng, polygons, clusters=clusters, metric_scale=metric_scale)
    x, y, cluster = _settle(rng, places, n, cluster_share=cluster_share)
    return x, y, places.centres, cluster


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


def _nik(
    region_code: str, kec_index: np.ndarray, birth: pd.Series, female: np.ndarray, seen: pd.Series
) -> tuple[np.ndarray, pd.Series]:
    """Structurally valid 16-digit NIKs under the fictional province ``99``.

    The serial numbers NIKs of one kecamatan and birth date; ``seen`` counts
    those already given (by earlier chunks), and the updated count is returned.
    """
    kab = region_code.split(".")[-1][-2:].zfill(2)
    day = birth.dt.day.to_numpy() + np.where(female, 40, 0)
    month, year = birth.dt.month.to_numpy(), birth.dt.year.to_numpy() % 100
    stem = pd.Series(((kec_index.astype(np.int64) * 100 + day) * 100 + month) * 100 + year)
    earlier = seen.reindex(stem).fillna(0).to_numpy(dtype=np.int64)
    serial = stem.groupby(stem).cumcount().to_numpy() + 1 + earlier  # unique within kecamatan + birth date
    text = f"99{kab}" + stem.astype(str).str.zfill(8) + pd.Series(serial).astype(str).str.zfill(4)
    return text.to_numpy(dtype=object), seen.add(stem.value_counts(), fill_value=0).astype(np.int64)


def _stream(seed: int, stream: int) -> np.random.Generator:
    """The random stream of chunk ``stream`` (0: the stream of a register generated whole)."""
    return np.random.default_rng(seed if stream == 0 else [seed, stream])


#: Households generated at a time: a larger register is drawn in chunks of this size, so that generating
#: 10 M households needs the memory of one chunk (a register of this size or fewer is one chunk).
SYNTH_CHUNK: int = 1_000_000


@dataclass(frozen=True)
class _Region:
    """What every chunk of a synthetic register shares: kelurahan, settlements and planted pockets."""

    metric: gpd.GeoDataFrame
    utm: object
    tree: shapely.STRtree
    places: _Settlements
    pocket_ids: np.ndarray
    pocket_sigma: float
    region_code: str


def synthetic_households(
    boundaries: gpd.GeoDataFrame,
    *,
    n: int = 50_000,
    seed: int = 42,
    pockets: int = 3,
    region_code: str = DEMO_REGION_CODE,
    located_share: float = 0.92,
    malformed_share: float = 0.004,
    chunk: int | None = None,
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
    chunk
        Households drawn at a time (:func:`synthetic_household_chunks`); default :data:`SYNTH_CHUNK`.

    Returns
    -------
    DataFrame
        One row per household, with the P3KE headers of
        :data:`pipeline.ingest.headers.P3KE_HEADERS`, all values as text like an export.
    """
    options = dict(seed=seed, pockets=pockets, region_code=region_code, located_share=located_share)
    chunks = synthetic_household_chunks(boundaries, n=n, malformed_share=malformed_share, chunk=chunk, **options)
    return pd.concat(list(chunks), ignore_index=True)


def synthetic_household_chunks(
    boundaries: gpd.GeoDataFrame,
    *,
    n: int = 50_000,
    seed: int = 42,
    pockets: int = 3,
    region_code: str = DEMO_REGION_CODE,
    located_share: float = 0.92,
    malformed_share: float = 0.004,
    chunk: int | None = None,
) -> Iterator[pd.DataFrame]:
    """The register of :func:`synthetic_households`, ``chunk`` households at a time.

    The settlements and the planted pockets are drawn once and shared by
    every chunk. The first chunk is drawn exactly as a register of its size,
    so a register of ``chunk`` households or fewer is the same frame; each
    further chunk has its own random stream, ``(seed, chunk number)``. IDs
    and NIKs stay unique across chunks, and each chunk carries its share of
    malformed rows.

    Yields
    ------
    DataFrame
        Consecutive rows of the register (IDs continue from one chunk to the next).
    """
    chunk = SYNTH_CHUNK if chunk is None else chunk
    if chunk < 1:
        raise ValueError(f"chunk must be at least 1 household, got {chunk}")
    rng = np.random.default_rng(seed)
    utm = boundaries.estimate_utm_crs()
    metric = boundaries.to_crs(utm)
    polygons = metric.geometry.values
    area = float(shapely.area(shapely.union_all(polygons)))
    scale = float(np.sqrt(area))
    clusters = max(12, min(400, int(len(boundaries) * 3)))
    places = _settlements(rng, polygons, clusters=clusters, metric_scale=scale / 6)
    region, seen = None, pd.Series(dtype=np.int64)
    for index, start in enumerate(range(0, max(n, 1), chunk)):
        size = min(chunk, n - start)
        rng = rng if index == 0 else _stream(seed, index)
        x, y, _ = _settle(rng, places, size, cluster_share=0.85)
        if region is None:
            # Planted pockets: centred on settlements along one strip (as along a
            # coast or a river), so that together they span neighbouring kelurahan.
            pocket_ids = _pocket_centres(rng, places.centres, pockets, reach=scale / 3)
            sigma = float(np.clip(scale / 14, 300.0, 1_500.0))
            region = _Region(metric, utm, shapely.STRtree(polygons), places, pocket_ids, sigma, region_code)
        frame, seen = _household_rows(
            rng, region, x, y, start=start, seen=seen, located_share=located_share, malformed_share=malformed_share
        )
        yield frame
    logger.info(
        "generated %d synthetic households in %d kelurahan, %d planted pockets", n, len(boundaries), len(pocket_ids)
    )


def _household_rows(
    rng: np.random.Generator,
    region: _Region,
    x: np.ndarray,
    y: np.ndarray,
    *,
    start: int,
    seen: pd.Series,
    located_share: float,
    malformed_share: float,
) -> tuple[pd.DataFrame, pd.Series]:
    """The register rows of households at projected points ``x``, ``y``, numbered from ``start + 1``."""
    n, metric, centres, region_code = x.size, region.metric, region.places.centres, region.region_code
    pocket_effect = np.zeros(n)
    for pid in region.pocket_ids:
        d2 = (x - centres[pid, 0]) ** 2 + (y - centres[pid, 1]) ** 2
        pocket_effect = np.maximum(pocket_effect, np.exp(-d2 / (2 * region.pocket_sigma**2)))
    welfare = rng.normal(0.55, 1.0, size=n) - 2.4 * pocket_effect
    decile = np.clip(np.ceil(ndtr(welfare) * 10), 1, 10).astype(int)
    score = (decile - 1) / 9.0  # 0 = poorest

    # kelurahan of each point (a point in an overlap takes the first polygon)
    hit = region.tree.query(shapely.points(x, y), predicate="within")
    first = pd.Series(hit[1]).groupby(hit[0]).min()
    poly_index = np.full(n, -1)
    poly_index[first.index.to_numpy()] = first.to_numpy()
    assert (poly_index >= 0).all(), "sampled points must lie in a kelurahan"
    kode_kel = metric[C.KODE_KEL].to_numpy()[poly_index].astype(object)
    kec_codes = metric[C.KODE_KEC].to_numpy()[poly_index]
    kec_index = pd.Series(kec_codes).str[-2:].astype(int).to_numpy()
    utm = region.utm

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

    nik, seen = _nik(region_code, kec_index, birth, female, seen)
    headers = P3KE_HEADERS
    frame = pd.DataFrame(
        {
            headers[C.ID_KELUARGA]: "P"
            + kab_digits
            + pd.Series(np.arange(start + 1, start + n + 1)).astype(str).str.zfill(8),
            headers[C.KODE_KEL]: pd.Series(kode_kel).str.replace(".", "", regex=False),
            headers[C.ALAMAT]: pd.Series(rng.choice(STREETS, size=n))
            + " No. "
            + pd.Series(rng.integers(1, 160, size=n)).astype(str),
            headers[C.RT]: pd.Series(rng.integers(1, 16, size=n)).map("{:03d}".format),
            headers[C.RW]: pd.Series(rng.integers(1, 9, size=n)).map("{:03d}".format),
            headers[C.NAMA_KK]: names,
            headers[C.NIK]: nik,
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
    return frame, seen


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


def synthetic_members(
    households: pd.DataFrame, *, seed: int = 42, on: str = "2026-07-01", stream: int = 0
) -> pd.DataFrame:
    """Generate the individual sheet that goes with :func:`synthetic_households`.

    Each family gets ``Jumlah Anggota Keluarga`` members: the head (the
    family row's own sex and birth date), a spouse when there are two or
    more, then children, and a parent in larger families. Poorer families
    (lower decile) keep fewer school-age children in school. Names and NIKs
    are left out: the demo needs none.

    ``stream`` numbers the chunk of a register generated in chunks; each
    chunk after the first draws from its own random stream.

    Returns
    -------
    DataFrame
        One row per member, with P3KE individual-sheet headers.
    """
    rng = _stream(seed + 1, stream)
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
    households: pd.DataFrame, *, seed: int = 42, new_share: float = 0.03, removed_share: float = 0.02, stream: int = 0
) -> pd.DataFrame:
    """An earlier snapshot of a :func:`synthetic_households` export, with known movements.

    Compared with ``households``: a ``new_share`` of its families did not
    exist yet, a ``removed_share`` of extra families existed then (copies
    with new IDs: they have since left the register), and about 8 % of the
    continuing families had a decile one or two steps away. ``stream`` as
    in :func:`synthetic_members`.

    Returns
    -------
    DataFrame
        The earlier export, with the same headers.
    """
    rng = _stream(seed + 1, stream)
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
    extra = households.sample(n=int(n * removed_share), random_state=_stream(seed + 2, stream) if stream else seed + 2)
    extra = extra.copy()
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
