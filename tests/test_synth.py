"""The synthetic generator: fake but structurally real, and deterministic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline import columns as C
from pipeline.demo.boundaries import DEMO_REGION_CODE, synthetic_boundaries
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


def test_a_register_drawn_in_chunks_shares_its_city_and_stays_unique(city: tuple) -> None:
    """20,000 households in chunks of 8,000: the first chunk is the 8,000-household register itself,
    the later chunks live in the same settlements with the same planted pockets, and IDs and NIKs
    stay unique across chunks (apart from the planted errors)."""
    boundaries, households = city
    whole = synthetic_households(boundaries, n=20_000, seed=5, malformed_share=0.01, chunk=8_000)
    assert len(whole) == 20_000
    pd.testing.assert_frame_equal(whole.iloc[:8_000], households)
    ids = whole[P3KE_HEADERS[C.ID_KELUARGA]]
    assert ids.duplicated().sum() <= 3 * int(8_000 * 0.01 / 4) + 3  # only the planted duplicated IDs
    assert ids.iloc[-1] == f"P{DEMO_REGION_CODE.replace('.', '')}00020000"
    frame = whole.rename(columns=header_mapping(list(whole.columns)))
    frame[C.FILE_SUMBER], frame[C.BARIS_SUMBER] = "synth.csv", np.arange(len(frame)) + 2
    accepted, quarantine = validate_households(frame)
    assert accepted[C.NIK].is_unique and len(quarantine) <= int(20_000 * 0.01) + 3
    # the same pockets: poor shares per kelurahan of the first chunk and of the rest agree
    poor = pd.to_numeric(whole[P3KE_HEADERS[C.DESIL]], errors="coerce") <= 4
    kelurahan = whole[P3KE_HEADERS[C.KODE_KEL]]
    first, rest = (poor[part].groupby(kelurahan[part]).mean() for part in (whole.index < 8_000, whole.index >= 8_000))
    assert np.corrcoef(*first.align(rest, join="inner"))[0, 1] > 0.8
    with pytest.raises(ValueError, match="chunk must be at least 1"):
        synthetic_households(boundaries, n=10, chunk=0)


def test_kantong_synth_writes_a_chunked_register_whole(tmp_path, monkeypatch) -> None:
    """The synth command writes each chunk's households, members and snapshot rows to one file each."""
    from pipeline.config import load_config
    from pipeline.demo import households as generator
    from pipeline.demo.inputs import write_synthetic_inputs
    from tests.conftest import write_region

    monkeypatch.setattr(generator, "SYNTH_CHUNK", 1_000)
    config = load_config(write_region(tmp_path, households=2_500))
    write_synthetic_inputs(config)
    register = pd.read_csv(config.households.paths[0], dtype=str)
    members = pd.read_csv(config.households.paths[1], dtype=str)
    snapshot = pd.read_csv(config.progress.snapshots[0].paths[0], dtype=str)
    assert len(register) == 2_500 and register[P3KE_HEADERS[C.ID_KELUARGA]].nunique() >= 2_500 - 12
    assert set(members["ID Keluarga"]) == set(register[P3KE_HEADERS[C.ID_KELUARGA]])
    assert 0.95 * 2_500 < len(snapshot) < 1.0 * 2_500  # 3 % new since, 2 % removed, in every chunk
    assert (register[P3KE_HEADERS[C.ID_KELUARGA]] != P3KE_HEADERS[C.ID_KELUARGA]).all()  # one header line
