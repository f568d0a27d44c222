"""Register headers: the aliases of every canonical column and how a header row is found.

Exports name the same field in many ways ("Desil Kesejahteraan", "DESIL",
"Status Kesejahteraan"). The tables here map them to the canonical names of
:mod:`pipeline.columns`; :func:`header_mapping` renames a file's headers and
:func:`find_header_row` finds the header row under title lines.
"""

from __future__ import annotations

import re

from .. import columns as C
from ..text import header_key

#: Canonical beneficiary-list column -> headers seen in OPD spreadsheets.
BENEFICIARY_ALIASES: dict[str, tuple[str, ...]] = {
    C.NIK: ("NIK", "NIK Penerima", "NIK KK", "No NIK"),
    C.NO_KK: ("No KK", "Nomor KK", "No Kartu Keluarga", "NOKK"),
    "nama": ("Nama", "Nama Penerima", "Nama Lengkap", "Nama KK", "Nama Kepala Keluarga"),
    C.TANGGAL_LAHIR: ("Tanggal Lahir", "Tgl Lahir", "Tgl. Lahir"),
    C.KODE_KEL: ("Kode Kelurahan", "Kode Desa", "Kode Wilayah", "Kode Kemendagri"),
    C.NAMA_KEL: ("Kelurahan", "Desa/Kelurahan", "Nama Kelurahan", "Desa"),
}


#: Canonical column -> other headers found in real exports (P3KE, DTSEN, DTKS/BDT,
#: local verification files). Matching ignores case, spaces and punctuation.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    C.ID_KELUARGA: ("ID Keluarga P3KE", "ID Keluarga", "IDBDT", "ID DTSEN", "ID Keluarga DTSEN", "ID KK"),
    C.NO_KK: ("No KK", "NOKK", "Nomor KK", "Nomor Kartu Keluarga", "No Kartu Keluarga"),
    C.NIK: ("NIK", "NIK Kepala Keluarga", "NIK KRT", "NIK KK"),
    C.NAMA_KK: ("Kepala Keluarga", "Nama Kepala Keluarga", "Nama KRT", "Nama KK"),
    C.KODE_KEL: ("Kode Kemendagri", "Kode Desa", "Kode Kelurahan", "Kode Desa/Kelurahan", "Kode Wilayah"),
    # DTKS/BDT status_kesejahteraan 1-4 are the deciles 1-4 (10 % lowest ... 31-40 %)
    C.DESIL: ("Desil Kesejahteraan", "Desil", "Desil Nasional", "Peringkat Desil", "Status Kesejahteraan"),
    C.JUMLAH_ART: ("Jumlah Anggota Keluarga", "Jumlah ART", "Jml ART", "Jumlah Anggota"),
    C.ALAMAT: ("Alamat", "Alamat Lengkap"),
    C.RT: ("RT",),
    C.RW: ("RW",),
    C.JENIS_KELAMIN: ("Jenis Kelamin", "JK", "Jenis Kelamin KRT", "JNSKEL"),
    C.TANGGAL_LAHIR: ("Tanggal Lahir", "Tgl Lahir", "Tanggal Lahir KRT"),
    C.STATUS: ("Status", "Status Verifikasi", "Status Keberadaan", "Hasil Verifikasi", "Keterangan Verifikasi"),
    C.TANGGAL_VERIFIKASI: ("Tanggal Verifikasi", "Tgl Verifikasi", "Tanggal Verval", "Tgl Verval"),
    C.JENIS_LANTAI: ("Jenis Lantai", "Lantai"),
    C.JENIS_DINDING: ("Jenis Dinding", "Dinding"),
    C.JENIS_ATAP: ("Jenis Atap", "Atap"),
    C.SUMBER_AIR: ("Sumber Air Minum", "sumber_airminum", "Air Minum"),
    C.PENERANGAN: ("Sumber Penerangan", "Penerangan"),
    C.BAHAN_BAKAR: ("Bahan Bakar Memasak", "bb_masak", "Bahan Bakar"),
    C.FASILITAS_BAB: ("Memiliki Fasilitas Buang Air Besar", "fasbab", "Fasilitas BAB"),
    C.PENDIDIKAN_KK: (
        "Pendidikan",
        "Pendidikan Kepala Keluarga",
        "Pendidikan KRT",
        "Pendidikan Terakhir",
        "Ijazah Tertinggi",
        "Ijazah KRT",
    ),
    C.LANSIA_TUNGGAL: ("Lansia Tunggal", "Lansia Hidup Sendiri"),
    C.DISABILITAS: ("Penyandang Disabilitas", "Disabilitas", "Ada Disabilitas"),
    C.RISIKO_STUNTING: ("Resiko Stunting", "Risiko Stunting"),
    C.PEKERJA_MIGRAN: ("Pekerja Migran", "PMI", "Pekerja Migran Indonesia"),
    C.LAT: ("Latitude", "Lat", "Lintang"),
    C.LON: ("Longitude", "Long", "Lon", "Lng", "Bujur"),
    C.PENGELUARAN: ("Pengeluaran per Kapita", "Pengeluaran Kapita", "Pengeluaran"),
    # programme flags of DTKS/BDT exports
    "penerima_pkh": ("sta_pkh", "Status PKH"),
    "penerima_pbi_jkn": ("AdaPBI", "PBI JKN"),
    "penerima_bpnt": ("AdaBPNT",),
}


