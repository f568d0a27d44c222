"""The poverty trajectory chart (BPS, targets, register) as inline SVG for the panel."""

from __future__ import annotations

import html

import numpy as np

from .format import format_percent

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
