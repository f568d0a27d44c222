"""The map's side panel: headline figures, priorities, targets and legends, as escaped HTML."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field

import pandas as pd

from ... import columns as C
from ...analyse.indicators import JIWA_TIDAK_DIKETAHUI, KK_MISKIN_TANPA_PROGRAM
from ...analyse.priority import TIE_RULE
from ..palette import PEOPLE_UNKNOWN, SYNTHETIC_NOTICE, fdr_label
from .chart import STATUS_LABELS
from .format import format_date, format_int, format_number, format_percent
from .themes import Theme, no_rule_note


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
    #: Where the figures come from (register and boundary files), for print.
    source: str = ""
    #: ``[priority] weights`` (component -> weight), to say what the score is made of.
    priority_weights: dict[str, float] = field(default_factory=dict)
    #: ``[analysis] significance``: the FDR level of the hot spots and pocket cells.
    significance: float = 0.05
    #: ``[analysis] min_pocket_households``.
    min_pocket_households: int = 10
    #: Warnings about the inputs that change what the map can show (plain text, escaped on output).
    warnings: tuple[str, ...] = ()
    #: A line about the offline basemap (HTML, :func:`pipeline.publish.webmap.basemap.basemap_note`).
    basemap_html: str = ""


def legend_block(
    title: str,
    items: list[tuple[str, str]],
    *,
    visible: bool,
    layer: str = "",
    theme: int | None = None,
    outline: bool = False,
) -> str:
    """One legend block, shown while its theme (by number) or its overlay (by control name) is on the map.

    ``layer`` is the overlay's name as given to the layer control, which
    is already HTML-escaped; the attribute escapes it once more so that
    the script reads back exactly that name.
    """
    swatch = "border:3px solid {};background:transparent" if outline else "background:{}"
    rows = "".join(
        f'<div><i style="{swatch.format(color)}"></i>{html.escape(label)}</div>'
        if color
        else f'<div class="kantong-catatan">{html.escape(label)}</div>'
        for color, label in items
    )
    key = f'data-tema="{theme}"' if theme is not None else f'data-layer="{html.escape(layer)}"'
    style = "" if visible else ' style="display:none"'
    return f'<div class="kantong-legend-blok" {key}{style}><div class="judul">{html.escape(title)}</div>{rows}</div>'


#: Priority components in plain words, technical name in brackets (order of the score columns).
PRIORITY_WORDS: dict[str, tuple[str, str, str]] = {
    "kk_miskin_ekstrem": ("skor_ekstrem", "banyaknya KK miskin ekstrem", "ekstrem"),
    "persen_miskin_eb": ("skor_eb", "persentase KK miskin, dihaluskan (Empirical Bayes)", "persentase"),
    "titik_panas": (
        "skor_titik_panas",
        "berada di kelompok kelurahan miskin yang nyata secara statistik (titik panas Gi*, lolos uji FDR)",
        "titik panas",
    ),
    "mpi_m0": ("skor_mpi", "kemiskinan multidimensi (M0)", "multidimensi"),
}


def priority_html(
    kelurahan: pd.DataFrame, weights: dict[str, float], *, top: int = 5, significance: float = 0.05
) -> str:
    """The top kelurahan by priority: each name a link (``data-kel`` = row), its score and its parts in words.

    When no kelurahan is a hot spot that passes the FDR, the list says so:
    the hot-spot part is then 0 everywhere and does not order anything.
    """
    frame = kelurahan.reset_index(drop=True)
    if C.PERINGKAT not in frame or frame[C.PERINGKAT].isna().all():
        best = frame.dropna(subset=[C.PERSEN_MISKIN]).nlargest(top, C.PERSEN_MISKIN)
        rows = "".join(
            f'<li><a href="#" data-kel="{i}">{html.escape(str(r[C.NAMA_KEL]))}</a>'
            f'<span class="angka">{format_percent(r[C.PERSEN_MISKIN], 1)}</span></li>'
            for i, r in best.iterrows()
        )
        return f'<h2>Kelurahan dengan persentase miskin tertinggi</h2><ol class="kantong-prioritas">{rows}</ol>'
    used = {key: words for key, words in PRIORITY_WORDS.items() if words[0] in frame and weights.get(key, 0) > 0}
    equal = len({weights.get(key, 0) for key in used}) <= 1
    parts = ", ".join(
        words[1] if equal else f"{words[1]} (bobot {format_number(weights[key])})" for key, words in used.items()
    )
    best = frame.dropna(subset=[C.PERINGKAT]).sort_values(C.PERINGKAT).head(top)
    items = []
    for i, r in best.iterrows():
        made_of = " · ".join(
            f"{label} {format_number(r[column], 2)}" for column, _, label in used.values() if not pd.isna(r[column])
        )
        items.append(
            f'<li value="{int(r[C.PERINGKAT])}"><a href="#" data-kel="{i}">{html.escape(str(r[C.NAMA_KEL]))}</a>'
            f'<span class="angka skor">{format_number(r[C.SKOR_PRIORITAS], 2)}</span>'
            f'<div class="kantong-komponen">{html.escape(made_of)}</div></li>'
        )
    how = "rata-rata" if equal else "rata-rata berbobot"
    ranks = best[C.PERINGKAT].astype(int).tolist()
    gap = (
        '<div class="kantong-catatan kantong-prioritas-celah">Peringkat yang tidak tampil disembunyikan: '
        "angka kelurahan itu terlalu kecil untuk dipublikasikan.</div>"
        if ranks != list(range(1, len(ranks) + 1))
        else ""
    )
    hot = PRIORITY_WORDS["titik_panas"][0]
    no_hot = (
        '<div class="kantong-catatan">Tidak ada kelurahan yang menjadi titik panas setelah koreksi uji berganda '
        f"(FDR {fdr_label(significance)}): bagian titik panas bernilai 0 untuk semua kelurahan.</div>"
        if "titik_panas" in used and frame[hot].fillna(0).eq(0).all()
        else ""
    )
    return (
        "<h2>Kunjungi lebih dulu: kelurahan prioritas</h2>"
        '<div class="kantong-catatan kantong-cetak">Skor gabungan 0–1 dari KK miskin ekstrem, persentase miskin (EB), '
        "titik panas (Gi*) dan kemiskinan multidimensi (M0).</div>"
        f'<div class="kantong-catatan kantong-layar">Skor gabungan 0–1 (1 = paling prioritas) = {how} dari: {html.escape(parts)}; '
        f"tiap bagian 0–1 menurut urutannya di antara kelurahan. Urutan {html.escape(TIE_RULE)}. "
        "Klik nama untuk membuka profilnya.</div>"
        f"{no_hot}"
        f'<ol class="kantong-prioritas">{"".join(items)}</ol>'
        f"{gap}"
    )


@dataclass(frozen=True)
class ProgrammeGap:
    """One programme's row of "who is missed": region figures and the kelurahan leaving most out."""

    name: str
    theme: int
    rule: bool
    eligible: float | None
    reached: float | None
    missed: float | None
    recipients: float | None
    households: float
    #: (row of the kelurahan in the map's data, name, eligible households not reached), most first.
    worst: list[tuple[int, str, int]]


