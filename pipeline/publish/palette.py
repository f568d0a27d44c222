"""Colours, class breaks and labels shared by the web map and the QGIS styles.

Both outputs must tell the same story, so both read their classes from here;
neither imports the other (writing a GeoPackage does not load folium).
"""

from __future__ import annotations

import math

SYNTHETIC_NOTICE: str = "DATA SINTETIS — bukan data warga nyata"
HIDDEN_LABEL: str = "disembunyikan"
#: A programme's coverage where the register holds no eligibility criterion for it.
NO_RULE_LABEL: str = "tanpa kriteria"
NO_DATA_COLOR: str = "#bdbdbd"
#: Poverty-rate classes (percent of households) and their colours (ColorBrewer YlOrRd).
RATE_BREAKS: tuple[float, ...] = (0, 10, 20, 30, 40, 50, 100.000001)
RATE_COLORS: tuple[str, ...] = ("#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026")
COUNT_COLORS: tuple[str, ...] = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")


GI_STYLE: dict[str, tuple[str, str]] = {
    "panas_99": ("#b2182b", "Titik panas (99 %)"),
    "panas_95": ("#ef8a62", "Titik panas (95 %)"),
    "panas_90": ("#fddbc7", "Titik panas (90 %)"),
    "tidak_signifikan": ("#f7f7f7", "Tidak signifikan"),
    "dingin_90": ("#d1e5f0", "Titik dingin (90 %)"),
    "dingin_95": ("#67a9cf", "Titik dingin (95 %)"),
    "dingin_99": ("#2166ac", "Titik dingin (99 %)"),
    "tanpa_data": (NO_DATA_COLOR, "Tanpa data"),
}


#: Programme coverage classes (% of eligible households reached), ColorBrewer Greens.
COVERAGE_BREAKS: tuple[float, ...] = (0, 20, 40, 60, 80, 100.000001)
COVERAGE_COLORS: tuple[str, ...] = ("#edf8e9", "#bae4b3", "#74c476", "#31a354", "#006d2c")
#: Multidimensional poverty M0 classes (0-1), ColorBrewer Purples.
M0_BREAKS: tuple[float, ...] = (0, 0.05, 0.1, 0.15, 0.2, 0.3, math.inf)
M0_COLORS: tuple[str, ...] = ("#f2f0f7", "#dadaeb", "#bcbddc", "#9e9ac8", "#756bb1", "#54278f")
VULNERABLE_COLORS: tuple[str, ...] = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")
OVERLAP_COLORS: tuple[str, ...] = ("#feedde", "#fdbe85", "#fd8d3c", "#e6550d", "#a63603")


#: Net change in poor households: (upper bound, colour, label), diverging.
CHANGE_CLASSES: tuple[tuple[float, str, str], ...] = (
    (-20.5, "#2166ac", "turun > 20 KK"),
    (-0.5, "#92c5de", "turun 1–20 KK"),
    (0.5, "#f7f7f7", "tetap"),
    (20.5, "#f4a582", "naik 1–20 KK"),
    (math.inf, "#b2182b", "naik > 20 KK"),
)


#: Pockets are an outline over the theme (dark core on a white halo), never a fill that hides it.
POCKET_COLOR: str = "#2d004b"
POCKET_HALO: str = "#ffffff"


#: H3 cell classes -> (colour, legend label); ``{k}`` is the suppression threshold,
#: Shown for people figures when the register has no member counts and no household size is configured.
PEOPLE_UNKNOWN: str = "tidak diketahui (register tanpa jumlah anggota)"
#: ``{fdr}`` the level of the false discovery rate (``[analysis] significance``).
CELL_STYLE: dict[str, tuple[str, str]] = {
    "panas": ("#ef3b2c", "Titik panas (koreksi uji berganda, FDR {fdr})"),
    "tidak_signifikan": ("#f0f0f0", "Tidak signifikan"),
    "dingin": ("#4292c6", "Titik dingin (koreksi uji berganda, FDR {fdr})"),
    "disembunyikan": (NO_DATA_COLOR, "disembunyikan: < {k} KK"),
}


def fdr_label(significance: float) -> str:
    """``0.05`` -> ``"5 %"``, ``0.1`` -> ``"10 %"``, ``0.025`` -> ``"2,5 %"``: the FDR level as the legends write it."""
    return f"{100 * significance:g}".replace(".", ",") + " %"


#: The offline basemap (OpenStreetMap), in quiet colours under the themes. Land is the page's background.
BASEMAP_LAYER: str = "Peta dasar (OpenStreetMap, luring)"
BASEMAP_ATTRIBUTION: str = "© kontributor OpenStreetMap (ODbL)"
BASEMAP_LAND: str = "#f2efe9"
BASEMAP_WATER: str = "#c4dcec"
#: Road and rail class -> (colour, width in pixels, first zoom drawn, legend label).
ROAD_STYLE: dict[str, tuple[str, float, int, str]] = {
    "arteri": ("#8c8273", 3.0, 0, "Jalan arteri (trunk/primer)"),
    "kolektor": ("#9a9183", 2.4, 0, "Jalan kolektor (sekunder)"),
    "lokal": ("#a8a093", 1.8, 0, "Jalan lokal (tersier)"),
    "lingkungan": ("#9d968a", 1.3, 14, "Jalan lingkungan (tampil mulai zoom 14)"),
    "rel": ("#6e6e6e", 1.6, 0, "Rel kereta api"),
}
#: Waterway class -> (colour, width in pixels, first zoom drawn, legend label).
RIVER_STYLE: dict[str, tuple[str, float, int, str]] = {
    "sungai": ("#7fb0d3", 2.0, 0, "Sungai"),
    "kanal": ("#7fb0d3", 1.5, 0, "Kanal"),
    "anak_sungai": ("#93bddb", 1.0, 13, "Anak sungai"),
    "saluran": ("#a3c7e0", 0.8, 15, "Saluran/parit"),
}
#: Water area class -> legend label.
WATER_LABELS: dict[str, str] = {"laut": "Laut", "danau": "Danau/waduk", "sungai": "Badan sungai"}
#: Place class -> (first zoom named, legend label).
PLACE_STYLE: dict[str, tuple[int, str]] = {
    "kota": (9, "Kota"),
    "kota_kecil": (10, "Kota kecil"),
    "bagian_kota": (12, "Bagian kota/kecamatan"),
    "desa_kelurahan": (13, "Desa/kelurahan"),
    "dusun": (14, "Dusun/kampung"),
    "lingkungan": (15, "Lingkungan"),
}
#: Public place class -> (glyph, colour, Indonesian label).
FACILITY_STYLE: dict[str, tuple[str, str, str]] = {
    "kantor_desa": ("K", "#4d4d4d", "Kantor kelurahan/desa"),
    "puskesmas": ("+", "#c0392b", "Puskesmas"),
    "rumah_sakit": ("H", "#c0392b", "Rumah sakit"),
    "sekolah": ("S", "#2c6fb0", "Sekolah"),
    "pasar": ("P", "#c27c0e", "Pasar"),
    "masjid": ("M", "#2e7d4f", "Masjid/musala"),
    "gereja": ("G", "#6a4c93", "Gereja"),
    "pura": ("U", "#a0522d", "Pura"),
    "vihara": ("V", "#a0522d", "Vihara/klenteng"),
    "tempat_ibadah": ("I", "#777777", "Tempat ibadah"),
}
#: Zoom from which public places are drawn, and road names written along the larger roads.
FACILITY_ZOOM: int = 14
ROAD_NAME_ZOOM: int = 15
