"""The offline basemap in the public GeoPackage: its layers, their fields and their QGIS styles.

GIS staff get the same basemap as the HTML map: ``jalan`` (roads and
railways), ``perairan`` (sea, lakes, river areas), ``sungai`` (waterway
lines), ``tempat`` (place names) and ``fasilitas_umum`` (public places), each
with a QML style drawn from the map's own colours (:mod:`pipeline.publish.palette`)
and with fields named so that the data dictionary can say what each holds.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import geopandas as gpd

from .palette import (
    BASEMAP_WATER,
    FACILITY_STYLE,
    RIVER_STYLE,
    ROAD_STYLE,
    WATER_LABELS,
)
from .qgis import Style, _aliases, _document, _fill_symbol, _labels, _option, _quote, _rgba, _serialise

#: Basemap layer -> {column of the read layer: field of the GeoPackage layer}.
GPKG_COLUMNS: dict[str, dict[str, str]] = {
    "perairan": {"kelas": "jenis_perairan", "nama": "nama_perairan"},
    "sungai": {"kelas": "jenis_sungai", "nama": "nama_sungai"},
    "jalan": {"kelas": "kelas_jalan", "osm": "tag_osm", "nama": "nama_jalan"},
    "tempat": {"kelas": "jenis_tempat", "nama": "nama_tempat"},
    "fasilitas_umum": {"kelas": "jenis_fasilitas", "nama": "nama_fasilitas"},
}
#: Layer descriptions (QGIS shows them as each layer's abstract).
DESCRIPTIONS: dict[str, str] = {
    "perairan": "Peta dasar: laut, danau/waduk dan badan sungai",
    "sungai": "Peta dasar: sungai, kanal dan saluran (garis)",
    "jalan": "Peta dasar: jalan menurut kelas dan rel kereta api",
    "tempat": "Peta dasar: nama kota, kecamatan, kelurahan/desa, dusun",
    "fasilitas_umum": "Peta dasar: kantor kelurahan/desa, puskesmas, rumah sakit, sekolah, pasar, tempat ibadah",
}


def basemap_layers(layers: dict[str, gpd.GeoDataFrame]) -> dict[str, gpd.GeoDataFrame]:
    """The basemap's layers for the GeoPackage, with their documented field names."""
    out = {}
    for name, columns in GPKG_COLUMNS.items():
        frame = layers[name]
        if name in ("jalan", "sungai"):  # one geometry type per layer: a road cut in two by the box is two rows
            frame = frame.explode(index_parts=False)
        out[name] = gpd.GeoDataFrame(
            frame[list(columns)].rename(columns=columns).reset_index(drop=True),
            geometry=frame.geometry.reset_index(drop=True),
            crs=frame.crs,
        )
    return out


def _line_layer(symbol: ET.Element, color: str, width_px: float, *, dash: bool = False) -> None:
    layer = ET.SubElement(symbol, "layer", attrib={"class": "SimpleLine", "enabled": "1", "locked": "0", "pass": "0"})
    options = ET.SubElement(layer, "Option", type="Map")
    _option(options, "line_color", _rgba(color))
    _option(options, "line_width", f"{width_px * 0.26:.2f}")  # a map pixel is about 0.26 mm on screen
    _option(options, "line_width_unit", "MM")
    _option(options, "line_style", "dash" if dash else "solid")
    _option(options, "capstyle", "round")
    _option(options, "joinstyle", "round")


def _marker_layer(symbol: ET.Element, color: str) -> None:
    layer = ET.SubElement(symbol, "layer", attrib={"class": "SimpleMarker", "enabled": "1", "locked": "0", "pass": "0"})
    options = ET.SubElement(layer, "Option", type="Map")
    _option(options, "name", "circle")
    _option(options, "color", _rgba(color))
    _option(options, "outline_color", "255,255,255,255")
    _option(options, "size", "2.6")
    _option(options, "size_unit", "MM")


def _rules(kind: int, field: str, classes: list[tuple[str, str, str, float, bool]], fields: list[str]) -> ET.Element:
    """A rule renderer: one rule per class (value, colour, label, width, dash)."""
    root = _document(geometry=True, kind=kind)
    renderer = ET.SubElement(root, "renderer-v2", type="RuleRenderer", symbollevels="0", enableorderby="0")
    renderer.set("forceraster", "0")
    rules = ET.SubElement(renderer, "rules", key="{kantong-root}")
    symbols = ET.SubElement(renderer, "symbols")
    for i, (value, color, label, width, dash) in enumerate(classes):
        ET.SubElement(rules, "rule", key=f"{{kantong-{i}}}", filter=f"{_quote(field)} = '{value}'", symbol=str(i), label=label)  # fmt: skip
        if kind == 0:
            symbol = ET.SubElement(symbols, "symbol", type="marker", name=str(i), alpha="1", clip_to_extent="1")
            _marker_layer(symbol, color)
        elif kind == 1:
            symbol = ET.SubElement(symbols, "symbol", type="line", name=str(i), alpha="1", clip_to_extent="1")
            _line_layer(symbol, color, width, dash=dash)
        else:
            _fill_symbol(symbols, str(i), color, outline=None, width=0)
    _aliases(root, fields)
    return root


def basemap_styles(layers: dict[str, gpd.GeoDataFrame]) -> dict[str, list[Style]]:
    """QGIS styles of the basemap layers, in the HTML map's colours."""
    out: dict[str, list[Style]] = {}
    for name, frame in layers.items():
        fields = [c for c in frame.columns if c != "geometry"]
        if name == "jalan":
            classes = [(c, color, label, width, c == "rel") for c, (color, width, _z, label) in ROAD_STYLE.items()]
            root = _rules(1, "kelas_jalan", classes, fields)
            _labels(root, "nama_jalan", size=7, bold=False, placement=2)  # along the line
        elif name == "sungai":
            classes = [(c, color, label, width, False) for c, (color, width, _z, label) in RIVER_STYLE.items()]
            root = _rules(1, "jenis_sungai", classes, fields)
        elif name == "perairan":
            classes = [(c, BASEMAP_WATER, label, 0, False) for c, label in WATER_LABELS.items()]
            root = _rules(2, "jenis_perairan", classes, fields)
        elif name == "fasilitas_umum":
            classes = [(c, color, label, 0, False) for c, (_glyph, color, label) in FACILITY_STYLE.items()]
            root = _rules(0, "jenis_fasilitas", classes, fields)
        elif name == "tempat":
            root = _rules(0, "jenis_tempat", [], fields)  # names only: no marker
            _labels(root, "nama_tempat", size=8.5, bold=False)
        else:
            continue
        out[name] = [Style(f"Peta dasar: {name}", _serialise(root), DESCRIPTIONS[name])]
    return out
