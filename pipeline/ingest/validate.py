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
from ..codes import normalize_kode
from ..errors import ValidationError
from ..settings import HouseholdSource, Snapshot
from ..text import column_text, parse_date, parse_flag, parse_number, parse_sex, per_unique, strip_id
from .coordinates import coordinates_from_one_column
from .households import read_registers, rows_per_source

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

#: Indonesia's bounding box with a margin, (lon_min, lat_min, lon_max, lat_max).
INDONESIA_BOUNDS: tuple[float, float, float, float] = (94.0, -11.5, 141.5, 6.5)
REQUIRED: tuple[str, ...] = (C.ID_KELUARGA, C.NIK, C.DESIL)
#: Province codes a NIK may start with: 11-96, plus the fictional 99 of the demo.
NIK_PROVINCES: tuple[int, ...] = (*range(11, 97), 99)
DUPLICATE_KEYS: tuple[str, ...] = C.DUPLICATE_KEYS
FLAG_COLUMNS: tuple[str, ...] = (C.LANSIA_TUNGGAL, C.DISABILITAS, C.RISIKO_STUNTING, C.PEKERJA_MIGRAN)


def nik_parts(nik: pd.Series) -> pd.DataFrame:
    """Province, day (women: +40), month and 2-digit year of 16-digit NIKs, as integers.

    Rows whose NIK is not 16 digits get -1 everywhere. Works on a digit
    matrix (bytes minus ``b"0"``): no per-row Python, no string slicing.
    """
    digits = nik.str.fullmatch(r"\d{16}").fillna(False).astype(bool).to_numpy()
    values = np.where(digits, nik.fillna("").to_numpy(dtype=object), "0" * 16).astype("S16")
    d = values.view(np.uint8).reshape(-1, 16).astype(np.int16) - ord("0")
    columns = {"prov": (0, 1), "day": (6, 7), "month": (8, 9), "year": (10, 11)}
    return pd.DataFrame(
        {name: np.where(digits, d[:, a] * 10 + d[:, b], -1) for name, (a, b) in columns.items()}, index=nik.index
    )


def nik_checks(nik: pd.Series, parts: pd.DataFrame) -> dict[str, pd.Series]:
    """Structural checks of 16-digit NIKs (already stripped of spaces and apostrophes).

    ``parts`` is :func:`nik_parts` of the same NIKs.

    Returns
    -------
    dict
        Reason code -> boolean mask: ``nik_format_ilmiah`` (a float in
        scientific notation, as Excel stores long numbers), ``nik_tidak_valid``
        (not 16 digits), and, for 16-digit NIKs, ``nik_provinsi_tidak_valid``,
        ``nik_tanggal_tidak_valid`` and ``nik_angka_seragam``.
    """
    scientific = nik.str.fullmatch(r"\d(?:[.,]\d+)?[eE]\+?\d+").fillna(False).astype(bool)
    digits = parts["day"] >= 0  # nik_parts marks NIKs that are not 16 digits with -1
    day = parts["day"].where(parts["day"] <= 40, parts["day"] - 40)
    # a real calendar date? (the century is unknown: 29 February needs a leap year in 19YY or 20YY)
    valid_date = (
        pd.to_datetime(
            pd.DataFrame(
                {"year": 2000 + parts["year"].clip(0, 99), "month": parts["month"].clip(1, 12), "day": day.clip(1, 31)}
            ),
            errors="coerce",
        ).notna()
        & parts["month"].between(1, 12)
        & day.between(1, 31)
    )
    province = parts["prov"].isin(NIK_PROVINCES)
    return {
        "nik_format_ilmiah": scientific,
        "nik_tidak_valid": ~digits & ~scientific,
        "nik_provinsi_tidak_valid": digits & ~province,
        "nik_tanggal_tidak_valid": digits & ~valid_date,
        "nik_angka_seragam": digits & (nik == nik.str.slice(0, 1).str.repeat(16)).fillna(False).astype(bool),
    }


