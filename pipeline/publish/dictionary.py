"""The data dictionary of the public GeoPackage: what every layer and every field means.

:data:`FIELDS` (and the families in :data:`FIELD_PATTERNS`) is written as
the ``kamus_data`` table and gives QGIS its Indonesian field aliases;
:func:`layer_descriptions` is what QGIS shows for each layer.
"""

from __future__ import annotations

import html
import re

import pandas as pd

from .. import columns as C

#: Field -> description (Bahasa Indonesia). Families of fields are matched by
#: :data:`FIELD_PATTERNS`.
FIELDS: dict[str, str] = {
    C.KODE_KEL: "Kode kelurahan/desa (Kemendagri, bertitik)",
    C.NAMA_KEL: "Nama kelurahan/desa",
    C.KODE_KEC: "Kode kecamatan (Kemendagri)",
    C.NAMA_KEC: "Nama kecamatan",
    C.JENIS_WILAYAH: "Jenis wilayah: kelurahan atau desa",
    "luas_km2": "Luas wilayah (km²)",
    "diperbaiki": "Geometri batas diperbaiki (make_valid) saat dimuat",
    "perubahan_luas_m2": "Perubahan luas akibat perbaikan geometri (m²)",
    C.JUMLAH_KK: "Jumlah keluarga (KK) di register yang diterima",
    C.JUMLAH_JIWA: "Jumlah jiwa (anggota keluarga)",
    C.KK_MISKIN: "KK miskin & rentan menurut aturan kemiskinan daerah",
    C.KK_MISKIN_EKSTREM: "KK miskin ekstrem menurut aturan kemiskinan daerah",
    "jiwa_miskin": "Jiwa dalam KK miskin & rentan (register)",
    "jiwa_miskin_ekstrem": "Jiwa dalam KK miskin ekstrem (register)",
    C.PERSEN_MISKIN: "Persentase KK miskin & rentan (% dari jumlah KK)",
    C.PERSEN_MISKIN_EKSTREM: "Persentase KK miskin ekstrem (% dari jumlah KK)",
    "kk_lansia_tunggal": "KK lansia tunggal (hidup sendiri)",
    "kk_disabilitas": "KK dengan penyandang disabilitas",
    "kk_risiko_stunting": "KK berisiko stunting",
    "kk_pekerja_migran": "KK dengan pekerja migran",
    "kk_perempuan_kepala": "KK dengan perempuan kepala keluarga",
    "kk_dengan_data_anggota": "KK yang punya data anggota (tabel individu/ART)",
    "kk_ada_lansia": "KK dengan anggota berusia 60 tahun ke atas",
    "jiwa_lansia": "Jiwa berusia 60 tahun ke atas",
    "kk_anak_tidak_sekolah": "KK dengan anak usia 7-18 tahun yang tidak bersekolah",
    "jiwa_anak_tidak_sekolah": "Anak usia 7-18 tahun yang tidak bersekolah",
    "kk_ada_disabilitas": "KK dengan anggota penyandang disabilitas (tabel anggota)",
    "jiwa_disabilitas": "Jiwa penyandang disabilitas (tabel anggota)",
    "kk_ada_penyakit_kronis": "KK dengan anggota berpenyakit kronis",
    "jiwa_penyakit_kronis": "Jiwa berpenyakit kronis",
    "kk_miskin_tanpa_program": "KK miskin yang tidak menerima program apa pun (eksklusi)",
    "kk_miskin_banyak_program": (
        "KK miskin yang menerima N program atau lebih ([analysis] overlap_programs, bawaan 3; tumpang tindih)"
    ),
    C.KK_BERKOORDINAT: "KK dengan titik GPS",
    C.PERSEN_BERKOORDINAT: "Persentase KK dengan titik GPS",
    C.KK_BEDA_LOKASI: "KK yang titik GPS-nya di kelurahan lain daripada kode register",
    C.KK_KODE_TIDAK_DIKENAL: "KK bertitik GPS yang kode kelurahannya di register tidak ada di file batas wilayah",
    C.KK_DI_TUMPANG: "KK yang titik GPS-nya di area tumpang tindih dua kelurahan",
    C.KK_DIGESER: "KK yang titik GPS-nya di luar batas dan digeser ke kelurahan terdekat",
    C.GI_Z: (
        "Skor z: + titik panas, - titik dingin. Kelurahan/kecamatan: Getis-Ord Gi* dari persentase KK miskin; "
        "sel H3: uji hitungan KK miskin terhadap KK yang ada (bentuk Gi*, nilai p hipergeometrik)"
    ),
    C.GI_P: "Nilai p dua arah: permutasi (Gi* kelurahan/kecamatan) atau hipergeometrik eksak (sel H3)",
    C.GI_KELAS: (
        "Kelas titik panas/dingin Gi* (panas_99/95/90, tidak_signifikan, dingin_90/95/99, tanpa_data; "
        "tidak_diuji = kecamatan terlalu sedikit (< 10) untuk uji lokal). Sel H3: panas, dingin atau "
        "tidak_signifikan menurut uji hitungan dengan koreksi FDR"
    ),
    C.TETANGGA_KNN: "1 = tanpa tetangga bersinggungan; tetangga diambil dari yang terdekat (KNN)",
    "gi_fdr": "1 = tetap signifikan setelah koreksi FDR Benjamini-Hochberg",
    "lisa_i": "Moran lokal (LISA) dari persentase KK miskin",
    "lisa_p": "Nilai p (permutasi, dua arah) Moran lokal",
    "lisa_kelas": (
        "Klaster Moran lokal: tinggi_tinggi, rendah_rendah, tinggi_rendah, rendah_tinggi, tidak_signifikan "
        "(tidak_diuji: kecamatan terlalu sedikit)"
    ),
    "lisa_fdr": "1 = klaster Moran lokal tetap signifikan setelah koreksi FDR",
    "gi_z_eb": "Skor z Gi* dari persentase KK miskin yang dihaluskan (Empirical Bayes)",
    "gi_p_eb": "Nilai p (permutasi, dua arah) Gi* dari persentase EB",
    "gi_kelas_eb": "Kelas titik panas/dingin Gi* dari persentase EB",
    "gi_fdr_eb": "1 = Gi* persentase EB tetap signifikan setelah koreksi FDR",
    "lisa_i_eb": "Moran lokal dari persentase EB",
    "lisa_p_eb": "Nilai p (permutasi, dua arah) Moran lokal dari persentase EB",
    "lisa_kelas_eb": "Klaster Moran lokal dari persentase EB",
    "lisa_fdr_eb": "1 = klaster Moran lokal persentase EB tetap signifikan setelah koreksi FDR",
    C.PERSEN_MISKIN_EB: "Persentase KK miskin dihaluskan Empirical Bayes (esda): stabil untuk kelurahan kecil",
    "persen_miskin_ekstrem_eb": "Persentase KK miskin ekstrem dihaluskan Empirical Bayes",
    C.BASIS_KECIL: "1 = jumlah KK terlalu kecil untuk mempercayai persentase mentah; pakai persentase EB",
    C.KK_DINILAI_MPI: "KK yang datanya lengkap untuk indeks kemiskinan multidimensi",
    C.KK_MISKIN_MULTIDIMENSI: "KK miskin multidimensi (skor deprivasi ≥ k, Alkire-Foster)",
    C.MPI_H: "H: persentase KK miskin multidimensi (dari KK yang dinilai)",
    C.MPI_A: "A: intensitas, rata-rata skor deprivasi KK miskin multidimensi (%)",
    C.MPI_M0: "M0 = H × A: indeks kemiskinan multidimensi (0-1)",
    C.RATA_SKOR_DEPRIVASI: "Rata-rata skor deprivasi KK yang dinilai (0-1)",
    "skor_ekstrem": "Komponen prioritas: peringkat persentil jumlah KK miskin ekstrem (0-1)",
    "skor_eb": "Komponen prioritas: peringkat persentil persentase miskin EB (0-1)",
    "skor_titik_panas": (
        "Komponen prioritas: titik panas Gi* EB yang lolos uji FDR (99 % = 1, 95 % = 0,67, 90 % = 0,33; "
        "tidak lolos FDR atau bukan titik panas = 0)"
    ),
    "skor_mpi": "Komponen prioritas: peringkat persentil M0 (0-1)",
    C.SKOR_PRIORITAS: "Skor prioritas: rata-rata berbobot keempat komponen (0-1)",
    C.PERINGKAT: "Peringkat prioritas kelurahan (1 = didahulukan)",
    "kantong_id": "Kode kantong kemiskinan (K01 = peringkat 1)",
    "peringkat": "Peringkat kantong: KK miskin terbanyak lebih dulu",
    "jumlah_sel": "Jumlah sel H3 dalam kantong",
    "h3": "Indeks sel heksagon H3",
    "dalam_kantong": "1 = sel termasuk kantong kemiskinan",
    "dimensi": "Dimensi (perumahan, air bersih, sanitasi, energi, pendidikan, kesehatan)",
    "batas_deprivasi": "Batas deprivasi: kapan KK dianggap kekurangan pada indikator ini",
    "bobot": "Bobot indikator (jumlah semua bobot = 1)",
    "ambang_k": "Ambang kemiskinan k: KK miskin multidimensi bila skor ≥ k",
    "indikator": "Nama indikator (deprivasi, atau kemiskinan / kemiskinan ekstrem pada tabel target)",
    "tahun_target": "Tahun target (RPJMD/RPD)",
    "target_persen": "Target persentase penduduk (%)",
    "tahun_bps": "Tahun angka BPS terbaru",
    "bps_persen": "Angka BPS terbaru (% penduduk)",
    "selisih_poin": "Selisih angka BPS terbaru dengan target (poin persen; > 0 = masih di atas target)",
    "populasi": "Jumlah penduduk yang dipakai untuk mengubah poin menjadi jiwa",
    "sumber_populasi": "Sumber jumlah penduduk",
    "jiwa_per_kk": "Jiwa per KK yang dipakai untuk mengubah jiwa menjadi KK",
    "sumber_jiwa_per_kk": "Sumber jiwa per KK",
    "selisih_jiwa": "Selisih dalam jiwa (poin / 100 × penduduk)",
    "selisih_kk": "Selisih dalam KK (jiwa / jiwa per KK)",
    "penurunan_per_tahun_perlu": "Penurunan per tahun yang masih diperlukan (poin per tahun)",
    "penurunan_per_tahun_teramati": "Penurunan per tahun yang teramati dari dua angka BPS terakhir (poin per tahun)",
    "status": "Status capaian: tercapai, tidak_tercapai, sesuai_jalur, tidak_sesuai_jalur, belum_dapat_dinilai, tanpa_data_bps",
    "sumber_target": "Sumber target",
    "sumber_bps": "Sumber angka BPS",
    "jiwa_register": "Jiwa dalam KK miskin menurut register",
    "jiwa_bps": "Penduduk miskin menurut BPS",
    "rasio": "Rasio register / BPS",
    "jiwa_dilaporkan": "Penduduk miskin menurut hitungan register yang dilaporkan dinas ([[reported_register]]; bukan BPS)",
    "baris_berkoordinat": "Baris diterima yang ditempatkan menurut titik GPS-nya",
    "tahun_dilaporkan": "Tahun hitungan register yang dilaporkan dinas",
    "sumber_dilaporkan": "Sumber hitungan register yang dilaporkan dinas",
    "rasio_dilaporkan": "Rasio register (data ini) / hitungan register yang dilaporkan dinas",
    "selisih": "Selisih register - BPS (jiwa)",
    "penjelasan": "Mengapa register dan BPS dapat berbeda",
    "jiwa_bps_dibagi": "Penduduk miskin BPS dibagi ke kelurahan menurut jumlah jiwa terdaftar",
    "persen_dari_selisih": "Bagian kelurahan dari jumlah selisih mutlak (%)",
    "kk_masuk_miskin": "KK yang masuk kelompok miskin sejak snapshot lalu",
    "kk_keluar_miskin": "KK yang keluar dari kelompok miskin sejak snapshot lalu",
    "kk_baru": "KK baru (tidak ada di snapshot lalu)",
    "kk_baru_miskin": "KK baru yang miskin",
    "kk_hilang": "KK yang ada di snapshot lalu tetapi tidak lagi terdaftar (menurut kelurahan lamanya)",
    "kk_hilang_miskin": "KK hilang yang dulu miskin",
    "kk_miskin_sebelum": "KK miskin pada snapshot lalu",
    "kk_miskin_sekarang": "KK miskin pada snapshot sekarang",
    "perubahan_miskin": "Perubahan bersih KK miskin (sekarang - sebelum)",
    "kk_terima_banyak": "KK yang menerima N program atau lebih ([analysis] overlap_programs, bawaan 3; tumpang tindih)",
    "kk_layak_tanpa_program": "KK yang layak menerima program tetapi tidak menerima apa pun (eksklusi)",
    "tumpang_tindih_dan_eksklusi": "1 = di kelurahan ini ada KK penerima ≥ N program sekaligus KK layak tanpa program",
    "program": "Kode program",
    "opd": "OPD pemilik program",
    "pendanaan": "Sumber pendanaan: APBN, APBD, Dana Desa, CSR, BAZNAS, Lainnya",
    "kk_layak": "KK yang layak menurut aturan kelayakan program",
    "kk_layak_terima": "KK layak yang sudah menerima program",
    "kk_eksklusi": "Eksklusi: KK layak yang belum menerima program ini",
    "kk_eksklusi_total": "Eksklusi total: KK layak yang tidak menerima program apa pun",
    "kk_inklusi": "Inklusi: KK penerima yang tidak layak menurut aturan program",
    "kk_penerima": "KK penerima program (register atau daftar penerima OPD)",
    "persen_cakupan": "Cakupan: KK layak yang menerima / KK layak (%)",
    "program_a": "Program pertama",
    "program_b": "Program kedua",
    "kk_bersama": "KK yang menerima kedua program (diagonal: penerima program)",
    C.DISEMBUNYIKAN: "Kolom yang disembunyikan karena jumlahnya di bawah ambang privasi",
    "catatan": "Catatan (DATA SINTETIS untuk data contoh)",
    C.TAHAP: "Tahap: total, validasi, gabung, atau bendera",
    C.ALASAN: "Kode alasan karantina atau bendera",
    "jumlah_baris": "Jumlah baris",
    "kk_rencana_kunjungan": "KK dalam daftar kunjungan verifikasi lapangan (semua putaran)",
    "kk_dikunjungi_rencana": "KK dalam daftar kunjungan yang sudah dikunjungi (kiriman diterapkan)",
    "persen_kunjungan_selesai": "Persentase kunjungan terencana yang selesai",
    "kk_ditemukan": "KK dikunjungi dan ditemukan di alamatnya",
    "kk_pindah": "KK dikunjungi: pindah alamat (keluar dari analisis)",
    "kk_meninggal": "KK dikunjungi: meninggal (keluar dari analisis)",
    "kk_tidak_ditemukan": "KK dikunjungi: tidak ditemukan (keluar dari analisis)",
    "kk_masuk_miskin_md": "KK yang menjadi miskin multidimensi setelah jawaban verifikasi",
    "kk_keluar_miskin_md": "KK yang tidak lagi miskin multidimensi setelah jawaban verifikasi",
    "status_kiriman": "Nasib kiriman verifikasi lapangan: diterapkan, atau alasan ditolak",
    "jumlah_kiriman": "Jumlah kiriman formulir verifikasi lapangan (KoboToolbox/ODK)",
    "keterangan": "Keterangan",
    C.FILE_SUMBER: "File register sumber",
    C.LEMBAR_SUMBER: "Lembar (sheet) Excel sumber",
    "baris_masuk": "Baris di file register",
    "baris_diterima": "Baris yang dipakai dalam analisis",
    "baris_dikarantina": "Baris di karantina (folder terbatas)",
    "baris_ganda": "Baris ganda (id_ganda) yang dikarantina",
    "anggota_masuk": "Baris tabel anggota di file",
    "anggota_tertaut": "Baris anggota yang tertaut ke keluarga",
    "anggota_tidak_tertaut": "Baris anggota tanpa keluarga (karantina_anggota)",
    "masalah": "Jenis masalah batas wilayah",
    "kode_kel_lain": "Kode kelurahan lain yang terlibat",
    "luas_m2": "Luas (m²)",
    "lapisan": "Nama lapisan (layer)",
    "kolom": "Nama kolom",
    "tipe": "Tipe data",
    # the offline basemap (OpenStreetMap)
    "jenis_perairan": "Jenis perairan: laut (dari garis pantai OSM), danau (danau/waduk), sungai (badan sungai)",
    "nama_perairan": "Nama perairan (OpenStreetMap)",
    "jenis_sungai": "Jenis aliran: sungai, kanal, anak_sungai, saluran",
    "nama_sungai": "Nama sungai (OpenStreetMap)",
    "kelas_jalan": "Kelas jalan: arteri (trunk/primary), kolektor (secondary), lokal (tertiary), lingkungan, rel",
    "tag_osm": "Nilai tag OpenStreetMap highway/railway",
    "nama_jalan": "Nama jalan (OpenStreetMap)",
    "jenis_tempat": "Jenis nama tempat: kota, kota_kecil, bagian_kota, desa_kelurahan, dusun, lingkungan",
    "nama_tempat": "Nama tempat (OpenStreetMap)",
    "jenis_fasilitas": (
        "Jenis fasilitas umum: kantor_desa, puskesmas, rumah_sakit, sekolah, pasar, masjid, gereja, pura, vihara, "
        "tempat_ibadah"
    ),
    "nama_fasilitas": "Nama fasilitas (OpenStreetMap)",
}
#: Families of fields: regular expression -> description template ({0} = the code).
FIELD_PATTERNS: dict[str, str] = {
    r"kk_penerima_(\w+)": "KK penerima program {0}",
    r"persen_penerima_(\w+)": "Persentase KK penerima program {0}",
    r"kk_desil_(\d+)": "KK pada desil kesejahteraan {0}",
    r"kk_sensor_(\w+)": "KK miskin multidimensi yang kekurangan pada indikator {0} (headcount tersensor)",
    r"persen_sensor_(\w+)": "Headcount tersensor indikator {0} (% dari KK yang dinilai)",
    r"kontribusi_(\w+)": "Sumbangan indikator {0} terhadap M0 (%)",
}


