"""Canonical column names, in one place.

Households from any register are renamed to these columns by
:func:`pipeline.ingest.households.households_from_file`; boundaries are renamed by
:func:`pipeline.ingest.boundaries.boundaries_from_file`. Field names are Indonesian
snake_case because they reach planners and GIS staff unchanged.
"""

from __future__ import annotations

from typing import Final

# --- households: identity (personal data, restricted tier only) -------------
ID_KELUARGA: Final = "id_keluarga"
NIK: Final = "nik"
NAMA_KK: Final = "nama_kk"
ALAMAT: Final = "alamat"
JENIS_KELAMIN: Final = "jenis_kelamin"
TANGGAL_LAHIR: Final = "tanggal_lahir"
NO_KK: Final = "no_kk"
#: Keys on which two register rows are the same household, checked in this order.
DUPLICATE_KEYS: Final = (ID_KELUARGA, NO_KK, NIK)
RT: Final = "rt"
RW: Final = "rw"

# --- households: location and welfare ---------------------------------------
KODE_KEL: Final = "kode_kel"
DESIL: Final = "desil"
JUMLAH_ART: Final = "jumlah_art"
LAT: Final = "lat"
LON: Final = "lon"
#: One column holding both: "lat, lon", "[lat, lon]" (KoboToolbox _geolocation) or "lat lon alt acc" (ODK geopoint).
KOORDINAT: Final = "koordinat"
PENGELUARAN: Final = "pengeluaran_kapita"
#: Verification status of the household (e.g. "Meninggal", "Tidak Ditemukan"), and its date.
STATUS: Final = "status"
TANGGAL_VERIFIKASI: Final = "tanggal_verifikasi"

# --- households: dwelling and services -------------------------------------
JENIS_LANTAI: Final = "jenis_lantai"
JENIS_DINDING: Final = "jenis_dinding"
JENIS_ATAP: Final = "jenis_atap"
SUMBER_AIR: Final = "sumber_air_minum"
PENERANGAN: Final = "sumber_penerangan"
BAHAN_BAKAR: Final = "bahan_bakar_memasak"
FASILITAS_BAB: Final = "fasilitas_bab"
#: Highest schooling of the household head.
PENDIDIKAN_KK: Final = "pendidikan_kk"

# --- households: vulnerability flags (0/1) ----------------------------------
LANSIA_TUNGGAL: Final = "lansia_tunggal"
DISABILITAS: Final = "disabilitas"
RISIKO_STUNTING: Final = "risiko_stunting"
PEKERJA_MIGRAN: Final = "pekerja_migran"

# --- households: features aggregated from a member (individual) table ---------
#: Members listed in the member table (fills ``jumlah_art`` where the register has none).
JUMLAH_ANGGOTA_TERCATAT: Final = "jumlah_anggota_tercatat"
#: Members aged 60 or more.
JUMLAH_LANSIA: Final = "jumlah_lansia"
#: Members of school age (7-18: SD, SMP, SMA).
JUMLAH_USIA_SEKOLAH: Final = "jumlah_usia_sekolah"
#: Members of school age who are not in school.
JUMLAH_TIDAK_SEKOLAH: Final = "jumlah_tidak_sekolah"
#: Members with a disability.
JUMLAH_DISABILITAS: Final = "jumlah_disabilitas"
#: Members with a chronic illness.
JUMLAH_PENYAKIT_KRONIS: Final = "jumlah_penyakit_kronis"

# --- members (individual table) ----------------------------------------------
ID_ANGGOTA: Final = "id_anggota"
NAMA_ANGGOTA: Final = "nama_anggota"
HUBUNGAN: Final = "hubungan"
UMUR: Final = "umur"
PARTISIPASI_SEKOLAH: Final = "partisipasi_sekolah"
PENYAKIT_KRONIS: Final = "penyakit_kronis"
#: Age-band flags of the P3KE individual sheet become ``usia_<from>_<to>`` (``usia_60_plus``).
USIA_PREFIX: Final = "usia_"

#: Programme-recipient flags are ``penerima_<code>`` (0/1), e.g. ``penerima_pkh``.
PENERIMA_PREFIX: Final = "penerima_"

#: Columns that identify a person. They never reach a public output.
PERSONAL: Final = (
    ID_KELUARGA,
    NIK,
    NO_KK,
    NAMA_KK,
    ALAMAT,
    TANGGAL_LAHIR,
    RT,
    RW,
    LAT,
    LON,
    KOORDINAT,
    ID_ANGGOTA,
    NAMA_ANGGOTA,
)

# --- boundaries --------------------------------------------------------------
NAMA_KEL: Final = "nama_kel"
KODE_KEC: Final = "kode_kec"
NAMA_KEC: Final = "nama_kec"
JENIS_WILAYAH: Final = "jenis"

