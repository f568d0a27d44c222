"""Read a CSV register larger than memory a block at a time, with the checks of the whole-file reader.

:func:`~.tables.read_csv` reads a file whole, which a province register of
10 million rows (3 GB) does not allow. :func:`read_csv_chunks` gives the
same rows, with the same row numbers, as consecutive tables. The bytes are
checked first in one streaming pass, by the same rules: no ZIP or binary
data, no line over :data:`~.tables.MAX_LINE_BYTES`, and UTF-8 unless the
whole file is cp1252 (a file mixing both is refused). The rows are then
parsed by Arrow's streaming CSV reader, every value as text.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from pyarrow import csv as arrow_csv

from .. import columns as C
from .tables import _NON_ASCII_TEXT, check_csv_start, csv_layout, longest_line, not_utf8, read_csv, refuse_long_line

logger = logging.getLogger(__name__)

#: Bytes of a CSV register parsed at a time (about 200,000 register rows); smaller files are read whole.
CSV_BLOCK_BYTES: int = 64 << 20


def _encoding(path: Path, *, block_bytes: int, utf16: bool) -> str:
    """Check every line of the file, a block of whole lines at a time; its encoding.

    Raises
    ------
    InputError
        For a line over the length limit or a file that mixes encodings.
    """
    if utf16:
        encoding = "utf-16"
    line_base, worst, bad_line, text_seen = 0, (0, 0), None, False
    carry = b""
    with path.open("rb") as handle:
        while True:
            block = handle.read(block_bytes)
            data = carry + block
            cut = data.rfind(b"\n") + 1 if block else len(data)
            if not data:
                break
            if cut == 0:  # no line break in a whole block: that line alone is longer than a register row
                refuse_long_line(path, line_base + 1, len(data), utf16=utf16)
                carry = data
                continue
            piece, carry = data[:cut], data[cut:]
            at, length = longest_line(piece)
            worst = max(worst, (length, -(line_base + at + 1)))
            if not utf16 and not piece.isascii():  # ASCII is UTF-8 and cp1252 alike
                try:
                    piece.decode("utf-8")
                    text_seen = True  # non-ASCII, and valid UTF-8
                except UnicodeDecodeError as exc:
                    bad_line = bad_line or line_base + piece.count(b"\n", 0, exc.start) + 1
                    text = piece.decode("utf-8", errors="replace")
                    text_seen = text_seen or bool(_NON_ASCII_TEXT.search(text))
            line_base += piece.count(b"\n")
            if not block:
                break
    refuse_long_line(path, -worst[1], worst[0], utf16=utf16)
    if utf16:
        return encoding
    return "utf-8-sig" if bad_line is None else not_utf8(path, bad_line, text_elsewhere=text_seen)


@functools.lru_cache(maxsize=16)
def _checked_encoding(path: Path, size: int, modified: int, block_bytes: int, utf16: bool) -> str:
    """:func:`_encoding`, once per file version: a second reading of the same file (a split's second pass) skips it.

    ``size`` and ``modified`` (ns) are part of the key, so a file changed in between is checked again;
    a warning (cp1252) is logged by the first reading only.
    """
    return _encoding(path, block_bytes=block_bytes, utf16=utf16)


def read_csv_chunks(path: Path, *, block_bytes: int = CSV_BLOCK_BYTES) -> Iterator[pd.DataFrame]:
    """The rows of a CSV register as :func:`~.tables.read_csv` gives them, a block at a time.

    Parameters
    ----------
    path : Path
        A CSV file; one of ``block_bytes`` or less is read whole.
    block_bytes : int
        Bytes parsed at a time.

    Yields
    ------
    DataFrame
        Consecutive rows, every value as text, with ``baris_sumber`` (the
        file's line number) continuing from one table to the next.

    Raises
    ------
    InputError
        As :func:`~.tables.read_csv`, before any row is given.
    """
    if path.stat().st_size <= block_bytes:
        yield read_csv(path)
        return
    with path.open("rb") as handle:
        head = handle.read(65_536)
    stat = path.stat()
    encoding = _checked_encoding(
        path.resolve(), stat.st_size, stat.st_mtime_ns, block_bytes, check_csv_start(head, path)
    )
    delimiter, skip, header = csv_layout(head, encoding, path)
    reader_options = arrow_csv.ReadOptions(
        skip_rows=skip,
        block_size=block_bytes,
        encoding="utf8" if encoding == "utf-8-sig" else encoding,  # Arrow skips a UTF-8 BOM itself
    )
    convert = arrow_csv.ConvertOptions(
        column_types={name: pa.string() for name in header},  # every value as text: codes keep their zeros
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
        null_values=[],
    )
    done = 0
    try:
        reader = arrow_csv.open_csv(
            path,
            read_options=reader_options,
            parse_options=arrow_csv.ParseOptions(delimiter=delimiter),
            convert_options=convert,
        )
        for batch in reader:
            frame = batch.to_pandas()
            frame[C.BARIS_SUMBER] = np.arange(done, done + len(frame)) + 2 + skip
            done += len(frame)
            yield frame
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:  # a row the streaming parser cannot take
        logger.debug("%s: streaming CSV reader failed (%s); reading the file whole", path.name, exc)
        yield read_csv(path).iloc[done:]  # its own clear error, or the rows not yet given
