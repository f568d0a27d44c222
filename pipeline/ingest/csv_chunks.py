"""Read a CSV register larger than memory a block at a time, with the checks of the whole-file reader.

:func:`~.tables.read_csv` reads a file whole, which a province register of
10 million rows (3 GB) does not allow. :func:`read_csv_chunks` gives the
same rows, with the same row numbers, as consecutive tables. The bytes are
checked first in one streaming pass, by :func:`~.tables.scan_csv` as for
:func:`~.tables.read_csv`: no ZIP or binary data, no line over
:data:`~.tables.MAX_LINE_BYTES`, and UTF-8 unless the whole file is cp1252
(a file mixing both is refused). The rows are then
parsed by Arrow's streaming CSV reader, every value as text.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from pyarrow import csv as arrow_csv

from .. import columns as C
from .tables import CSV_BLOCK_BYTES, check_csv_start, csv_layout, read_csv, scan_csv_once

logger = logging.getLogger(__name__)


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
    encoding = scan_csv_once(path.resolve(), stat.st_size, stat.st_mtime_ns, block_bytes, check_csv_start(head, path))
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