# --- join results ---------------------------------------------------------------
#: How a household got its kelurahan: ``titik`` (GPS point) or ``kode`` (register code).
METODE_LOKASI: Final = "metode_lokasi"
#: The GPS point lies in more than one kelurahan polygon (boundary overlap).
DI_TUMPANG: Final = "di_tumpang_tindih"
#: The GPS point lies in another kelurahan than the register code says.
BEDA_LOKASI: Final = "beda_lokasi"
#: The register code is not a kelurahan of the boundaries (e.g. 9999999999); the GPS point placed the row.
KODE_TIDAK_DIKENAL: Final = "kode_kel_tidak_dikenal"
KODE_KEL_REGISTER: Final = "kode_kel_register"
#: The GPS point lay in no polygon but within the snap distance of one, and was moved to it.
DIGESER: Final = "digeser"
#: Distance in metres from the GPS point to the kelurahan it was snapped to.
JARAK_GESER_M: Final = "jarak_geser_m"

# --- derived household flags ------------------------------------------------
MISKIN: Final = "miskin"
MISKIN_EKSTREM: Final = "miskin_ekstrem"

# --- quarantine ----------------------------------------------------------------
BARIS_SUMBER: Final = "baris_sumber"
FILE_SUMBER: Final = "file_sumber"
#: The Excel sheet a row came from.
LEMBAR_SUMBER: Final = "lembar_sumber"
ALASAN: Final = "alasan"
TAHAP: Final = "tahap"
#: For a quarantined duplicate: "<file>:<line>" of the row that was kept.
BARIS_DIPERTAHANKAN: Final = "baris_dipertahankan"

# --- validation flags (row kept, problem noted) ----------------------------------
#: The sex encoded in the NIK (day + 40 for women) differs from the Jenis Kelamin column.
NIK_BEDA_JK: Final = "nik_beda_jenis_kelamin"
#: The birth date encoded in the NIK differs from the Tanggal Lahir column.
NIK_BEDA_TGL: Final = "nik_beda_tanggal_lahir"

# --- kelurahan indicators -------------------------------------------------------
JUMLAH_KK: Final = "jumlah_kk"
JUMLAH_JIWA: Final = "jumlah_jiwa"
KK_MISKIN: Final = "kk_miskin"
KK_MISKIN_EKSTREM: Final = "kk_miskin_ekstrem"
PERSEN_MISKIN: Final = "persen_miskin"
PERSEN_MISKIN_EKSTREM: Final = "persen_miskin_ekstrem"
KK_BERKOORDINAT: Final = "kk_berkoordinat"
PERSEN_BERKOORDINAT: Final = "persen_berkoordinat"
KK_BEDA_LOKASI: Final = "kk_beda_lokasi"
KK_KODE_TIDAK_DIKENAL: Final = "kk_kode_tidak_dikenal"
KK_DI_TUMPANG: Final = "kk_di_tumpang_tindih"
KK_DIGESER: Final = "kk_digeser"
DISEMBUNYIKAN: Final = "disembunyikan"

#: Empirical-Bayes-smoothed poverty rate (esda), in percent.
PERSEN_MISKIN_EB: Final = "persen_miskin_eb"
#: The kelurahan has too few households for its raw rates to be trusted.
BASIS_KECIL: Final = "basis_kecil"
#: Households by welfare decile are ``kk_desil_<1..10>``.
KK_DESIL_PREFIX: Final = "kk_desil_"

# --- multidimensional deprivation (Alkire-Foster) ---------------------------------
#: Household deprivation score c_i: the weighted sum of its deprivations (0..1).
SKOR_DEPRIVASI: Final = "skor_deprivasi"
#: The household is multidimensionally poor: c_i >= k (and was assessed).
MISKIN_MULTIDIMENSI: Final = "miskin_multidimensi"
#: The household has data for every indicator and was assessed.
DINILAI_MPI: Final = "dinilai_mpi"
KK_DINILAI_MPI: Final = "kk_dinilai_mpi"
KK_MISKIN_MULTIDIMENSI: Final = "kk_miskin_multidimensi"
MPI_H: Final = "mpi_h"
MPI_A: Final = "mpi_a"
MPI_M0: Final = "mpi_m0"
RATA_SKOR_DEPRIVASI: Final = "rata_skor_deprivasi"

# --- priority ranking -------------------------------------------------------------
SKOR_PRIORITAS: Final = "skor_prioritas"
PERINGKAT: Final = "peringkat_prioritas"

# --- pockets (Gi*) ---------------------------------------------------------------
GI_Z: Final = "gi_z"
GI_P: Final = "gi_p"
GI_KELAS: Final = "gi_kelas"
TETANGGA_KNN: Final = "tetangga_knn"
