"""A province's kab/kota, from its kelurahan: polygons and the figures their runs published."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from .. import columns as C

#: Columns of the kab/kota table, in order (besides ``geometry``).
KABKOTA_COLUMNS: tuple[str, ...] = (
    "kode_kabkota",
    "nama_kabkota",
    "status",
    "keterangan",
    "jumlah_kelurahan",
    C.JUMLAH_KK,
    C.KK_MISKIN,
    C.KK_MISKIN_EKSTREM,
    C.PERSEN_MISKIN,
    C.PERSEN_MISKIN_EKSTREM,
    "jumlah_kantong",
    "baris_masuk",
    "baris_diterima",
    "baris_dikarantina",
    "peta",
)
#: The figures summed over the kab/kota into the province's.
SUMMED: tuple[str, ...] = ("jumlah_kelurahan", C.JUMLAH_KK, C.KK_MISKIN, C.KK_MISKIN_EKSTREM, "jumlah_kantong")


def kabkota_polygons(kelurahan: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One polygon per kab/kota (``kode_kabkota``), the union of its kelurahan, in code order."""
    code = kelurahan[C.KODE_KEL].astype("string").str[:5].rename("kode_kabkota")
    groups = kelurahan.geometry.groupby(code.to_numpy(), sort=True)
    shapes = [shapely.union_all(shapely.make_valid(part.to_numpy())) for _, part in groups]
    return gpd.GeoDataFrame({"kode_kabkota": list(groups.groups)}, geometry=shapes, crs=kelurahan.crs)


def province_figures(kabkota: pd.DataFrame) -> dict[str, object]:
    """The province's headline figures: the kab/kota's summed, shares from the sums.

    Only built kab/kota (``status == "selesai"``) count; ``kabkota_gagal``
    says how many did not, so that a total is never read as complete when it is not.
    """
    built = kabkota[kabkota["status"] == "selesai"]
    sums = {column: int(built[column].fillna(0).sum()) for column in SUMMED}
    households = sums[C.JUMLAH_KK]
    return {
        **sums,
        C.PERSEN_MISKIN: round(100 * sums[C.KK_MISKIN] / households, 4) if households else None,
        C.PERSEN_MISKIN_EKSTREM: round(100 * sums[C.KK_MISKIN_EKSTREM] / households, 4) if households else None,
        "jumlah_kabkota": int(len(kabkota)),
        "kabkota_selesai": int(len(built)),
        "kabkota_gagal": int((kabkota["status"] == "gagal").sum()),
    }