def programme_gaps(
    kelurahan: pd.DataFrame,
    themes: list[Theme],
    *,
    coverage: pd.DataFrame | None,
    region: pd.DataFrame | None,
    programs: dict[str, str] | None,
    households: float,
    worst: int = 3,
) -> list[ProgrammeGap]:
    """Per programme: eligible, reached, eligible not reached (region), and the kelurahan with most left out.

    ``coverage`` is the public per-kelurahan coverage, ``region`` the
    public coverage of the whole region (one row per programme); both are
    already suppressed. Each row carries the index of the programme's theme.
    """
    if coverage is None or region is None or not len(region) or not programs:
        return []
    theme_of = {theme.program: i for i, theme in enumerate(themes) if theme.program}
    rows = region.set_index("program")
    codes = kelurahan[C.KODE_KEL].reset_index(drop=True)
    out = []
    for code, name in programs.items():
        if code not in rows.index or code not in theme_of:
            continue
        rule = themes[theme_of[code]].chart is not None  # coverage is charted; recipients (no rule) are not
        r = rows.loc[code]
        left = coverage[coverage["program"] == code].set_index(C.KODE_KEL)["kk_eksklusi"].astype("Float64")
        by_row = pd.Series(left.reindex(codes.to_numpy()).to_numpy(), index=codes.index).dropna()
        by_row = by_row[by_row > 0].sort_values(ascending=False, kind="stable").head(worst)
        out.append(
            ProgrammeGap(
                name=name,
                theme=theme_of[code],
                rule=rule,
                eligible=r.get("kk_layak"),
                reached=r.get("kk_layak_terima"),
                missed=r.get("kk_eksklusi"),
                recipients=r.get("kk_penerima"),
                households=households,
                worst=[(int(i), str(kelurahan[C.NAMA_KEL].iloc[i]), int(v)) for i, v in by_row.items()] if rule else [],
            )
        )
    return out


