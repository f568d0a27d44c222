"""The province overview map: kab/kota coloured by their share of poor households, each linking to its map.

Like the region's map it is one offline page (Leaflet inlined), in Bahasa
Indonesia. Its input is the kab/kota table of :mod:`pipeline.publish.province`,
made only of figures the kab/kota maps already publish. Names reach the page
as text only: the list is escaped, and the tooltips are built with
``textContent`` from a JSON element.
"""

from __future__ import annotations

import html
import json

import branca
import folium
import geopandas as gpd
import pandas as pd
import shapely

from ... import columns as C
from ..palette import NO_DATA_COLOR, RATE_BREAKS, RATE_COLORS, SYNTHETIC_NOTICE
from .data import _json_for_script
from .elements import Html, inert_html, offline_assets
from .format import format_int, format_percent
from .geometry import web_geometry

#: What a kab/kota's status reads as on the map.
STATUS_TEXT: dict[str, str] = {
    "selesai": "",
    "gagal": "Peta kab/kota gagal dibuat",
    "tanpa_data": "Tidak ada KK di register provinsi",
}

_STYLE = """
html,body{height:100%;margin:0}
.provinsi-panel{position:absolute;z-index:1000;top:10px;left:10px;width:430px;max-height:calc(100% - 40px);
 overflow:auto;background:#fff;border-radius:6px;box-shadow:0 1px 5px rgba(0,0,0,.4);padding:8px 12px;
 font:13px/1.35 Arial,sans-serif}
.provinsi-panel h1{font-size:16px;margin:2px 0 4px}
.provinsi-panel table{border-collapse:collapse;width:100%;margin-top:6px;font-size:12px;table-layout:fixed}
.provinsi-panel col.nama{width:40%}
.provinsi-panel td,.provinsi-panel th{border-bottom:1px solid #ddd;padding:2px 4px;text-align:left;vertical-align:top}
.provinsi-panel td.n{text-align:right;white-space:nowrap}
.provinsi-panel .sintetis{color:#7a5600;background:#fff3cd;padding:1px 4px}
.provinsi-panel .gagal{color:#a50f15}
.provinsi-legend span{display:inline-block;width:14px;height:10px;margin-right:4px;border:1px solid #999}
@media (min-width:641px){.leaflet-top.leaflet-left{left:450px}}
@media (max-width:640px){.provinsi-panel{top:auto;bottom:0;left:0;width:auto;right:0;max-height:45%;
 border-radius:6px 6px 0 0}}
@media print{@page{size:A4 landscape;margin:8mm}
 html,body{width:281mm!important;height:192mm!important;overflow:hidden;position:relative;-webkit-print-color-adjust:exact;print-color-adjust:exact}
 .folium-map{position:absolute!important;top:0;left:0;width:100%!important;height:100%!important}
 .provinsi-panel{top:0;left:0;bottom:auto;right:auto;width:400px;max-height:none;overflow:visible;box-shadow:none;
  border:1px solid #999;font-size:10px;padding:4px 8px}
 .provinsi-panel h1{font-size:13px}
 .provinsi-panel table{font-size:8px;margin-top:2px}
 .provinsi-panel td,.provinsi-panel th{padding:0 2px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
 .provinsi-legend div{display:inline-block;margin-right:6px}
 .leaflet-control-zoom{display:none}}
"""

_SCRIPT = """
(function(){
  var map = %(map)s;
  var data = JSON.parse(document.getElementById("provinsi_data").textContent);
  var layer = L.geoJSON(data, {
    style: function(f){ return {color:"#444", weight:1, fillColor:f.properties.warna, fillOpacity:0.85}; },
    onEachFeature: function(f, l){
      var box = document.createElement("div");
      var title = document.createElement("b"); title.textContent = f.properties.nama; box.appendChild(title);
      f.properties.baris.forEach(function(t){ var d = document.createElement("div"); d.textContent = t; box.appendChild(d); });
      l.bindTooltip(box, {sticky: true});
      if (f.properties.peta) { l.on("click", function(){ window.location.href = f.properties.peta; }); }
    }
  }).addTo(map);
  var panel = document.getElementById("provinsi-panel");
  function fit() {
    // clear of the panel: beside it on a wide screen and on paper, above it (a drawer) on a phone
    var wide = window.matchMedia("(min-width: 641px)").matches || PRINT.matches;
    map.invalidateSize({pan: false});
    map.options.zoomSnap = PRINT.matches ? 0.1 : 1;  // on paper: fill the page, not the nearest whole zoom
    var pad = wide ? {paddingTopLeft: [panel.offsetWidth + 20, 10]} : {paddingBottomRight: [0, panel.offsetHeight + 10]};
    pad.animate = false;
    map.fitBounds(layer.getBounds(), pad);
  }
  var PRINT = window.matchMedia("print");
  PRINT.addEventListener("change", fit);
  window.addEventListener("beforeprint", fit);
  window.addEventListener("afterprint", fit);
  fit();
})();
"""


def _color(rate: float | None) -> str:
    if rate is None or pd.isna(rate):
        return NO_DATA_COLOR
    for hi, color in zip(RATE_BREAKS[1:], RATE_COLORS, strict=True):
        if rate < hi:
            return color
    return RATE_COLORS[-1]


def _lines(row: pd.Series) -> list[str]:
    if row["status"] != "selesai":
        return [STATUS_TEXT[row["status"]]]
    return [
        f"{format_int(row[C.JUMLAH_KK])} KK di {format_int(row['jumlah_kelurahan'])} kelurahan/desa",
        f"KK miskin & rentan: {format_percent(row[C.PERSEN_MISKIN])}",
        f"KK miskin ekstrem: {format_percent(row[C.PERSEN_MISKIN_EKSTREM])}",
        f"Kantong kemiskinan: {format_int(row['jumlah_kantong'])}",
        "Klik untuk membuka peta kab/kota",
    ]