def describe_field(name: str) -> str | None:
    """The dictionary entry of a field, or None when it is undocumented."""
    if name in FIELDS:
        return FIELDS[name]
    for pattern, template in FIELD_PATTERNS.items():
        match = re.fullmatch(pattern, name)
        if match:
            return template.format(match.group(1).upper())
    return None


def _field_type(dtype: object) -> str:
    """The GeoPackage type a pandas column is written as."""
    if pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        return "INTEGER"
    if pd.api.types.is_float_dtype(dtype):
        return "REAL"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "DATE"
    return "TEXT"


def field_dictionary(layers: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The ``kamus_data`` table: one row per layer and field.

    Returns
    -------
    DataFrame
        ``lapisan``, ``kolom``, ``tipe`` (GeoPackage-ish type), ``keterangan``.
        Undocumented fields get an empty ``keterangan`` (tests forbid them).
    """
    rows = []
    for layer, frame in layers.items():
        for column, dtype in frame.dtypes.items():
            if column == "geometry":
                continue
            rows.append(
                {
                    "lapisan": layer,
                    "kolom": column,
                    "tipe": _field_type(dtype),
                    "keterangan": describe_field(column) or "",
                }
            )
    return pd.DataFrame(rows, columns=["lapisan", "kolom", "tipe", "keterangan"])


def layer_descriptions(label: str, *, min_households: int, h3_resolution: int) -> dict[str, str]:
    """Indonesian description of every GeoPackage layer, as QGIS shows it in the browser.

    Parameters
    ----------
    label
        The region, its code and data date (and the synthetic-data notice).
    min_households
        The suppression threshold k, named where figures are hidden.
    h3_resolution
        The resolution of the H3 cells.

    Returns
    -------
    dict
        Layer -> description, HTML-escaped: QGIS shows a GeoPackage layer's
        description as its abstract, read as HTML, where a bare ``<`` (or a
        name holding one) would cut the text.
    """
    return {
        name: html.escape(text, quote=False)
        for name, text in _descriptions(label, min_households, h3_resolution).items()
    }


def _descriptions(label: str, min_households: int, h3_resolution: int) -> dict[str, str]:
    return {
        "kamus_data": f"Kamus data: arti setiap kolom setiap lapisan — {label}.",
        "layer_styles": f"Gaya tampilan QGIS (QML) setiap lapisan — {label}.",
        "kelurahan": f"Indikator kemiskinan per kelurahan/desa — {label}. Angka di bawah {min_households} KK disembunyikan.",
        "kecamatan": f"Indikator kemiskinan per kecamatan — {label}.",
        "validasi": f"Ringkasan validasi register per alasan dan bendera — {label}.",
        "validasi_file": f"Baris per file dan lembar register: masuk = diterima + dikarantina — {label}.",
        "validasi_anggota": f"Baris tabel anggota per file dan lembar: masuk = tertaut + tidak tertaut — {label}.",
        "verifikasi": (
            f"Verifikasi lapangan per kelurahan: kunjungan terencana yang selesai, hasil kunjungan, KK yang masuk "
            f"atau keluar kemiskinan multidimensi; angka kecil disembunyikan — {label}."
        ),
        "verifikasi_kiriman": (
            f"Kiriman verifikasi lapangan per status: masuk = diterapkan + ditolak (per alasan) — {label}."
        ),
        "diagnostik_batas": f"Masalah pada file batas wilayah (tumpang tindih, celah, perbaikan), luas dalam m² — {label}.",
        "kantong": (
            f"Kantong kemiskinan: sel H3 bersebelahan yang KK miskinnya lebih banyak daripada yang dijelaskan "
            f"persentase wilayah (uji hitungan, FDR), dipotong pada batas wilayah, diberi peringkat — {label}."
        ),
        "sel_h3": f"Sel heksagon H3 resolusi {h3_resolution}; sel di bawah {min_households} KK disembunyikan — {label}.",
        "indikator_deprivasi": f"Indikator, batas deprivasi dan bobot indeks kemiskinan multidimensi (Alkire-Foster) — {label}.",
        "target_kemiskinan": f"Angka BPS terbaru terhadap target RPJMD/RPD: selisih (poin, jiwa, KK) dan status — {label}.",
        "rekonsiliasi": (
            f"Register terhadap BPS (dan terhadap hitungan register yang dilaporkan dinas, bila ada): "
            f"jumlah jiwa miskin, rasio dan selisih, dengan penjelasan — {label}."
        ),
        "rekonsiliasi_kelurahan": f"Kelurahan yang paling menyumbang selisih register dan BPS — {label}.",
        "perubahan_snapshot": f"Perubahan sejak snapshot register sebelumnya: masuk/keluar desil miskin, KK baru/hilang — {label}.",
        "cakupan_program": f"Cakupan setiap program per kelurahan: layak, terjangkau, eksklusi, inklusi — {label}.",
        "cakupan_opd": f"Cakupan setiap program dan OPD untuk seluruh wilayah — {label}.",
        **{
            name: f"Peta dasar luring: {text} — {label}. © kontributor OpenStreetMap (ODbL)."
            for name, text in (
                ("perairan", "laut (dari garis pantai), danau/waduk dan badan sungai"),
                ("sungai", "sungai, kanal dan saluran (garis)"),
                ("jalan", "jalan menurut kelas, dan rel kereta api"),
                ("tempat", "nama kota, bagian kota, kelurahan/desa dan dusun"),
                ("fasilitas_umum", "kantor kelurahan/desa, puskesmas, rumah sakit, sekolah, pasar, tempat ibadah"),
            )
        },
        "tumpang_tindih": f"Tumpang tindih: KK yang menerima dua program sekaligus (matriks program × program) — {label}.",
    }