def nik_mismatch_flags(parts: pd.DataFrame, sex: pd.Series, birth: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Flags where the sex or birth date encoded in a valid NIK disagrees with the columns.

    Parameters
    ----------
    parts
        :func:`nik_parts` of the NIKs (-1 where a NIK is not 16 digits).
    sex
        ``"P"``/``"L"`` or missing.
    birth
        Parsed birth dates (NaT where unknown).

    Returns
    -------
    sex_differs, birth_differs : Series of bool
        False where either side is unknown.
    """
    known = parts["day"] >= 0
    female = parts["day"] > 40
    sex_differs = known & sex.isin(["P", "L"]) & ((sex == "P") != female)
    day = parts["day"].where(~female, parts["day"] - 40)
    birth_differs = (
        known
        & birth.notna()
        & ((birth.dt.day != day) | (birth.dt.month != parts["month"]) | (birth.dt.year % 100 != parts["year"]))
    )
    return sex_differs.fillna(False).astype(bool), birth_differs.fillna(False).astype(bool)


def _duplicates(frame: pd.DataFrame, keys: dict[str, pd.Series], *, bad: pd.Series, verified: pd.Series) -> pd.Series:
    """Pointer "<file>:<line>" of the kept row for every duplicate row, "" elsewhere.

    Rows are the same household when they share a household ID, a No KK or a
    head-of-household NIK (within a file or across files). The row kept is,
    in order: one that passes every other check, the latest verification
    date, the first in file order.
    """
    order = pd.DataFrame(
        {"bad": bad.to_numpy(), "verified": verified.fillna(pd.Timestamp.min).to_numpy(), "pos": np.arange(len(frame))},
        index=frame.index,
    ).sort_values(["bad", "verified", "pos"], ascending=[True, False, True], kind="stable")
    where = (
        frame.get(C.FILE_SUMBER, pd.Series("", index=frame.index)).astype(str)
        + ":"
        + frame.get(C.BARIS_SUMBER, pd.Series(range(len(frame)), index=frame.index)).astype(str)
    )
    pointer = pd.Series("", index=frame.index, dtype="object")
    for key in keys.values():
        ranked = key.loc[order.index]
        usable = (ranked != "") & ranked.notna() & (pointer.loc[order.index] == "")
        ranked = ranked[usable]
        # the first row of each key in preference order is kept; the others point at it
        keeper = pd.Series(ranked.index, index=ranked.index).groupby(ranked.to_numpy(), sort=False).transform("first")
        dup = keeper.index != keeper.to_numpy()
        pointer.loc[keeper.index[dup]] = where.loc[keeper.to_numpy()[dup]].to_numpy()
    return pointer


def _missing_columns_error(frame: pd.DataFrame, missing: list[str]) -> ValidationError:
    from .headers import closest_headers

    files = ", ".join(sorted(frame[C.FILE_SUMBER].unique())) if C.FILE_SUMBER in frame else "households"
    headers = [c for c in frame.columns if c not in (C.FILE_SUMBER, C.BARIS_SUMBER)]
    found = ", ".join(f"'{c}'" for c in headers)
    hints = []
    for name in missing:
        close = closest_headers(name.split(" ")[0], headers)
        if close:
            hints.append(f"{name} = '{close[0]}'?")
    hint = f" Closest candidates: {'; '.join(hints)}." if hints else ""
    return ValidationError(
        f"{files}: required column(s) {', '.join(repr(m) for m in missing)} not found; found {found}.{hint} "
        "Map them in the region TOML under [households.columns], e.g. nik = 'NIK KK'"
    )


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
    missing = [c for c in REQUIRED if c not in frame.columns]
    has_coords = C.LAT in frame.columns and C.LON in frame.columns
    if C.KODE_KEL not in frame.columns and not has_coords:
        missing.append(f"{C.KODE_KEL} (or {C.LAT} and {C.LON})")
    if missing:
        raise _missing_columns_error(frame, missing)
    if not frame.index.is_unique:
        raise ValidationError("household rows must have a unique index; call .reset_index(drop=True) first")

    reasons: dict[str, pd.Series] = {}
    ident = column_text(frame, C.ID_KELUARGA)
    reasons["id_kosong"] = ident == ""

    nik = strip_id(column_text(frame, C.NIK))
    parts = nik_parts(nik)
    reasons.update(nik_checks(nik, parts))

    desil = per_unique(column_text(frame, C.DESIL), parse_number)
    reasons["desil_tidak_valid"] = ~(desil.between(1, 10) & (desil % 1 == 0))

    lat_text, lon_text = column_text(frame, C.LAT), column_text(frame, C.LON)
    lat, lon = parse_number(lat_text), parse_number(lon_text)
    lat_given, lon_given = lat_text != "", lon_text != ""
    reasons["koordinat_tidak_lengkap"] = lat_given ^ lon_given
    reasons["koordinat_tidak_valid"] = (lat_given & lat.isna()) | (lon_given & lon.isna())
    both = lat.notna() & lon.notna()
    lon_min, lat_min, lon_max, lat_max = INDONESIA_BOUNDS
    inside = lon.between(lon_min, lon_max) & lat.between(lat_min, lat_max)
    reasons["koordinat_di_luar_indonesia"] = both & ~inside

    kode_text = column_text(frame, C.KODE_KEL)
    kode = per_unique(kode_text, normalize_kode)
    located = both & inside
    reasons["lokasi_tidak_ada"] = ~located & kode.isna() & ~(lat_given | lon_given)

    birth_text, verified_text = column_text(frame, C.TANGGAL_LAHIR), column_text(frame, C.TANGGAL_VERIFIKASI)
    birth, verified = parse_date(birth_text), parse_date(verified_text)
    reasons["tanggal_tidak_valid"] = ((birth_text != "") & birth.isna()) | ((verified_text != "") & verified.isna())
    status = column_text(frame, C.STATUS).str.lower()
    reasons["status_meninggal"] = status.str.contains("meninggal", regex=False)
    reasons["status_tidak_ditemukan"] = status.str.contains(r"tidak\s*ditemukan", regex=True)
    reasons["status_pindah"] = status.str.fullmatch(r"\s*pindah(?:\s+alamat)?\s*")

    other = pd.concat([m.fillna(False).astype(bool) for m in reasons.values()], axis=1).any(axis=1)
    keys = {key: nik if key == C.NIK else strip_id(column_text(frame, key)) for key in DUPLICATE_KEYS}
    kept_row = _duplicates(frame, keys, bad=other, verified=verified)
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
