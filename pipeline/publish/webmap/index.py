"""The outputs index page: one row per region, linking its map."""

from __future__ import annotations

import html

from ... import columns as C
from ..palette import SYNTHETIC_NOTICE
from .chart import chart_series, trajectory_svg
from .format import format_int, format_percent
from .panel import target_text


def index_html(regions: list[dict]) -> str:
    """A small offline index page listing regions with headline figures.

    Parameters
    ----------
    regions
        One dict per region: ``slug``, ``nama``, ``sintetis`` and the
        summary figures of :func:`pipeline.analyse.indicators.region_summary`.
    """
    rows = []
    for r in sorted(regions, key=lambda r: r["nama"]):
        s = r["ringkasan"]
        badge = f' <span class="sintetis">{SYNTHETIC_NOTICE}</span>' if r.get("sintetis") else ""
        if r.get("jenis") == "provinsi":  # a province run's overview: its kab/kota are rows of their own
            badge += f" (provinsi, {s['kabkota_selesai']} dari {s['jumlah_kabkota']} kab/kota)"
        rows.append(
            f"<tr><td><a href='{html.escape(r['slug'])}/peta.html'>{html.escape(r['nama'])}</a>{badge}</td>"
            f"<td>{s['jumlah_kelurahan']}</td><td>{format_int(s[C.JUMLAH_KK])}</td>"
            f"<td>{format_percent(s[C.PERSEN_MISKIN])}</td><td>{format_percent(s[C.PERSEN_MISKIN_EKSTREM])}</td>"
            f"<td>{html.escape(r['tanggal_data'])}</td>"
            f"<td>{target_text(r.get('target', []))}{trajectory_svg(*chart_series(r))}</td></tr>"
        )
    return f"""<!DOCTYPE html>
<html lang="id"><head><meta charset="utf-8"><title>Peta Kantong Kemiskinan</title>
<style>body{{font-family:Arial,sans-serif;margin:2em;}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}} .sintetis{{color:#7a5600;background:#fff3cd;font-size:.85em;padding:1px 4px}}</style>
</head><body><h1>Peta Kantong Kemiskinan</h1>
<table><tr><th>Wilayah</th><th>Kelurahan/desa</th><th>Jumlah KK</th><th>% miskin &amp; rentan</th><th>% miskin ekstrem</th><th>Tanggal data</th><th>Target dan lintasan (BPS, target, register)</th></tr>
{"".join(rows)}</table></body></html>
"""