#: Canonical member column -> headers of member tables (P3KE individual sheet,
#: DTKS/BDT ART table, DTSEN member export).
MEMBER_ALIASES: dict[str, tuple[str, ...]] = {
    C.ID_KELUARGA: ("ID Keluarga", "ID Keluarga P3KE", "IDBDT", "ID DTSEN", "ID Keluarga DTSEN", "ID KK"),
    C.ID_ANGGOTA: ("ID Individu", "ID ART", "IDARTBDT", "ID Anggota", "ID Individu P3KE"),
    C.NIK: ("NIK", "NIK ART", "NIK Anggota"),
    C.NAMA_ANGGOTA: ("Nama", "Nama ART", "Nama Anggota", "Nama Lengkap"),
    C.HUBUNGAN: ("Hubungan dengan Kepala Keluarga", "Hubungan Keluarga", "Hub KRT", "Hubungan dengan KRT", "Hub KK"),
    C.JENIS_KELAMIN: ("Jenis Kelamin", "JNSKEL", "JK"),
    C.TANGGAL_LAHIR: ("Tanggal Lahir", "Tgl Lahir"),
    C.UMUR: ("Umur", "Usia", "Umur Tahun"),
    C.PARTISIPASI_SEKOLAH: ("Partisipasi Sekolah", "Status Sekolah", "Partisipasi Pendidikan"),
    C.DISABILITAS: ("Jenis Cacat", "Penyandang Disabilitas", "Disabilitas", "Jenis Disabilitas"),
    C.PENYAKIT_KRONIS: ("Penyakit Kronis", "Penyakit Kronis Menahun", "Penyakit Kronis/Menahun"),
    "penerima_pbi_jkn": ("AdaPBI", "PBI JKN", "Penerima PBI"),
    "penerima_pkh": ("sta_pkh", "Status PKH"),
}


#: Headers that mark a member (individual) table, not a household table.
MEMBER_HEADERS: tuple[str, ...] = MEMBER_ALIASES[C.ID_ANGGOTA] + MEMBER_ALIASES[C.HUBUNGAN]
#: "Usia 7-12 Tahun", "Usia 60 Tahun ke Atas", "Usia di bawah 7 Tahun": P3KE age-band flags.
_AGE_RANGE = re.compile(r"^(?:usia|umur)\s*(\d+)\s*(?:-|–|s\.?\s*d\.?|sampai)\s*(\d+)\s*(?:tahun|thn|th)?$", re.I)


_AGE_PLUS = re.compile(
    r"^(?:usia|umur)\s*(?:>=|≥|>)?\s*(\d+)\s*(?:\+|(?:tahun|thn|th)?\s*(?:ke\s*atas|keatas|lebih))$", re.I
)


_AGE_UNDER = re.compile(r"^(?:usia|umur)\s*(?:di\s*bawah|dibawah|<|kurang\s*dari)\s*(\d+)\s*(?:tahun|thn|th)?$", re.I)


