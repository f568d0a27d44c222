"""Validate stage: check every household row, quarantine the bad ones.

Following osmnx's pattern, all problems are collected first and reported
once. A problem with the whole file (a required column is missing) raises
one :class:`~pipeline.errors.ValidationError`. A problem with a row sends the
row to the quarantine table with every reason that applies, so that nothing
is ever dropped silently: ``rows in == accepted + quarantined``.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import columns as C
from ..settings import HouseholdSource, Snapshot
from ..text import column_text, parse_flag, parse_number, parse_sex, per_unique
from .coordinates import coordinates_from_one_column
from .households import read_registers, rows_per_source
from .row_checks import duplicate_keepers, nik_mismatch_flags, row_checks

logger = logging.getLogger(__name__)

#: Reason code -> explanation for the data officer (Bahasa Indonesia).
REASONS: dict[str, str] = {
    "id_kosong": "ID keluarga kosong",
    "id_ganda": "ID keluarga, No KK atau NIK kepala keluarga sama dengan baris lain (lihat baris_dipertahankan)",
    "nik_tidak_valid": "NIK kepala keluarga bukan 16 digit angka",
    "nik_format_ilmiah": "NIK tersimpan sebagai angka Excel (mis. 3.374E+15): digit terakhir hilang, ekspor ulang sebagai teks",
    "nik_provinsi_tidak_valid": "Dua digit pertama NIK bukan kode provinsi (11-96)",
    "nik_tanggal_tidak_valid": "Bagian tanggal lahir NIK (DDMMYY, DD+40 untuk perempuan) bukan tanggal yang ada",
    "nik_angka_seragam": "NIK terdiri dari satu angka yang diulang",
    "tanggal_tidak_valid": "Tanggal lahir atau tanggal verifikasi bukan tanggal yang ada",
    "status_meninggal": "Status verifikasi: meninggal",
    "status_tidak_ditemukan": "Status verifikasi: tidak ditemukan",
    "status_pindah": "Status verifikasi: pindah (keluarga tidak lagi tinggal di alamat ini)",
    "desil_tidak_valid": "Desil kesejahteraan kosong atau di luar 1-10",
    "koordinat_tidak_valid": "Latitude/longitude bukan angka",
    "koordinat_tidak_lengkap": "Hanya satu dari latitude/longitude yang terisi",
    "koordinat_di_luar_indonesia": "Koordinat di luar wilayah Indonesia (mungkin lat/lon tertukar)",
    "lokasi_tidak_ada": "Tidak ada koordinat maupun kode kelurahan yang valid",
    "di_luar_wilayah": "Titik GPS di luar semua batas kelurahan, lebih jauh dari jarak toleransi",
    "kode_kel_tidak_dikenal": "Kode kelurahan tidak ada di file batas wilayah",
}

FLAG_COLUMNS: tuple[str, ...] = (C.LANSIA_TUNGGAL, C.DISABILITAS, C.RISIKO_STUNTING, C.PEKERJA_MIGRAN)


def _duplicates(frame: pd.DataFrame, keys: dict[str, pd.Series], *, bad: pd.Series, verified: pd.Series) -> pd.Series:
    """Pointer "<file>:<line>" of the kept row for every duplicate row, "" elsewhere (:func:`duplicate_keepers`)."""
    keeper = duplicate_keepers(list(keys.values()), bad=bad.to_numpy(dtype=bool), verified=verified)
    pointer = np.full(len(frame), "", dtype=object)
    dup = keeper >= 0
    if dup.any():
        files = frame.get(C.FILE_SUMBER, pd.Series("", index=frame.index)).astype(str).to_numpy()
        lines = frame.get(C.BARIS_SUMBER, pd.Series(range(len(frame)), index=frame.index)).astype(str).to_numpy()
        kept = keeper[dup]
        pointer[dup] = pd.Series(files[kept]).str.cat(pd.Series(lines[kept]), sep=":").to_numpy()
    return pd.Series(pointer, index=frame.index, dtype="object")


def validate_households(frame: pd.DataFrame) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Check household rows and split them into accepted and quarantined.

    Parameters
    ----------
    frame
        Rows from :func:`pipeline.ingest.households.households_from_file`, canonical headers,
        values as text.

    Returns
    -------
    accepted : GeoDataFrame
        Valid rows with typed columns and a point geometry in EPSG:4326
        (``None`` where the row has no coordinates). The index is kept.
    quarantine : DataFrame
        Rejected rows as found, plus ``alasan`` (reason codes separated by
        ``;``, see :data:`REASONS`) and ``tahap`` = ``"validasi"``.

    Raises
    ------
    ValidationError
        If a required column is missing, or neither a kelurahan code nor
        coordinates are present.
    """
    frame = coordinates_from_one_column(frame)
    checks = row_checks(frame)
    reasons = dict(checks.reasons)
    ident, nik, parts, desil, kode, kode_text = (
        checks.ident,
        checks.nik,
        checks.parts,
        checks.desil,
        checks.kode,
        checks.kode_text,
    )
    lat, lon, located, birth = checks.lat, checks.lon, checks.located, checks.birth
    kept_row = _duplicates(frame, checks.keys(frame), bad=checks.bad, verified=checks.verified)
    reasons["id_ganda"] = kept_row != ""

    reasons = {code: mask.fillna(False).astype(bool) for code, mask in reasons.items()}
    reason_text = pd.Series("", index=frame.index, dtype="object")
    for code, mask in reasons.items():
        reason_text = reason_text + np.where(mask.to_numpy(), code + ";", "")
    bad = reason_text != ""

    quarantine = frame.loc[bad].copy()
    quarantine[C.ALASAN] = reason_text[bad].str.rstrip(";")
    quarantine[C.TAHAP] = "validasi"
    quarantine[C.BARIS_DIPERTAHANKAN] = kept_row[bad]

    good = ~bad
    accepted = frame.loc[good].copy()
    accepted[C.ID_KELUARGA] = ident[good]
    accepted[C.NIK] = nik[good]
    accepted[C.DESIL] = desil[good].astype("int64")
    # a code that is no code at all ("abc") stays as written, so that the join flags it
    # (kode_kel_tidak_dikenal) instead of treating the row as having no code
    accepted[C.KODE_KEL] = kode[good].fillna(kode_text[good].mask(kode_text[good] == ""))
    accepted[C.LAT] = lat[good].where(located[good])
    accepted[C.LON] = lon[good].where(located[good])
    members = per_unique(column_text(frame, C.JUMLAH_ART)[good], parse_number)
    accepted[C.JUMLAH_ART] = members.where((members >= 1) & (members % 1 == 0)).astype("Int64")
    for column in FLAG_COLUMNS + tuple(c for c in frame.columns if c.startswith(C.PENERIMA_PREFIX)):
        if column in frame.columns:
            accepted[column] = parse_flag(frame.loc[good, column])
    sex = parse_sex(column_text(frame, C.JENIS_KELAMIN)[good])
    if C.JENIS_KELAMIN in frame.columns:
        accepted[C.JENIS_KELAMIN] = sex
    if C.TANGGAL_LAHIR in frame.columns:
        accepted[C.TANGGAL_LAHIR] = birth[good]
    accepted[C.NIK_BEDA_JK], accepted[C.NIK_BEDA_TGL] = nik_mismatch_flags(parts[good], sex, birth[good])

    geometry = gpd.points_from_xy(accepted[C.LON], accepted[C.LAT], crs="EPSG:4326")
    accepted = gpd.GeoDataFrame(accepted, geometry=geometry, crs="EPSG:4326")
    accepted.loc[~located[good], "geometry"] = None

    counts = {code: int(mask.sum()) for code, mask in reasons.items() if mask.any()}
    flags = {flag: int(accepted[flag].sum()) for flag in (C.NIK_BEDA_JK, C.NIK_BEDA_TGL) if accepted[flag].any()}
    logger.info(
        "validated %d rows: %d accepted, %d quarantined %s; flagged %s",
        len(frame),
        len(accepted),
        len(quarantine),
        counts or "",
        flags or "none",
    )
    return accepted, quarantine