def _count_share(count: float | None, total: float | None) -> str:
    if count is None or pd.isna(count):
        return "disembunyikan"
    if total is None or pd.isna(total) or not total:
        return format_int(count)
    return f"{format_int(count)} <span class='persen'>({format_percent(100 * count / total, 1)})</span>"


def gaps_html(gaps: list[ProgrammeGap]) -> str:
    """The "which programme misses whom" section: per programme a name row (switching to its theme),
    a row of figures and the kelurahan leaving most out."""
    if not gaps:
        return ""
    rows = []
    for gap in gaps:
        rows.append(
            f'<tr class="kantong-program-nama"><td colspan="3"><a href="#" data-tema="{gap.theme}">'
            f"{html.escape(gap.name)}</a></td></tr>"
        )
        if gap.rule:
            rows.append(
                f"<tr class='kantong-program-angka'><td class='angka'>{_count_share(gap.eligible, None)}</td>"
                f"<td class='angka'>{_count_share(gap.reached, gap.eligible)}</td>"
                f"<td class='angka'><b>{_count_share(gap.missed, gap.eligible)}</b></td></tr>"
            )
            if gap.worst:
                places = ", ".join(
                    f'<a href="#" data-kel="{i}">{html.escape(name)}</a> ({format_int(n)})' for i, name, n in gap.worst
                )
                rows.append(f"<tr class='kantong-terlewat'><td colspan='3'>Terbanyak terlewat: {places}</td></tr>")
        else:
            rows.append(
                f"<tr class='kantong-program-angka'><td colspan='3'>Penerima "
                f"{_count_share(gap.recipients, gap.households)} dari semua KK"
                f"<div class='kantong-catatan'>{html.escape(no_rule_note(gap.name))}</div></td></tr>"
            )
    return (
        '<div class="kantong-layar"><h2>Program: siapa yang terlewat</h2>'
        '<div class="kantong-catatan">Jumlah KK; persen dari KK layak. Klik program untuk petanya, '
        "klik kelurahan untuk profilnya.</div>"
        '<table class="kantong-program"><tr><th>Layak</th><th>Menerima</th><th>Layak belum menerima</th></tr>'
        f"{''.join(rows)}</table></div>"
    )


def help_html(context: MapContext) -> str:
    """ "Cara membaca peta": the map in a few plain sentences."""
    fdr = fdr_label(context.significance)
    return f"""<details class="kantong-bantuan kantong-layar"><summary>Cara membaca peta</summary>
      <ul>
        <li>Warna kelurahan mengikuti <b>tema</b> yang dipilih di daftar lapisan (kanan atas). Legenda di kanan bawah.</li>
        <li>Garis ungu tebal = <b>kantong kemiskinan</b>: wilayah (segi enam, sel H3) yang KK miskinnya jauh lebih
          banyak daripada rata-rata wilayah, sedikitnya {context.min_pocket_households} KK; angka di lencana = peringkat.
          Klik lencana untuk rinciannya.</li>
        <li>Klik kelurahan mana saja untuk profilnya; cari nama di kotak pencarian.</li>
        <li>Abu-abu = angka di bawah {context.min_households} KK disembunyikan untuk melindungi data pribadi.</li>
        <li>"Titik panas" berarti kelompok tetangga yang sama-sama miskin, bukan kebetulan
          (uji Getis-Ord Gi*). Skor prioritas hanya menghitung titik panas yang lolos koreksi uji berganda
          (FDR) {fdr}; kantong memakai uji hitungan dengan FDR {fdr} juga.</li>
      </ul></details>"""


