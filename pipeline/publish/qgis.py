"""QGIS styles (QML) of the public GeoPackage.

QGIS reads a layer's default style from the GeoPackage's ``layer_styles``
table, so a GIS officer who drags ``<region>.gpkg`` into QGIS sees the same
classes and colours as the HTML map, with Indonesian field aliases (from
:mod:`pipeline.publish.dictionary`). The colours and breaks come from
:mod:`pipeline.publish.palette`, never from a copy.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pandas as pd

from .. import columns as C
from .dictionary import describe_field
from .palette import (
    CELL_STYLE,
    CHANGE_CLASSES,
    GI_STYLE,
    HIDDEN_LABEL,
    NO_DATA_COLOR,
    POCKET_COLOR,
    POCKET_HALO,
    RATE_BREAKS,
    RATE_COLORS,
    fdr_label,
)

#: QGIS version the QML claims; QGIS 3.x reads older and newer QML alike.
QGIS_VERSION: str = "3.28.0-Firenze"


@dataclass(frozen=True)
class Style:
    """One row of ``layer_styles``."""

    name: str
    qml: str
    description: str
    default: bool = True


def _rgba(color: str, alpha: int = 255) -> str:
    color = color.lstrip("#")
    return ",".join(str(int(color[i : i + 2], 16)) for i in (0, 2, 4)) + f",{alpha}"


def _option(parent: ET.Element, name: str, value: str) -> None:
    ET.SubElement(parent, "Option", type="QString", name=name, value=value)


def _fill_symbol(
    parent: ET.Element, name: str, color: str | None, *, outline: str | None, width: float, dash: bool = False
):
    """A fill symbol; ``color`` None: no fill, ``outline`` None: no outline."""
    symbol = ET.SubElement(parent, "symbol", type="fill", name=name, alpha="1", clip_to_extent="1", force_rhr="0")
    layer = ET.SubElement(symbol, "layer", attrib={"class": "SimpleFill", "enabled": "1", "locked": "0", "pass": "0"})
    options = ET.SubElement(layer, "Option", type="Map")
    _option(options, "color", _rgba(color) if color else "0,0,0,0")
    _option(options, "style", "solid" if color else "no")
    _option(options, "outline_color", _rgba(outline) if outline else "0,0,0,0")
    _option(options, "outline_style", "no" if outline is None else "dash" if dash else "solid")
    _option(options, "outline_width", f"{width:g}")
    _option(options, "outline_width_unit", "MM")


def _quote(field: str) -> str:
    return f'"{field}"'


def _document(geometry: bool, kind: int = 2) -> ET.Element:
    """A QML document; ``kind`` is QGIS's geometry type: 0 point, 1 line, 2 polygon."""
    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="Symbology|Labeling|Fields|Forms")
    if geometry:
        ET.SubElement(root, "layerGeometryType").text = str(kind)
    return root


def _aliases(root: ET.Element, fields: list[str]) -> None:
    aliases = ET.SubElement(root, "aliases")
    for i, field in enumerate(fields):
        ET.SubElement(aliases, "alias", field=field, index=str(i), name=describe_field(field) or "")


def _labels(root: ET.Element, field: str, *, size: float, bold: bool, placement: int = 0) -> None:
    """Labels from ``field``; ``placement`` is QGIS's: 0 around a point or centroid, 2 along a line."""
    labeling = ET.SubElement(root, "labeling", type="simple")
    settings = ET.SubElement(labeling, "settings", calloutType="simple")
    ET.SubElement(
        settings,
        "text-style",
        fieldName=field,
        isExpression="0",
        fontSize=f"{size:g}",
        fontSizeUnit="Point",
        fontWeight="75" if bold else "50",
        textColor="34,34,34,255",
        textOpacity="1",
        namedStyle="Bold" if bold else "Regular",
    )
    buffer = ET.SubElement(settings, "text-buffer")
    buffer.attrib.update(bufferDraw="1", bufferSize="0.8", bufferSizeUnits="MM", bufferColor="255,255,255,255")
    ET.SubElement(settings, "placement", placement=str(placement), priority="5")
    ET.SubElement(settings, "rendering", obstacle="1", drawLabels="1", scaleVisibility="0")


