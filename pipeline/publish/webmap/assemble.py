"""The map assembled: one self-contained, offline folium map per region.

Leaflet's JavaScript and CSS are inlined from the installed ``xstatic-leaflet``
package, and the map's own script and style (``pipeline/publish/webmap/assets``) are
inlined beside them, so the map draws with no internet at all; folium's
CDN assets (jQuery, Bootstrap, Font Awesome) are not used. The background
is plain; OpenStreetMap is an optional overlay that needs internet. Every
text a planner reads is in Bahasa Indonesia, with Indonesian number formats
(``8,61 %``, ``1.234 KK``).

The kelurahan are drawn once and recoloured by *themes* (radio entries of
the layer control): the geometry is stored a single time, as compact
integer steps, however many themes there are. That keeps a province map
(Jawa Tengah, 8,563 kelurahan) near 11 MB and drawn in about 2 s.

The input is the *public* kelurahan frame (already suppressed by
:mod:`pipeline.publish.privacy`): nothing personal can reach the map. Names from
input files are escaped wherever the page shows them.
"""

from __future__ import annotations

import logging
import re

import branca
import folium
import geopandas as gpd
import pandas as pd

from ... import columns as C
from ...errors import PipelineError
from ...ingest.basemap import basemap_box
from ..palette import BASEMAP_LAYER, CELL_STYLE, POCKET_COLOR, fdr_label
from .basemap import basemap_element, basemap_legend, basemap_records
from .data import cell_records, map_data
from .elements import Engine, EngineLayer, Html, asset, inert_html, offline_assets
from .format import format_int
from .geometry import web_geometry
from .panel import MapContext, legend_block, panel_html, programme_gaps
from .themes import LAYER_CELLS, LAYER_KEC, LAYER_OSM, LAYER_POCKET, kelurahan_themes

logger = logging.getLogger(__name__)

