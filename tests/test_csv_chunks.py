"""A CSV register read a block at a time gives the whole-file reader's rows, numbers and errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline import columns as C
from pipeline.errors import InputError
from pipeline.ingest.csv_chunks import read_csv_chunks
from pipeline.ingest.tables import MAX_LINE_BYTES, read_csv

HEADER = ["ID Keluarga P3KE", "NIK", "Kepala Keluarga", "Desil Kesejahteraan", "Kode Kemendagri", "Latitude"]


def register(rows: int, *, sep: str = ",", title: bool = False) -> str:
    """A register text of ``rows`` households: leading zeros, quoted separators, non-Latin names, decimal commas."""
    lines = ["DATA P3KE (SINTETIS)", "Kota Contoh", ""] if title else []
    lines.append(sep.join(HEADER))
    for i in range(rows):
        name = f'"Siti {i}{sep} Ñuñez"' if i % 7 == 0 else f"Budi {i}"
        lat = "-2.2" if sep == "," else "-2,2"
        lines.append(sep.join([f"P{i:05d}", f"99710101018{i:05d}", name, "007"[: 1 + i % 3], "9971011001", lat]))
    return "\n".join(lines) + "\n"


def chunks(path: Path, block_bytes: int = 2_000) -> list[pd.DataFrame]:
    return list(read_csv_chunks(path, block_bytes=block_bytes))


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        (register(400), "utf-8"),
        (register(400), "utf-8-sig"),
        (register(400, sep=";", title=True), "cp1252"),
        (register(400, sep="\t"), "utf-16"),
        (register(400, sep="|").replace("\n", "\r\n"), "utf-8"),
    ],
    ids=["utf8", "bom", "cp1252-title-semicolon", "utf16-tab", "crlf-pipe"],
)
def test_chunks_are_the_whole_file(tmp_path: Path, text: str, encoding: str) -> None:
    path = tmp_path / "register.csv"
    path.write_bytes(text.encode(encoding))
    parts = chunks(path)
    assert len(parts) > 3  # really read in blocks
    whole = read_csv(path)
    pd.testing.assert_frame_equal(pd.concat(parts, ignore_index=True), whole)
    first = 5 if "DATA P3KE" in text else 2
    assert whole[C.BARIS_SUMBER].iloc[0] == first and whole[C.BARIS_SUMBER].iloc[-1] == first + 399
    assert list(whole["Desil Kesejahteraan"].iloc[:3]) == ["0", "00", "007"]  # text, never numbers


def test_a_small_file_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "kecil.csv"
    path.write_text(register(3), encoding="utf-8")
    (only,) = chunks(path, block_bytes=1 << 20)
    pd.testing.assert_frame_equal(only, read_csv(path))


def test_the_whole_file_is_checked_before_any_row_is_given(tmp_path: Path) -> None:
    """A fault in the last block stops the file before its first block is used."""
    text = register(400)
    mixed = tmp_path / "campur.csv"
    mixed.write_bytes(text.encode("utf-8") + "P9,1,Andr\xe9,1,9971011001,-2\n".encode("cp1252"))
    with pytest.raises(InputError, match=r"line 402 is not UTF-8 while other lines are"):
        chunks(mixed)
    ansi = tmp_path / "ansi.csv"
    ansi.write_bytes(
        text.replace("Ñuñez", "Nunez").encode("utf-8") + "P9,1,Andr\xe9,1,9971011001,-2\n".encode("cp1252")
    )
    parts = chunks(ansi)
    assert pd.concat(parts)["Kepala Keluarga"].iloc[-1] == "Andr\xe9"  # the whole file is cp1252
    long = tmp_path / "panjang.csv"
    long.write_bytes(text.encode("utf-8") + b"P9," + b"x" * (MAX_LINE_BYTES + 10) + b"\n")
    with pytest.raises(InputError, match=r"line 402 is 1,048,589 bytes long with no line break"):
        chunks(long, block_bytes=1 << 18)


def test_a_ragged_row_in_a_later_block_gives_the_whole_file_error(tmp_path: Path) -> None:
    path = tmp_path / "rusak.csv"
    path.write_text(register(400) + "P9,1,Siti,1,9971011001,-2,lebih\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 402 has 7 values where the header has 6"):
        chunks(path)
    every = tmp_path / "koma.csv"  # decimal commas in a comma file: every row one value longer than the header
    every.write_text(register(5, sep=";").replace(";", ",").replace('"', ""), encoding="utf-8")
    with pytest.raises(InputError, match="line 2 has 8 values where the header has 6"):
        read_csv(every)
