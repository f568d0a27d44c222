"""The map's side panel: headline figures, priorities, targets and legends, as escaped HTML."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field

import pandas as pd

from ... import columns as C
from ...analyse.indicators import KK_MISKIN_TANPA_PROGRAM
from ..palette import SYNTHETIC_NOTICE
from .chart import STATUS_LABELS
from .format import format_date, format_int, format_percent


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
    #: Target rows of :func:`pipeline.analyse.targets.target_progress` as dicts.
    targets: list[dict] = field(default_factory=list)
    #: The trajectory chart (:func:`trajectory_svg`), inline SVG.
    chart: str = ""
    #: The N of the overlap theme ("households receiving N programmes or more").
    overlap_programs: int = 3


def legend_block(
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


def panel_html(context: MapContext, kelurahan: pd.DataFrame) -> str:
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
        f"<h2>Target kemiskinan</h2><div class='kantong-catatan'>{target_text(context.targets)}</div>{context.chart}"
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


def target_text(rows: list[dict]) -> str:
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
