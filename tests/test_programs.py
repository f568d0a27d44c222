"""Programme integration: rules, coverage by hand, the target list's properties,
fuzzy matching against injected typos, and formula-safe workbooks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import columns as C
from pipeline.analyse.eligibility import evaluate_rule
from pipeline.analyse.matching import match_beneficiaries
from pipeline.analyse.programmes import (
    ELIGIBLE_PREFIX,
    RECEIVED_PREFIX,
    coverage,
    overlap_in_excluding_areas,
    overlap_matrix,
    programme_flags,
    target_list,
)
from pipeline.errors import ConfigError
from pipeline.settings import Program

A = Program(code="a", name="A", opd="Dinas Sosial", funding="APBN", eligibility="desil <= 2")
B = Program(code="b", name="B", opd="Dinas Perkim", funding="APBD", eligibility='jenis_lantai in ["Tanah"]')
N = Program(code="n", name="N", opd="Dinkes", funding="APBD", eligibility="")  # no register criterion


def small_table() -> pd.DataFrame:
    # id  kel desil floor   gets     eligible
    # 1   k1  1     Tanah   a        a, b
    # 2   k1  2     Keramik -        a          (excluded from everything)
    # 3   k1  5     Tanah   a, b     b          (a: inclusion error)
    # 4   k2  1     Tanah   b, n     a, b
    # 5   k2  7     Keramik a        -          (inclusion)
    return pd.DataFrame(
        {
            C.ID_KELUARGA: ["1", "2", "3", "4", "5"],
            C.KODE_KEL: ["k1", "k1", "k1", "k2", "k2"],
            C.DESIL: pd.array([1, 2, 5, 1, 7], dtype="Int64"),
            C.JENIS_LANTAI: ["Tanah", "Keramik", "tanah", "Tanah", "Keramik"],
            "penerima_a": [1, 0, 1, 0, 1],
            "penerima_b": [0, 0, 1, 1, 0],
            "penerima_n": [0, 0, 0, 1, 0],
            C.MISKIN_EKSTREM: [True, False, False, True, False],
            C.MISKIN: [True, True, False, True, False],
        }
    )


def test_coverage_exclusion_inclusion_and_overlap_by_hand() -> None:
    households = small_table()
    flags, assessed = programme_flags(households, (A, B, N))
    assert assessed == {"a": True, "b": True, "n": False}
    table = coverage(households, flags, (A, B, N), assessed).set_index([C.KODE_KEL, "program"])
    # a in k1: eligible {1,2}, reached {1,3}: eligible reached 1, coverage 50 %,
    # excluded from a: {2}; excluded from everything: {2}; inclusion: {3}
    a1 = table.loc[("k1", "a")]
    assert [a1[c] for c in ("kk_layak", "kk_layak_terima", "kk_eksklusi", "kk_eksklusi_total", "kk_inklusi")] == [
        2,
        1,
        1,
        1,
        1,
    ]
    assert a1["persen_cakupan"] == pytest.approx(50.0)
    # a in k2: eligible {4}, reached {5}: coverage 0 %, excluded from a {4} (but 4 gets b, n), inclusion {5}
    a2 = table.loc[("k2", "a")]
    assert [a2["kk_layak"], a2["kk_layak_terima"], a2["kk_eksklusi"], a2["kk_eksklusi_total"], a2["kk_inklusi"]] == [
        1,
        0,
        1,
        0,
        1,
    ]
    # b in k1: eligible {1,3}, reached {3}: 50 %
    assert table.loc[("k1", "b"), "persen_cakupan"] == pytest.approx(50.0)
    # n has no rule: recipients counted, eligibility unknown
    assert table.loc[("k2", "n"), "kk_penerima"] == 1 and pd.isna(table.loc[("k2", "n"), "kk_layak"])
    matrix = overlap_matrix(flags, (A, B, N))
    assert matrix.loc["a", "a"] == 3 and matrix.loc["a", "b"] == 1 and matrix.loc["b", "n"] == 1
    assert (matrix.to_numpy() == matrix.to_numpy().T).all()
    crowded = overlap_in_excluding_areas(households, flags, (A, B, N), n=2).set_index(C.KODE_KEL)
    # k1: household 3 gets 2 programmes while household 2 (eligible for a) gets none
    assert crowded.loc["k1", "kk_terima_banyak"] == 1 and crowded.loc["k1", "kk_layak_tanpa_program"] == 1
    assert bool(crowded.loc["k1", "tumpang_tindih_dan_eksklusi"])
    assert not bool(crowded.loc["k2", "tumpang_tindih_dan_eksklusi"])


def test_target_list_by_hand() -> None:
    households = small_table()
    flags, _ = programme_flags(households, (A, B))
    a_one = Program(code="a", name="A", opd="Dinas Sosial", funding="APBN", eligibility="desil <= 2", quota=1)
    targets, report = target_list(households, flags, (a_one, B))
    # candidates: a -> {2, 4}; b -> {1}. Order: extreme poor first (1, 4), then the rest.
    # a's single place goes to 4 (extreme); 2 is left over (quota ran out); b goes to 1.
    listed = targets.set_index(C.ID_KELUARGA)
    assert listed.loc["4", "program_diberikan"] == "a"
    assert listed.loc["1", "program_diberikan"] == "b"
    assert listed.loc["2", "program_diberikan"] == "" and listed.loc["2", "program_layak_belum"] == "a"
    assert list(targets[C.ID_KELUARGA])[:2] == ["1", "4"]
    assert report.set_index("program").loc["a", "tidak_kebagian"] == 1
    assert listed.loc["4", "jalur_pendanaan"] == "kriteria_kemensos"


@st.composite
def registers(draw):
    n = draw(st.integers(1, 40))
    households = pd.DataFrame(
        {
            C.ID_KELUARGA: [f"h{i}" for i in range(n)],
            C.KODE_KEL: draw(st.lists(st.sampled_from(["k1", "k2", "k3"]), min_size=n, max_size=n)),
            C.DESIL: pd.array(draw(st.lists(st.integers(1, 10), min_size=n, max_size=n)), dtype="Int64"),
            C.JENIS_LANTAI: draw(st.lists(st.sampled_from(["Tanah", "Keramik"]), min_size=n, max_size=n)),
            C.DISABILITAS: draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)),
        }
    )
    households[C.MISKIN_EKSTREM] = households[C.DESIL] <= 1
    households[C.MISKIN] = households[C.DESIL] <= 4
    programs = []
    for code, rule in (("a", "desil <= 3"), ("b", 'jenis_lantai in ["Tanah"]'), ("c", "disabilitas == 1")):
        households[f"penerima_{code}"] = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
        quota = draw(st.one_of(st.none(), st.integers(0, 10)))
        programs.append(Program(code=code, name=code, opd="X", funding="APBD", eligibility=rule, quota=quota))
    return households, tuple(programs)


@given(registers())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_target_list_properties(case) -> None:
    households, programs = case
    flags, _ = programme_flags(households, programs)
    targets, report = target_list(households, flags, programs)
    by_id = households.set_index(C.ID_KELUARGA)
    flag_by_id = flags.set_index(households[C.ID_KELUARGA])
    for row in targets.itertuples():
        for code in filter(None, row.program_diberikan.split(",")):
            assert flag_by_id.loc[row.id_keluarga, ELIGIBLE_PREFIX + code]  # eligible
            assert not flag_by_id.loc[row.id_keluarga, RECEIVED_PREFIX + code]  # not already receiving
        given_codes = row.program_diberikan.split(",")
        assert len(given_codes) == len(set(given_codes))  # never twice
    for program in programs:
        given_count = targets["program_diberikan"].str.split(",").map(lambda c, p=program.code: p in c).sum()
        if program.quota is not None:
            assert given_count <= program.quota
        assert report.set_index("program").loc[program.code, "diberikan"] == given_count
    # every extreme-poor household with no programme is listed; if it got nothing, the reason is given
    receives = flags[[RECEIVED_PREFIX + p.code for p in programs]].any(axis=1).to_numpy()
    for household_id in households.loc[households[C.MISKIN_EKSTREM].to_numpy() & ~receives, C.ID_KELUARGA]:
        assert household_id in set(targets[C.ID_KELUARGA])
        row = targets.set_index(C.ID_KELUARGA).loc[household_id]
        if row["program_diberikan"] == "":
            assert row["catatan"] in ("kuota_habis", "tidak_ada_program_layak")
            if row["catatan"] == "kuota_habis":
                stuck = row["program_layak_belum"].split(",")
                assert all(report.set_index("program").loc[c, "tidak_kebagian"] > 0 for c in stuck)
    assert targets["peringkat"].tolist() == list(range(1, len(targets) + 1))
    assert not by_id.index.duplicated().any()


def test_rules_refuse_code_and_unknown_fields() -> None:
    frame = small_table()
    assert evaluate_rule(frame, "desil <= 2 and not miskin_ekstrem").tolist() == [False, True, False, False, False]
    for bad in ('__import__("os").system("x")', "desil.real > 1", "[x for x in y]", "lambda: 1"):
        with pytest.raises(ConfigError, match="not allowed"):
            evaluate_rule(frame, bad)
    with pytest.raises(ConfigError, match="does not have"):
        evaluate_rule(frame, "pendapatan < 100")


def synthetic_register(n: int, seed: int) -> pd.DataFrame:
    from pipeline.demo.households import FAMILY_NAMES, FIRST_NAMES_F, FIRST_NAMES_M

    rng = np.random.default_rng(seed)
    names = pd.Series(rng.choice(FIRST_NAMES_M + FIRST_NAMES_F, size=n)) + " " + rng.choice(FAMILY_NAMES, size=n)
    births = pd.Timestamp("1950-01-01") + pd.to_timedelta(rng.integers(0, 20_000, size=n), unit="D")
    return pd.DataFrame(
        {
            C.ID_KELUARGA: [f"K{i:06d}" for i in range(n)],
            C.NIK: [f"99710{rng.integers(10**10, 10**11 - 1)}" for _ in range(n)],
            C.NO_KK: [f"99711{rng.integers(10**10, 10**11 - 1)}" for _ in range(n)],
            C.NAMA_KK: names,
            C.TANGGAL_LAHIR: births.strftime("%Y-%m-%d"),
            C.KODE_KEL: rng.choice([f"99.71.01.100{i}" for i in range(1, 6)], size=n),
        }
    )


def with_typos(register: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    """A beneficiary list of 600 real households (with typos) and 60 people not in the register."""
    rng = np.random.default_rng(seed)
    real = register.sample(600, random_state=seed).reset_index(drop=True)
    rows = pd.DataFrame(
        {
            "nik": real[C.NIK],
            "no_kk": "",
            "nama": real[C.NAMA_KK],
            "tanggal_lahir": pd.to_datetime(real[C.TANGGAL_LAHIR]).dt.strftime("%d/%m/%Y"),  # typed as in Excel
            "kode_kel": real[C.KODE_KEL],
            "program": "rtlh",
        }
    )
    kind = rng.choice(
        ["ok", "swap", "title", "nik1", "nonik", "kk"], size=len(rows), p=[0.2, 0.2, 0.15, 0.2, 0.15, 0.1]
    )

    def swap(name: str) -> str:
        i = int(rng.integers(0, max(1, len(name) - 2)))
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :] if len(name) > 3 else name

    swapped = kind == "swap"
    rows.loc[swapped, "nama"] = rows.loc[swapped, "nama"].map(swap)
    rows.loc[swapped, "nik"] = ""
    titled = kind == "title"
    rows.loc[titled, "nama"] = "Hj. " + rows.loc[titled, "nama"].str.upper()
    rows.loc[titled, "nik"] = ""
    wrong = kind == "nik1"
    rows.loc[wrong, "nik"] = rows.loc[wrong, "nik"].map(lambda s: s[:7] + str((int(s[7]) + 1) % 10) + s[8:])
    rows.loc[kind == "nonik", "nik"] = ""
    use_kk = kind == "kk"
    rows.loc[use_kk, "nik"] = ""
    rows.loc[use_kk, "no_kk"] = real.loc[use_kk, C.NO_KK]
    truth = real[C.ID_KELUARGA].copy()
    strangers = synthetic_register(60, seed + 99).assign(program="rtlh")
    strangers = pd.DataFrame(
        {
            "nik": strangers[C.NIK].str[:6] + "000" + strangers[C.NIK].str[9:],
            "nama": strangers[C.NAMA_KK],
            "tanggal_lahir": strangers[C.TANGGAL_LAHIR],
            "kode_kel": strangers[C.KODE_KEL],
            "program": "rtlh",
        }
    )
    return pd.concat([rows, strangers], ignore_index=True), pd.concat(
        [truth, pd.Series([None] * len(strangers))], ignore_index=True
    )


def test_fuzzy_matching_recall_and_precision_on_injected_typos() -> None:
    register = synthetic_register(20_000, seed=5)
    listed, truth = with_typos(register, seed=6)
    matched, unmatched = match_beneficiaries(listed, register)
    assert len(matched) + len(unmatched) == len(listed)  # nothing dropped
    found = matched[C.ID_KELUARGA].astype(object)
    expected = truth.loc[matched.index]
    correct = int((found.to_numpy() == expected.to_numpy()).sum())
    recall = correct / int(truth.notna().sum())
    precision = correct / len(matched)
    assert recall >= 0.95, f"recall {recall:.3f}"
    assert precision >= 0.99, f"precision {precision:.3f}"
    assert set(matched["metode"]) >= {"nik", "no_kk", "nik_mirip", "nama_tgl_kel"}
    assert matched["skor"].between(0, 100).all()
    assert (unmatched["alasan"] == "tidak_cocok").all()


def test_workbook_cells_never_become_formulas(tmp_path) -> None:
    from openpyxl import load_workbook

    from pipeline.publish.write import to_workbook

    evil = ['=HYPERLINK("http://x","klik")', "+62 812", "-1+2", "@SUM(A1:A2)", "Siti Aminah"]
    frame = pd.DataFrame({"nama_kk": evil, "nik": ["9971010101010001"] * 5, "peringkat": [1, 2, 3, 4, 5]})
    path = to_workbook({"sasaran": frame}, tmp_path / "opd.xlsx", mode=0o600)
    sheet = load_workbook(path)["sasaran"]
    values = [sheet.cell(row=i, column=1) for i in range(2, 7)]
    assert [c.value for c in values] == evil
    assert all(c.data_type == "s" for c in values)  # text cells, not formulas ("f")
    assert sheet.cell(row=2, column=2).value == "9971010101010001"  # a NIK stays text, all 16 digits
    assert sheet.cell(row=2, column=3).value == 1
    assert (path.stat().st_mode & 0o777) == 0o600


def test_catalogue_rules_follow_the_regions_poverty_rule(tmp_path) -> None:
    from pipeline.analyse.indicators import classify_poverty
    from pipeline.config import _programs, program_catalogue
    from pipeline.settings import PovertyRule

    # BPNT is for "the poor": with poor = desil <= 2, deciles 3 and 4 are not eligible any more
    assert program_catalogue()["bpnt"]["eligibility"] == "miskin == 1"
    (bpnt, blt) = _programs([{"code": "bpnt"}, {"code": "blt_dd"}], "test")
    households = pd.DataFrame({C.DESIL: [1, 2, 3, 4, 5]})
    for rule, poor, extreme in (
        (PovertyRule(poor_max_decile=2, extreme_max_decile=1), [1, 1, 0, 0, 0], [1, 0, 0, 0, 0]),
        (PovertyRule(poor_max_decile=4, extreme_max_decile=2), [1, 1, 1, 1, 0], [1, 1, 0, 0, 0]),
    ):
        classified = classify_poverty(households, rule=rule)
        assert evaluate_rule(classified, bpnt.eligibility).astype(int).tolist() == poor
        assert evaluate_rule(classified, blt.eligibility).astype(int).tolist() == extreme
        # eligible never exceeds the poor the region counts
        assert evaluate_rule(classified, bpnt.eligibility).sum() == classified[C.MISKIN].sum()


def test_join_codes_equals_joining_row_by_row() -> None:
    from pipeline.analyse.programmes import join_codes

    rng = np.random.default_rng(5)
    codes = [f"p{i}" for i in range(11)]  # more than 8: two bytes per packed row
    matrix = rng.random((2_000, 11)) < 0.2
    expected = [",".join(c for c, on in zip(codes, row, strict=True) if on) for row in matrix]
    assert join_codes(matrix, codes).tolist() == expected
    assert join_codes(np.array([[True, False, True], [False, False, False]]), ["pkh", "bpnt", "pip"]).tolist() == [
        "pkh,pip",
        "",
    ]
    assert join_codes(np.zeros((3, 0), dtype=bool), []).tolist() == ["", "", ""]
    many = [f"q{i}" for i in range(70)]  # beyond one 64-bit key per row
    wide = rng.random((300, 70)) < 0.1
    assert join_codes(wide, many).tolist() == [",".join(np.asarray(many)[row]) for row in wide]
