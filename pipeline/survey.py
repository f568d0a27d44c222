"""The field-verification form's vocabulary: question names, answers and their register text.

The form :mod:`pipeline.publish.fieldwork` writes and the submissions
:mod:`pipeline.ingest.visits` reads back share these names, so that an answer
``tanah`` in a KoboToolbox or ODK Central export becomes the register text
``Tanah`` that the deprivation index reads.
"""

from __future__ import annotations

from typing import Final

from . import columns as C

#: The form's id prefix: a submission export of another form is refused.
FORM_ID_PREFIX: Final = "kantong_verifikasi_"

#: Question names (the column headers of the exports).
ID: Final = "id_keluarga"
PETUGAS: Final = "petugas"
HASIL: Final = "hasil_kunjungan"
PERSETUJUAN: Final = "persetujuan"
LOKASI: Final = "lokasi"
JUMLAH_ART: Final = "jumlah_art"
PROGRAM: Final = "program_diterima"
FOTO: Final = "foto_rumah"
CATATAN: Final = "catatan"
FORM_ID: Final = "id_formulir"

#: Visit outcomes: answer name -> (label, the register's status text).
OUTCOMES: dict[str, tuple[str, str]] = {
    "ditemukan": ("Ditemukan, tinggal di alamat ini", "Terverifikasi"),
    "pindah": ("Pindah alamat", "Pindah"),
    "meninggal": ("Kepala keluarga dan seluruh anggota meninggal", "Meninggal"),
    "tidak_ditemukan": ("Tidak ditemukan", "Tidak Ditemukan"),
}

#: Dwelling questions: register column -> (question label, [(answer name, register text)]).
#: The texts are those the default deprivation index (:data:`pipeline.settings.DEFAULT_DEPRIVATION`) reads.
DWELLING: dict[str, tuple[str, list[tuple[str, str]]]] = {
    C.JENIS_LANTAI: (
        "Jenis lantai terluas",
        [
            ("tanah", "Tanah"),
            ("bambu", "Bambu"),
            ("kayu_rendah", "Kayu/Papan Kualitas Rendah"),
            ("semen_bata", "Semen/Bata Merah"),
            ("kayu_tinggi", "Kayu/Papan Kualitas Tinggi"),
            ("keramik", "Keramik"),
        ],
    ),
    C.JENIS_DINDING: (
        "Jenis dinding terluas",
        [
            ("bambu", "Bambu"),
            ("anyaman_bambu", "Anyaman Bambu"),
            ("kayu", "Kayu/Papan"),
            ("plester_anyaman", "Plesteran Anyaman Bambu/Kawat"),
            ("tembok", "Tembok"),
        ],
    ),
    C.JENIS_ATAP: (
        "Jenis atap terluas",
        [
            ("ijuk", "Ijuk/Rumbia"),
            ("bambu", "Bambu"),
            ("seng", "Seng"),
            ("asbes", "Asbes"),
            ("genteng", "Genteng"),
            ("beton", "Beton"),
        ],
    ),
    C.SUMBER_AIR: (
        "Sumber air minum utama",
        [
            ("sungai", "Sungai/Danau/Waduk"),
            ("mata_air_tidak_terlindung", "Mata Air Tidak Terlindung"),
            ("sumur_terlindung", "Sumur Terlindung"),
            ("isi_ulang", "Air Isi Ulang"),
            ("leding", "Leding"),
        ],
    ),
    C.PENERANGAN: (
        "Sumber penerangan utama",
        [
            ("bukan_listrik", "Bukan Listrik"),
            ("listrik_non_pln", "Listrik Non PLN"),
            ("pln_450", "Listrik PLN 450 VA"),
            ("pln_900", "Listrik PLN 900 VA"),
            ("pln_lebih_900", "Listrik PLN > 900 VA"),
        ],
    ),
    C.BAHAN_BAKAR: (
        "Bahan bakar utama untuk memasak",
        [
            ("kayu_bakar", "Kayu Bakar"),
            ("minyak_tanah", "Minyak Tanah"),
            ("gas_3kg", "Gas 3 kg"),
            ("gas_lebih_3kg", "Gas > 3 kg"),
            ("listrik", "Listrik"),
        ],
    ),
    C.FASILITAS_BAB: (
        "Fasilitas buang air besar",
        [("tidak_ada", "Tidak Ada"), ("bersama", "Bersama/Umum"), ("sendiri", "Sendiri")],
    ),
}

#: Why a submission is not applied: reason -> Indonesian text.
REJECTIONS: dict[str, str] = {
    "rumah_tangga_tidak_dikenal": "ID keluarga tidak ada di register wilayah ini",
    "kiriman_ganda": "Kunjungan yang sama dikirim lagi: kiriman terbaru yang dipakai",
    "akurasi_gps_buruk": "Akurasi GPS lebih buruk dari batas [[verification]] max_gps_accuracy_m",
    "di_luar_wilayah": "Titik GPS kunjungan di luar batas wilayah",
    "koordinat_tidak_valid": "Titik GPS kosong, bukan angka, tertukar (lat/lon) atau di luar Indonesia",
    "tidak_bersedia": "Keluarga tidak bersedia diwawancarai (persetujuan: tidak)",
    "hasil_tidak_dikenal": "Hasil kunjungan kosong atau bukan jawaban formulir",
}
