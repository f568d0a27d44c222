"""The synthetic generator: fake but structurally real, and deterministic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline import columns as C
from pipeline.demo.boundaries import synthetic_boundaries
from pipeline.demo.households import synthetic_households
from pipeline.ingest.headers import P3KE_HEADERS, header_mapping
from pipeline.ingest.validate import validate_households


@pytest.fixture(scope="module")
def city() -> tuple:
    boundaries = synthetic_boundaries(seed=3).rename(
        columns={"kode": C.KODE_KEL, "nama": C.NAMA_KEL, "kec_kode": C.KODE_KEC, "kec_nama": C.NAMA_KEC}
    )
    households = synthetic_households(boundaries, n=8000, seed=5, malformed_share=0.01)
    return boundaries, households


def test_city_looks_like_a_city(city: tuple) -> None:
    boundaries, _ = city
    assert len(boundaries) == 20 and boundaries.is_valid.all()
    assert boundaries[C.KODE_KEC].nunique() == 4
    assert boundaries[C.KODE_KEL].str.fullmatch(r"99\.71\.0[1-4]\.10\d\d").all()
    areas = boundaries.to_crs(boundaries.estimate_utm_crs()).area
    assert areas.max() / areas.min() > 1.5  # irregular, not a grid


def test_households_are_fake_valid_and_only_planted_errors_are_quarantined(city: tuple) -> None:
    _, households = city
    nik = households[P3KE_HEADERS[C.NIK]]
    assert nik.str.startswith("99").all()  # the fictional province: never a real person
    frame = households.rename(columns=header_mapping(list(households.columns)))
    frame[C.FILE_SUMBER], frame[C.BARIS_SUMBER] = "synth.csv", np.arange(len(frame)) + 2
    accepted, quarantine = validate_households(frame)
    planted = int(8000 * 0.01)
    assert len(quarantine) <= planted  # the planted data-entry errors, and nothing else
    reasons = set(";".join(quarantine[C.ALASAN]).split(";"))
    assert reasons <= {"nik_tidak_valid", "desil_tidak_valid", "koordinat_di_luar_indonesia", "id_ganda"}
    assert not accepted[C.NIK_BEDA_JK].any() and not accepted[C.NIK_BEDA_TGL].any()
    assert accepted[C.NIK].is_unique


def test_generation_is_deterministic(city: tuple) -> None:
    boundaries, households = city
    again = synthetic_households(boundaries, n=8000, seed=5, malformed_share=0.01)
    pd.testing.assert_frame_equal(households, again)
