//! The words of the repository's catalogues: every property of every layer, and every property
//! of their aggregated cells, has a human label.

use std::collections::BTreeSet;
use std::path::Path;

use bourg::tile::TileCoord;

use crate::support::{app, demo_layers, get_json};
use crate::tiles::{decode, demo};

/// Both catalogues' files: every property their configuration gives a layer (read, joined,
/// grouped, totalled, added by a role, carried by cells) is labelled.
#[test]
fn every_configured_property_of_both_catalogues_is_labelled() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("layers");
    for dir in ["demo", "france"] {
        let configs = bourg::config::load_dir(&root.join(dir)).expect("catalogue files validate");
        assert!(configs.len() >= 15, "{dir}: {} layers", configs.len());
        for c in &configs {
            let missing: Vec<String> = c
                .property_names()
                .into_iter()
                .map(|(n, _)| n)
                .filter(|n| !c.words.labels.contains_key(n))
                .collect();
            assert!(
                missing.is_empty(),
                "{dir}/{}.toml: no label for {missing:?}",
                c.id
            );
            for (name, label) in &c.words.labels {
                assert_ne!(
                    label, name,
                    "{dir}/{}: the label of {name} is its name",
                    c.id
                );
            }
            // Cells are counted with the layer's own noun.
            if c.tiles.aggregate.is_some() {
                assert!(
                    c.words.noun.is_some(),
                    "{dir}/{}: cells without a noun",
                    c.id
                );
            }
        }
    }
}

/// The loaded demo layers, as `GET /layers` describes them, against what the data holds: every
/// property of every layer's schema (made by the loader) has a label, and so has every property
/// of the cells a low-zoom tile carries (decoded with mvt-reader), the mean of a statistic too.
#[tokio::test]
async fn every_loaded_property_and_cell_property_is_labelled() {
    let catalog = bourg::Catalog::load(&demo_layers()).expect("demo loads");
    let app = app(catalog);
    let (status, body) = get_json(&app, "/layers").await;
    assert_eq!(status, 200);
    let layers = body["layers"].as_array().expect("layers");
    for l in layers {
        let id = l["id"].as_str().expect("id");
        let labels = l["labels"].as_object().expect("labels");
        for p in l["properties"].as_array().expect("properties") {
            let name = p["name"].as_str().expect("name");
            assert!(labels.contains_key(name), "{id}: no label for {name}");
        }
        assert!(l["formats"].is_object() && l["values"].is_object(), "{id}");
    }
    let rpls = layers.iter().find(|l| l["id"] == "rpls").expect("rpls");
    assert_eq!(rpls["formats"]["CONSTRUCT"], "year");
    assert_eq!(rpls["noun"]["many"], "résidences");
    let ort = layers.iter().find(|l| l["id"] == "ort").expect("ort");
    assert_eq!(ort["values"]["statut_commune"]["3. Autre"], "Autre commune");

    let catalog = demo();
    let mut cells_seen = 0;
    for layer in catalog.layers() {
        let Some(aggregate) = &layer.config.tiles.aggregate else {
            continue;
        };
        let labels = &layer.config.words.labels;
        // Lens and Besançon, one zoom below the points.
        for (lon, lat) in [(2.83, 50.43), (6.02, 47.24)] {
            let tile = TileCoord::containing(lon, lat, aggregate.below_zoom - 1);
            let decoded = decode(&bourg::tile::render(&[layer], tile));
            let mut keys = BTreeSet::new();
            for f in decoded.iter().flat_map(|d| &d.features) {
                keys.extend(f.properties.clone().unwrap_or_default().into_keys());
            }
            assert!(
                keys.contains("count"),
                "{}: no cells at {tile:?}",
                layer.config.id
            );
            cells_seen += 1;
            for k in &keys {
                if k == "aggregated" {
                    continue; // the cell marker, never shown
                }
                assert!(
                    labels.contains_key(k),
                    "{}: no label for the cells' {k}",
                    layer.config.id
                );
                if keys.contains(&format!("{k}_max")) {
                    let mean = format!("{k}_mean");
                    assert!(
                        labels.contains_key(&mean),
                        "{}: no label {mean}",
                        layer.config.id
                    );
                }
            }
        }
    }
    assert!(cells_seen >= 6, "{cells_seen} aggregated tiles checked");
}