def age_band_column(header: str) -> str | None:
    """``"Usia 7-12 Tahun"`` -> ``"usia_7_12"``, ``"Usia 60+"`` -> ``"usia_60_plus"``; else None."""
    text = str(header).strip()
    if match := _AGE_RANGE.match(text):
        return f"{C.USIA_PREFIX}{int(match[1])}_{int(match[2])}"
    if match := _AGE_PLUS.match(text):
        return f"{C.USIA_PREFIX}{int(match[1])}_plus"
    if match := _AGE_UNDER.match(text):
        return f"{C.USIA_PREFIX}0_{int(match[1]) - 1}"
    return None


#: The header each canonical column has in the P3KE family sheet as exported
#: (the synthetic demo writes these).
P3KE_HEADERS: dict[str, str] = {
    canonical: aliases[0]
    for canonical, aliases in HEADER_ALIASES.items()
    if not canonical.startswith(C.PENERIMA_PREFIX)
}


#: Register headers such as "Penerima PKH" become ``penerima_pkh``.
_PROGRAM_HEADER = re.compile(r"^\s*penerima\s+(?P<code>.+?)\s*$", re.IGNORECASE)


#: Canonical names a file may already use as headers.
CANONICAL_HEADERS: frozenset[str] = (
    frozenset(HEADER_ALIASES) | frozenset(C.PERSONAL) | {C.KODE_KEL, C.DESIL, C.JUMLAH_ART}
)


#: Every header the alias table knows, in matching form (for finding the header row).
KNOWN_HEADER_KEYS: frozenset[str] = frozenset(
    header_key(h)
    for table in (HEADER_ALIASES, MEMBER_ALIASES)
    for canonical, aliases in table.items()
    for h in (canonical, *aliases)
)


def _program_column(header: str) -> str | None:
    match = _PROGRAM_HEADER.match(header)
    if match is None:
        return None
    return C.PENERIMA_PREFIX + re.sub(r"[^a-z0-9]+", "_", match.group("code").lower()).strip("_")


#: Words that make a header a latitude, a longitude, or one column holding both. Headers are
#: split into words, so "Latitude (Y)", "Lintang", KoboToolbox's "_gps_latitude" and ODK's
#: "lokasi-Latitude" are all latitudes, and "_geolocation" / "Koordinat GPS" hold both.
COORDINATE_WORDS: dict[str, frozenset[str]] = {
    C.LAT: frozenset({"latitude", "lintang"}),
    C.LON: frozenset({"longitude", "bujur"}),
    C.KOORDINAT: frozenset({"koordinat", "coordinate", "coordinates", "geolocation", "geopoint"}),
}
#: Headers that are a coordinate by themselves (with an optional axis letter): "Lat", "Lng (X)".
_SHORT_COORDINATES: dict[str, frozenset[str]] = {
    C.LAT: frozenset({"lat", "y"}),
    C.LON: frozenset({"lon", "lng", "long", "x"}),
}


def coordinate_column(header: str) -> str | None:
    """``lat``, ``lon`` or ``koordinat`` for a coordinate header, else None.

    ``"Latitude (Y)"`` and ``"_gps_latitude"`` -> ``lat``; ``"Longitude (X)"``
    and ``"gps-Longitude"`` -> ``lon``; ``"_geolocation"`` and ``"Koordinat"``
    -> ``koordinat``. Accuracy, altitude and precision columns are not coordinates.
    """
    words = re.findall(r"[a-z]+", str(header).lower())
    if not words or {"altitude", "accuracy", "precision", "akurasi", "ketinggian"} & set(words):
        return None
    for canonical, names in COORDINATE_WORDS.items():
        if names & set(words):
            return canonical
    for canonical, names in _SHORT_COORDINATES.items():
        if words[0] in names - {"x", "y"} and set(words[1:]) <= {"x", "y"}:
            return canonical
    return None


