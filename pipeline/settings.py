"""Typed region settings: what a region TOML holds, as frozen dataclasses.

:func:`pipeline.config.load_config` reads and checks a TOML into a
:class:`RegionConfig`; every other stage takes these settings, never the raw
TOML. Defaults live here, next to the field they fill.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from . import columns as C
from .errors import ConfigError

DEFAULT_MIN_HOUSEHOLDS: int = 5
DEFAULT_SNAP_DISTANCE_M: float = 100.0
DEFAULT_PERMUTATIONS: int = 999
DEFAULT_SEED: int = 20_261_123
DEFAULT_SIGNIFICANCE: float = 0.05
DEFAULT_H3_RESOLUTION: int = 9
#: Kelurahan with fewer households than this get the flag ``basis_kecil``.
DEFAULT_SMALL_BASE: int = 30
#: Alkire-Foster poverty cutoff: deprived in at least a third of the weighted indicators.
DEFAULT_POVERTY_CUTOFF: float = 1 / 3
COMPARISONS: tuple[str, ...] = ("<", "<=", ">", ">=", "==", "!=")
PRIORITY_COMPONENTS: tuple[str, ...] = ("kk_miskin_ekstrem", "persen_miskin_eb", "titik_panas", "mpi_m0")
POVERTY_METHODS: tuple[str, ...] = ("desil", "garis_kemiskinan")
HOUSEHOLD_SCHEMAS: tuple[str, ...] = ("auto", "p3ke", "kanonik")
FUNDING_SOURCES: tuple[str, ...] = ("APBN", "APBD", "Dana Desa", "CSR", "BAZNAS", "Lainnya")


@dataclass(frozen=True)
class BoundarySource:
    """Where the kelurahan polygons come from.

    ``columns`` maps canonical names (``kode_kel``, ``nama_kel``, ``kode_kec``,
    ``nama_kec``) to the file's own column names; when empty, the schema is
    detected (wilayah_boundaries, BIG RBI, HDX COD-AB, GADM). ``crosswalk``
    is a CSV mapping BPS/GADM codes to Kemendagri codes.
    """

    path: Path
    layer: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    snap_distance_m: float = DEFAULT_SNAP_DISTANCE_M
    crosswalk: Path | None = None
    #: A file (or GeoPackage) with kecamatan codes and names, for boundaries without kecamatan names.
    kecamatan: Path | None = None
    kecamatan_layer: str | None = None
    #: Kelurahan codes of the wider area this region was cut from (a kab/kota of a province run): a
    #: register code among them is a household placed elsewhere (``beda_lokasi``), not an unknown code.
    wider_codes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class HouseholdSource:
    """Household register files and how their headers map to canonical columns."""

    paths: tuple[Path, ...]
    schema: str = "auto"
    columns: dict[str, str] = field(default_factory=dict)
    sheet: str | None = None
    #: A register file whose accepted rows have a GPS point less often than this (0-1) is reported loudly.
    min_located_share: float = 0.5


@dataclass(frozen=True)
class PovertyLine:
    """A dated per-capita monthly expenditure line, in rupiah."""

    kind: str  # "miskin" or "miskin_ekstrem"
    valid_from: dt.date
    rupiah_per_capita_month: float
    source: str


@dataclass(frozen=True)
class PovertyRule:
    """Who counts as poor (*miskin & rentan*) and extreme poor (*miskin ekstrem*).

    ``method = "desil"`` uses the register's welfare decile; ``method =
    "garis_kemiskinan"`` compares per-capita expenditure with the latest
    configured line dated on or before the region's data date.
    """

    method: str = "desil"
    extreme_max_decile: int = 1
    poor_max_decile: int = 4
    lines: tuple[PovertyLine, ...] = ()

    def describe(self, on: dt.date | None = None) -> str:
        """Return the rule as one line of Indonesian text for maps and metadata."""
        if self.method == "desil":
            return f"miskin ekstrem: desil ≤ {self.extreme_max_decile}; miskin & rentan: desil ≤ {self.poor_max_decile}"
        parts = []
        for kind in (C.MISKIN_EKSTREM, C.MISKIN):
            line = self.line_for(kind, on)
            parts.append(
                f"{kind.replace('_', ' ')}: pengeluaran < Rp{line.rupiah_per_capita_month:,.0f}"
                f"/kapita/bulan ({line.source})".replace(",", ".")
            )
        return "; ".join(parts)

    def line_for(self, kind: str, on: dt.date | None) -> PovertyLine:
        """Return the newest line of ``kind`` valid on ``on``.

        Raises
        ------
        ConfigError
            If no line of that kind is dated on or before ``on``.
        """
        candidates = [line for line in self.lines if line.kind == kind and (on is None or line.valid_from <= on)]
        if not candidates:
            raise ConfigError(
                f"[poverty] method 'garis_kemiskinan' has no '{kind}' line valid on {on}; "
                f"add a [[poverty.lines]] entry with kind = '{kind}' and valid_from <= {on}"
            )
        return max(candidates, key=lambda line: line.valid_from)


@dataclass(frozen=True)
class Program:
    """A poverty programme: owner, funding, eligibility rule, quota and recipient sources.

    Recipients are marked by the register flag ``penerima_<code>`` and by
    the OPD's own ``beneficiaries`` lists. ``eligibility`` is a rule over
    household fields (:mod:`pipeline.rules`); "" means the register holds
    no criterion for it. ``quota`` is how many more households it can take
    (None: no limit).
    """

    code: str
    name: str
    opd: str
    funding: str
    eligibility: str = ""
    quota: int | None = None
    beneficiaries: tuple[Path, ...] = ()

    @property
    def national(self) -> bool:
        """True for national (APBN, Kemensos-criteria) programmes."""
        return self.funding == "APBN"

    @property
    def column(self) -> str:
        """Canonical recipient-flag column, ``penerima_<code>``."""
        return f"{C.PENERIMA_PREFIX}{self.code}"


@dataclass(frozen=True)
class AnalysisSettings:
    """Settings of the spatial statistics.

    ``significance`` is the level of the Benjamini-Hochberg false discovery
    rate and of the pocket cells' test; ``h3_resolution`` is the size of the
    hexagonal cells (9: about 0.1 km²); kelurahan with fewer than
    ``small_base_households`` households are flagged ``basis_kecil``.
    """

    projected_crs: str | None = None
    permutations: int = DEFAULT_PERMUTATIONS
    seed: int = DEFAULT_SEED
    significance: float = DEFAULT_SIGNIFICANCE
    h3_resolution: int = DEFAULT_H3_RESOLUTION
    small_base_households: int = DEFAULT_SMALL_BASE
    #: Households receiving at least this many programmes count as overlap (tumpang tindih).
    overlap_programs: int = 3
    #: Pockets holding fewer households are not pockets (default: twice ``[privacy] min_households``).
    min_pocket_households: int = 10


@dataclass(frozen=True)
class DeprivationIndicator:
    """One indicator of the Alkire-Foster deprivation index.

    A household is deprived in it when its ``column`` holds one of
    ``values`` (text, compared ignoring case, spaces and punctuation), or
    when ``column <op> threshold`` holds (numbers).
    """

    name: str
    dimension: str
    column: str
    weight: float
    values: tuple[str, ...] = ()
    op: str | None = None
    threshold: float | None = None

    def describe(self) -> str:
        """The deprivation cutoff as one line of text."""
        if self.values:
            return f"{self.column} salah satu dari: {', '.join(self.values)}"
        return f"{self.column} {self.op} {self.threshold:g}"


#: The documented default indicators (weights: six equal dimensions, equal
#: indicators within a dimension), after the global MPI and the government's
#: definition of extreme poverty: food aside, clean water, sanitation,
#: health, shelter, education and energy.
DEFAULT_DEPRIVATION: tuple[DeprivationIndicator, ...] = (
    DeprivationIndicator("lantai", "perumahan", C.JENIS_LANTAI, 1 / 18,
                         values=("Tanah", "Bambu", "Kayu/Papan Kualitas Rendah")),
    DeprivationIndicator("dinding", "perumahan", C.JENIS_DINDING, 1 / 18,
                         values=("Bambu", "Anyaman Bambu", "Plesteran Anyaman Bambu/Kawat", "Rumbia")),
    DeprivationIndicator("atap", "perumahan", C.JENIS_ATAP, 1 / 18,
                         values=("Ijuk/Rumbia", "Bambu", "Jerami/Ijuk/Daun-daunan/Rumbia")),
    DeprivationIndicator("air_minum", "air_bersih", C.SUMBER_AIR, 1 / 6,
                         values=("Sungai/Danau/Waduk", "Mata Air Tidak Terlindung", "Sumur Tidak Terlindung",
                                 "Air Hujan")),
    DeprivationIndicator("sanitasi", "sanitasi", C.FASILITAS_BAB, 1 / 6, values=("Tidak Ada", "Bersama/Umum")),
    DeprivationIndicator("penerangan", "energi", C.PENERANGAN, 1 / 12, values=("Bukan Listrik",)),
    DeprivationIndicator("bahan_bakar", "energi", C.BAHAN_BAKAR, 1 / 12, values=("Kayu Bakar", "Arang")),
    DeprivationIndicator("pendidikan_kk", "pendidikan", C.PENDIDIKAN_KK, 1 / 12,
                         values=("Tidak/Belum Sekolah", "Tidak Pernah Sekolah", "Tidak Tamat SD")),
    DeprivationIndicator("anak_tidak_sekolah", "pendidikan", C.JUMLAH_TIDAK_SEKOLAH, 1 / 12, op=">", threshold=0),
    DeprivationIndicator("jaminan_kesehatan", "kesehatan", f"{C.PENERIMA_PREFIX}pbi_jkn", 1 / 6, op="==",
                         threshold=0),
)  # fmt: skip


@dataclass(frozen=True)
class DeprivationSettings:
    """Alkire-Foster settings: the indicators and the poverty cutoff ``k``."""

    indicators: tuple[DeprivationIndicator, ...] = DEFAULT_DEPRIVATION
    poverty_cutoff: float = DEFAULT_POVERTY_CUTOFF


@dataclass(frozen=True)
class PrioritySettings:
    """Weights of the kelurahan priority composite (see :mod:`pipeline.analyse.priority`)."""

    weights: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PRIORITY_COMPONENTS, 1.0))


@dataclass(frozen=True)
class BpsFigure:
    """Poverty figures BPS published for one year, with their source.

    Rates are percentages of the population; ``poverty_line`` is rupiah per
    capita per month; ``population`` is the population the rate refers to.
    """

    year: int
    source: str
    poverty_rate: float | None = None
    extreme_poverty_rate: float | None = None
    poor_people: int | None = None
    poverty_line: float | None = None
    population: int | None = None


@dataclass(frozen=True)
class Target:
    """A dated poverty target (RPJMD/RPD), in percent of the population, with its source."""

    year: int
    source: str
    poverty_rate: float | None = None
    extreme_poverty_rate: float | None = None


@dataclass(frozen=True)
class ReportedCount:
    """A poor-people count a local agency reported from the register (not BPS), with its source."""

    year: int
    poor_people: int
    source: str


@dataclass(frozen=True)
class Snapshot:
    """An earlier register snapshot (DTSEN is updated quarterly), compared with the current one."""

    date: dt.date
    paths: tuple[Path, ...]


@dataclass(frozen=True)
class ProgressSettings:
    """Figures for the target gap: BPS numbers, targets, and the assumptions that turn points into people and KK.

    ``population`` (with ``population_source``) converts percentage points
    into people; without it, the population of the latest BPS figure that
    gives one (``population``, or ``poor_people`` / ``poverty_rate``) is
    used. ``household_size`` converts people into households; without it,
    the register's people per household.
    """

    bps: tuple[BpsFigure, ...] = ()
    targets: tuple[Target, ...] = ()
    reported: tuple[ReportedCount, ...] = ()
    snapshots: tuple[Snapshot, ...] = ()
    population: int | None = None
    population_source: str = ""
    household_size: float | None = None
    household_size_source: str = ""


#: Who a field round visits (``[verification_round] select``).
VISIT_REASONS: tuple[str, ...] = ("kantong", "ekstrem_tanpa_program", "bendera", "prioritas")


@dataclass(frozen=True)
class VerificationRound:
    """Who ``kantong verifikasi`` sends enumerators to, and how many enumerators per kelurahan."""

    select: tuple[str, ...] = ("kantong", "ekstrem_tanpa_program", "bendera")
    priority_kelurahan: int = 5  # with "prioritas": the poor households of the top N kelurahan
    max_households: int = 2000
    enumerators_per_kelurahan: int = 2


@dataclass(frozen=True)
class VerificationSource:
    """Exports of field-verification submissions (KoboToolbox XLSX/CSV, ODK Central CSV)."""

    paths: tuple[Path, ...]
    max_gps_accuracy_m: float = 50.0


@dataclass(frozen=True)
class SyntheticSpec:
    """How :mod:`pipeline.demo` generates inputs for a demo or seed region."""

    households: int = 50_000
    seed: int = 42
    boundaries: bool = False
    pockets: int = 3


@dataclass(frozen=True)
class RegionConfig:
    """Everything the pipeline needs to know about one region."""

    slug: str
    name: str
    kode: str
    data_date: dt.date
    boundaries: BoundarySource
    households: HouseholdSource
    poverty: PovertyRule = PovertyRule()
    analysis: AnalysisSettings = AnalysisSettings()
    deprivation: DeprivationSettings = DeprivationSettings()
    priority: PrioritySettings = field(default_factory=PrioritySettings)
    progress: ProgressSettings = ProgressSettings()
    programs: tuple[Program, ...] = ()
    min_households: int = DEFAULT_MIN_HOUSEHOLDS
    synthetic: SyntheticSpec | None = None
    source: Path | None = None
    verification_round: VerificationRound = VerificationRound()
    verification: tuple[VerificationSource, ...] = ()
    #: OpenStreetMap extract (``.osm.pbf``) of the offline basemap, or None for the plain background.
    basemap: Path | None = None

    @property
    def is_synthetic(self) -> bool:
        """True when the households are generated, not a real register."""
        return self.synthetic is not None
