"""Programmes stage: who is eligible, who receives what, coverage, overlap,
exclusion, and one shared target list (*sasaran terpadu*) for every agency.

Per household and programme: ``layak_<code>`` (meets the programme's
eligibility rule, :mod:`pipeline.rules`) and ``terima_<code>`` (flagged
``penerima_<code>`` in the register, or matched on the OPD's beneficiary
list, :mod:`pipeline.analyse.matching`). A programme without a rule in the register
("" in the catalogue) has no eligibility: its coverage is not computed.

Per kelurahan and programme (:func:`coverage`): eligible households,
eligible and reached, coverage %, **exclusion** (eligible, not reached by
this programme; and eligible, reached by no programme at all) and
**inclusion** (reached, not eligible). Across programmes: the overlap
matrix (:func:`overlap_matrix`) and households with at least N programmes
in kelurahan where eligible households receive none.

The target list (:func:`target_list`) orders households — extreme poor
first, then vulnerable ones, then by deprivation score, decile and ID, so
the order is deterministic — and gives each, programme by programme in
that order, the programmes it is eligible for and does not receive yet,
while the programme's quota lasts. Extreme-poor households that end up
with nothing are listed too, with the reason.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from .. import columns as C
from ..errors import ConfigError
from ..settings import Program
from .eligibility import evaluate_rule
from .indicators import vulnerable_flags

logger = logging.getLogger(__name__)

ELIGIBLE_PREFIX: str = "layak_"
RECEIVED_PREFIX: str = "terima_"
#: Households receiving at least this many programmes count as overlap (tumpang tindih).
DEFAULT_OVERLAP_N: int = 3
KEMENSOS: str = "kriteria_kemensos"
LOCAL: str = "pendanaan_daerah"


def programme_flags(
    households: pd.DataFrame, programs: tuple[Program, ...], *, matched: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, dict[str, bool]]:
    """Eligibility and receipt of every programme for every household.

    Parameters
    ----------
    households
        Classified households (with ``miskin``, ``miskin_ekstrem``, the
        fields the rules read and the ``penerima_<code>`` flags).
    programs
        The region's programmes.
    matched
        Beneficiary-list rows matched to households (``id_keluarga``,
        ``program``), from :func:`pipeline.analyse.matching.match_beneficiaries`.

    Returns
    -------
    flags : DataFrame
        ``layak_<code>`` and ``terima_<code>`` (bool) per programme, same index.
    assessed : dict
        Programme code -> whether eligibility could be computed (a rule
        exists and the register has every field it reads).
    """
    out = pd.DataFrame(index=households.index)
    assessed = {}
    ids = households[C.ID_KELUARGA] if C.ID_KELUARGA in households else pd.Series(index=households.index, dtype=str)
    for program in programs:
        received = (
            pd.to_numeric(households[program.column], errors="coerce").fillna(0).to_numpy() > 0
            if program.column in households
            else np.zeros(len(households), dtype=bool)
        )
        if matched is not None and len(matched):
            listed = set(matched.loc[matched["program"] == program.code, C.ID_KELUARGA])
            received = received | ids.isin(listed).to_numpy()
        out[RECEIVED_PREFIX + program.code] = received
        eligible = np.zeros(len(households), dtype=bool)
        assessed[program.code] = False
        if program.eligibility:
            try:
                eligible = evaluate_rule(households, program.eligibility, where=f"programme {program.code}").to_numpy()
                assessed[program.code] = True
            except ConfigError as exc:
                logger.warning("%s; its eligibility and coverage are not computed", exc)
        out[ELIGIBLE_PREFIX + program.code] = eligible
    return out, assessed


def coverage(
    households: pd.DataFrame,
    flags: pd.DataFrame,
    programs: tuple[Program, ...],
    assessed: dict[str, bool],
    *,
    by: str = C.KODE_KEL,
) -> pd.DataFrame:
    """Coverage, exclusion and inclusion per area and programme.

    Returns
    -------
    DataFrame
        One row per area (``by``) and programme: ``program``, ``opd``,
        ``pendanaan``, ``kk_layak``, ``kk_layak_terima``, ``persen_cakupan``,
        ``kk_eksklusi`` (eligible, not reached by this programme),
        ``kk_eksklusi_total`` (eligible, reached by no programme),
        ``kk_inklusi`` (reached, not eligible), ``kk_penerima``. Eligibility
        figures are <NA> for programmes whose eligibility was not assessed.
    """
    received_any = flags[[RECEIVED_PREFIX + p.code for p in programs]].any(axis=1).to_numpy()
    area = households[by].to_numpy()
    rows = []
    for program in programs:
        eligible = flags[ELIGIBLE_PREFIX + program.code].to_numpy()
        received = flags[RECEIVED_PREFIX + program.code].to_numpy()
        parts = pd.DataFrame(
            {
                "kk_layak": eligible,
                "kk_layak_terima": eligible & received,
                "kk_eksklusi": eligible & ~received,
                "kk_eksklusi_total": eligible & ~received_any,
                "kk_inklusi": received & ~eligible,
                "kk_penerima": received,
            }
        ).astype("int64")
        sums = parts.groupby(area).sum()
        sums.index.name = by
        sums = sums.reset_index()
        sums.insert(1, "program", program.code)
        sums.insert(2, "opd", program.opd)
        sums.insert(3, "pendanaan", program.funding)
        if not assessed.get(program.code, False):
            for column in ("kk_layak", "kk_layak_terima", "kk_eksklusi", "kk_eksklusi_total", "kk_inklusi"):
                sums[column] = pd.array([pd.NA] * len(sums), dtype="Int64")
        rows.append(sums)
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    if len(out):
        out["persen_cakupan"] = (
            100.0
            * out["kk_layak_terima"].astype("Float64")
            / out["kk_layak"].astype("Float64").where(out["kk_layak"] > 0)
        ).astype("float64")
    return out


def overlap_matrix(flags: pd.DataFrame, programs: tuple[Program, ...]) -> pd.DataFrame:
    """Households shared by every pair of programmes (the diagonal: each programme's recipients).

    Returns
    -------
    DataFrame
        Square, programme codes as index and columns, integer counts.
    """
    received = flags[[RECEIVED_PREFIX + p.code for p in programs]].to_numpy(dtype="int64")
    matrix = received.T @ received
    codes = [p.code for p in programs]
    return pd.DataFrame(matrix, index=pd.Index(codes, name="program"), columns=codes)


def overlap_in_excluding_areas(
    households: pd.DataFrame, flags: pd.DataFrame, programs: tuple[Program, ...], *, n: int = DEFAULT_OVERLAP_N
) -> pd.DataFrame:
    """Per kelurahan: households with >= n programmes, and whether eligible households there receive none.

    Returns
    -------
    DataFrame
        ``kode_kel``, ``kk_terima_banyak`` (>= n programmes),
        ``kk_layak_tanpa_program`` (eligible for something, receiving
        nothing) and ``tumpang_tindih_dan_eksklusi`` (both above zero: the
        *tumpang tindih* the cities describe).
    """
    received = flags[[RECEIVED_PREFIX + p.code for p in programs]].sum(axis=1).to_numpy()
    eligible_any = flags[[ELIGIBLE_PREFIX + p.code for p in programs]].any(axis=1).to_numpy()
    parts = pd.DataFrame(
        {"kk_terima_banyak": received >= n, "kk_layak_tanpa_program": eligible_any & (received == 0)}
    ).astype("int64")
    out = parts.groupby(households[C.KODE_KEL].to_numpy()).sum()
    out.index.name = C.KODE_KEL
    out = out.reset_index()
    out["tumpang_tindih_dan_eksklusi"] = (out["kk_terima_banyak"] > 0) & (out["kk_layak_tanpa_program"] > 0)
    return out


def priority_order(households: pd.DataFrame) -> np.ndarray:
    """Positions of households in the shared order: extreme poor, vulnerable, deprivation, decile, ID."""
    vulnerable = pd.DataFrame(vulnerable_flags(households)).to_numpy().sum(axis=1) > 0
    score = (
        households[C.SKOR_DEPRIVASI].fillna(-1).to_numpy()
        if C.SKOR_DEPRIVASI in households
        else np.zeros(len(households))
    )
    decile = pd.to_numeric(households[C.DESIL], errors="coerce").fillna(99).to_numpy()
    ids = households[C.ID_KELUARGA].astype(str).to_numpy()
    extreme = households[C.MISKIN_EKSTREM].fillna(False).to_numpy(dtype=bool)
    # np.lexsort sorts by the last key first
    return np.lexsort((ids, decile, -score, ~vulnerable, ~extreme))


def join_codes(matrix: np.ndarray, codes: list[str]) -> np.ndarray:
    """Each row of a boolean household x programme matrix as the codes it marks, comma-joined (``"pkh,bpnt"``).

    Vectorised: rows are packed into bit patterns, and each distinct pattern
    (a few dozen among a million households) is joined once.
    """
    matrix = matrix.astype(bool)
    n = matrix.shape[1]
    if n == 0:
        return np.full(matrix.shape[0], "", dtype=object)
    if n <= 62:  # one integer per row: a 1-D unique is fast
        keys = matrix.astype(np.int64) @ (np.int64(1) << np.arange(n, dtype=np.int64))
        patterns, inverse = np.unique(keys, return_inverse=True)
        bits = ((patterns[:, None] >> np.arange(n, dtype=np.int64)) & 1).astype(bool)
    else:
        packed = np.packbits(matrix, axis=1, bitorder="little")
        patterns, inverse = np.unique(packed, axis=0, return_inverse=True)
        bits = np.unpackbits(patterns, axis=1, count=n, bitorder="little").astype(bool)
    names = np.asarray(codes, dtype=object)
    texts = np.array([",".join(names[row]) for row in bits], dtype=object)
    return texts[inverse.reshape(-1)]


def target_list(
    households: pd.DataFrame, flags: pd.DataFrame, programs: tuple[Program, ...]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The shared, ranked target list with programme assignments.

    Parameters
    ----------
    households
        Classified households (index aligned with ``flags``).
    flags
        Output of :func:`programme_flags`.
    programs
        The region's programmes, with quotas.

    Returns
    -------
    targets : DataFrame
        One row per listed household, in priority order: ``peringkat``,
        ``id_keluarga``, ``kode_kel``, ``miskin_ekstrem``, ``rentan``
        (any vulnerable group), ``skor_deprivasi``, ``desil``,
        ``program_layak_belum`` (eligible, not received; comma-separated),
        ``program_diberikan`` (assigned now), ``program_diterima`` (already
        received), ``jalur_pendanaan`` (*kriteria_kemensos*: eligible for a
        national programme; else *pendanaan_daerah*: APBD, CSR, BAZNAS),
        ``catatan`` (why an extreme-poor household got nothing).
    quota_report : DataFrame
        Per programme: ``program``, ``kuota``, ``kandidat``, ``diberikan``,
        ``tidak_kebagian`` (eligible candidates left over when the quota ran out).
    """
    order = priority_order(households)
    codes = [p.code for p in programs]
    eligible = flags[[ELIGIBLE_PREFIX + c for c in codes]].to_numpy(dtype=bool)
    received = flags[[RECEIVED_PREFIX + c for c in codes]].to_numpy(dtype=bool)
    candidate = eligible & ~received
    assigned = np.zeros_like(candidate)
    report = []
    for j, program in enumerate(programs):
        ranked = order[candidate[order, j]]  # candidates of this programme, in priority order
        take = ranked if program.quota is None else ranked[: program.quota]
        assigned[take, j] = True
        report.append(
            {
                "program": program.code,
                "kuota": program.quota,
                "kandidat": int(ranked.size),
                "diberikan": int(take.size),
                "tidak_kebagian": int(ranked.size - take.size),
            }
        )
    extreme = households[C.MISKIN_EKSTREM].fillna(False).to_numpy(dtype=bool)
    receives_nothing = ~received.any(axis=1)
    listed = assigned.any(axis=1) | candidate.any(axis=1) | (extreme & receives_nothing)
    rows = order[listed[order]]

    def joined(matrix: np.ndarray) -> np.ndarray:
        return join_codes(matrix[rows], codes)

    note = np.full(len(households), "", dtype=object)
    stuck = extreme & receives_nothing & ~assigned.any(axis=1)
    note[stuck & candidate.any(axis=1)] = "kuota_habis"
    note[stuck & ~candidate.any(axis=1)] = "tidak_ada_program_layak"
    national = np.array([p.national for p in programs], dtype=bool)
    vulnerable = pd.DataFrame(vulnerable_flags(households)).to_numpy().sum(axis=1) > 0
    targets = pd.DataFrame(
        {
            "peringkat": np.arange(1, rows.size + 1),
            C.ID_KELUARGA: households[C.ID_KELUARGA].to_numpy()[rows],
            C.KODE_KEL: households[C.KODE_KEL].to_numpy()[rows],
            C.MISKIN_EKSTREM: extreme[rows],
            "rentan": vulnerable[rows],
            C.SKOR_DEPRIVASI: (
                households[C.SKOR_DEPRIVASI].to_numpy()[rows] if C.SKOR_DEPRIVASI in households else np.nan
            ),
            C.DESIL: households[C.DESIL].to_numpy()[rows],
            "program_layak_belum": joined(candidate),
            "program_diberikan": joined(assigned),
            "program_diterima": joined(received),
            "jalur_pendanaan": np.where((eligible[:, national].any(axis=1))[rows], KEMENSOS, LOCAL),
            "catatan": note[rows],
        },
        index=households.index[rows],
    )
    for column in ("program_layak_belum", "program_diberikan", "program_diterima", "jalur_pendanaan", "catatan"):
        targets[column] = targets[column].astype("string")
    logger.info(
        "target list: %d households, %d programme places given, %d extreme poor left without (%d: quota ran out)",
        len(targets),
        int(assigned.sum()),
        int(stuck.sum()),
        int((note == "kuota_habis").sum()),
    )
    return targets, pd.DataFrame(report)
