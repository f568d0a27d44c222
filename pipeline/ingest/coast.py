"""The sea, built from OpenStreetMap coastline ways inside a box.

OSM draws every coastline way with the land on its left and the water on
its right. The box is cut into faces by the coastline pieces inside it;
each face then collects votes from the coastline segments on its edge: a
point just right of a segment votes "sea" for the face it falls in, a point
just left votes "land". A face is sea when its sea votes outnumber its land
votes. This needs no closed coastline: a box cut once by a shore splits into
a land half and a sea half.
"""

from __future__ import annotations

import numpy as np
import shapely

#: How far beside a segment the votes are cast, in degrees (about 1 cm).
_NUDGE: float = 1e-7


def sea_polygons(coastline: np.ndarray, box: shapely.Polygon) -> shapely.MultiPolygon | None:
    """The sea inside ``box``, from coastline lines (EPSG:4326), or None without a shore in it.

    Parameters
    ----------
    coastline
        Coastline linestrings, oriented as in OSM (land on the left).
    box
        The area to cover (the region's box with its margin).

    Returns
    -------
    shapely.MultiPolygon or None
        The faces of ``box`` on the water side of the coastline.
    """
    lines = shapely.intersection(np.asarray(coastline, dtype=object), box)
    lines = shapely.get_parts(shapely.line_merge(shapely.union_all(lines))) if len(lines) else np.array([])
    lines = lines[shapely.get_type_id(lines) == shapely.GeometryType.LINESTRING] if len(lines) else lines
    if not len(lines):
        return None
    # the votes come from the original ways: union/merge may reverse a line, the ways keep OSM's direction
    xy, index = shapely.get_coordinates(np.asarray(coastline, dtype=object), return_index=True)
    same = index[1:] == index[:-1]
    a, b = xy[:-1][same], xy[1:][same]
    middle = (a + b) / 2
    direction = b - a
    length = np.hypot(direction[:, 0], direction[:, 1])
    keep = (length > 0) & shapely.contains_xy(box, middle[:, 0], middle[:, 1])
    middle, direction, length = middle[keep], direction[keep], length[keep]
    right = np.column_stack([direction[:, 1], -direction[:, 0]]) / length[:, None] * _NUDGE
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union_all([box.boundary, *lines]))))
    if not len(faces) or not len(middle):
        return None
    tree = shapely.STRtree(faces)
    votes = np.zeros(len(faces))
    for sign, offset in ((1, right), (-1, -right)):
        points = shapely.points(middle + offset)
        hit_point, hit_face = tree.query(points, predicate="within")
        np.add.at(votes, hit_face, sign * np.ones(len(hit_point)))
    sea = faces[votes > 0]
    return shapely.MultiPolygon(list(shapely.get_parts(shapely.union_all(sea)))) if len(sea) else None