#: Flags counted in the validation summary: column -> explanation.
FLAGS: dict[str, str] = {
    C.NIK_BEDA_JK: "Jenis kelamin pada NIK berbeda dengan kolom Jenis Kelamin (baris tetap dipakai)",
    C.NIK_BEDA_TGL: "Tanggal lahir pada NIK berbeda dengan kolom Tanggal Lahir (baris tetap dipakai)",
    C.BEDA_LOKASI: "Titik GPS di kelurahan lain daripada kode register (titik yang dipakai)",
    C.KODE_TIDAK_DIKENAL: (
        "Kode kelurahan di register tidak ada di file batas wilayah, tetapi titik GPS menempatkan KK "
        "(baris tetap dipakai; perbaiki kodenya)"
    ),
    C.DI_TUMPANG: "Titik GPS di area tumpang tindih dua kelurahan",
    C.DIGESER: "Titik GPS di luar batas, digeser ke kelurahan terdekat",
}


def validation_by_reason(rows_in: int, accepted: pd.DataFrame, quarantine: pd.DataFrame) -> pd.DataFrame:
    """Totals, then quarantined rows per stage and reason, then flagged rows per flag.

    A row with two reasons counts once under each; ``total`` rows count rows.

    Returns
    -------
    DataFrame
        ``tahap``, ``alasan``, ``jumlah_baris``, ``keterangan``.
    """
    reasons = (
        quarantine[[C.TAHAP, C.ALASAN]].assign(**{C.ALASAN: quarantine[C.ALASAN].str.split(";")}).explode(C.ALASAN)
    )
    by_reason = reasons.groupby([C.TAHAP, C.ALASAN]).size().rename("jumlah_baris").reset_index()
    by_reason["keterangan"] = by_reason[C.ALASAN].map(REASONS)
    flags = pd.DataFrame(
        [
            {C.TAHAP: "bendera", C.ALASAN: flag, "jumlah_baris": int(accepted[flag].sum()), "keterangan": text}
            for flag, text in FLAGS.items()
            if flag in accepted
        ]
    )
    totals = pd.DataFrame(
        {
            C.TAHAP: ["total"] * 3,
            C.ALASAN: ["baris_masuk", "baris_diterima", "baris_dikarantina"],
            "jumlah_baris": [rows_in, len(accepted), len(quarantine)],
            "keterangan": [
                "Baris di file register",
                "Baris yang dipakai dalam analisis",
                "Baris di karantina (folder terbatas)",
            ],
        }
    )
    return pd.concat([totals, by_reason, flags], ignore_index=True).astype({"jumlah_baris": "int64"})


