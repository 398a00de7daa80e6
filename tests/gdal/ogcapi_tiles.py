"""Reads an OGC API – Tiles collection with GDAL's OGCAPI driver and prints what it read as JSON.

Run by tests/it/ogc_tiles.rs with the Python of the test virtual environment, where `make test`
installs pyogrio: its wheel carries its own GDAL (3.12), whose OGCAPI driver reads vector tiles.
Debian 12's GDAL 3.6 cannot: its build leaves the driver's vector-tile code out (the branch sits
under OGR_ENABLE_DRIVER_GML, which the 3.6 CMake build does not define for that driver).

usage: ogcapi_tiles.py URL TILE_MATRIX...

For each tile matrix, GDAL's layer "Zoom level N": null when GDAL offers no such layer (a tile
matrix outside the tileset's tileMatrixSetLimits), else the MVT ids of the features it read (one
per feature and tile, in GDAL's order), its field names and its CRS.
"""

import json
import sys

import pyogrio
from pyogrio import raw
from pyogrio.errors import DataLayerError

# GDAL takes the area to read for vector tiles in the tile matrix set's CRS (EPSG:3857 metres),
# and would otherwise use the collection's CRS84 extent as if it were metres: the whole
# WebMercatorQuad square, so that the tileset's own limits decide which tiles are read.
HALF_WORLD = 20037508.342789244
OPTIONS = {
    "API": "TILES",
    "TILEMATRIXSET": "WebMercatorQuad",
    "MINX": repr(-HALF_WORLD),
    "MINY": repr(-HALF_WORLD),
    "MAXX": repr(HALF_WORLD),
    "MAXY": repr(HALF_WORLD),
}


def read(url, matrix):
    try:
        meta, _, geometry, fields = raw.read(url, layer=f"Zoom level {matrix}", **OPTIONS)
    except DataLayerError:
        return None
    names = [str(n) for n in meta["fields"]]
    ids = [int(v) for v in fields[names.index("mvt_id")]] if names else []
    return {
        "ids": ids,
        "fields": names,
        "crs": meta["crs"],
        "geometries": sum(1 for g in geometry if g is not None),
    }


def main():
    url, matrices = sys.argv[1], sys.argv[2:]
    out = {
        "gdal": pyogrio.__gdal_version_string__,
        "matrices": {m: read(url, m) for m in matrices},
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
