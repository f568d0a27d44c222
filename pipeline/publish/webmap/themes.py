"""The map's themes: one kelurahan layer, restyled per indicator, with its legend.

A :class:`Theme` is a colour per kelurahan, a tooltip value and a legend;
:func:`kelurahan_themes` builds them all (poverty rate raw and smoothed,
extreme poor, M0, Gi*, coverage per programme, exclusion, overlap,
vulnerable groups, change since the last snapshot).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ... import columns as C
from ...analyse import verification as V
from ..palette import (
    CHANGE_CLASSES,
    COUNT_COLORS,
    COVERAGE_BREAKS,
    COVERAGE_COLORS,
    GI_STYLE,
    HIDDEN_LABEL,
    M0_BREAKS,
    M0_COLORS,
    NO_DATA_COLOR,
    NO_RULE_LABEL,
    OVERLAP_COLORS,
    RATE_BREAKS,
    RATE_COLORS,
    VULNERABLE_COLORS,
    fdr_label,
)
from .format import format_households, format_int, format_number, format_percent

# Themes (radio entries of the layer control), by group.
GROUP_POVERTY: str = "Kemiskinan"
GROUP_PROGRAM: str = "Program dan OPD"
GROUP_VULNERABLE: str = "Kelompok rentan"
GROUP_CHANGE: str = "Perubahan"
GROUP_VERIFICATION: str = "Verifikasi lapangan"
LAYER_VERIFICATION: str = "Verifikasi lapangan: kunjungan terencana yang selesai"
LAYER_RATE: str = "Persentase KK miskin & rentan"
LAYER_RATE_EB: str = "Persentase miskin, dihaluskan untuk kelurahan kecil (Empirical Bayes)"
LAYER_EXTREME: str = "Jumlah KK miskin ekstrem"
LAYER_M0: str = "Kemiskinan multidimensi (M0)"
LAYER_GI: str = "Kelompok kelurahan miskin bertetangga: titik panas (Gi*)"
LAYER_EXCLUSION: str = "Eksklusi: KK layak tanpa program"
#: ``{n}`` is ``[analysis] overlap_programs``.
LAYER_OVERLAP: str = "Tumpang tindih: KK menerima ≥ {n} program"
LAYER_CHANGE: str = "Perubahan KK miskin sejak data sebelumnya (snapshot)"
# Overlays (check boxes).
LAYER_OSM: str = "Peta dasar OpenStreetMap (perlu internet)"
LAYER_KEC: str = "Batas kecamatan"
LAYER_POCKET: str = "Kantong kemiskinan"
LAYER_CELLS: str = "Segi enam (sel H3): titik panas"
KK_LAYAK_TANPA_PROGRAM: str = "kk_layak_tanpa_program"


#: Vulnerable-group count columns -> theme names.
VULNERABLE_LABELS: dict[str, str] = {
    "kk_lansia_tunggal": "KK lansia tunggal",
    "kk_disabilitas": "KK dengan penyandang disabilitas",
    "kk_risiko_stunting": "KK berisiko stunting",
    "kk_perempuan_kepala": "KK dengan perempuan kepala keluarga",
    "kk_pekerja_migran": "KK dengan pekerja migran",
}


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
    #: The programme code of a programme's theme (coverage, or recipients where there is no rule).
    program: str | None = None


def _classes(values: pd.Series, breaks: tuple[float, ...]) -> np.ndarray:
    data = values.to_numpy(dtype="float64", na_value=np.nan)
    return np.where(np.isnan(data), -1, np.digitize(data, breaks[1:-1], right=False))


def _range_legend(breaks: tuple[float, ...], colors: tuple[str, ...], unit: str, hidden: str) -> list[tuple[str, str]]:
    items = [
        (
            color,
            f"{format_number(lo)}–{format_number(hi)} {unit}".rstrip()
            if math.isfinite(hi) and hi <= 100
            else f"≥ {format_number(lo)} {unit}".rstrip(),
        )
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


def share_breaks(values: pd.Series, classes: int = 5) -> tuple[float, ...]:
    """Class edges for a share layer (%): quantiles of the published shares, rounded to whole percent."""
    data = values.dropna().astype("float64")
    if data.empty or data.max() <= 0:
        return (0.0, 100.000001)
    quantiles = np.quantile(data, np.linspace(0, 1, classes + 1))[1:-1]
    inner = np.unique(np.ceil(np.round(quantiles, 6)))  # 13.000000000000002 is 13, not 14
    inner = inner[(inner > 0) & (inner < 100)]
    return (0.0, *(float(e) for e in inner), 100.000001)


def _share_theme(
    name: str, counts: pd.Series, households: pd.Series, *, k: int, group: str = GROUP_VULNERABLE
) -> Theme:
    """A vulnerable group as a share of the kelurahan's households; the count in the tooltip.

    A count shows where people live; the share shows where the group is
    over-represented. A hidden count hides the share too.
    """
    counts = counts.astype("Float64")
    total = households.astype("Float64")
    share = (100 * counts / total.where(total > 0)).astype("Float64")
    breaks = share_breaks(share)
    colors = VULNERABLE_COLORS[: len(breaks) - 1]
    return Theme(
        name=name,
        group=group,
        label=f"{name} (% KK)",
        colors=colors,
        legend=_range_legend(breaks, colors, "% KK", f"{HIDDEN_LABEL} (< {k} KK)"),
        classes=_classes(share, breaks),
        texts=[
            HIDDEN_LABEL if pd.isna(s) or pd.isna(n) else f"{format_percent(s, 1)} ({format_int(n)} KK)"
            for s, n in zip(share, counts, strict=True)
        ],
    )


def _signed_households(value: float) -> str:
    return HIDDEN_LABEL if pd.isna(value) else f"{int(value):+d} KK".replace("+0 ", "0 ")


def program_coverage_table(coverage: pd.DataFrame, codes: pd.Series, programs: dict[str, str]) -> pd.DataFrame:
    """Coverage (% of eligible households reached) per kelurahan (rows, in ``codes`` order) and programme (columns).

    Programmes are those of ``programs`` (code -> name) present in
    ``coverage`` (:func:`pipeline.analyse.programmes.coverage`, public);
    hidden shares stay missing.
    """
    present = [code for code in programs if code in set(coverage["program"])]
    wide = coverage.pivot_table(index=C.KODE_KEL, columns="program", values="persen_cakupan", aggfunc="first")
    return wide.reindex(index=codes.to_numpy(), columns=present).astype("float64")


def _eligible_hidden(rows: pd.DataFrame) -> pd.Series:
    """Coverage rows whose eligible count was hidden (small), as opposed to never assessed."""
    return rows.get(C.DISEMBUNYIKAN, pd.Series("", index=rows.index)).fillna("").str.contains("kk_layak")


def _coverage_texts(coverage: pd.DataFrame, code: str, codes: pd.Series) -> list[str]:
    """Coverage of one programme per kelurahan as text, with its exclusion (eligible, not reached).

    "tanpa kriteria" where the register holds no eligibility rule for the
    programme; hidden figures read "disembunyikan".
    """
    rows = coverage[coverage["program"] == code].set_index(C.KODE_KEL).reindex(codes.to_numpy())
    no_rule = (
        rows["kk_layak"].isna() & ~_eligible_hidden(rows) if "kk_layak" in rows else pd.Series(False, index=rows.index)
    )
    excluded = rows["kk_eksklusi"] if "kk_eksklusi" in rows else pd.Series(np.nan, index=rows.index)
    return [
        NO_RULE_LABEL
        if unknown
        else format_percent(share, 1)
        if pd.isna(share) or pd.isna(out)
        else f"{format_percent(share, 1)}; {format_int(out)} KK layak belum menerima"
        for share, unknown, out in zip(rows["persen_cakupan"], no_rule, excluded, strict=True)
    ]


def has_rule(coverage: pd.DataFrame, code: str) -> bool:
    """Whether the register holds an eligibility rule for the programme (some eligible count is known or hidden)."""
    rows = coverage[coverage["program"] == code]
    return bool((rows["kk_layak"].notna() | _eligible_hidden(rows)).any()) if "kk_layak" in rows else False


def no_rule_note(name: str) -> str:
    """Why a programme without an eligibility rule shows recipients, not coverage."""
    return (
        f"Register tidak memuat kriteria kelayakan {name}, jadi cakupan (% KK layak yang menerima) "
        "tidak dihitung; yang ditampilkan: % KK yang menerima."
    )


def _recipient_theme(name: str, coverage: pd.DataFrame, code: str, kelurahan: pd.DataFrame, *, k: int) -> Theme:
    """A programme without an eligibility rule: its recipients as a share of households, not a grey map."""
    rows = coverage[coverage["program"] == code].set_index(C.KODE_KEL).reindex(kelurahan[C.KODE_KEL].to_numpy())
    recipients = pd.Series(rows["kk_penerima"].to_numpy(), index=kelurahan.index)
    theme = _share_theme(
        f"Penerima {name} (tanpa kriteria kelayakan)", recipients, kelurahan[C.JUMLAH_KK], k=k, group=GROUP_PROGRAM
    )
    return Theme(
        name=theme.name,
        group=theme.group,
        label=f"Penerima {name} (% KK)",
        colors=theme.colors,
        legend=[*theme.legend, ("", no_rule_note(name))],
        classes=theme.classes,
        texts=theme.texts,
        program=code,
    )


def _verification_theme(kelurahan: pd.DataFrame, *, k: int) -> Theme:
    """Planned visits done (%), with the outcomes and who moved in or out of multidimensional poverty."""

    def n(column: str) -> list[str]:
        values = kelurahan[column] if column in kelurahan else pd.Series(pd.NA, index=kelurahan.index)
        return [HIDDEN_LABEL if pd.isna(v) else format_int(v) for v in values]

    share = kelurahan[V.SHARE_DONE].astype("Float64")
    texts = [
        f"{HIDDEN_LABEL if pd.isna(s) else format_percent(s, 0)} ({done} dari {plan} KK rencana); ditemukan {f}, "
        f"pindah {p}, meninggal {d}, tidak ditemukan {t}; masuk miskin multidimensi {i}, keluar {o}"
        for s, done, plan, f, p, d, t, i, o in zip(
            share, *(n(c) for c in (V.DONE, V.PLANNED, *V.OUTCOME_COLUMNS.values(), V.INTO, V.OUT_OF)),
            strict=True,
        )
    ]  # fmt: skip
    return Theme(
        name=LAYER_VERIFICATION,
        group=GROUP_VERIFICATION,
        label="Kunjungan terencana yang selesai",
        colors=COVERAGE_COLORS,
        legend=_range_legend(
            COVERAGE_BREAKS, COVERAGE_COLORS, "% rencana", f"{HIDDEN_LABEL} (< {k} KK) / tanpa rencana"
        ),
        classes=_classes(share, COVERAGE_BREAKS),
        texts=texts,
    )


def kelurahan_themes(
    kelurahan: pd.DataFrame,
    *,
    k: int,
    changes: pd.DataFrame | None = None,
    coverage: pd.DataFrame | None = None,
    programs: dict[str, str] | None = None,
    overlap_programs: int = 3,
    significance: float = 0.05,
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
    significance
        The FDR level, named in the hot-spot legend.

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
                texts=[HIDDEN_LABEL if pd.isna(v) else format_number(v, 3) for v in m0],
            )
        )
    gi = kelurahan[C.GI_KELAS].where(kelurahan[C.GI_KELAS].isin(list(GI_STYLE)), "tanpa_data")
    passed = (
        kelurahan["gi_fdr"].fillna(False).astype(bool) if "gi_fdr" in kelurahan else pd.Series(False, kelurahan.index)
    )
    passed = passed & gi.str.startswith(("panas", "dingin"))
    fdr = fdr_label(significance)
    order = list(GI_STYLE)
    themes.append(
        Theme(
            name=LAYER_GI,
            group=GROUP_POVERTY,
            label="Titik panas (Gi*)",
            colors=tuple(color for color, _ in GI_STYLE.values()),
            legend=[
                *GI_STYLE.values(),
                ("", f"Lolos koreksi uji berganda (FDR {fdr}): {int(passed.sum())} kelurahan"),
            ],
            classes=np.array([order.index(c) for c in gi]),
            texts=[GI_STYLE[c][1] + (f", lolos FDR {fdr}" if ok else "") for c, ok in zip(gi, passed, strict=True)],
        )
    )
    if coverage is not None and len(coverage) and programs:
        table = program_coverage_table(coverage, kelurahan[C.KODE_KEL], programs)
        for code in table.columns:
            if not has_rule(coverage, code):
                themes.append(_recipient_theme(programs[code], coverage, code, kelurahan, k=k))
                continue
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
                        f"{HIDDEN_LABEL} / tidak ada KK layak",
                    ),
                    classes=_classes(table[code], COVERAGE_BREAKS),
                    texts=_coverage_texts(coverage, code, kelurahan[C.KODE_KEL]),
                    profile=False,  # charted instead
                    chart=(programs[code], table[code].to_numpy()),
                    program=code,
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
            themes.append(_share_theme(label, kelurahan[column], kelurahan[C.JUMLAH_KK], k=k))
    if V.SHARE_DONE in kelurahan:
        themes.append(_verification_theme(kelurahan, k=k))
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