def header_mapping(
    headers: list[str],
    *,
    schema: str = "auto",
    columns: dict[str, str] | None = None,
    aliases: dict[str, tuple[str, ...]] | None = None,
) -> dict[str, str]:
    """Map a file's headers to canonical column names.

    Matching ignores case, spaces and punctuation. The region TOML's
    ``columns`` win; then the canonical names themselves; then
    :data:`HEADER_ALIASES` (unless ``schema = "kanonik"``); then, in
    household registers, coordinate headers by their words for the
    coordinate columns not taken yet (:func:`coordinate_column`; one
    ``koordinat`` column only without a latitude/longitude pair); then any
    "Penerima <programme>" header becomes ``penerima_<programme>``.
    A canonical column is taken from the first header that matches.

    Parameters
    ----------
    headers
        The headers as found in the file.
    schema
        ``"auto"`` (or ``"p3ke"``): use the alias table; ``"kanonik"``: only
        canonical names and ``columns``.
    columns
        Overrides from the region TOML, canonical name -> source header.
    aliases
        The alias table: :data:`HEADER_ALIASES` (households, the default) or
        :data:`MEMBER_ALIASES` (member tables, whose age-band flags become
        ``usia_<from>_<to>``).

    Returns
    -------
    dict
        Source header -> canonical name, for the headers that have one.
    """
    by_key: dict[str, str] = {}
    for header in headers:
        by_key.setdefault(header_key(header), header)
    mapping: dict[str, str] = {}
    taken: set[str] = set()

    def take(canonical: str, candidates: tuple[str, ...]) -> None:
        if canonical in taken:
            return
        for candidate in candidates:
            found = by_key.get(header_key(candidate))
            if found is not None and found not in mapping:
                mapping[found] = canonical
                taken.add(canonical)
                return

    for canonical, source in (columns or {}).items():
        take(canonical, (source,))
    table = HEADER_ALIASES if aliases is None else aliases
    for canonical in CANONICAL_HEADERS | frozenset(table):
        take(canonical, (canonical,))
    if schema != "kanonik":
        for canonical, names in table.items():
            take(canonical, names)
    if aliases is None:
        for header in headers:
            coordinate = coordinate_column(header)
            if coordinate == C.KOORDINAT and {C.LAT, C.LON} <= taken:
                continue  # a pair of columns is already there
            if header not in mapping and coordinate is not None and coordinate not in taken:
                mapping[header] = coordinate
                taken.add(coordinate)
    for header in headers:
        if header not in mapping:
            program = _program_column(header) or (age_band_column(header) if aliases is not None else None)
            if program is not None and program not in taken:
                mapping[header] = program
                taken.add(program)
    return mapping


def closest_headers(canonical: str, headers: list[str], *, n: int = 3) -> list[str]:
    """The file's unmapped headers most like ``canonical`` or one of its aliases.

    Headers that contain a known name (``"Nomor NIK KRT"`` contains ``nik``)
    come first, then close spellings. Headers that already are canonical
    columns are not candidates. Used in error messages.
    """
    import difflib

    keys = {header_key(h): h for h in headers if h not in CANONICAL_HEADERS}
    wanted = [header_key(canonical), *(header_key(a) for a in HEADER_ALIASES.get(canonical, ()))]
    found = [h for key, h in keys.items() if any(w and w in key for w in wanted)]
    for key in wanted:
        for match in difflib.get_close_matches(key, list(keys), n=n, cutoff=0.6):
            if keys[match] not in found:
                found.append(keys[match])
    return found[:n]


#: How far down a sheet the header row is looked for (P3KE puts it on row 13).
HEADER_SEARCH_ROWS: int = 30


def header_hits(row: list[object]) -> int:
    """How many cells of a row are known headers (:data:`KNOWN_HEADER_KEYS`)."""
    return sum(header_key(v) in KNOWN_HEADER_KEYS for v in row if v is not None and str(v).strip())


def find_header_row(rows: list[list[object]]) -> int | None:
    """Index of the row that holds the table's headers, or None.

    The header is the row, among the first :data:`HEADER_SEARCH_ROWS`, that
    matches the most known headers (at least two), so that a title block above
    the table (the P3KE export's first 12 rows) is skipped.
    """
    best, best_hits = None, 1
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        hits = header_hits(row)
        if hits > best_hits:
            best, best_hits = i, hits
    return best


def is_member_table(headers: list[str]) -> bool:
    keys = {header_key(h) for h in headers}
    return any(header_key(m) in keys for m in MEMBER_HEADERS)
