"""Render stage: one self-contained, offline folium map per region.

Leaflet's JavaScript and CSS are inlined from the installed ``xstatic-leaflet``
package, and the map's own script and style (``pipeline/assets``) are
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
:mod:`pipeline.privacy`): nothing personal can reach the map. Names from
input files are escaped wherever the page shows them.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import logging
import math
import re
from dataclasses import dataclass, field
from importlib import resources
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
# Themes (radio entries of the layer control), by group.
GROUP_POVERTY: str = "Kemiskinan"
GROUP_PROGRAM: str = "Program dan OPD"
GROUP_VULNERABLE: str = "Kelompok rentan"
GROUP_CHANGE: str = "Perubahan"
LAYER_RATE: str = "Persentase KK miskin & rentan"
LAYER_RATE_EB: str = "Persentase miskin, dihaluskan (Empirical Bayes)"
LAYER_EXTREME: str = "Jumlah KK miskin ekstrem"
LAYER_M0: str = "Kemiskinan multidimensi (M0)"
LAYER_GI: str = "Titik panas kemiskinan (Gi*)"
LAYER_EXCLUSION: str = "Eksklusi: KK layak tanpa program"
#: ``{n}`` is ``[analysis] overlap_programs``.
LAYER_OVERLAP: str = "Tumpang tindih: KK menerima ≥ {n} program"
LAYER_CHANGE: str = "Perubahan KK miskin sejak snapshot lalu"
# Overlays (check boxes).
LAYER_OSM: str = "Peta dasar OpenStreetMap (perlu internet)"
LAYER_KEC: str = "Batas kecamatan"
LAYER_POCKET: str = "Kantong kemiskinan (sel H3)"
LAYER_CELLS: str = "Sel H3: titik panas"
KK_LAYAK_TANPA_PROGRAM: str = "kk_layak_tanpa_program"
#: Vulnerable-group count columns -> theme names.
VULNERABLE_LABELS: dict[str, str] = {
    "kk_lansia_tunggal": "KK lansia tunggal",
    "kk_disabilitas": "KK dengan penyandang disabilitas",
    "kk_risiko_stunting": "KK berisiko stunting",
    "kk_perempuan_kepala": "KK dengan perempuan kepala keluarga",
    "kk_pekerja_migran": "KK dengan pekerja migran",
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
POCKET_COLOR: str = "#cb181d"
#: Above this many H3 cells the map draws only the significant ones.
MAX_MAP_CELLS: int = 20_000
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
    #: The N of the overlap theme ("households receiving N programmes or more").
    overlap_programs: int = 3


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


def inert_html(text: object) -> str:
    """Text from an input file as HTML that is shown, never run or evaluated.

    ``html.escape`` makes markup inert; ``{`` becomes ``&#123;`` so that the
    text cannot open a Jinja construct (``{{ ... }}``, ``{% ... %}``) when
    folium renders the element holding it. Every input text (kelurahan,
    kecamatan, programme and region names) passed to a folium object goes
    through this function.
    """
    return html.escape(str(text)).replace("{", "&#123;")


class _Verbatim(branca.element.Element):
    """Text placed in the page exactly as given: never parsed as a template."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs) -> str:
        return self._text


class _SafeMacroElement(branca.element.MacroElement):
    """A macro element whose rendered parts are placed verbatim.

    branca's :class:`~branca.element.MacroElement` wraps the output of each
    macro in a new ``Element``, i.e. it parses the output, with the data in
    it, as a Jinja template once more: a name such as ``{{ 6*7 }}`` would be
    evaluated, and ``{{ self.__init__.__globals__... }}`` would run code on
    the machine that builds the map. This subclass renders each macro once
    and adds the result as data (:class:`_Verbatim`).
    """

    def render(self, **kwargs) -> None:
        figure = self.get_root()
        for part, target in (("header", figure.header), ("html", figure.html), ("script", figure.script)):
            macro = self._template.module.__dict__.get(part)
            if macro is not None:
                target.add_child(_Verbatim(macro(self, kwargs)), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


class _Html(_SafeMacroElement):
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


def _asset(name: str) -> str:
    """A text file shipped in ``pipeline/assets`` (the map's own script and style)."""
    return (resources.files(__package__) / "assets" / name).read_text(encoding="utf-8")


def _legend_block(
    title: str, items: list[tuple[str, str]], *, visible: bool, layer: str = "", theme: int | None = None
) -> str:
    """One legend block, shown while its theme (by number) or its overlay (by control name) is on the map.

    ``layer`` is the overlay's name as given to the layer control, which
    is already HTML-escaped; the attribute escapes it once more so that
    the script reads back exactly that name.
    """
    rows = "".join(
        f'<div><i style="background:{color}"></i>{html.escape(label)}</div>'
        if color
        else f'<div class="kantong-catatan">{html.escape(label)}</div>'
        for color, label in items
    )
    key = f'data-tema="{theme}"' if theme is not None else f'data-layer="{html.escape(layer)}"'
    style = "" if visible else ' style="display:none"'
    return f'<div class="kantong-legend-blok" {key}{style}><div class="judul">{html.escape(title)}</div>{rows}</div>'


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
      <div class="kantong-pesan" id="kantong-pesan" role="status"></div>
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


@dataclass(frozen=True)
class Theme:
    """One way of colouring the kelurahan polygons: a radio entry of the layer control.

    ``classes`` holds one colour index per kelurahan (-1: hidden or no
    data, drawn grey); ``texts`` the formatted value each tooltip and
    profile shows; ``label`` names that value. Themes with ``profile``
    also appear as a row of the click profile; a programme's coverage
    theme carries its ``chart`` bar (name, share per kelurahan).
    """

    name: str
    group: str
    label: str
    colors: tuple[str, ...]
    legend: list[tuple[str, str]]
    classes: np.ndarray
    texts: list[str]
    profile: bool = True
    chart: tuple[str, np.ndarray] | None = None


def _classes(values: pd.Series, breaks: tuple[float, ...]) -> np.ndarray:
    data = values.to_numpy(dtype="float64", na_value=np.nan)
    return np.where(np.isnan(data), -1, np.digitize(data, breaks[1:-1], right=False))


def _range_legend(breaks: tuple[float, ...], colors: tuple[str, ...], unit: str, hidden: str) -> list[tuple[str, str]]:
    items = [
        (color, f"{lo:g}–{hi:g} {unit}" if math.isfinite(hi) and hi <= 100 else f"≥ {lo:g} {unit}".rstrip())
        for lo, hi, color in zip(breaks[:-1], breaks[1:], colors, strict=True)
    ]
    return [*items, (NO_DATA_COLOR, hidden)]


def _rate_theme(name: str, values: pd.Series, *, label: str, k: int) -> Theme:
    return Theme(
        name=name,
        group=GROUP_POVERTY,
        label=label,
        colors=RATE_COLORS,
        legend=_range_legend(RATE_BREAKS, RATE_COLORS, "%", f"{HIDDEN_LABEL} (< {k} KK) / tanpa data"),
        classes=_classes(values, RATE_BREAKS),
        texts=[format_percent(v) for v in values],
    )


def _count_theme(
    name: str, values: pd.Series, *, group: str, label: str, colors: tuple[str, ...], k: int, profile: bool = True
) -> Theme:
    values = values.astype("Float64")
    breaks = count_breaks(values)
    colors = colors[: max(1, len(breaks) - 1)]
    legend = [
        (color, f"{format_int(lo)}–{format_int(hi - 1)} KK")
        for lo, hi, color in zip(breaks[:-1], breaks[1:], colors, strict=False)
    ]
    return Theme(
        name=name,
        group=group,
        label=label,
        colors=colors,
        legend=[*legend, (NO_DATA_COLOR, f"{HIDDEN_LABEL} (< {k} KK)")],
        classes=_classes(values, breaks),
        texts=list(format_households(values)),
        profile=profile,
    )


def _signed_households(value: float) -> str:
    return HIDDEN_LABEL if pd.isna(value) else f"{int(value):+d} KK".replace("+0 ", "0 ")


def program_coverage_table(coverage: pd.DataFrame, codes: pd.Series, programs: dict[str, str]) -> pd.DataFrame:
    """Coverage (% of eligible households reached) per kelurahan (rows, in ``codes`` order) and programme (columns).

    Programmes are those of ``programs`` (code -> name) present in
    ``coverage`` (:func:`pipeline.programs.coverage_by_kelurahan`, public);
    hidden shares stay missing.
    """
    present = [code for code in programs if code in set(coverage["program"])]
    wide = coverage.pivot_table(index=C.KODE_KEL, columns="program", values="persen_cakupan", aggfunc="first")
    return wide.reindex(index=codes.to_numpy(), columns=present).astype("float64")


def _coverage_texts(coverage: pd.DataFrame, code: str, codes: pd.Series) -> list[str]:
    """Coverage of one programme per kelurahan as text, with its exclusion (eligible, not reached).

    "tanpa kriteria" where the register holds no eligibility rule for the
    programme; hidden figures read "disembunyikan".
    """
    rows = coverage[coverage["program"] == code].set_index(C.KODE_KEL).reindex(codes.to_numpy())
    hidden = rows.get(C.DISEMBUNYIKAN, pd.Series("", index=rows.index)).fillna("").str.contains("kk_layak")
    no_rule = rows["kk_layak"].isna() & ~hidden if "kk_layak" in rows else pd.Series(False, index=rows.index)
    excluded = rows["kk_eksklusi"] if "kk_eksklusi" in rows else pd.Series(np.nan, index=rows.index)
    return [
        NO_RULE_LABEL
        if unknown
        else format_percent(share, 1)
        if pd.isna(share) or pd.isna(out)
        else f"{format_percent(share, 1)}; {format_int(out)} KK layak belum menerima"
        for share, unknown, out in zip(rows["persen_cakupan"], no_rule, excluded, strict=True)
    ]


def kelurahan_themes(
    kelurahan: pd.DataFrame,
    *,
    k: int,
    changes: pd.DataFrame | None = None,
    coverage: pd.DataFrame | None = None,
    programs: dict[str, str] | None = None,
    overlap_programs: int = 3,
) -> list[Theme]:
    """The map's themes for the public kelurahan frame, in layer-control order.

    Poverty (rate raw and Empirical-Bayes smoothed, extreme-poor count,
    M0, Gi* classes), programmes (coverage of each programme, exclusion,
    overlap), vulnerable groups and the change since the previous
    snapshot; a theme whose column is absent is left out.

    Parameters
    ----------
    kelurahan
        Public (suppressed) kelurahan indicators.
    k
        The suppression threshold, for the legends.
    changes
        Public snapshot changes with ``kode_kel`` and ``perubahan_miskin``.
    coverage
        Public per-kelurahan programme coverage (long: one row per
        kelurahan and programme).
    programs
        Programme code -> name, in display order.
    overlap_programs
        The N of "households receiving N programmes or more".

    Returns
    -------
    list of Theme
    """
    themes = [_rate_theme(LAYER_RATE, kelurahan[C.PERSEN_MISKIN], label="Persentase KK miskin & rentan", k=k)]
    if C.PERSEN_MISKIN_EB in kelurahan:
        themes.append(_rate_theme(LAYER_RATE_EB, kelurahan[C.PERSEN_MISKIN_EB], label="Persentase miskin (EB)", k=k))
    themes.append(
        _count_theme(
            LAYER_EXTREME,
            kelurahan[C.KK_MISKIN_EKSTREM],
            group=GROUP_POVERTY,
            label="KK miskin ekstrem",
            colors=COUNT_COLORS,
            k=k,
        )
    )
    if C.MPI_M0 in kelurahan:
        m0 = kelurahan[C.MPI_M0].astype("Float64")
        themes.append(
            Theme(
                name=LAYER_M0,
                group=GROUP_POVERTY,
                label="Indeks kemiskinan multidimensi M0",
                colors=M0_COLORS,
                legend=_range_legend(M0_BREAKS, M0_COLORS, "", f"{HIDDEN_LABEL} / tanpa data"),
                classes=_classes(m0, M0_BREAKS),
                texts=[HIDDEN_LABEL if pd.isna(v) else f"{v:.3f}".replace(".", ",") for v in m0],
            )
        )
    gi = kelurahan[C.GI_KELAS].where(kelurahan[C.GI_KELAS].isin(list(GI_STYLE)), "tanpa_data")
    order = list(GI_STYLE)
    themes.append(
        Theme(
            name=LAYER_GI,
            group=GROUP_POVERTY,
            label="Titik panas (Gi*)",
            colors=tuple(color for color, _ in GI_STYLE.values()),
            legend=list(GI_STYLE.values()),
            classes=np.array([order.index(c) for c in gi]),
            texts=[GI_STYLE[c][1] for c in gi],
        )
    )
    if coverage is not None and len(coverage) and programs:
        table = program_coverage_table(coverage, kelurahan[C.KODE_KEL], programs)
        for code in table.columns:
            themes.append(
                Theme(
                    name=f"Cakupan {programs[code]}",
                    group=GROUP_PROGRAM,
                    label=f"Cakupan {programs[code]}",
                    colors=COVERAGE_COLORS,
                    legend=_range_legend(
                        COVERAGE_BREAKS,
                        COVERAGE_COLORS,
                        "% KK layak menerima",
                        f"{HIDDEN_LABEL} / tidak ada KK layak / register tanpa kriteria kelayakan",
                    ),
                    classes=_classes(table[code], COVERAGE_BREAKS),
                    texts=_coverage_texts(coverage, code, kelurahan[C.KODE_KEL]),
                    profile=False,  # charted instead
                    chart=(programs[code], table[code].to_numpy()),
                )
            )
    for column, name, label, colors in (
        (KK_LAYAK_TANPA_PROGRAM, LAYER_EXCLUSION, "KK layak tanpa program", COUNT_COLORS),
        (
            "kk_terima_banyak",
            LAYER_OVERLAP.format(n=overlap_programs),
            f"KK menerima ≥ {overlap_programs} program",
            OVERLAP_COLORS,
        ),
    ):
        if column in kelurahan:
            themes.append(_count_theme(name, kelurahan[column], group=GROUP_PROGRAM, label=label, colors=colors, k=k))
    for column, label in VULNERABLE_LABELS.items():
        if column in kelurahan:
            themes.append(
                _count_theme(
                    label, kelurahan[column], group=GROUP_VULNERABLE, label=label, colors=VULNERABLE_COLORS, k=k
                )
            )
    if changes is not None and len(changes):
        net = changes.set_index(C.KODE_KEL)["perubahan_miskin"].reindex(kelurahan[C.KODE_KEL]).astype("Float64")
        bounds = [bound for bound, _, _ in CHANGE_CLASSES]
        values = net.to_numpy(dtype="float64", na_value=np.nan)
        themes.append(
            Theme(
                name=LAYER_CHANGE,
                group=GROUP_CHANGE,
                label="Perubahan KK miskin",
                colors=tuple(color for _, color, _ in CHANGE_CLASSES),
                legend=[(c, label) for _, c, label in CHANGE_CLASSES] + [(NO_DATA_COLOR, HIDDEN_LABEL)],
                classes=np.where(np.isnan(values), -1, np.searchsorted(bounds, values, side="right")),
                texts=[_signed_households(v) for v in values],
            )
        )
    return themes


def web_geometry(geometry: gpd.GeoSeries, *, tolerance: float | None = None) -> gpd.GeoSeries:
    """Polygons for the web map: a clean coverage, simplified without opening gaps, rounded.

    Neighbouring kelurahan are first made a clean coverage (GEOS coverage
    cleaning: an overlap goes to one of the two, vertices within a tiny
    distance are snapped, shared edges become identical), then simplified
    with coverage simplification, which moves each shared edge once for
    both sides, so no new gap or overlap appears between neighbours; the
    coordinates are finally rounded to 5 decimals (about 1 m).

    Parameters
    ----------
    geometry
        Polygons in EPSG:4326.
    tolerance
        Simplification tolerance in degrees, roughly the square root of
        the area of the triangles removed. Default: 1/10,000 of the
        diagonal of the region's bounding box (about 10 m for a city,
        50 m for a province).

    Returns
    -------
    geopandas.GeoSeries
        Same index and CRS.
    """
    values = geometry.values
    if tolerance is None:
        minx, miny, maxx, maxy = geometry.total_bounds
        tolerance = math.hypot(maxx - minx, maxy - miny) / 10_000
    try:
        cleaned = shapely.coverage_clean(values)
        simplified = shapely.coverage_simplify(cleaned, tolerance)
    except shapely.errors.GEOSException as error:  # e.g. a collection left by a repair
        logger.warning("coverage simplification failed (%s); simplifying each polygon on its own", error)
        simplified = shapely.simplify(values, tolerance / 2, preserve_topology=True)
    rounded = shapely.set_precision(simplified, 1e-5)
    lost = shapely.is_empty(rounded)
    rounded[lost] = shapely.set_precision(values[lost], 1e-5)  # a sliver swallowed by a neighbour
    return gpd.GeoSeries(rounded, index=geometry.index, crs=geometry.crs)


def _json_for_script(text: str) -> str:
    """JSON text that can sit inside a ``<script>`` element whatever the names contain."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


#: Map coordinates are integers in units of 1e-5 degree (about 1 m).
COORDINATE_SCALE: int = 100_000


def encode_polygons(geometry: gpd.GeoSeries) -> list[list[list[list[int]]]]:
    """Polygons in the map's compact form: per geometry, polygons of rings of integer steps.

    Each ring is a flat list ``[x0, y0, dx1, dy1, ...]`` in units of
    1e-5 degree: the first vertex absolute, then the step from the
    previous one, without the closing vertex. Short steps take 3 or 4
    characters where a GeoJSON coordinate takes 9 or 10, which keeps a
    province map within its size budget. The map's script decodes it.
    """
    kind, coords, offsets = shapely.to_ragged_array(np.asarray(geometry.values, dtype=object))
    if kind == shapely.GeometryType.POLYGON:
        offsets = (*offsets, np.arange(len(offsets[1])))
    ints = np.rint(coords * COORDINATE_SCALE).astype(np.int64)
    steps = np.diff(ints, axis=0, prepend=ints[:1])
    starts = offsets[0][:-1]
    steps[starts] = ints[starts]
    flat = steps.ravel().tolist()
    rings = [flat[2 * a : 2 * (b - 1)] for a, b in zip(offsets[0][:-1], offsets[0][1:], strict=True)]
    polygons = [rings[a:b] for a, b in zip(offsets[1][:-1], offsets[1][1:], strict=True)]
    return [polygons[a:b] for a, b in zip(offsets[2][:-1], offsets[2][1:], strict=True)]


def decode_polygons(encoded: list) -> list[shapely.MultiPolygon]:
    """The inverse of :func:`encode_polygons` (what the map's script does), for checks."""
    out = []
    for polygons in encoded:
        parts = []
        for rings in polygons:
            shells = [np.cumsum(np.asarray(r, dtype=np.int64).reshape(-1, 2), axis=0) / COORDINATE_SCALE for r in rings]
            parts.append(shapely.Polygon(shells[0], shells[1:]))
        out.append(shapely.MultiPolygon(parts))
    return out


def _priority_text(kelurahan: pd.DataFrame) -> list[str]:
    if C.PERINGKAT not in kelurahan:
        return ["—"] * len(kelurahan)
    total = int(kelurahan[C.PERINGKAT].notna().sum())
    return ["—" if pd.isna(r) else f"{int(r)} dari {total}" for r in kelurahan[C.PERINGKAT]]


def map_data(
    kelurahan: gpd.GeoDataFrame,
    themes: list[Theme],
    *,
    geometry: gpd.GeoSeries,
    cells: dict | None = None,
) -> str:
    """The data the map's script draws from, as JSON safe inside a ``<script>`` element.

    ``kel``: one record per kelurahan with its name (``n``), kecamatan
    (``kc``), colour class and text per theme (``c``, ``t``), profile
    values (``v``), programme coverage for the chart (``pc``) and its
    polygons (``g``, :func:`encode_polygons`). ``kec``: kecamatan
    outlines dissolved from those polygons, so the lines coincide, with a
    label point. ``cells``: the H3 cells (:func:`cell_records`), drawn
    only when a planner turns them on. Plus the themes, the profile
    labels and the charted programmes (the themes with a ``chart``).
    """
    profile = ["Jumlah KK", "Jumlah jiwa", "KK miskin & rentan", "Peringkat prioritas"]
    values = zip(
        format_households(kelurahan[C.JUMLAH_KK]),
        kelurahan[C.JUMLAH_JIWA].map(format_int),
        format_households(kelurahan[C.KK_MISKIN]),
        _priority_text(kelurahan),
        strict=True,
    )
    classes = np.column_stack([t.classes for t in themes]).tolist()
    texts = list(zip(*(t.texts for t in themes), strict=True))
    charted = [(i, t.chart) for i, t in enumerate(themes) if t.chart is not None]
    shares = np.column_stack([share for _, (_, share) in charted]) if charted else np.empty((len(kelurahan), 0))
    bars = np.where(np.isnan(shares), None, np.round(shares, 1)).tolist()
    kel = [
        {"n": str(n), "kc": str(kc), "c": c, "t": t, "v": v, "pc": pc, "g": g}
        for n, kc, c, t, v, pc, g in zip(
            kelurahan[C.NAMA_KEL],
            kelurahan[C.NAMA_KEC],
            classes,
            texts,
            values,
            bars,
            encode_polygons(geometry),
            strict=True,
        )
    ]
    kec = (
        gpd.GeoDataFrame(
            {C.KODE_KEC: kelurahan[C.KODE_KEC].to_numpy(), C.NAMA_KEC: kelurahan[C.NAMA_KEC].astype(str).to_numpy()},
            geometry=geometry.to_numpy(),
            crs=geometry.crs,
        )
        .dissolve(C.KODE_KEC, aggfunc="first")
        .reset_index()
    )
    label_points = shapely.get_coordinates(kec.geometry.representative_point().values).round(5).tolist()
    data = {
        "nodata": NO_DATA_COLOR,
        "themes": [
            {"name": t.name, "group": t.group, "label": t.label, "colors": t.colors, "profile": t.profile}
            for t in themes
        ],
        "profile": profile,
        "programs": [{"name": name, "theme": i} for i, (name, _) in charted],
        "kel": kel,
        "kec": [
            {"n": n, "p": point, "g": g}
            for n, point, g in zip(kec[C.NAMA_KEC], label_points, encode_polygons(kec.geometry), strict=True)
        ],
        "cells": cells,
    }
    return _json_for_script(json.dumps(data, ensure_ascii=False, separators=(",", ":")))


class _Engine(_SafeMacroElement):
    """The map's data (a JSON script element) and the script object drawing the kelurahan."""

    _template = branca.element.Template(
        """
        {% macro html(this, kwargs) %}<script type="application/json" id="{{ this.get_name() }}_data">{{ this.data }}</script>{% endmacro %}
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = new Kantong({{ this._parent.get_name() }},
            JSON.parse(document.getElementById("{{ this.get_name() }}_data").textContent));
        {% endmacro %}
        """
    )

    def __init__(self, data: str) -> None:
        super().__init__()
        self._name = "Kantong"
        self.data = data


class _EngineLayer(folium.map.Layer, _SafeMacroElement):
    """A layer-control entry the map's script builds: ``call`` on the engine, e.g. ``theme(3)``.

    Themes are base layers (radio buttons: choosing one restyles the
    kelurahan); overlays are check boxes.
    """

    _template = branca.element.Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = {{ this.engine }}.{{ this.call }};
        {% endmacro %}
        """
    )

    def __init__(self, name: str, *, engine: str, call: str, overlay: bool, show: bool) -> None:
        folium.map.Layer.__init__(self, name=inert_html(name), overlay=overlay, control=True, show=show)
        self._name = "Lapisan"
        self.engine = engine
        self.call = call


def _pocket_layer(pockets: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """Pocket polygons with a label showing each pocket's rank."""
    data = gpd.GeoDataFrame(
        {
            "kantong": pockets["kantong_id"].astype(str) + " (peringkat " + pockets["peringkat"].astype(str) + ")",
            "kelurahan": pockets[C.NAMA_KEL].astype(str).map(inert_html),  # the tooltip is HTML
            "kk": format_households(pockets["jumlah_kk"]),
            "miskin": format_households(pockets[C.KK_MISKIN]),
            "persen": pockets[C.PERSEN_MISKIN].map(format_percent),
            "luas": pockets["luas_km2"].map(lambda v: format_percent(v).replace(" %", " km²")),
        },
        geometry=pockets.geometry.values,
        crs=pockets.crs,
    )
    labels = ["Kantong", "Kelurahan", "Jumlah KK", "KK miskin & rentan", "Persentase miskin", "Luas"]
    group = folium.FeatureGroup(name=inert_html(LAYER_POCKET), show=True)
    folium.GeoJson(
        data.assign(geometry=shapely.set_precision(data.geometry.values, 1e-5)),
        control=False,
        style_function=lambda f: {
            "fillColor": POCKET_COLOR,
            "color": "#67000d",
            "weight": 2.5,
            "fillOpacity": 0.35,
            "className": "kantong-pocket",  # tests and print styles find the paths by it
        },
        highlight_function=lambda f: {"weight": 4},
        tooltip=folium.GeoJsonTooltip(fields=list(data.columns[:-1]), aliases=labels, sticky=True, localize=False),
    ).add_to(group)
    for rank, point in zip(pockets["peringkat"], pockets.geometry.representative_point(), strict=True):
        _label(point, str(rank), css_class="kantong-label-kantong", size=(26, 18)).add_to(group)
    return group


def cell_records(cells: gpd.GeoDataFrame, *, k: int) -> dict:
    """H3 cells for the map's script: class colours and labels, and per cell its class, texts and polygon."""
    styles = {cls: (color, label.format(k=k)) for cls, (color, label) in CELL_STYLE.items()}
    order = list(styles)
    classes = cells["gi_kelas"].where(cells["gi_kelas"].isin(order), "tidak_signifikan")
    return {
        "colors": [color for color, _ in styles.values()],
        "labels": [label for _, label in styles.values()],
        "records": [
            {"c": order.index(c), "kk": kk, "p": share, "g": g}
            for c, kk, share, g in zip(
                classes,
                format_households(cells["jumlah_kk"]),
                cells[C.PERSEN_MISKIN].map(format_percent),
                encode_polygons(cells.geometry),
                strict=True,
            )
        ],
    }


def _label(point: shapely.Point, text: str, *, css_class: str, size: tuple[int, int]) -> folium.Marker:
    return folium.Marker(
        [round(point.y, 5), round(point.x, 5)],
        icon=folium.DivIcon(
            html=f'<div class="{css_class}">{inert_html(text)}</div>',
            icon_size=size,
            icon_anchor=(size[0] // 2, size[1] // 2),
            class_name=f"{css_class}-icon",
        ),
        interactive=False,
    )


def map_from_indicators(
    kelurahan: gpd.GeoDataFrame,
    *,
    context: MapContext,
    pockets: gpd.GeoDataFrame | None = None,
    cells: gpd.GeoDataFrame | None = None,
    changes: gpd.GeoDataFrame | None = None,
    coverage: pd.DataFrame | None = None,
    programs: dict[str, str] | None = None,
    tolerance: float | None = None,
    max_cells: int = MAX_MAP_CELLS,
) -> folium.Map:
    """Build the region's map from public (suppressed) indicators.

    Parameters
    ----------
    kelurahan
        Public kelurahan indicators with Gi* classes, EPSG:4326.
    context
        Texts for the side panel.
    pockets
        Public pocket polygons (:func:`pipeline.cells.merge_pockets`), EPSG:4326.
    cells
        Public H3 cells (:func:`pipeline.cells.public_cells`), EPSG:4326.
    changes
        Public movements since the previous register snapshot
        (:func:`pipeline.progress.compare_snapshots`).
    coverage
        Public programme coverage per kelurahan (long), for the coverage
        themes and the profile chart.
    programs
        Programme code -> name, in display order.
    tolerance
        Simplification tolerance of :func:`web_geometry` (degrees).
    max_cells
        Above this many H3 cells (a province), only hot and cold cells are
        drawn; the GeoPackage keeps them all.

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
    geometry = web_geometry(kelurahan.geometry, tolerance=tolerance)
    themes = kelurahan_themes(
        kelurahan,
        k=context.min_households,
        changes=changes,
        coverage=coverage,
        programs=programs,
        overlap_programs=context.overlap_programs,
    )

    minx, miny, maxx, maxy = kelurahan.total_bounds
    m = folium.Map(location=[round((miny + maxy) / 2, 5), round((minx + maxx) / 2, 5)], tiles=None, zoom_start=12)
    m.default_js = []
    m.default_css = []
    root = m.get_root()
    root.header.add_child(branca.element.Element(_offline_assets()), name="kantong_leaflet")
    root.header.add_child(
        branca.element.Element(f"<style>{_asset('peta.css')}</style>\n<script>{_asset('peta.js')}</script>"),
        name="kantong_engine",
    )
    root.title = inert_html(f"Peta Kantong Kemiskinan — {context.region_name}")

    legends = [_legend_block(theme.name, theme.legend, theme=i, visible=i == 0) for i, theme in enumerate(themes)]
    has_cells = cells is not None and len(cells) > 0
    if has_cells:
        items = [(c, label.format(k=context.min_households)) for c, label in CELL_STYLE.values()]
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
        legends.append(_legend_block(LAYER_CELLS, items, layer=inert_html(LAYER_CELLS), visible=False))

    engine = _Engine(
        map_data(
            kelurahan,
            themes,
            geometry=geometry,
            cells=cell_records(cells, k=context.min_households) if has_cells else None,
        )
    )
    m.add_child(engine)
    for i, theme in enumerate(themes):
        m.add_child(_EngineLayer(theme.name, engine=engine.get_name(), call=f"theme({i})", overlay=False, show=i == 0))
    m.add_child(_EngineLayer(LAYER_OSM, engine=engine.get_name(), call="osm()", overlay=True, show=False))
    if has_cells:
        m.add_child(_EngineLayer(LAYER_CELLS, engine=engine.get_name(), call="cells()", overlay=True, show=False))
    if pockets is not None and len(pockets):
        _pocket_layer(pockets).add_to(m)
        legends.append(
            _legend_block(
                LAYER_POCKET,
                [(POCKET_COLOR, "Kantong: sel H3 titik panas yang bersebelahan; angka = peringkat")],
                layer=inert_html(LAYER_POCKET),
                visible=True,
            )
        )
    m.add_child(_EngineLayer(LAYER_KEC, engine=engine.get_name(), call="kecamatan()", overlay=True, show=True))
    control = folium.LayerControl(collapsed=False, position="topright")
    control.add_to(m)
    legend = f'<div class="kantong-legend" id="kantong-legend">{"".join(legends)}</div>'
    m.add_child(_Html(_panel(context, kelurahan) + legend, f"{engine.get_name()}.finish({control.get_name()});"))
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