def validation_by_file(raw: pd.DataFrame, accepted: pd.DataFrame, quarantine: pd.DataFrame) -> pd.DataFrame:
    """Rows read, accepted and quarantined per file (and Excel sheet).

    Returns
    -------
    DataFrame
        ``file_sumber``, ``lembar_sumber``, ``baris_masuk``, ``baris_diterima``,
        ``baris_dikarantina``, ``baris_ganda``: for every file, rows read =
        accepted + quarantined; and ``baris_berkoordinat``, the accepted
        rows placed by their GPS point.
    """
    duplicates = quarantine[quarantine[C.ALASAN].str.contains("id_ganda", regex=False)]
    located = accepted[accepted[C.METODE_LOKASI] == "titik"] if C.METODE_LOKASI in accepted else accepted.iloc[:0]
    return rows_per_source(
        {
            "baris_masuk": raw,
            "baris_diterima": accepted,
            "baris_dikarantina": quarantine,
            "baris_ganda": duplicates,
            "baris_berkoordinat": located,
        }
    )


def validation_markdown(
    by_reason: pd.DataFrame,
    by_file: pd.DataFrame,
    *,
    region: str,
    members: pd.DataFrame | None = None,
    warnings: list[str] | None = None,
) -> str:
    """The validation report as Markdown (Bahasa Indonesia), for data officers.

    ``members`` is the member-table accounting of
    :func:`pipeline.ingest.members.attach_members`, reported when not empty;
    ``warnings`` (e.g. :func:`pipeline.ingest.coordinates.shortfall_texts`)
    come first, under "Peringatan".
    """
    lines = [f"# Laporan validasi register — {region}", ""]
    if warnings:
        lines += ["## Peringatan", "", *(f"- **{text}**" for text in warnings), ""]
    lines += [
        "## Per file",
        "",
        "| file | lembar | masuk | diterima | dikarantina | ganda | berkoordinat |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for row in by_file.itertuples(index=False):
        lines.append(
            f"| {row.file_sumber} | {row.lembar_sumber or '–'} | {row.baris_masuk} | {row.baris_diterima} | "
            f"{row.baris_dikarantina} | {row.baris_ganda} | {getattr(row, 'baris_berkoordinat', '–')} |"
        )
    if members is not None and len(members):
        lines += [
            "",
            "## Tabel anggota keluarga (individu/ART)",
            "",
            "Baris anggota bukan rumah tangga: dihitung menjadi jumlah anggota, lansia, anak usia sekolah, "
            "disabilitas dan penyakit kronis per keluarga.",
            "",
            "| file | lembar | masuk | tertaut | tidak tertaut |",
            "|---|---|---:|---:|---:|",
        ]
        lines += [
            f"| {r.file_sumber} | {r.lembar_sumber or '–'} | {r.anggota_masuk} | {r.anggota_tertaut} | "
            f"{r.anggota_tidak_tertaut} |"
            for r in members.itertuples(index=False)
        ]
    for stage, title in (
        ("total", "Jumlah"),
        ("validasi", "Dikarantina saat validasi"),
        ("gabung", "Dikarantina saat penggabungan dengan batas kelurahan"),
        ("bendera", "Ditandai (baris tetap dipakai)"),
    ):
        part = by_reason[by_reason[C.TAHAP] == stage]
        if part.empty:
            continue
        lines += ["", f"## {title}", "", "| kode | jumlah baris | keterangan |", "|---|---:|---|"]
        lines += [f"| {r.alasan} | {r.jumlah_baris} | {r.keterangan} |" for r in part.itertuples(index=False)]
    lines += ["", "Baris yang dikarantina beserta alasannya ada di folder `terbatas/` (data pribadi, UU 27/2022).", ""]
    return "\n".join(lines)


def read_snapshot(source: HouseholdSource, snapshot: Snapshot) -> gpd.GeoDataFrame:
    """The accepted households of an earlier register snapshot, read and validated like the current register.

    Parameters
    ----------
    source
        The region's ``[households]`` table (schema, columns, sheet); its
        paths are replaced by the snapshot's.
    snapshot
        The ``[[snapshots]]`` entry.

    Returns
    -------
    GeoDataFrame
        The snapshot's accepted rows; its quarantined rows are counted in the log.
    """
    earlier = read_registers(replace(source, paths=snapshot.paths)).households
    accepted, quarantined = validate_households(earlier)
    logger.info(
        "snapshot %s: %d rows in = %d accepted + %d quarantined",
        snapshot.date.isoformat(),
        len(earlier),
        len(accepted),
        len(quarantined),
    )
    return accepted
