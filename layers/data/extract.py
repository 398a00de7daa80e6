#!/usr/bin/env python3
"""Extract the demo region (Pas-de-Calais 62, Doubs 25) from ../shared/data into layers/data.

Standard library only. Run from the repository root:  python3 layers/data/extract.py [SHARED_DATA_DIR]
Every output keeps the source's columns and values unchanged; only rows outside the two
départements are dropped. See layers/data/README.md for producers, dates and licences.
"""
import csv
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
filter_csv("lovac_vacance_longue_communes_2021.csv", "lovac_communes_62_25_2021.csv", "insee_com")
filter_csv("zonage_abc_communes.csv", "zonage_abc_62_25.csv", "insee_com")
filter_csv("qpv2024_communes.csv", "qpv2024_communes_62_25.csv", "insee_com")