def _serialise(root: ET.Element) -> str:
    ET.indent(root)
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode")


def rule_style(
    fields: list[str],
    rules: list[tuple[str, str, str]],
    *,
    label_field: str | None = None,
    outline: str = "#555555",
) -> str:
    """QML of a polygon layer drawn by rules, with aliases and labels.

    Parameters
    ----------
    fields
        The layer's fields, for the Indonesian aliases.
    rules
        ``(filter expression, colour, legend label)``; ``"ELSE"`` is QGIS's
        catch-all rule.
    label_field
        Field to label polygons with.
    """
    root = _document(geometry=True)
    renderer = ET.SubElement(root, "renderer-v2", type="RuleRenderer", symbollevels="0", enableorderby="0")
    renderer.set("forceraster", "0")
    rules_node = ET.SubElement(renderer, "rules", key="{kantong-root}")
    symbols = ET.SubElement(renderer, "symbols")
    for i, (expression, color, label) in enumerate(rules):
        ET.SubElement(rules_node, "rule", key=f"{{kantong-{i}}}", filter=expression, symbol=str(i), label=label)
        _fill_symbol(symbols, str(i), color, outline=outline, width=0.26)
    if label_field:
        _labels(root, label_field, size=7.5, bold=False)
    _aliases(root, fields)
    return _serialise(root)


def outline_style(fields: list[str], *, label_field: str) -> str:
    """QML of a boundary layer: dashed dark outline, no fill, bold labels (as the map's kecamatan layer)."""
    root = _document(geometry=True)
    renderer = ET.SubElement(root, "renderer-v2", type="singleSymbol", symbollevels="0", enableorderby="0")
    renderer.set("forceraster", "0")
    symbols = ET.SubElement(renderer, "symbols")
    _fill_symbol(symbols, "0", None, outline="#222222", width=0.7, dash=True)
    _labels(root, label_field, size=9, bold=True)
    _aliases(root, fields)
    return _serialise(root)


def pocket_style(fields: list[str]) -> str:
    """QML of the pockets: a dark line on a white halo and no fill, so the kelurahan colour shows through."""
    root = _document(geometry=True)
    renderer = ET.SubElement(root, "renderer-v2", type="singleSymbol", symbollevels="0", enableorderby="0")
    renderer.set("forceraster", "0")
    symbols = ET.SubElement(renderer, "symbols")
    symbol = ET.SubElement(symbols, "symbol", type="fill", name="0", alpha="1", clip_to_extent="1", force_rhr="0")
    for color, width in ((POCKET_HALO, 1.6), (POCKET_COLOR, 0.8)):  # halo first: drawn below the line
        layer = ET.SubElement(
            symbol, "layer", attrib={"class": "SimpleLine", "enabled": "1", "locked": "0", "pass": "0"}
        )
        options = ET.SubElement(layer, "Option", type="Map")
        _option(options, "line_color", _rgba(color))
        _option(options, "line_style", "solid")
        _option(options, "line_width", f"{width:g}")
        _option(options, "line_width_unit", "MM")
        _option(options, "joinstyle", "round")
    _labels(root, "peringkat", size=9, bold=True)
    _aliases(root, fields)
    return _serialise(root)


def table_style(fields: list[str]) -> str:
    """QML of an attribute table: the Indonesian aliases of its fields."""
    root = _document(geometry=False)
    _aliases(root, fields)
    return _serialise(root)


def rate_rules(field: str) -> list[tuple[str, str, str]]:
    """The HTML map's poverty-rate classes as QGIS rules, hidden/no data last.

    The top class has no upper bound, so that a kelurahan at exactly 100 %
    is in it (not in "hidden / no data").
    """
    rules = []
    top = len(RATE_COLORS) - 1
    for i, (lo, hi, color) in enumerate(zip(RATE_BREAKS[:-1], RATE_BREAKS[1:], RATE_COLORS, strict=True)):
        if i == top:
            rules.append((f"{_quote(field)} >= {lo:g}", color, f"≥ {lo:g} %"))
        else:
            rules.append((f"{_quote(field)} >= {lo:g} AND {_quote(field)} < {hi:g}", color, f"{lo:g}–{hi:g} %"))
    rules.append(("ELSE", NO_DATA_COLOR, f"{HIDDEN_LABEL} / tanpa data"))
    return rules