def _features(kabkota: gpd.GeoDataFrame) -> dict:
    geometry = shapely.set_precision(web_geometry(kabkota.geometry).to_numpy(), 1e-5)
    features = []
    for (_, row), shape in zip(kabkota.iterrows(), geometry, strict=True):  # one row per kab/kota (tens)
        features.append(
            {
                "type": "Feature",
                "geometry": json.loads(shapely.to_geojson(shape)),
                "properties": {
                    "nama": str(row["nama_kabkota"]),
                    "baris": _lines(row),
                    "warna": _color(row[C.PERSEN_MISKIN]) if row["status"] == "selesai" else NO_DATA_COLOR,
                    "peta": row["peta"] if row["status"] == "selesai" else "",
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _totals(figures: dict) -> str:
    """The province's totals, or why a total is not given (a kab/kota hid its own)."""
    built = format_int(figures["kabkota_selesai"])
    hidden = figures["kabkota_tersembunyi"]
    note = (
        f"<div>{hidden} kab/kota menyembunyikan angka wilayahnya (angka kecil): angka provinsi itu tidak "
        "dijumlahkan, agar angka yang disembunyikan tidak dapat dihitung kembali.</div>"
        if hidden
        else ""
    )
    households = figures[C.JUMLAH_KK]
    head = f"{format_int(households)} KK di {built} kab/kota" if households is not None else f"{built} kab/kota"

    def share(value: float | None) -> str:
        return format_percent(value) if value is not None else "tidak dijumlahkan"

    return (
        f"<div>{head}; KK miskin &amp; rentan {share(figures[C.PERSEN_MISKIN])}, miskin ekstrem "
        f"{share(figures[C.PERSEN_MISKIN_EKSTREM])}</div>{note}"
    )


def _panel(kabkota: pd.DataFrame, *, name: str, made: str, data_date: str, synthetic: bool, figures: dict) -> str:
    rows = []
    for _, row in kabkota.iterrows():
        label = html.escape(str(row["nama_kabkota"]))
        if row["status"] == "selesai":
            label = f"<a href='{html.escape(row['peta'])}'>{label}</a>"
            cells = (
                format_int(row[C.JUMLAH_KK]),
                format_percent(row[C.PERSEN_MISKIN]),
                format_percent(row[C.PERSEN_MISKIN_EKSTREM]),
                format_int(row["jumlah_kantong"]),
            )
            rows.append(f"<tr><td>{label}</td>" + "".join(f"<td class='n'>{c}</td>" for c in cells) + "</tr>")
        else:
            why = html.escape(STATUS_TEXT[row["status"]])
            rows.append(f"<tr><td>{label}</td><td colspan='4' class='gagal'>{why}</td></tr>")
    legend = "".join(
        f"<div><span style='background:{c}'></span>{format_percent(lo, 0)} – {format_percent(min(hi, 100), 0)}</div>"
        for lo, hi, c in zip(RATE_BREAKS[:-1], RATE_BREAKS[1:], RATE_COLORS, strict=True)
    )
    legend += f"<div><span style='background:{NO_DATA_COLOR}'></span>Disembunyikan / gagal dibuat / tanpa data</div>"
    notice = f"<p class='sintetis'>{SYNTHETIC_NOTICE}</p>" if synthetic else ""
    missing = figures["kabkota_gagal"]
    partial = f"<p class='gagal'>{missing} kab/kota gagal dibuat: jumlah provinsi belum lengkap.</p>" if missing else ""
    return f"""<div class="provinsi-panel" id="provinsi-panel">
<h1>{inert_html(name)}: kantong kemiskinan per kabupaten/kota</h1>
{notice}<div>Tanggal data {html.escape(data_date)} · dibuat {html.escape(made)}</div>
{_totals(figures)}{partial}
<div class="provinsi-legend"><b>% KK miskin &amp; rentan</b>{legend}</div>
<table><colgroup><col class="nama"><col><col><col><col></colgroup><tr><th>Kabupaten/kota</th><th>KK</th><th>% miskin</th><th>% ekstrem</th><th>Kantong</th></tr>
{"".join(rows)}</table>
<p><a href="../index.html">Semua wilayah</a></p></div>"""


def province_map(
    kabkota: gpd.GeoDataFrame, *, name: str, made: str, data_date: str, synthetic: bool, figures: dict
) -> folium.Map:
    """The overview map of a province's kab/kota (EPSG:4326), each linking to its own map.

    Parameters
    ----------
    kabkota
        :data:`pipeline.analyse.province.KABKOTA_COLUMNS` and polygons.
    name, made, data_date, synthetic
        The province's name, when the map was made, the register's date, whether the data are synthetic.
    figures
        :func:`pipeline.analyse.province.province_figures`.
    """
    minx, miny, maxx, maxy = kabkota.total_bounds
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=None, zoom_start=8, control_scale=True)
    m.default_js = []
    m.default_css = []
    root = m.get_root()
    root.header.add_child(branca.element.Element(offline_assets()), name="kantong_leaflet")
    root.header.add_child(branca.element.Element(f"<style>{_STYLE}</style>"), name="provinsi_style")
    root.title = inert_html(f"Peta Kantong Kemiskinan — {name}")
    data = _json_for_script(json.dumps(_features(kabkota), ensure_ascii=False))
    markup = f'<script type="application/json" id="provinsi_data">{data}</script>'
    panel = _panel(kabkota, name=name, made=made, data_date=data_date, synthetic=synthetic, figures=figures)
    m.add_child(Html(markup + panel, _SCRIPT % {"map": m.get_name()}))
    return m
