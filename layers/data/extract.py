#!/usr/bin/env python3
"""Extract the demo region (Pas-de-Calais 62, Doubs 25) from ../shared/data into layers/data, and
the national tables `bourg synth` is calibrated on into layers/data/france (gzip-compressed).

Standard library only. Run from the repository root:  python3 layers/data/extract.py [SHARED_DATA_DIR]
Demo outputs keep the source's columns and values unchanged; only rows outside the two
départements are dropped. National outputs keep every row; a few keep only the columns the
generator reads (said below). Gzip files are written with a zero timestamp, so a rerun gives the
same bytes. See layers/data/README.md for producers, dates and licences.
"""
import csv
import gzip
import io
import json
import sys
from pathlib import Path

DEPS = ("62", "25")
SRC = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
OUT = Path(__file__).resolve().parent


def in_demo(code):
    return code is not None and str(code)[:2] in DEPS


def write_geojson(name, features):
    doc = {"type": "FeatureCollection", "name": name, "features": features}
    with open(OUT / f"{name}.geojson", "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, separators=(",", ":"))
    print(f"{name}.geojson: {len(features)} features")


def read_geojson(name):
    with open(SRC / name, encoding="utf-8") as f:
        return json.load(f)["features"]


def filter_csv(name, out_name, key):
    with open(SRC / name, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        rows = [r for r in reader if in_demo(r[key])]
        fields = reader.fieldnames
    with open(OUT / out_name, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"{out_name}: {len(rows)} rows")


communes = read_geojson("communes_62_pas-de-calais_cog2025.geojson") + read_geojson(
    "communes_25_doubs_cog2025.geojson"
)
write_geojson("communes_62_25_cog2025", communes)
epcis = {c["properties"]["epci"] for c in communes if c["properties"].get("epci")}

write_geojson(
    "departements_62_25_cog2025",
    [f for f in read_geojson("departements_france_cog2025.geojson") if f["properties"]["dep"] in DEPS],
)
write_geojson(
    "epci_62_25_cog2025",
    [f for f in read_geojson("epci_france_cog2025.geojson") if f["properties"]["siren_epci"] in epcis],
)
write_geojson(
    "acv_communes_62_25",
    [f for f in read_geojson("acv_communes.geojson") if in_demo(f["properties"]["insee_com"])],
)
write_geojson(
    "pvd_communes_62_25",
    [f for f in read_geojson("pvd_communes.geojson") if in_demo(f["properties"]["insee_com"])],
)
filter_csv("ort_conventions_communes.csv", "ort_conventions_62_25.csv", "insee_com")
filter_csv("cartofriches_sites_2023.csv", "cartofriches_sites_62_25_2023.csv", "insee_com")
filter_csv("cartofriches_standard_cnig_extrait_2024.csv", "cartofriches_cnig_62_25_2024.csv", "comm_insee")
filter_csv("lovac_vacance_longue_communes_2021.csv", "lovac_communes_62_25_2021.csv", "insee_com")
filter_csv("zonage_abc_communes.csv", "zonage_abc_62_25.csv", "insee_com")
filter_csv("qpv2024_communes.csv", "qpv2024_communes_62_25.csv", "insee_com")


# --- National tables for `bourg synth` (layers/data/france, read through GDAL's /vsigzip/) ---
FRANCE = OUT / "france"
FRANCE.mkdir(exist_ok=True)


def write_gz(name, data):
    with open(FRANCE / name, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as f:
            f.write(data)
    print(f"france/{name}: {len(data):,} bytes before compression")


def copy_gz(name, out_name=None):
    write_gz(out_name or f"{name}.gz", (SRC / name).read_bytes())


def columns_gz(name, out_name, columns, rows=None):
    with open(SRC / name, encoding="utf-8", newline="") as f:
        source = rows if rows is not None else list(csv.DictReader(f))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    w.writerows(source)
    write_gz(out_name, buf.getvalue().encode("utf-8"))


copy_gz("communes_france_simplifiees_cog2025.geojson")
copy_gz("qpv2024_communes.csv")
copy_gz("lovac_vacance_longue_communes_2021.csv")
copy_gz("zonage_abc_communes.csv")
# Postcodes: every COG 2026 entity (current, delegated and associated communes, arrondissements).
columns_gz("communes_reference_cog2026.csv", "codes_postaux_cog2026.csv.gz",
           ["code_insee", "type", "codes_postaux"])
# The ANCT point of each programme commune (ACV, PVD, ORT), one row per (commune, programme).
points = []
for programme, name in (("acv", "acv_communes.csv"), ("pvd", "pvd_communes.csv"),
                        ("ort", "ort_conventions_communes.csv")):
    with open(SRC / name, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            points.append({"insee_com": r["insee_com"], "programme": programme,
                           "lon": r["lon"], "lat": r["lat"]})
columns_gz("acv_communes.csv", "programmes_points.csv.gz",
           ["insee_com", "programme", "lon", "lat"], rows=points)


# --- National reference (layers/reference): the comparison values of the territory sheet ---
def interior_point(rings):
    """A point inside a polygon (outer ring first, then holes): the middle of the widest span of
    the horizontal line through the middle of the outer ring's latitude range, as GEOS does."""
    ys = [y for _, y in rings[0]]
    y = (min(ys) + max(ys)) / 2
    xs = []
    for ring in rings:
        for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
            if (y1 > y) != (y2 > y):
                xs.append(x1 + (y - y1) * (x2 - x1) / (y2 - y1))
    xs.sort()
    spans = [(b - a, (a + b) / 2) for a, b in zip(xs[::2], xs[1::2])]
    return max(spans)[1], y


def largest_polygon(geometry):
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]

    def area(ring):
        return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:]))) / 2

    return max(polygons, key=lambda p: area(p[0]))


# One point per commune of the national file (inside its polygon), with its attributes.
commune_points = []
for f in read_geojson("communes_france_simplifiees_cog2025.geojson"):
    p = f["properties"]
    lon, lat = interior_point(largest_polygon(f["geometry"]))
    commune_points.append({**{k: p.get(k) for k in ("code", "nom", "dep", "epci", "pmun22", "dens7")},
                           "lon": round(lon, 5), "lat": round(lat, 5)})
columns_gz("communes_france_simplifiees_cog2025.geojson", "communes_france_points_cog2025.csv.gz",
           ["code", "nom", "dep", "epci", "pmun22", "dens7", "lon", "lat"], rows=commune_points)
copy_gz("cartofriches_sites_2023.csv")
copy_gz("acv_communes.csv")
copy_gz("pvd_communes.csv")
copy_gz("ort_conventions_communes.csv")


# --- The national catalogue (layers/france): polygons and tables `make run` serves ---
copy_gz("epci_france_cog2025.geojson")
copy_gz("departements_france_cog2025.geojson")
copy_gz("cartofriches_standard_cnig_extrait_2024.csv")