def panel_html(context: MapContext, kelurahan: pd.DataFrame, *, gaps: list[ProgrammeGap] | None = None) -> str:
    """The side panel: headline figures, help, priorities, programme gaps, targets and notes (escaped HTML)."""
    s = context.summary
    pockets = (
        f"<tr><td>Kantong kemiskinan (≥ {context.min_pocket_households} KK)</td>"
        f"<td class='angka'>{format_int(s['jumlah_kantong'])} ({format_int(s['kk_dalam_kantong'])} KK)</td></tr>"
        if "jumlah_kantong" in s
        else ""
    )
    targets = (
        f"<div class='kantong-layar'><h2>Target kemiskinan</h2>"
        f"<div class='kantong-catatan'>{target_text(context.targets)}</div>{context.chart}</div>"
        if context.targets
        else ""
    )
    mpi = (
        f"<tr><td>Miskin multidimensi (H)</td><td class='angka'>{format_percent(s[C.MPI_H])}</td></tr>"
        if C.MPI_H in s
        else ""
    )
    notice = f'<div class="kantong-sintetis">{SYNTHETIC_NOTICE}</div>' if context.synthetic else ""
    notice += "".join(
        f'<div class="kantong-peringatan" role="alert">{html.escape(text)}</div>' for text in context.warnings
    )
    fdr = fdr_label(context.significance)
    source = f"Sumber: {html.escape(context.source)}<br>" if context.source else ""
    people = PEOPLE_UNKNOWN if s.get(JIWA_TIDAK_DIKETAHUI) else format_int(s[C.JUMLAH_JIWA])
    return f"""
    <div class="kantong-panel" id="kantong-panel" role="complementary" aria-label="Ringkasan wilayah">
      <div class="kantong-kepala"><h1>{html.escape(context.region_name)}</h1>
        <button type="button" class="kantong-tutup" aria-label="Tutup ringkasan" title="Tutup">×</button></div>
      <div class="kantong-pesan" id="kantong-pesan" role="status"></div>
      <div>Peta kantong kemiskinan · data {format_date(context.data_date)}</div>
      <a class="kantong-indeks kantong-layar" href="../index.html">← Semua wilayah</a>
      {notice}
      <table class="kantong-ringkasan">
        <tr><td>Jumlah keluarga</td><td class="angka">{format_int(s[C.JUMLAH_KK])} KK</td></tr>
        <tr><td>Jumlah jiwa</td><td class="angka">{people}</td></tr>
        <tr><td>KK miskin &amp; rentan</td><td class="angka">{format_int(s[C.KK_MISKIN])} KK ({format_percent(s[C.PERSEN_MISKIN])})</td></tr>
        <tr><td>KK miskin ekstrem</td><td class="angka">{format_int(s[C.KK_MISKIN_EKSTREM])} KK ({format_percent(s[C.PERSEN_MISKIN_EKSTREM])})</td></tr>
        <tr><td>KK miskin tanpa program</td><td class="angka">{format_int(s[KK_MISKIN_TANPA_PROGRAM])} KK</td></tr>
        {mpi}
        {pockets}
      </table>
      {help_html(context)}
      {priority_html(kelurahan, context.priority_weights, significance=context.significance)}
      {gaps_html(gaps or [])}
      {targets}
      <h2>Keterangan</h2>
      <div class="kantong-catatan">
        Tanggal data: {format_date(context.data_date)}<br>
        {source}Definisi: {html.escape(context.poverty_rule)}<br>
        Angka di bawah {context.min_households} KK disembunyikan untuk melindungi data pribadi (UU 27/2022).<br>
        <span class="kantong-layar">Titik panas: kelurahan miskin yang bertetangga dengan kelurahan miskin (Getis-Ord Gi*,
        ketetanggaan queen, uji permutasi); skor prioritas hanya memakai titik panas yang lolos FDR {fdr}.<br>
        Kantong: segi enam (sel H3) dengan KK miskin lebih banyak daripada yang dijelaskan oleh persentase wilayah
        (uji hitungan dengan koreksi uji berganda (FDR) {fdr}), sedikitnya {context.min_pocket_households} KK.<br></span>
        Dibuat: {html.escape(context.generated)}
      </div>
      {context.basemap_html}
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
