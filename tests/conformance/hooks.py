"""Schemathesis hooks for Bourg's OGC API: what a valid value of two parameters looks like, where
OpenAPI 3.0 cannot say it.

- `filter` is declared `format: cql2-text`. A string schema cannot hold the CQL2 grammar, so the
  format's generator below writes valid CQL2 text from the queryable every collection has
  (`geometry`), literals, `AND`, `OR`, `NOT` and parentheses, or the empty filter. Schema-invalid
  filters (negative cases) are left to schemathesis.
- `bbox` is OGC's fragment: 4 or 6 numbers. Its corners must also be in order and, in CRS84 and
  EPSG:4326, within the longitude and latitude ranges, which an OpenAPI 3.0 array cannot say
  item by item. In positive cases only, `before_call` folds the drawn numbers into a valid box of
  the request's `bbox-crs` (the server answers any other with a documented 400).
"""

import math

import schemathesis
from hypothesis import strategies as st

# Coordinates valid in every CRS of the API (degrees in CRS84 and EPSG:4326, metres near the
# origin in EPSG:2154), with few decimals.
coordinate = st.integers(-90_0000, 90_0000).map(lambda v: v / 10_000)


def _envelope(values):
    a, b, c, d = values
    return min(a, c), min(b, d), max(a, c), max(b, d)


envelope = st.tuples(coordinate, coordinate, coordinate, coordinate).map(_envelope)


def _number(v):
    return f"{v:g}"


geometry = st.one_of(
    st.tuples(coordinate, coordinate).map(lambda p: f"POINT({_number(p[0])} {_number(p[1])})"),
    envelope.map(lambda e: "BBOX({})".format(",".join(_number(v) for v in e))),
    envelope.map(
        lambda e: "LINESTRING({0} {1}, {2} {3})".format(*(_number(v) for v in e))
    ),
    envelope.map(
        lambda e: "POLYGON(({0} {1}, {2} {1}, {2} {3}, {0} {3}, {0} {1}))".format(
            *(_number(v) for v in e)
        )
    ),
)

predicate = st.one_of(
    st.sampled_from(["TRUE", "FALSE", "true"]),
    geometry.map(lambda g: f"S_INTERSECTS(geometry, {g})"),
    geometry.map(lambda g: f"s_intersects({g}, geometry)"),
)

# Each level adds at most one parenthesis or NOT; a handful of leaves stays far below the
# server's nesting limit.
cql2_text = st.one_of(
    st.just(""),
    st.recursive(
        predicate,
        lambda inner: st.one_of(
            st.tuples(inner, inner).map(lambda p: f"({p[0]}) AND ({p[1]})"),
            st.tuples(inner, inner).map(lambda p: f"{p[0]} OR {p[1]}"),
            inner.map(lambda e: f"NOT ({e})"),
        ),
        max_leaves=6,
    ),
)

schemathesis.openapi.format("cql2-text", cql2_text)

EPSG_4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
EPSG_2154 = "http://www.opengis.net/def/crs/EPSG/0/2154"


def _fold(v, low, high):
    """A number of any size folded into [low, high]."""
    return low + math.fmod(abs(v), high - low)


def _valid_box(values, crs):
    """Four or six drawn numbers made into a valid box of `crs`, in the same places."""
    x, y = (1, 0) if crs == EPSG_4326 else (0, 1)
    if len(values) == 4:
        corners = [0, 1, 2, 3]
    else:
        corners = [0, 1, 3, 4]
    out = list(values)
    if crs == EPSG_2154:
        # Metropolitan France in Lambert-93.
        ranges = {x: (100_000.0, 1_200_000.0), y: (6_100_000.0, 7_100_000.0)}
    else:
        ranges = {x: (-180.0, 180.0), y: (-90.0, 90.0)}
    for axis in (0, 1):
        low, high = ranges[axis]
        first, second = corners[axis], corners[axis + 2]
        a, b = sorted((_fold(values[first], low, high), _fold(values[second], low, high)))
        out[first], out[second] = a, b
    return out


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or not case.query:
        return
    bbox = case.query.get("bbox")
    items = bbox.split(",") if isinstance(bbox, str) else bbox
    if not isinstance(items, list) or len(items) not in (4, 6):
        return
    try:
        values = [float(v) for v in items]
    except (TypeError, ValueError):
        return
    if not all(math.isfinite(v) for v in values):
        return
    box = _valid_box(values, case.query.get("bbox-crs"))
    # As the wire carries it (`style: form, explode: false`): a list here would be sent exploded.
    case.query["bbox"] = ",".join(repr(v) for v in box)
