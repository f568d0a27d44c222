from __future__ import annotations

import pandas as pd
import pytest

from pipeline import columns as C
from pipeline.errors import PrivacyError
from pipeline.publish.privacy import check_public, check_public_text, suppress_small_counts


def test_small_counts_and_their_rates_are_hidden() -> None:
    frame = pd.DataFrame(
        {
            C.JUMLAH_KK: [100, 3, 50],
            C.KK_MISKIN: [40, 2, 0],
            C.KK_MISKIN_EKSTREM: [4, 1, 0],
            C.PERSEN_MISKIN: [40.0, 66.7, 0.0],
            C.PERSEN_MISKIN_EKSTREM: [4.0, 33.3, 0.0],
        }
    )
    out = suppress_small_counts(frame, k=5, counts=[C.JUMLAH_KK, C.KK_MISKIN, C.KK_MISKIN_EKSTREM])
    # row 0: only the extreme count (4 < 5) and its rate are hidden
    assert out.loc[0, C.KK_MISKIN] == 40 and pd.isna(out.loc[0, C.KK_MISKIN_EKSTREM])
    assert out.loc[0, C.PERSEN_MISKIN] == 40.0 and pd.isna(out.loc[0, C.PERSEN_MISKIN_EKSTREM])
    assert out.loc[0, C.DISEMBUNYIKAN] == f"{C.KK_MISKIN_EKSTREM},{C.PERSEN_MISKIN_EKSTREM}"
    # row 1: fewer than k households in the kelurahan: nothing is published
    assert out.loc[1, [C.JUMLAH_KK, C.KK_MISKIN, C.KK_MISKIN_EKSTREM, C.PERSEN_MISKIN]].isna().all()
    # row 2: zeros are published
    assert out.loc[2, C.KK_MISKIN] == 0 and out.loc[2, C.DISEMBUNYIKAN] == ""
    assert frame.loc[0, C.KK_MISKIN_EKSTREM] == 4  # the input is not mutated


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({C.NIK: ["9971010101900001"]}), "personal columns"),
        (pd.DataFrame({C.LAT: [-2.2]}), "personal columns"),
        (pd.DataFrame({"catatan": ["lihat 9971010101900001"]}), "16-digit"),
    ],
    ids=["nik-column", "coordinate-column", "nik-in-text"],
)
def test_personal_data_is_refused(frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(PrivacyError, match=message):
        check_public(frame, what="uji")


def test_text_check_finds_nik_and_names_but_not_coordinates() -> None:
    check_public_text('{"coordinates": [118.3000100000000012345, -2.2]}', what="peta")
    with pytest.raises(PrivacyError, match="16-digit"):
        check_public_text("NIK 9971010101900001", what="peta")
    with pytest.raises(PrivacyError, match="household name"):
        check_public_text("<td>Kelurahan: BUDI  santoso</td>", what="peta", forbidden=("Budi Santoso",))
    check_public_text("<td>Tanjung Harapan</td>", what="peta", forbidden=("Harapan",))  # one word: skipped
