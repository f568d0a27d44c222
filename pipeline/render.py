"""Render stage: one self-contained, offline folium map per region.

Leaflet's JavaScript and CSS are inlined from the installed ``xstatic-leaflet``
package, so the map draws with no internet at all; folium's other CDN
assets (jQuery, Bootstrap, Font Awesome) are not used. The default
background is plain; OpenStreetMap tiles are an optional base layer that is
only requested when a planner selects it. Every text a planner reads is in
Bahasa Indonesia, with Indonesian number formats (``8,61 %``, ``1.234 KK``).

The input is the *public* kelurahan frame (already suppressed by
:mod:`pipeline.privacy`): nothing personal can reach the map.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import branca
import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from xstatic.pkg import leaflet as xstatic_leaflet

from . import columns as C
from .errors import PipelineError
from .indicators import KK_MISKIN_TANPA_PROGRAM

logger = logging.getLogger(__name__)

SYNTHETIC_NOTICE: str = "DATA SINTETIS — bukan data warga nyata"
HIDDEN_LABEL: str = "disembunyikan"
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
LAYER_RATE: str = "Persentase KK miskin & rentan"
LAYER_EXTREME: str = "Jumlah KK miskin ekstrem"
LAYER_GI: str = "Titik panas kemiskinan (Gi*)"
LAYER_KEC: str = "Batas kecamatan"
LAYER_POCKET: str = "Kantong kemiskinan (sel H3)"
LAYER_CELLS: str = "Sel H3: titik panas"
LAYER_CHANGE: str = "Perubahan KK miskin sejak snapshot lalu"
#: Net change in poor households: (upper bound, colour, label), diverging.
CHANGE_CLASSES: tuple[tuple[float, str, str], ...] = (
    (-20.5, "#2166ac", "turun > 20 KK"),
    (-0.5, "#92c5de", "turun 1–20 KK"),
    (0.5, "#f7f7f7", "tetap"),
    (20.5, "#f4a582", "naik 1–20 KK"),
    (math.inf, "#b2182b", "naik > 20 KK"),
)
POCKET_COLOR: str = "#cb181d"
#: H3 cell classes -> (colour, legend label); ``{k}`` is the suppression threshold.
CELL_STYLE: dict[str, tuple[str, str]] = {
    "panas": ("#ef3b2c", "Titik panas (FDR 5 %)"),
    "tidak_signifikan": ("#f0f0f0", "Tidak signifikan"),
    "dingin": ("#4292c6", "Titik dingin (FDR 5 %)"),
    "disembunyikan": (NO_DATA_COLOR, "disembunyikan: < {k} KK"),
}
_ELEMENT_ID = re.compile(r"\b([A-Za-z][A-Za-z0-9]*(?:_[A-Za-z][A-Za-z0-9]*)*)_([0-9a-f]{32})(?![0-9A-Za-z])")
_REMOTE_ASSET = re.compile(r"<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.IGNORECASE)


class RenderError(PipelineError):
    """The rendered map would need the network, or its input is unusable."""


def format_int(value: float | int | None) -> str:
    """``1234`` -> ``"1.234"``; missing -> ``"disembunyikan"``."""
    if value is None or pd.isna(value):
        return HIDDEN_LABEL
    return f"{int(value):,}".replace(",", ".")


def format_percent(value: float | None, digits: int = 2) -> str:
    """``8.6123`` -> ``"8,61 %"``; missing -> ``"disembunyikan"``."""
    if value is None or pd.isna(value):
        return HIDDEN_LABEL
    return f"{value:,.{digits}f}".replace(",", "_").replace(".", ",").replace("_", ".") + " %"


def format_households(values: pd.Series) -> pd.Series:
    """Counts as ``"1.234 KK"``; hidden counts as ``"disembunyikan"``."""
    return values.map(lambda v: HIDDEN_LABEL if v is None or pd.isna(v) else f"{format_int(v)} KK")


def format_date(value: dt.date) -> str:
    """``2026-09-30`` -> ``"30 September 2026"``."""
    months = (
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    )
    return f"{value.day} {months[value.month - 1]} {value.year}"


def _bin_colors(values: pd.Series, breaks: tuple[float, ...], colors: tuple[str, ...]) -> list[str]:
    index = np.digitize(values.to_numpy(dtype="float64", na_value=np.nan), breaks[1:-1], right=False)
    return [NO_DATA_COLOR if pd.isna(v) else colors[i] for v, i in zip(values, index, strict=True)]


def count_breaks(values: pd.Series, classes: int = 5) -> tuple[float, ...]:
    """Rounded class edges for a count layer (quantiles of the published values)."""
    data = values.dropna().astype("float64")
    if data.empty or data.max() <= 0:
        return (0.0, 1.0)
    edges = np.unique(np.quantile(data, np.linspace(0, 1, classes + 1)))
    step = 10 ** max(0, int(math.log10(max(data.max(), 1))) - 1)
    rounded = np.unique(np.concatenate([[0.0], np.ceil(edges[1:-1] / step) * step, [data.max() + 1]]))
    return tuple(float(e) for e in rounded)


@dataclass(frozen=True)
class MapContext:
    """What the side panel says about the region."""

    region_name: str
    data_date: dt.date
    synthetic: bool
    min_households: int
    poverty_rule: str
    summary: dict[str, float | int]
    generated: str
    #: Target rows of :func:`pipeline.progress.target_progress` as dicts.
    targets: list[dict] = field(default_factory=list)
    #: The trajectory chart (:func:`trajectory_svg`), inline SVG.
    chart: str = ""


def _offline_assets() -> str:
    """Leaflet JS and CSS from the installed package, with CSS images as data URIs."""
    base = Path(xstatic_leaflet.BASE_DIR)
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def inline_image(match: re.Match[str]) -> str:
        data = base64.b64encode((base / match.group(1)).read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", inline_image, css)
    js = (base / "leaflet.js").read_text(encoding="utf-8")
    return f"<style>{css}</style>\n<script>{js}</script>"


_PAGE_CSS = """
<style>
html, body {height: 100%; margin: 0; font-family: "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif;}
.leaflet-container {background: #eef2f5;}
.kantong-panel {position: absolute; top: 10px; left: 54px; z-index: 1000; width: 300px; max-height: calc(100% - 40px);
  overflow-y: auto; background: rgba(255,255,255,0.96); border-radius: 6px; box-shadow: 0 1px 6px rgba(0,0,0,.3);
  padding: 10px 12px; font-size: 13px; line-height: 1.35;}
.kantong-panel h1 {font-size: 17px; margin: 0 0 4px 0;}
.kantong-panel h2 {font-size: 13px; margin: 10px 0 4px 0;}
.kantong-panel table {border-collapse: collapse; width: 100%;}
.kantong-panel td {padding: 1px 0;} .kantong-panel td.angka {text-align: right; font-variant-numeric: tabular-nums;}
.kantong-sintetis {background: #fff3cd; border: 1px solid #e0a800; color: #7a5600; font-weight: 600;
  padding: 4px 6px; border-radius: 4px; margin: 4px 0;}
.kantong-catatan {color: #555; font-size: 11.5px;}
.kantong-legend {position: absolute; bottom: 24px; right: 10px; z-index: 1000; background: rgba(255,255,255,0.96);
  border-radius: 6px; box-shadow: 0 1px 6px rgba(0,0,0,.3); padding: 6px 10px; font-size: 12px; max-width: 240px;}
.kantong-legend .judul {font-weight: 600; margin-bottom: 3px;}
.kantong-legend i {display: inline-block; width: 14px; height: 12px; margin-right: 6px; border: 1px solid #999;
  vertical-align: middle;}
.kantong-label {font-size: 11px; font-weight: 600; color: #333; text-shadow: 0 0 3px #fff, 0 0 3px #fff;
  white-space: nowrap; pointer-events: none;}
@media print {
  .kantong-panel {position: absolute; width: 260px; box-shadow: none; border: 1px solid #999;}
  .leaflet-control-layers {display: none;}
}
</style>
"""


class _Html(branca.element.MacroElement):
    """A block of HTML placed over the map, plus optional script."""

    _template = branca.element.Template(
        """
        {% macro html(this, kwargs) %}{{ this.markup }}{% endmacro %}
        {% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}
        """
    )

    def __init__(self, markup: str, code: str = "") -> None:
        super().__init__()
        self._name = "KantongHtml"
        self.markup = markup
        self.code = code


def _legend_block(title: str, items: list[tuple[str, str]], *, layer: str, visible: bool) -> str:
    rows = "".join(f'<div><i style="background:{color}"></i>{html.escape(label)}</div>' for color, label in items)
    style = "" if visible else ' style="display:none"'
    return (
        f'<div class="kantong-legend-blok" data-layer="{html.escape(layer)}"{style}>'
        f'<div class="judul">{html.escape(title)}</div>{rows}</div>'
    )


def _legend_toggle_js(map_name: str) -> str:
    return f"""
    (function() {{
      var map = {map_name};
      function toggle(e, show) {{
        document.querySelectorAll('.kantong-legend-blok').forEach(function(el) {{
          if (el.getAttribute('data-layer') === e.name) {{ el.style.display = show ? '' : 'none'; }}
        }});
      }}
      map.on('overlayadd', function(e) {{ toggle(e, true); }});
      map.on('overlayremove', function(e) {{ toggle(e, false); }});
    }})();
    """


def _panel(context: MapContext, kelurahan: pd.DataFrame) -> str:
    s = context.summary
    if C.PERINGKAT in kelurahan:
        top_title = "Kelurahan prioritas (skor gabungan)"
        top = kelurahan.dropna(subset=[C.PERINGKAT]).sort_values(C.PERINGKAT).head(5)
    else:
        top_title = "Kelurahan dengan persentase miskin tertinggi"
        top = kelurahan.dropna(subset=[C.PERSEN_MISKIN]).nlargest(5, C.PERSEN_MISKIN)
    top_rows = "".join(
        f"<tr><td>{i}. {html.escape(str(r[C.NAMA_KEL]))}</td><td class='angka'>{format_percent(r[C.PERSEN_MISKIN], 1)}</td></tr>"
        for i, (_, r) in enumerate(top.iterrows(), start=1)
    )
    pockets = (
        f"<tr><td>Kantong kemiskinan</td><td class='angka'>{format_int(s['jumlah_kantong'])} "
        f"({format_int(s['kk_dalam_kantong'])} KK)</td></tr>"
        if "jumlah_kantong" in s
        else ""
    )
    targets = (
        f"<h2>Target kemiskinan</h2><div class='kantong-catatan'>{_target_text(context.targets)}</div>{context.chart}"
        if context.targets
        else ""
    )
    mpi = (
        f"<tr><td>Miskin multidimensi (H)</td><td class='angka'>{format_percent(s[C.MPI_H])}</td></tr>"
        if C.MPI_H in s
        else ""
    )
    notice = f'<div class="kantong-sintetis">{SYNTHETIC_NOTICE}</div>' if context.synthetic else ""
    return f"""
    <div class="kantong-panel" id="kantong-panel">
      <h1>{html.escape(context.region_name)}</h1>
      <div>Peta kantong kemiskinan</div>
      {notice}
      <table>
        <tr><td>Jumlah keluarga</td><td class="angka">{format_int(s[C.JUMLAH_KK])} KK</td></tr>
        <tr><td>Jumlah jiwa</td><td class="angka">{format_int(s[C.JUMLAH_JIWA])}</td></tr>
        <tr><td>KK miskin &amp; rentan</td><td class="angka">{format_int(s[C.KK_MISKIN])} KK ({format_percent(s[C.PERSEN_MISKIN])})</td></tr>
        <tr><td>KK miskin ekstrem</td><td class="angka">{format_int(s[C.KK_MISKIN_EKSTREM])} KK ({format_percent(s[C.PERSEN_MISKIN_EKSTREM])})</td></tr>
        <tr><td>KK miskin tanpa program</td><td class="angka">{format_int(s[KK_MISKIN_TANPA_PROGRAM])} KK</td></tr>
        {mpi}
        {pockets}
      </table>
      {targets}
      <h2>{top_title}</h2>
      <table>{top_rows}</table>
      <h2>Keterangan</h2>
      <div class="kantong-catatan">
        Tanggal data: {format_date(context.data_date)}<br>
        Definisi: {html.escape(context.poverty_rule)}<br>
        Angka di bawah {context.min_households} KK disembunyikan untuk melindungi data pribadi (UU 27/2022).<br>
        Titik panas: Getis-Ord Gi*, ketetanggaan queen, uji permutasi.<br>
        Kantong: sel H3 yang KK miskinnya lebih banyak daripada yang dijelaskan oleh persentase wilayah (Gi*, koreksi FDR 5 %).<br>
        Dibuat: {html.escape(context.generated)}
      </div>
    </div>
    """


def _target_text(rows: list[dict]) -> str:
    """Target rows as short Indonesian lines (escaped)."""
    lines = []
    for row in rows:
        text = f"Target {row['indikator']} {row['tahun_target']}: {format_percent(row['target_persen'])}"
        if row.get("bps_persen") is not None and not pd.isna(row.get("bps_persen")):
            text += (
                f" — BPS {row['tahun_bps']}: {format_percent(row['bps_persen'])}; selisih "
                f"{format_percent(row['selisih_poin']).replace(' %', ' poin')} ≈ {format_int(row['selisih_jiwa'])} jiwa"
                f" ≈ {format_int(row['selisih_kk'])} KK"
            )
        text += f"; status: {STATUS_LABELS.get(row['status'], row['status'])}"
        lines.append(f"<div>{html.escape(text)}</div>")
    return "".join(lines)


def _tooltip_frame(kelurahan: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Only the fields the map shows, pre-formatted, with light geometries."""
    out = gpd.GeoDataFrame(
        {
            "nama": kelurahan[C.NAMA_KEL].astype(str),
            "kecamatan": kelurahan[C.NAMA_KEC].astype(str),
            "kk": format_households(kelurahan[C.JUMLAH_KK]),
            "miskin": format_households(kelurahan[C.KK_MISKIN]),
            "persen": kelurahan[C.PERSEN_MISKIN].map(format_percent),
            "ekstrem": format_households(kelurahan[C.KK_MISKIN_EKSTREM]),
            "gi": [GI_STYLE.get(c, GI_STYLE["tanpa_data"])[1] for c in kelurahan[C.GI_KELAS]],
            "warna_persen": _bin_colors(kelurahan[C.PERSEN_MISKIN], RATE_BREAKS, RATE_COLORS),
            "warna_gi": [GI_STYLE.get(c, GI_STYLE["tanpa_data"])[0] for c in kelurahan[C.GI_KELAS]],
        },
        geometry=shapely.set_precision(kelurahan.geometry.values, 1e-5),
        crs=kelurahan.crs,
    )
    return out


def _choropleth(data: gpd.GeoDataFrame, *, name: str, color_field: str, show: bool) -> folium.GeoJson:
    fields = ["nama", "kecamatan", "kk", "miskin", "persen", "ekstrem", "gi"]
    aliases = [
        "Kelurahan",
        "Kecamatan",
        "Jumlah KK",
        "KK miskin & rentan",
        "Persentase miskin",
        "KK miskin ekstrem",
        "Gi*",
    ]
    return folium.GeoJson(
        data[[*fields, color_field, "geometry"]],
        name=name,
        show=show,
        style_function=lambda f, field=color_field: {
            "fillColor": f["properties"][field],
            "color": "#555555",
            "weight": 1,
            "fillOpacity": 0.75,
            "className": "kantong-kel",
        },
        highlight_function=lambda f: {"weight": 3, "color": "#222222"},
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=True, localize=False),
    )


def _filled_layer(
    data: gpd.GeoDataFrame,
    *,
    name: str,
    show: bool,
    css_class: str,
    tooltip: dict[str, str],
    outline: str = "#555555",
    weight: float = 1,
    opacity: float = 0.75,
    fill: str | None = None,
) -> folium.GeoJson:
    """A polygon layer filled from its ``warna`` field (or one ``fill`` colour), with a tooltip.

    ``tooltip`` maps fields to their Indonesian labels; ``css_class`` names
    the drawn paths (tests and print styles find them by it).
    """
    data = data.assign(geometry=shapely.set_precision(data.geometry.values, 1e-5))
    return folium.GeoJson(
        data,
        name=name,
        show=show,
        style_function=lambda f: {
            "fillColor": fill or f["properties"]["warna"],
            "color": outline,
            "weight": weight,
            "fillOpacity": opacity,
            "className": css_class,
        },
        highlight_function=lambda f: {"weight": weight + 1.5},
        tooltip=folium.GeoJsonTooltip(
            fields=list(tooltip), aliases=list(tooltip.values()), sticky=True, localize=False
        ),
    )


def _pocket_layer(pockets: gpd.GeoDataFrame) -> folium.GeoJson:
    data = gpd.GeoDataFrame(
        {
            "kantong": pockets["kantong_id"].astype(str) + " (peringkat " + pockets["peringkat"].astype(str) + ")",
            "kelurahan": pockets[C.NAMA_KEL].astype(str),
            "kk": format_households(pockets["jumlah_kk"]),
            "miskin": format_households(pockets[C.KK_MISKIN]),
            "persen": pockets[C.PERSEN_MISKIN].map(format_percent),
            "luas": pockets["luas_km2"].map(lambda v: format_percent(v).replace(" %", " km²")),
        },
        geometry=pockets.geometry.values,
        crs=pockets.crs,
    )
    labels = ["Kantong", "Kelurahan", "Jumlah KK", "KK miskin & rentan", "Persentase miskin", "Luas"]
    return _filled_layer(
        data,
        name=LAYER_POCKET,
        show=True,
        css_class="kantong-pocket",
        tooltip=dict(zip(data.columns[:-1], labels, strict=True)),
        outline="#67000d",
        weight=2.5,
        opacity=0.35,
        fill=POCKET_COLOR,
    )


def _cell_layer(cells: gpd.GeoDataFrame, *, k: int) -> folium.GeoJson:
    styles = {cls: (color, label.format(k=k)) for cls, (color, label) in CELL_STYLE.items()}
    classes = cells["gi_kelas"].where(cells["gi_kelas"].isin(list(styles)), "tidak_signifikan")
    data = gpd.GeoDataFrame(
        {
            "kelas": [styles[c][1] for c in classes],
            "kk": format_households(cells["jumlah_kk"]),
            "persen": cells[C.PERSEN_MISKIN].map(format_percent),
            "warna": [styles[c][0] for c in classes],
        },
        geometry=cells.geometry.values,
        crs=cells.crs,
    )
    return _filled_layer(
        data,
        name=LAYER_CELLS,
        show=False,
        css_class="kantong-sel",
        tooltip={"kelas": "Sel H3", "kk": "Jumlah KK", "persen": "Persentase miskin"},
        outline="#ffffff",
        weight=0.5,
        opacity=0.8,
    )


def _change_layer(changes: gpd.GeoDataFrame) -> folium.GeoJson:
    net = changes["perubahan_miskin"].astype("Float64")

    def color(value) -> str:
        if pd.isna(value):
            return NO_DATA_COLOR
        return next(c for bound, c, _ in CHANGE_CLASSES if value < bound)

    def signed(value) -> str:
        return HIDDEN_LABEL if pd.isna(value) else f"{int(value):+d} KK".replace("+0", "0")

    data = gpd.GeoDataFrame(
        {
            "nama": changes[C.NAMA_KEL].astype(str),
            "bersih": net.map(signed),
            "masuk": format_households(changes["kk_masuk_miskin"]),
            "keluar": format_households(changes["kk_keluar_miskin"]),
            "baru": format_households(changes["kk_baru"]),
            "hilang": format_households(changes["kk_hilang"]),
            "warna": [color(v) for v in net],
        },
        geometry=changes.geometry.values,
        crs=changes.crs,
    )
    return _filled_layer(
        data,
        name=LAYER_CHANGE,
        show=False,
        css_class="kantong-perubahan",
        tooltip={
            "nama": "Kelurahan",
            "bersih": "Perubahan KK miskin",
            "masuk": "Masuk desil miskin",
            "keluar": "Keluar desil miskin",
            "baru": "KK baru",
            "hilang": "KK hilang",
        },
    )


def map_from_indicators(
    kelurahan: gpd.GeoDataFrame,
    *,
    kecamatan: gpd.GeoDataFrame,
    context: MapContext,
    pockets: gpd.GeoDataFrame | None = None,
    cells: gpd.GeoDataFrame | None = None,
    changes: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """Build the region's map from public (suppressed) indicators.

    Parameters
    ----------
    kelurahan
        Public kelurahan indicators with Gi* classes, EPSG:4326.
    kecamatan
        Kecamatan polygons with ``nama_kec``, EPSG:4326.
    context
        Texts for the side panel.
    pockets
        Public pocket polygons (:func:`pipeline.cells.merge_pockets`), EPSG:4326.
    cells
        Public H3 cells (:func:`pipeline.cells.public_cells`), EPSG:4326.
    changes
        Public movements since the previous register snapshot
        (:func:`pipeline.progress.compare_snapshots`), EPSG:4326.

    Returns
    -------
    folium.Map
        Layers: poverty rate (shown), extreme-poor count, Gi* hot spots,
        pockets (shown) and H3 cells when given, kecamatan outlines with
        names; a legend per layer, a layer control and a scale bar.

    Raises
    ------
    RenderError
        If the frames are not in EPSG:4326.
    """
    for frame, what in ((kelurahan, "kelurahan"), (kecamatan, "kecamatan")):
        if frame.crs is None or frame.crs.to_epsg() != 4326:
            raise RenderError(
                f"{what} layer must be in EPSG:4326 for the web map, found {frame.crs}; call .to_crs(4326)"
            )
    minx, miny, maxx, maxy = kelurahan.total_bounds
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=None, control_scale=True, zoom_start=12)
    m.default_js = []
    m.default_css = []
    root = m.get_root()
    root.header.add_child(branca.element.Element(_offline_assets()), name="kantong_leaflet")
    root.header.add_child(branca.element.Element(_PAGE_CSS), name="kantong_css")
    root.title = f"Peta Kantong Kemiskinan — {context.region_name}"

    folium.FeatureGroup(name="Latar polos (tanpa internet)", overlay=False, control=True).add_to(m)
    folium.TileLayer(
        "OpenStreetMap", name="OpenStreetMap (perlu internet)", overlay=False, show=False, control=True
    ).add_to(m)

    data = _tooltip_frame(kelurahan)
    data["warna_ekstrem"] = _bin_colors(
        kelurahan[C.KK_MISKIN_EKSTREM].astype("Float64"),
        breaks := count_breaks(kelurahan[C.KK_MISKIN_EKSTREM].astype("Float64")),
        COUNT_COLORS[: max(1, len(breaks) - 1)],
    )
    _choropleth(data, name=LAYER_RATE, color_field="warna_persen", show=True).add_to(m)
    _choropleth(data, name=LAYER_EXTREME, color_field="warna_ekstrem", show=False).add_to(m)
    _choropleth(data, name=LAYER_GI, color_field="warna_gi", show=False).add_to(m)
    if changes is not None and len(changes):
        _change_layer(changes).add_to(m)
    if cells is not None and len(cells):
        _cell_layer(cells, k=context.min_households).add_to(m)
    if pockets is not None and len(pockets):
        _pocket_layer(pockets).add_to(m)

    kec = folium.FeatureGroup(name=LAYER_KEC, show=True)
    folium.GeoJson(
        kecamatan[[C.NAMA_KEC, "geometry"]].assign(geometry=shapely.set_precision(kecamatan.geometry.values, 1e-5)),
        style_function=lambda f: {"fill": False, "color": "#222222", "weight": 2.5, "dashArray": "6 4"},
        interactive=False,
    ).add_to(kec)
    for _, row in kecamatan.iterrows():
        point = row.geometry.representative_point()
        folium.Marker(
            [point.y, point.x],
            icon=folium.DivIcon(
                html=f'<div class="kantong-label">{html.escape(str(row[C.NAMA_KEC]))}</div>',
                icon_size=(160, 16),
                icon_anchor=(80, 8),
                class_name="kantong-label-icon",
            ),
            interactive=False,
        ).add_to(kec)
    kec.add_to(m)

    rate_items = [
        (color, f"{lo:g}–{hi:g} %" if hi <= 100 else f"≥ {lo:g} %")
        for lo, hi, color in zip(RATE_BREAKS[:-1], RATE_BREAKS[1:], RATE_COLORS, strict=True)
    ] + [(NO_DATA_COLOR, f"{HIDDEN_LABEL} / tanpa data")]
    count_items = [
        (color, f"{format_int(lo)}–{format_int(hi - 1)} KK")
        for lo, hi, color in zip(breaks[:-1], breaks[1:], COUNT_COLORS, strict=False)
    ] + [(NO_DATA_COLOR, f"{HIDDEN_LABEL} (< {context.min_households} KK)")]
    gi_items = [GI_STYLE[c] for c in GI_STYLE]
    legend = (
        '<div class="kantong-legend" id="kantong-legend">'
        + _legend_block(LAYER_RATE, rate_items, layer=LAYER_RATE, visible=True)
        + _legend_block(LAYER_EXTREME, count_items, layer=LAYER_EXTREME, visible=False)
        + _legend_block(LAYER_GI, gi_items, layer=LAYER_GI, visible=False)
        + (
            _legend_block(
                LAYER_CHANGE,
                [(c, label) for _, c, label in CHANGE_CLASSES] + [(NO_DATA_COLOR, HIDDEN_LABEL)],
                layer=LAYER_CHANGE,
                visible=False,
            )
            if changes is not None and len(changes)
            else ""
        )
        + (
            _legend_block(
                LAYER_POCKET,
                [(POCKET_COLOR, "Kantong: sel H3 titik panas yang bersebelahan")],
                layer=LAYER_POCKET,
                visible=True,
            )
            if pockets is not None and len(pockets)
            else ""
        )
        + (
            _legend_block(
                LAYER_CELLS,
                [(c, label.format(k=context.min_households)) for c, label in CELL_STYLE.values()],
                layer=LAYER_CELLS,
                visible=False,
            )
            if cells is not None and len(cells)
            else ""
        )
        + "</div>"
    )
    m.add_child(_Html(_panel(context, kelurahan) + legend, _legend_toggle_js(m.get_name())))
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def _letters(n: int) -> str:
    """0 -> "a", 25 -> "z", 26 -> "ba": a counter written with letters only."""
    out = ""
    while True:
        n, r = divmod(n, 26)
        out = chr(ord("a") + r) + out
        if n == 0:
            return out


def stable_element_ids(page: str) -> str:
    """Replace folium's random element ids (``map_<32 hex>``) with sequential letters.

    Random hex ids make every build differ and, now and then, contain sixteen
    decimal digits in a row, which the NIK scan rightly refuses. Letters-only
    ids in order of first appearance make the page repeatable.
    """
    ids: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        token = ids.setdefault(match.group(2), "k" + _letters(len(ids)))
        return f"{match.group(1)}_{token}"

    return _ELEMENT_ID.sub(replace, page)


def html_from_map(m: folium.Map) -> str:
    """Render the map to one HTML string that needs no network.

    Raises
    ------
    RenderError
        If the page still references a remote script or stylesheet.
    """
    page = stable_element_ids(m.get_root().render())
    remote = _REMOTE_ASSET.findall(page)
    if remote:
        raise RenderError(f"the map would load {len(remote)} asset(s) from the internet: {remote[:3]}; inline them")
    return page


STATUS_LABELS: dict[str, str] = {
    "tercapai": "tercapai",
    "tidak_tercapai": "tidak tercapai",
    "sesuai_jalur": "sesuai jalur",
    "tidak_sesuai_jalur": "tidak sesuai jalur",
    "belum_dapat_dinilai": "belum dapat dinilai (baru satu angka BPS)",
    "tanpa_data_bps": "belum ada angka BPS",
}


def trajectory_svg(
    bps: list[tuple[int, float]],
    targets: list[tuple[int, float]],
    register: tuple[int, float] | None = None,
    *,
    width: int = 300,
    height: int = 170,
) -> str:
    """A small chart of the poverty rate: BPS figures, the target path and the register.

    BPS figures are a solid blue line with dots; targets are red diamonds
    joined to the latest BPS figure by a dashed line; the register's figure
    is a grey square, labelled as not a BPS figure.

    Returns
    -------
    str
        Inline SVG (no script, no external reference); "" without BPS figures or targets.
    """
    if not bps and not targets:
        return ""
    points = [*bps, *targets, *([register] if register else [])]
    years = [p[0] for p in points]
    x0, x1 = min(years) - 0.5, max(years) + 0.5
    top = max(p[1] for p in points) * 1.15 or 1.0
    left, right, upper, lower = 34, 8, 10, 44

    def x(year: float) -> float:
        return left + (year - x0) / (x1 - x0) * (width - left - right)

    def y(rate: float) -> float:
        return upper + (1 - rate / top) * (height - upper - lower)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kantong-grafik" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Lintasan persentase penduduk miskin">',
        f'<line x1="{left}" y1="{y(0):.1f}" x2="{width - right}" y2="{y(0):.1f}" stroke="#999"/>',
    ]
    for tick in np.linspace(0, top / 1.15, 3):
        parts.append(
            f'<text x="{left - 4}" y="{y(tick) + 3:.1f}" font-size="9" text-anchor="end">{format_percent(tick, 1)}</text>'
        )
    for year in sorted(set(years)):
        parts.append(f'<text x="{x(year):.1f}" y="{y(0) + 12:.1f}" font-size="9" text-anchor="middle">{year}</text>')
    if len(bps) > 1:
        path = " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in bps)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#2166ac" stroke-width="2"/>')
    for a, b in bps:
        parts.append(
            f'<circle cx="{x(a):.1f}" cy="{y(b):.1f}" r="3.5" fill="#2166ac"><title>BPS {a}: {format_percent(b)}</title></circle>'
        )
    if bps and targets:
        a, b = bps[-1]
        c, d = targets[-1]
        parts.append(
            f'<line x1="{x(a):.1f}" y1="{y(b):.1f}" x2="{x(c):.1f}" y2="{y(d):.1f}" stroke="#b2182b" '
            'stroke-width="1.5" stroke-dasharray="4 3"/>'
        )
    for a, b in targets:
        cx, cy = x(a), y(b)
        parts.append(
            f'<polygon points="{cx:.1f},{cy - 5:.1f} {cx + 5:.1f},{cy:.1f} {cx:.1f},{cy + 5:.1f} {cx - 5:.1f},{cy:.1f}" '
            f'fill="#b2182b"><title>Target {a}: {format_percent(b)}</title></polygon>'
        )
    if register:
        a, b = register
        parts.append(
            f'<rect x="{x(a) - 3.5:.1f}" y="{y(b) - 3.5:.1f}" width="7" height="7" fill="#737373">'
            f"<title>Register {a}: {format_percent(b)} (bukan angka BPS)</title></rect>"
        )
    legend = [("#2166ac", "● BPS"), ("#b2182b", "◆ target"), ("#737373", "■ register (bukan BPS)" if register else "")]
    for i, (color, label) in enumerate(item for item in legend if item[1]):
        parts.append(
            f'<text x="{left + i * 62}" y="{height - 8}" font-size="9" fill="{color}">{html.escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def chart_series(summary: dict) -> tuple[list, list, tuple | None]:
    """The (BPS, target, register) series of :func:`trajectory_svg` from a region's ``ringkasan.json``."""
    series = summary.get("grafik") or {}
    register = series.get("register")
    return (
        [tuple(p) for p in series.get("bps", [])],
        [tuple(p) for p in series.get("target", [])],
        tuple(register) if register else None,
    )


def index_html(regions: list[dict]) -> str:
    """A small offline index page listing regions with headline figures.

    Parameters
    ----------
    regions
        One dict per region: ``slug``, ``nama``, ``sintetis`` and the
        summary figures of :func:`pipeline.indicators.region_summary`.
    """
    rows = []
    for r in sorted(regions, key=lambda r: r["nama"]):
        s = r["ringkasan"]
        badge = f' <span class="sintetis">{SYNTHETIC_NOTICE}</span>' if r.get("sintetis") else ""
        rows.append(
            f"<tr><td><a href='{html.escape(r['slug'])}/peta.html'>{html.escape(r['nama'])}</a>{badge}</td>"
            f"<td>{s['jumlah_kelurahan']}</td><td>{format_int(s[C.JUMLAH_KK])}</td>"
            f"<td>{format_percent(s[C.PERSEN_MISKIN])}</td><td>{format_percent(s[C.PERSEN_MISKIN_EKSTREM])}</td>"
            f"<td>{html.escape(r['tanggal_data'])}</td>"
            f"<td>{_target_text(r.get('target', []))}{trajectory_svg(*chart_series(r))}</td></tr>"
        )
    return f"""<!DOCTYPE html>
<html lang="id"><head><meta charset="utf-8"><title>Peta Kantong Kemiskinan</title>
<style>body{{font-family:Arial,sans-serif;margin:2em;}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}} .sintetis{{color:#7a5600;background:#fff3cd;font-size:.85em;padding:1px 4px}}</style>
</head><body><h1>Peta Kantong Kemiskinan</h1>
<table><tr><th>Wilayah</th><th>Kelurahan/desa</th><th>Jumlah KK</th><th>% miskin &amp; rentan</th><th>% miskin ekstrem</th><th>Tanggal data</th><th>Target dan lintasan (BPS, target, register)</th></tr>
{"".join(rows)}</table></body></html>
"""