def change_rules(field: str = "perubahan_miskin") -> list[tuple[str, str, str]]:
    """The HTML map's diverging classes of the net change in poor households, as QGIS rules."""
    rules = []
    lower = None
    for upper, color, label in CHANGE_CLASSES:
        parts = ([f"{_quote(field)} >= {lower:g}"] if lower is not None else []) + (
            [f"{_quote(field)} < {upper:g}"] if upper != float("inf") else []
        )
        rules.append((" AND ".join(parts), color, label))
        lower = upper
    rules.append(("ELSE", NO_DATA_COLOR, HIDDEN_LABEL))
    return rules


def hotspot_rules(field: str = C.GI_KELAS) -> list[tuple[str, str, str]]:
    """The HTML map's Gi* classes as QGIS rules."""
    return [
        (f"{_quote(field)} = '{cls}'", color, label) for cls, (color, label) in GI_STYLE.items() if cls != "tanpa_data"
    ] + [("ELSE", GI_STYLE["tanpa_data"][0], GI_STYLE["tanpa_data"][1])]


def layer_styles(
    layers: dict[str, pd.DataFrame], *, min_households: int = 5, significance: float = 0.05
) -> dict[str, list[Style]]:
    """Default (and alternative) styles for each public layer.

    ``kelurahan`` opens coloured by the poverty rate, with a second style
    for the Gi* hot spots; ``kecamatan`` opens as dashed outlines with
    names; attribute tables get their aliases. ``min_households`` (k) and
    ``significance`` (the FDR level) are named in the H3 cells' legend.
    """
    out: dict[str, list[Style]] = {}
    for name, frame in layers.items():
        fields = [c for c in frame.columns if c != "geometry"]
        if name == "kelurahan":
            out[name] = [
                Style("Persentase KK miskin", rule_style(fields, rate_rules(C.PERSEN_MISKIN), label_field=C.NAMA_KEL),
                      "Sama dengan lapisan peta HTML 'Persentase KK miskin & rentan'"),
                Style("Titik panas (Gi*)", rule_style(fields, hotspot_rules(), label_field=C.NAMA_KEL),
                      "Kelas titik panas/dingin Getis-Ord Gi*", default=False),
            ]  # fmt: skip
        elif name == "kantong":
            out[name] = [
                Style("Kantong kemiskinan", pocket_style(fields),
                      "Kantong kemiskinan: garis tebal tanpa isian, agar warna kelurahan di bawahnya tetap terlihat"),
            ]  # fmt: skip
        elif name == "perubahan_snapshot":
            out[name] = [
                Style("Perubahan KK miskin", rule_style(fields, change_rules(), label_field=C.NAMA_KEL),
                      "Sama dengan lapisan peta HTML 'Perubahan KK miskin': biru turun, merah naik"),
            ]  # fmt: skip
        elif name == "sel_h3":
            rules = [
                (f"{_quote('gi_kelas')} = '{cls}'", color, label.format(k=min_households, fdr=fdr_label(significance)))
                for cls, (color, label) in CELL_STYLE.items()
            ]
            out[name] = [
                Style(
                    "Sel H3 titik panas",
                    rule_style(fields, rules, outline="#ffffff"),
                    "Kelas uji hitungan sel H3 (FDR)",
                )
            ]
        elif name == "kecamatan":
            out[name] = [Style("Batas kecamatan", outline_style(fields, label_field=C.NAMA_KEC), "Batas kecamatan")]
        elif "geometry" in frame.columns:
            out[name] = [Style(name, rule_style(fields, [("ELSE", "#bdbdbd", name)]), name)]
        else:
            out[name] = [Style(name, table_style(fields), f"Alias kolom {name}")]
    return out
