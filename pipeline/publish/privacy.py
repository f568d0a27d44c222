"""Privacy rules for public outputs (UU 27/2022 on personal data protection).

Public outputs (HTML maps, the summary GeoPackage) carry aggregates only.
Two rules apply before anything is published:

1. **Small-count suppression.** A count of 1 to k-1 households (k from the
   region TOML, default 5) is replaced by "no value", and so is every rate
   computed from it. A kelurahan with fewer than k households publishes no
   figure at all. Zero is published: it reveals nothing about a person.
   Sums of published counts could give a hidden count back; complementary
   suppression (:mod:`pipeline.publish.disclosure`) hides further cells until none can.
2. **No personal fields.** A frame that still has a NIK, name, address, birth
   date, RT/RW or a household coordinate column, or any 16-digit number, is
   refused with :class:`~pipeline.errors.PrivacyError`.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .. import columns as C
from ..errors import PrivacyError
from .files import to_text

logger = logging.getLogger(__name__)

#: Rate column -> the count it is computed from.
RATE_SOURCES: dict[str, str] = {
    C.PERSEN_MISKIN: C.KK_MISKIN,
    C.PERSEN_MISKIN_EKSTREM: C.KK_MISKIN_EKSTREM,
    C.PERSEN_BERKOORDINAT: C.KK_BERKOORDINAT,
    C.PERSEN_MISKIN_EB: C.KK_MISKIN,
    "persen_miskin_ekstrem_eb": C.KK_MISKIN_EKSTREM,
    C.MPI_H: C.KK_MISKIN_MULTIDIMENSI,
    C.MPI_A: C.KK_MISKIN_MULTIDIMENSI,
    C.MPI_M0: C.KK_MISKIN_MULTIDIMENSI,
    C.RATA_SKOR_DEPRIVASI: C.KK_DINILAI_MPI,
    "persen_kunjungan_selesai": "kk_dikunjungi_rencana",
}
#: Families of rates: (rate prefix, count prefix), e.g. persen_sensor_<x> from kk_sensor_<x>.
RATE_FAMILIES: tuple[tuple[str, str], ...] = (
    ("persen_sensor_", "kk_sensor_"),
    ("kontribusi_", "kk_sensor_"),
    ("persen_penerima_", "kk_penerima_"),
)


def rate_sources(columns) -> dict[str, str]:
    """Rate column -> the count it rests on, for the columns present."""
    out = {rate: count for rate, count in RATE_SOURCES.items() if rate in columns}
    for rate_prefix, count_prefix in RATE_FAMILIES:
        for column in columns:
            if column.startswith(rate_prefix):
                out[column] = count_prefix + column.removeprefix(rate_prefix)
    return out


#: 16 digits in a row: not the decimals of a coordinate, nor part of a hex digest (the sha256 of an input file).
SIXTEEN_DIGITS = re.compile(r"(?<![0-9a-fA-F.])\d{16}(?![0-9a-fA-F])")
_WORD = re.compile(r"\w+")


def suppress_small_counts(frame: pd.DataFrame, *, k: int, counts: list[str]) -> pd.DataFrame:
    """Hide counts below ``k`` and the rates built on them.

    Parameters
    ----------
    frame
        Aggregated indicators (kelurahan or kecamatan).
    k
        The threshold; counts of 1 to ``k - 1`` are hidden.
    counts
        The count columns to check.

    Returns
    -------
    DataFrame
        A copy where hidden counts are ``<NA>`` (nullable integers), hidden
        rates are NaN, and ``disembunyikan`` lists the hidden columns per row
        ("" where nothing is hidden).
    """
    out = frame.copy()
    hidden = pd.DataFrame(False, index=out.index, columns=counts)
    small_base = out[C.JUMLAH_KK] < k
    for column in counts:
        hidden[column] = out[column].between(1, k - 1) | small_base
    for rate, source in rate_sources(out.columns).items():
        if source in hidden:
            hidden[rate] = hidden[source] | small_base
    hidden = hidden.fillna(False).astype(bool)  # an already hidden (<NA>) count stays hidden
    for column in hidden.columns:
        if column in counts:
            out[column] = out[column].astype("Int64").mask(hidden[column])
        else:
            out[column] = out[column].mask(hidden[column])
    names = np.asarray(hidden.columns, dtype=object)
    out[C.DISEMBUNYIKAN] = [",".join(names[row]) for row in hidden.to_numpy()]
    return out


def suppress_counts(
    frame: pd.DataFrame,
    *,
    k: int,
    counts: list[str] | None = None,
    derived: dict[str, tuple[str, ...]] | None = None,
) -> pd.DataFrame:
    """Hide counts of 1 to k-1, and the fields derived from a hidden one.

    For tables without a household base (e.g. movements between snapshots),
    where :func:`suppress_small_counts` does not apply.

    Parameters
    ----------
    frame
        Counts per area.
    k
        The threshold.
    counts
        The count columns (households or people); by default every ``kk_*`` column.
    derived
        Field -> the counts it is computed from (e.g. a difference, from
        which the hidden count could be worked back).

    Returns
    -------
    DataFrame
        A copy with hidden values as <NA> and ``disembunyikan`` listing them.
    """
    out = frame.copy()
    counts = [c for c in out.columns if c.startswith("kk_")] if counts is None else counts
    hidden = pd.DataFrame(
        {c: out[c].between(1, k - 1).astype("boolean").fillna(False).astype(bool) for c in counts}, index=out.index
    )
    for field, sources in (derived or {}).items():
        hidden[field] = hidden[list(sources)].any(axis=1)
    for column in hidden.columns:
        values = out[column].astype("Int64") if column in counts else out[column]
        out[column] = values.mask(hidden[column])
    names = np.asarray(hidden.columns, dtype=object)
    out[C.DISEMBUNYIKAN] = [",".join(names[row]) for row in hidden.to_numpy()]
    return out


def check_public(frame: pd.DataFrame, *, what: str) -> None:
    """Refuse a frame that would put personal data into a public output.

    Parameters
    ----------
    frame
        A frame about to be published.
    what
        Its name, for the error message.

    Raises
    ------
    PrivacyError
        If a personal column or a 16-digit number is present.
    """
    personal = [c for c in frame.columns if c in C.PERSONAL]
    if personal:
        raise PrivacyError(f"{what}: personal columns {personal} must not reach a public output; drop them first")
    text = frame.drop(columns=[c for c in frame.columns if c == "geometry"]).select_dtypes(exclude="number")
    for column in text.columns:
        values = text[column].dropna().astype(str)
        if values.str.contains(SIXTEEN_DIGITS).any():
            raise PrivacyError(
                f"{what}: column '{column}' holds a 16-digit number (a NIK?); remove it before publishing"
            )


def check_public_text(text: str, *, what: str, forbidden: tuple[str, ...] = ()) -> None:
    """Refuse a rendered text (HTML) holding a 16-digit number or a person's name.

    Names are compared as whole word sequences, case-insensitively, so the
    check stays fast for hundreds of thousands of names. Single-word names
    are skipped: they collide with place names ("Harapan") and carry little
    identifying power alone.

    Parameters
    ----------
    text
        The page.
    what
        Its name, for the error message.
    forbidden
        Personal values (household heads' names) that must not appear.

    Raises
    ------
    PrivacyError
        If the text contains a 16-digit number or any of ``forbidden``.
    """
    match = SIXTEEN_DIGITS.search(text)
    if match:
        raise PrivacyError(f"{what}: contains a 16-digit number at offset {match.start()}; refusing to publish it")
    wanted = {tuple(words) for value in forbidden if len(words := _WORD.findall(value.lower())) >= 2}
    if not wanted:
        return
    tokens = _WORD.findall(text.lower())
    for size in {len(w) for w in wanted}:
        grams = set(zip(*(tokens[i:] for i in range(size)), strict=False))
        found = wanted & grams
        if found:
            example = " ".join(next(iter(found)))
            raise PrivacyError(f"{what}: contains a household name ('{example[:3]}…'); refusing to publish it")


#: Columns of the restricted household layer (``terbatas/rumah_tangga.gpkg``): no NIK, name or address.
HOUSEHOLD_LAYER_COLUMNS: tuple[str, ...] = (
    C.KODE_KEL,
    C.DESIL,
    C.MISKIN,
    C.MISKIN_EKSTREM,
    C.JUMLAH_ART,
    C.METODE_LOKASI,
    C.BEDA_LOKASI,
    C.KODE_TIDAK_DIKENAL,
    C.DIGESER,
    C.DI_TUMPANG,
)
PSEUDONYM: str = "id_samaran"


def pseudonymise(ids: pd.Series, *, key: bytes) -> pd.Series:
    """Keyed-hash pseudonyms: the same ID and key always give the same 16 hex characters.

    Uses keyed BLAKE2b (a MAC): without the key, a pseudonym cannot be
    linked back to the ID by hashing candidate IDs. Each distinct ID is
    hashed once (one C call each).

    Raises
    ------
    PrivacyError
        If the key is shorter than 16 bytes.
    """
    import hashlib

    if len(key) < 16:
        raise PrivacyError("the pseudonym key must be at least 16 bytes; generate one with: openssl rand -hex 32")
    codes, uniques = pd.factorize(ids.astype("string").fillna(""))
    hashed = np.array(
        [hashlib.blake2b(u.encode(), key=key[:64], digest_size=8).hexdigest() for u in uniques], dtype=object
    )
    return pd.Series(hashed[codes] if len(hashed) else [], index=ids.index, dtype="string")


def household_layer(households: pd.DataFrame, *, key: bytes):
    """The restricted tier's household points: pseudonymous ID, location and status, no NIK/name/address.

    Only households placed by their GPS point are included (the others have
    no point). Programme flags (``penerima_*``) and member counts are kept.

    Returns
    -------
    GeoDataFrame
    """
    located = households[households[C.METODE_LOKASI] == "titik"]
    keep = [c for c in HOUSEHOLD_LAYER_COLUMNS if c in located.columns]
    keep += [c for c in located.columns if c.startswith((C.PENERIMA_PREFIX, "jumlah_")) and c not in keep]
    out = located[[*keep, "geometry"]].copy()
    out.insert(0, PSEUDONYM, pseudonymise(located[C.ID_KELUARGA], key=key))
    return out.reset_index(drop=True)


#: Environment variable holding the pseudonym key itself.
KEY_ENV: str = "KANTONG_KUNCI_SAMARAN"
#: Environment variable naming a file that holds the pseudonym key.
KEY_FILE_ENV: str = "KANTONG_KUNCI_SAMARAN_FILE"
#: Where the key is kept (and created) when neither variable is set: outside the repository.
DEFAULT_KEY_FILE: Path = Path("~/.config/kantong/kunci_samaran")


def pseudonym_key() -> bytes:
    """The secret key of the restricted tier's pseudonymous household IDs.

    Read from ``$KANTONG_KUNCI_SAMARAN``, else from the file named by
    ``$KANTONG_KUNCI_SAMARAN_FILE``, else from ``~/.config/kantong/kunci_samaran``,
    which is created (mode 0600, 32 random bytes as hex) on first use. The
    same key gives the same pseudonyms run after run; keep it out of the
    repository and out of shared folders.

    Raises
    ------
    PrivacyError
        If the key file lies inside this repository.
    """
    import secrets

    if os.environ.get(KEY_ENV):
        return os.environ[KEY_ENV].encode()
    path = Path(os.environ.get(KEY_FILE_ENV) or DEFAULT_KEY_FILE).expanduser().resolve()
    repository = Path(__file__).resolve().parents[2]  # pipeline/publish/privacy.py -> the checkout
    if path.is_relative_to(repository):
        raise PrivacyError(
            f"pseudonym key file {path} is inside the repository, where it could be committed; "
            f"move it elsewhere and set {KEY_FILE_ENV}"
        )
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        to_text(secrets.token_hex(32) + "\n", path, mode=0o600)
        logger.warning("created a new pseudonym key in %s; back it up with the restricted data", path)
    return path.read_text(encoding="utf-8").strip().encode()
