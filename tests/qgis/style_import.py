"""Converts Bourg's /style.json with QGIS's own MapLibre style importer (QgsMapBoxGlStyleConverter,
the code behind QGIS's "Load style" of a vector tile layer) and prints, as JSON, what it made of
each layer: its warnings and the expression QGIS derived for the layer's colour.

Usage: QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis/style_import.py style.json
(python3-qgis from apt; `tests/e2e/assets.test.mjs` runs it when QGIS is installed).
"""
import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from qgis.core import (  # noqa: E402
    QgsApplication,
    QgsMapBoxGlStyleConversionContext,
    QgsMapBoxGlStyleConverter,
)

app = QgsApplication([], False)
app.initQgis()
style = json.load(open(sys.argv[1], encoding="utf-8"))
converter = QgsMapBoxGlStyleConverter()
converter.convert(style, QgsMapBoxGlStyleConversionContext())
layers = {}
for w in converter.warnings():
    name, _, text = w.partition(": ")
    layers.setdefault(name, {"warnings": [], "colour": None})["warnings"].append(text)
renderer = converter.renderer()
for s in renderer.styles() if renderer else []:
    entry = layers.setdefault(s.styleName(), {"warnings": [], "colour": None})
    symbol = s.symbol()
    if symbol and symbol.symbolLayerCount():
        props = symbol.symbolLayer(0).dataDefinedProperties()
        # 3 and 4: the fill (or marker) colour and the stroke colour properties.
        for key in (3, 4):
            p = props.property(key)
            if p.isActive() and p.expressionString():
                entry["colour"] = p.expressionString()
                break
        if entry["colour"] is None:
            entry["colour"] = symbol.color().name()
labeling = converter.labeling()
labels = {s.styleName(): s.labelSettings().fieldName for s in labeling.styles()} if labeling else {}
print(json.dumps({"layers": layers, "labels": labels}))
