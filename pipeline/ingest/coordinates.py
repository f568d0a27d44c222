"""Register coordinates: one coordinate column split into two, and registers that lack coordinates.

A register without usable coordinates still builds a map, but without the
pockets below the kelurahan (they need GPS points), and nothing else says
so. :func:`coordinate_shortfalls` finds the register files (and sheets)
where too few accepted rows have a point, so that the run warns on the
console, in the validation report and in the map's panel.
"""

from __future__ import annotations

import logging

import pandas as pd

from .. import columns as C
from ..settings import HouseholdSource
from ..text import column_text, split_coordinates

logger = logging.getLogger(__name__)

#: Below this share of accepted rows with a GPS point, a register file is reported (``[households] min_located_share``).
DEFAULT_MIN_LOCATED_SHARE: float = HouseholdSource.min_located_share


def coordinates_from_one_column(frame: pd.DataFrame) -> pd.DataFrame:
    """``lat``/``lon`` from a ``koordinat`` column when the register has no pair of columns.

    A ``koordinat`` column in which no cell starts with two numbers is not a
    coordinate column (a header such as "Sumber Koordinat"): it is left alone,
    with a warning, rather than quarantining every row.
    """
    if C.KOORDINAT not in frame.columns or (C.LAT in frame.columns and C.LON in frame.columns):
        return frame
    lat, lon = split_coordinates(frame[C.KOORDINAT])
    if not (lon != "").any():
        if column_text(frame, C.KOORDINAT).ne("").any():
            logger.warning("the column read as coordinates holds no 'lat, lon' pair in any row; it is ignored")
        return frame
    return frame.assign(**{C.LAT: lat, C.LON: lon})


def coordinate_shortfalls(by_file: pd.DataFrame, *, min_share: float = DEFAULT_MIN_LOCATED_SHARE) -> pd.DataFrame:
    """The register files (and sheets) whose accepted rows too seldom have a GPS point.

    Parameters
    ----------
    by_file
        :func:`pipeline.ingest.validate.validation_by_file`, with ``baris_berkoordinat``.
    min_share
        The smallest share (0-1) of accepted rows with a point that passes.

    Returns
    -------
    DataFrame
        ``file_sumber``, ``lembar_sumber``, ``baris_diterima``,
        ``baris_berkoordinat`` and ``persen_berkoordinat``, one row per file
        below ``min_share`` (files with no accepted row are not judged).
    """
    columns = [C.FILE_SUMBER, C.LEMBAR_SUMBER, "baris_diterima", "baris_berkoordinat", C.PERSEN_BERKOORDINAT]
    if by_file.empty or "baris_berkoordinat" not in by_file:
        return pd.DataFrame(columns=columns)
    judged = by_file[by_file["baris_diterima"] > 0]
    share = judged["baris_berkoordinat"] / judged["baris_diterima"]
    short = judged.loc[share < min_share].assign(**{C.PERSEN_BERKOORDINAT: 100 * share[share < min_share]})
    for row in short.itertuples(index=False):
        sheet = f" [{row.lembar_sumber}]" if row.lembar_sumber else ""
        logger.warning(
            "%s%s: only %d of %d accepted rows (%.0f %%) have coordinates, below %.0f %%: pockets use located "
            "households only. Check the file's coordinate headers, or name them in [households.columns] lat/lon",
            row.file_sumber,
            sheet,
            row.baris_berkoordinat,
            row.baris_diterima,
            100 * row.baris_berkoordinat / row.baris_diterima,
            100 * min_share,
        )
    return short[columns].reset_index(drop=True)


def shortfall_texts(shortfalls: pd.DataFrame, *, min_share: float = DEFAULT_MIN_LOCATED_SHARE) -> list[str]:
    """One Indonesian sentence per file of :func:`coordinate_shortfalls`, for the report and the map."""
    texts = []
    for row in shortfalls.itertuples(index=False):
        sheet = f" (lembar {row.lembar_sumber})" if row.lembar_sumber else ""
        share = f"{row.persen_berkoordinat:.0f}".replace(".", ",")
        texts.append(
            f"Koordinat kurang: hanya {share} % KK dari {row.file_sumber}{sheet} yang punya titik GPS "
            f"({row.baris_berkoordinat} dari {row.baris_diterima}; batas {100 * min_share:.0f} %). Kantong "
            "kemiskinan (sel H3) hanya dihitung dari KK bertitik. Periksa kolom koordinat di file, atau "
            "petakan di [households.columns] lat dan lon."
        )
    return texts