#: Above this many H3 cells the map draws only the significant ones.
MAX_MAP_CELLS: int = 20_000
_ELEMENT_ID = re.compile(r"\b([A-Za-z][A-Za-z0-9]*(?:_[A-Za-z][A-Za-z0-9]*)*)_([0-9a-f]{32})(?![0-9A-Za-z])")
_REMOTE_ASSET = re.compile(r"<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.IGNORECASE)


class RenderError(PipelineError):
    """The rendered map would need the network, or its input is unusable."""


def map_from_indicators(
    kelurahan: gpd.GeoDataFrame,
    *,
    context: MapContext,
    pockets: gpd.GeoDataFrame | None = None,
    cells: gpd.GeoDataFrame | None = None,
    changes: gpd.GeoDataFrame | None = None,
    coverage: pd.DataFrame | None = None,
    coverage_region: pd.DataFrame | None = None,
    programs: dict[str, str] | None = None,
    tolerance: float | None = None,
    max_cells: int = MAX_MAP_CELLS,
    basemap: dict[str, gpd.GeoDataFrame] | None = None,
    geometry: gpd.GeoSeries | None = None,
) -> folium.Map:
    """Build the region's map from public (suppressed) indicators.

    Parameters
    ----------
    kelurahan
        Public kelurahan indicators with Gi* classes, EPSG:4326.
    context
        Texts for the side panel.
    pockets
        Public pocket polygons (:func:`pipeline.analyse.pockets.merge_pockets`), EPSG:4326.
    cells
        Public H3 cells (:func:`pipeline.analyse.pockets.public_cells`), EPSG:4326.
    changes
        Public movements since the previous register snapshot
        (:func:`pipeline.analyse.targets.compare_snapshots`).
    coverage
        Public programme coverage per kelurahan (long), for the coverage
        themes and the profile chart.
    coverage_region
        Public programme coverage of the whole region (one row per
        programme), for the panel's "who is missed" section.
    programs
        Programme code -> name, in display order.
    tolerance
        Simplification tolerance of :func:`web_geometry` (degrees).
    max_cells
        Above this many H3 cells (a province), only hot and cold cells are
        drawn; the GeoPackage keeps them all.
    basemap
        The offline basemap's layers (:func:`pipeline.ingest.basemap.read_basemap`),
        drawn under the themes as the overlay "Peta dasar (OpenStreetMap, luring)".
    geometry
        The kelurahan's web geometry (:func:`web_geometry` of their polygons,
        same index), when already computed (a cached one); else computed here.

    Returns
    -------
    folium.Map
        The kelurahan drawn once, coloured by the theme chosen in the
        layer control (:func:`kelurahan_themes`); overlays: OpenStreetMap
        (needs internet), pockets with rank labels, H3 cells, kecamatan
        outlines and names. A legend per theme and overlay, a side panel,
        search, fullscreen and print buttons and a metric scale bar.

    Raises
    ------
    RenderError
        If the frame is not in EPSG:4326.
    """
    if kelurahan.crs is None or kelurahan.crs.to_epsg() != 4326:
        raise RenderError(
            f"kelurahan layer must be in EPSG:4326 for the web map, found {kelurahan.crs}; call .to_crs(4326)"
        )
    if geometry is None:
        geometry = web_geometry(kelurahan.geometry, tolerance=tolerance)
    themes = kelurahan_themes(
        kelurahan,
        k=context.min_households,
        changes=changes,
        coverage=coverage,
        programs=programs,
        overlap_programs=context.overlap_programs,
        significance=context.significance,
    )

    minx, miny, maxx, maxy = kelurahan.total_bounds
    m = folium.Map(location=[round((miny + maxy) / 2, 5), round((minx + maxx) / 2, 5)], tiles=None, zoom_start=12)
    m.default_js = []
    m.default_css = []
    root = m.get_root()
    root.header.add_child(branca.element.Element(offline_assets()), name="kantong_leaflet")
    root.header.add_child(
        branca.element.Element(f"<style>{asset('peta.css')}</style>\n<script>{asset('peta.js')}</script>"),
        name="kantong_engine",
    )
    root.title = inert_html(f"Peta Kantong Kemiskinan — {context.region_name}")

    legends = [legend_block(theme.name, theme.legend, theme=i, visible=i == 0) for i, theme in enumerate(themes)]
    has_cells = cells is not None and len(cells) > 0
    if has_cells:
        fdr = fdr_label(context.significance)
        items = [(c, label.format(k=context.min_households, fdr=fdr)) for c, label in CELL_STYLE.values()]
        if len(cells) > max_cells:  # a province: only the significant cells, the rest is in the GeoPackage
            shown = cells[cells["gi_kelas"].isin(["panas", "dingin"])]
            items = [
                *items[:1],
                *items[2:3],
                (
                    "",
                    f"Wilayah besar: hanya sel titik panas/dingin yang digambar "
                    f"({format_int(len(shown))} dari {format_int(len(cells))} sel; semua sel di GeoPackage, lapisan sel_h3)",
                ),
            ]
            cells = shown
        legends.append(legend_block(LAYER_CELLS, items, layer=inert_html(LAYER_CELLS), visible=False))

    engine = Engine(
        map_data(
            kelurahan,
            themes,
            geometry=geometry,
            cells=cell_records(cells, k=context.min_households, fdr=fdr_label(context.significance))
            if has_cells
            else None,
            pockets=pockets,
        )
    )
    m.add_child(engine)
    records = basemap_records(basemap, box=basemap_box(tuple(kelurahan.total_bounds))) if basemap else None
    if records is not None:
        m.add_child(Html(basemap_element(records)))
        m.add_child(EngineLayer(BASEMAP_LAYER, engine=engine.get_name(), call="basemap()", overlay=True, show=True))
        legends.append(
            legend_block(BASEMAP_LAYER, basemap_legend(basemap), layer=inert_html(BASEMAP_LAYER), visible=True)
        )
    for i, theme in enumerate(themes):
        m.add_child(EngineLayer(theme.name, engine=engine.get_name(), call=f"theme({i})", overlay=False, show=i == 0))
    m.add_child(EngineLayer(LAYER_OSM, engine=engine.get_name(), call="osm()", overlay=True, show=False))
    if has_cells:
        m.add_child(EngineLayer(LAYER_CELLS, engine=engine.get_name(), call="cells()", overlay=True, show=False))
    if pockets is not None and len(pockets):
        m.add_child(EngineLayer(LAYER_POCKET, engine=engine.get_name(), call="pockets()", overlay=True, show=True))
        legends.append(
            legend_block(
                LAYER_POCKET,
                [
                    (
                        POCKET_COLOR,
                        f"Kantong: segi enam (sel H3) titik panas yang bersebelahan, sedikitnya "
                        f"{format_int(context.min_pocket_households)} KK; angka = peringkat (klik untuk rincian)",
                    )
                ],
                layer=inert_html(LAYER_POCKET),
                visible=True,
                outline=True,
            )
        )
    m.add_child(EngineLayer(LAYER_KEC, engine=engine.get_name(), call="kecamatan()", overlay=True, show=True))
    control = folium.LayerControl(collapsed=False, position="topright")
    control.add_to(m)
    legend = f'<div class="kantong-legend" id="kantong-legend">{"".join(legends)}</div>'
    gaps = programme_gaps(
        kelurahan,
        themes,
        coverage=coverage,
        region=coverage_region,
        programs=programs,
        households=context.summary.get(C.JUMLAH_KK, 0),
    )
    panel = panel_html(context, kelurahan, gaps=gaps)
    m.add_child(Html(panel + legend, f"{engine.get_name()}.finish({control.get_name()});"))
    return m  # the script fits the view to the kelurahan, clear of the panel


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
    page = re.sub(r"<html>", '<html lang="id">', page, count=1)  # screen readers and hyphenation: Indonesian
    remote = _REMOTE_ASSET.findall(page)
    if remote:
        raise RenderError(f"the map would load {len(remote)} asset(s) from the internet: {remote[:3]}; inline them")
    return page
