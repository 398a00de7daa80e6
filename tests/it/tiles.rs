//! Vector tiles, decoded with `mvt-reader` (a decoder that is not our encoder) and checked
//! against brute force over the source features.

use std::collections::{BTreeMap, BTreeSet};

use bourg::bbox::BboxWgs84;
use bourg::layer::{Layer, Value};
use bourg::tile::{signed_area2, TileCoord, TileTransform};
use geo::{
    Area, BooleanOps, Coord, CoordsIter, Geometry, Intersects, MapCoords, Polygon, Rect, Validation,
};
use mvt_reader::feature::Value as MvtValue;

use crate::support::{demo_data, demo_layers, tiles_over};

const EXTENT: f64 = 4096.0;

/// One decoded MVT layer.
pub struct Decoded {
    pub name: String,
    pub extent: u32,
    pub features: Vec<mvt_reader::feature::Feature<f64>>,
}

/// Decodes a tile with mvt-reader.
pub fn decode(bytes: &[u8]) -> Vec<Decoded> {
    let reader = mvt_reader::Reader::new(bytes.to_vec()).expect("mvt-reader parses the tile");
    let meta = reader.get_layer_metadata().expect("layers");
    meta.iter()
        .map(|m| Decoded {
            name: m.name.clone(),
            extent: m.extent,
            features: reader
                .get_features_as::<f64>(m.layer_index)
                .expect("features"),
        })
        .collect()
}

pub fn demo() -> bourg::Catalog {
    bourg::Catalog::load(&demo_layers()).expect("demo loads")
}

/// The buffered tile as a rectangle in tile units.
fn buffered_box(buffer: u32) -> Rect<f64> {
    let b = f64::from(buffer);
    Rect::new(
        Coord { x: -b, y: -b },
        Coord {
            x: EXTENT + b,
            y: EXTENT + b,
        },
    )
}

/// Ids of the source features whose geometry meets the buffered tile, by brute force over every
/// feature (no R-tree), with the area of the part inside (0 for points and lines).
fn brute_force(layer: &Layer, tile: TileCoord) -> BTreeMap<u64, f64> {
    let t = TileTransform::new(tile, 4096);
    let bx = buffered_box(layer.config.tiles.buffer);
    let box_polygon = bx.to_polygon();
    let mut out = BTreeMap::new();
    for (id, f) in layer.features().enumerate() {
        let g: Geometry<f64> =
            bourg::mercator::geometry_from_wgs84(f.wgs84).map_coords(|c| t.apply(c));
        if !g.intersects(&bx) {
            continue;
        }
        let area = match &g {
            Geometry::Polygon(p) => p.intersection(&box_polygon).unsigned_area(),
            Geometry::MultiPolygon(mp) => mp.intersection(&box_polygon).unsigned_area(),
            _ => 0.0,
        };
        out.insert(id as u64, area);
    }
    out
}

/// Rings of a decoded polygon geometry, in decoded order.
fn polygons(g: &Geometry<f64>) -> Vec<Polygon<f64>> {
    match g {
        Geometry::Polygon(p) => vec![p.clone()],
        Geometry::MultiPolygon(mp) => mp.0.clone(),
        _ => vec![],
    }
}

fn ring_points(ring: &geo::LineString<f64>) -> Vec<[i32; 2]> {
    let mut pts: Vec<[i32; 2]> = ring.coords().map(|c| [c.x as i32, c.y as i32]).collect();
    if pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    pts
}

/// Every check the tile issue asks of one decoded layer against its source. `tolerance` is the
/// simplification the layer was drawn with: a polygon narrower than it may collapse and go.
fn check_layer_tile(layer: &Layer, tile: TileCoord, bytes: &[u8], tolerance: f64) {
    let decoded = decode(bytes);
    let d = decoded
        .iter()
        .find(|d| d.name == layer.id())
        .expect("layer in tile");
    assert_eq!(d.extent, 4096);
    let buffer = f64::from(layer.config.tiles.buffer);
    let expected = brute_force(layer, tile);
    let mut seen = BTreeSet::new();
    for f in &d.features {
        let id = f.id.expect("feature id");
        assert!(
            expected.contains_key(&id),
            "{tile}: feature {id} is not in the buffered tile"
        );
        seen.insert(id);
        // Coordinates are integers inside the buffered tile.
        for c in f.geometry.coords_iter() {
            assert!(c.x.fract() == 0.0 && c.y.fract() == 0.0, "{c:?}");
            assert!(
                (-buffer..=EXTENT + buffer).contains(&c.x),
                "{tile}: x {} out of range",
                c.x
            );
            assert!(
                (-buffer..=EXTENT + buffer).contains(&c.y),
                "{tile}: y {} out of range",
                c.y
            );
        }
        // Winding and validity of polygons.
        for p in polygons(&f.geometry) {
            assert!(
                signed_area2(&ring_points(p.exterior())) > 0,
                "{tile}: exterior of {id} not clockwise"
            );
            for hole in p.interiors() {
                assert!(
                    signed_area2(&ring_points(hole)) < 0,
                    "{tile}: hole of {id} not counter-clockwise"
                );
            }
            assert!(
                p.is_valid(),
                "{tile}: feature {id} is invalid: {:?}",
                p.validation_errors()
            );
        }
        // Properties round-trip.
        let props = f.properties.clone().unwrap_or_default();
        let source = layer.feature(id as u32).expect("feature");
        for (p, v) in layer.schema.iter().zip(source.values()) {
            match (v, props.get(&p.name)) {
                (Value::Null, None) => {}
                (Value::String(s), Some(MvtValue::String(t))) => assert_eq!(&*s, t),
                (Value::Int(i), Some(MvtValue::UInt(u))) => assert_eq!(i, *u as i64),
                (Value::Int(i), Some(MvtValue::SInt(s) | MvtValue::Int(s))) => assert_eq!(i, *s),
                (Value::Float(x), Some(MvtValue::Double(y))) => assert_eq!(x, *y),
                (Value::Bool(b), Some(MvtValue::Bool(c))) => assert_eq!(b, *c),
                (v, other) => panic!("{}: {v:?} came back as {other:?}", p.name),
            }
        }
    }
    // Every source feature is there, but for polygons too small to survive the integer grid and
    // the simplification tolerance (at most (2·tolerance)² units² inside the tile, 4 at least).
    let collapsible = (2.0 * tolerance).powi(2).max(4.0);
    for (id, area) in &expected {
        if !seen.contains(id) {
            let g = layer.geometries.get(*id as usize).expect("geometry");
            let is_polygon = matches!(g, Geometry::Polygon(_) | Geometry::MultiPolygon(_));
            assert!(
                is_polygon && *area < collapsible,
                "{tile}: feature {id} is missing (area inside {area}, tolerance {tolerance})"
            );
        }
    }
    assert!(!seen.is_empty());
}

#[test]
fn demo_tiles_match_brute_force() {
    let catalog = demo();
    let cases = [
        ("communes", (2.8319, 50.4322), 14),
        ("communes", (2.8319, 50.4322), 10),
        ("communes", (2.8319, 50.4322), 7),
        ("communes", (6.0240, 47.2378), 12),
        ("epci", (2.8319, 50.4322), 9),
        ("departements", (2.8319, 50.4322), 6),
        ("friches", (2.8319, 50.4322), 12),
        ("friches", (6.027936, 47.237244), 16),
        ("ort", (2.94848, 50.48943), 11),
    ];
    for (id, (lon, lat), z) in cases {
        let layer = catalog.get(id).expect(id);
        let tile = TileCoord::containing(lon, lat, z);
        let rendered = bourg::tile::render_layer(layer, tile)
            .unwrap_or_else(|| panic!("{id} {tile} is empty"));
        let bourg::tile::Drawn::Features { tolerance } = rendered.drawn else {
            panic!("{id} {tile} was aggregated")
        };
        check_layer_tile(layer, tile, &bourg::tile::render(&[layer], tile), tolerance);
        assert_eq!(
            rendered.features,
            decode(&rendered_tile(&rendered.bytes))[0].features.len()
        );
    }
}

/// Wraps one encoded layer into a tile.
pub fn rendered_tile(layer_bytes: &[u8]) -> Vec<u8> {
    // Tile.layers is field 3, length-delimited.
    let mut out = vec![0x1a];
    let mut n = layer_bytes.len();
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
    out.extend_from_slice(layer_bytes);
    out
}

#[test]
fn aggregated_counts_sum_to_the_true_count() {
    let catalog = demo();
    let friches = catalog.get("friches").expect("friches");
    assert_eq!(friches.config.min_zoom, 6);
    for (z, (lon, lat)) in [
        (6, (2.83, 50.43)),
        (7, (2.83, 50.43)),
        (9, (2.83, 50.43)),
        (6, (6.02, 47.24)),
    ] {
        let tile = TileCoord::containing(lon, lat, z);
        let bytes = bourg::tile::render(&[friches], tile);
        let decoded = decode(&bytes);
        let t = TileTransform::new(tile, 4096);
        // Brute force: points inside the tile proper, half-open like the cells.
        let truth = friches
            .features()
            .filter(|f| {
                let c = f.wgs84.coords_iter().next().expect("point");
                let p = t.apply(bourg::mercator::from_wgs84(c));
                (0.0..EXTENT).contains(&p.x) && (0.0..EXTENT).contains(&p.y)
            })
            .count() as i64;
        let mut inside = 0;
        for f in &decoded[0].features {
            let props = f.properties.clone().unwrap_or_default();
            assert_eq!(props.get("aggregated"), Some(&MvtValue::Bool(true)), "z{z}");
            let count = match props.get("count") {
                Some(MvtValue::UInt(n)) => *n as i64,
                other => panic!("count {other:?}"),
            };
            let c = f.geometry.coords_iter().next().expect("point");
            if (0.0..EXTENT).contains(&c.x) && (0.0..EXTENT).contains(&c.y) {
                inside += count;
            }
        }
        assert!(truth > 0, "z{z}: no friche in the test tile");
        assert_eq!(inside, truth, "z{z} {tile}");
    }
}

#[test]
fn every_demo_tile_from_z0_to_z16_is_under_budget() {
    let catalog = demo();
    let bounds = catalog
        .layers()
        .filter_map(|l| l.bounds)
        .reduce(|a, b| a.union(&b))
        .expect("bounds");
    // Every tile over the demo region up to z10; beyond, every tile around the densest places.
    let mut tiles: Vec<TileCoord> = (0..=10u8).flat_map(|z| tiles_over(&bounds, z)).collect();
    let places = [
        (2.8319, 50.4322),
        (2.7775, 50.4183),
        (2.7775, 50.2910),
        (2.6370, 50.5300),
        (6.0240, 47.2378),
        (6.3540, 46.9040),
    ];
    for z in 11..=16u8 {
        for (lon, lat) in places {
            let c = TileCoord::containing(lon, lat, z);
            for dx in -1i64..=1 {
                for dy in -1i64..=1 {
                    if let Ok(t) = TileCoord::try_new(
                        u64::from(z),
                        (i64::from(c.x()) + dx) as u64,
                        (i64::from(c.y()) + dy) as u64,
                    ) {
                        tiles.push(t);
                    }
                }
            }
        }
    }
    let mut largest = (0, None);
    for layer in catalog.layers() {
        for &tile in &tiles {
            if let Some(t) = bourg::tile::render_layer(layer, tile) {
                assert!(
                    t.bytes.len() <= layer.config.tiles.max_bytes,
                    "{} {tile}: {} bytes",
                    layer.id(),
                    t.bytes.len()
                );
                if t.bytes.len() > largest.0 {
                    largest = (t.bytes.len(), Some((layer.id().to_owned(), tile)));
                }
            }
        }
    }
    assert!(largest.0 > 0);
    eprintln!(
        "largest demo layer tile: {largest:?} over {} tiles",
        tiles.len()
    );
}

#[test]
fn over_budget_layers_are_generalised_not_truncated() {
    // A tiny budget forces every fallback; the tile keeps every feature or aggregates them all.
    let dir = crate::support::LayerDir::new();
    let communes = demo_data().join("communes_62_25_cog2025.geojson");
    let friches = demo_data().join("cartofriches_sites_62_25_2023.csv");
    dir.write(
        "poly",
        &format!(
            "title = \"P\"\nsynthetic = false\nmax_zoom = 14\n[source]\npath = {}\n[properties]\ncode = \"string\"\n[tiles]\nmax_bytes = 4000\n[attribution]\nproducer = \"T\"\ndate = \"1\"\n",
            crate::support::toml_path(&communes)
        ),
    );
    dir.write(
        "pts",
        &format!(
            "title = \"P\"\nsynthetic = false\n[source]\npath = {}\nx = \"lon\"\ny = \"lat\"\ncrs = \"EPSG:4326\"\n[properties]\nsite_id = \"string\"\n[tiles]\nmax_bytes = 2000\n[attribution]\nproducer = \"T\"\ndate = \"1\"\n",
            crate::support::toml_path(&friches)
        ),
    );
    let catalog = dir.load().expect("loads");
    let tile = TileCoord::containing(2.83, 50.43, 8);
    let poly = catalog.get("poly").expect("poly");
    let t = bourg::tile::render_layer(poly, tile).expect("tile");
    let bourg::tile::Drawn::Features { tolerance } = t.drawn else {
        panic!("{:?}", t.drawn)
    };
    assert!(
        tolerance > 4.0,
        "the budget must have raised the tolerance: {tolerance}"
    );
    assert!(t.bytes.len() <= 4000, "{}", t.bytes.len());
    check_layer_tile(poly, tile, &bourg::tile::render(&[poly], tile), tolerance);
    let pts = catalog.get("pts").expect("pts");
    let t = bourg::tile::render_layer(pts, tile).expect("tile");
    assert!(
        matches!(t.drawn, bourg::tile::Drawn::Cells { .. }),
        "{:?}",
        t.drawn
    );
    assert!(t.bytes.len() <= 2000);
    let total: u64 = decode(&rendered_tile(&t.bytes))[0]
        .features
        .iter()
        .map(
            |f| match f.properties.as_ref().and_then(|p| p.get("count")) {
                Some(MvtValue::UInt(n)) => *n,
                other => panic!("{other:?}"),
            },
        )
        .sum();
    let inside = pts.index.count(&tile.bbox_wgs84(0.0, 4096)) as u64;
    assert!(total >= inside, "{total} < {inside}");
}

#[test]
fn lens_bbox_is_inside_its_z14_tile() {
    let tile = TileCoord::containing(2.8319, 50.4322, 14);
    let b: BboxWgs84 = tile.bbox_wgs84(0.0, 4096);
    assert!(b.contains(Coord {
        x: 2.8319,
        y: 50.4322
    }));
}

/// Each commune's label point is in exactly one tile of a zoom, inside its polygon.
#[test]
fn label_points_appear_once_per_zoom() {
    use geo::Contains;
    let catalog = demo();
    let communes = catalog.get("communes").expect("communes");
    let z = 11;
    let mut seen = std::collections::BTreeMap::<u64, usize>::new();
    // Every tile around Lens at z11, where labels show.
    let c = TileCoord::containing(2.8319, 50.4322, z);
    for dx in -2i64..=2 {
        for dy in -2i64..=2 {
            let tile = TileCoord::try_new(
                u64::from(z),
                (i64::from(c.x()) + dx) as u64,
                (i64::from(c.y()) + dy) as u64,
            )
            .expect("tile");
            if let Some(bytes) = bourg::tile::render_labels(communes, tile) {
                for f in &decode(&rendered_tile(&bytes))[0].features {
                    *seen.entry(f.id.expect("id")).or_default() += 1;
                    let p = f.geometry.coords_iter().next().expect("point");
                    assert!((0.0..EXTENT).contains(&p.x) && (0.0..EXTENT).contains(&p.y));
                }
            }
        }
    }
    assert!(seen.len() > 20, "{} labels", seen.len());
    for (id, n) in &seen {
        assert_eq!(*n, 1, "commune {id} labelled {n} times");
        let point = communes.label_points[*id as usize].expect("label point");
        let lonlat = bourg::mercator::to_wgs84(point);
        assert!(communes
            .geometries
            .get(*id as usize)
            .expect("geometry")
            .contains(&geo::Point::from(lonlat)));
    }
}

/// Residence cells carry the mean and maximum fragility of the residences they hold (so the map
/// colours them at every zoom), checked against a brute-force grouping of the residences.
#[test]
fn residence_cells_carry_the_mean_and_max_fragility() {
    let catalog = demo();
    let rpls = catalog.get("rpls").expect("rpls");
    let cell = f64::from(
        rpls.config
            .tiles
            .aggregate
            .as_ref()
            .expect("cells")
            .cell_size,
    );
    let frag = rpls.property_index("fragilite").expect("fragilite");
    for z in [9u8, 11] {
        let tile = TileCoord::containing(2.83, 50.43, z);
        let t = TileTransform::new(tile, 4096);
        let mut truth: BTreeMap<(i64, i64), (i64, Vec<f64>)> = BTreeMap::new();
        for f in rpls.features() {
            let c = f.wgs84.coords_iter().next().expect("point");
            let p = t.apply(bourg::mercator::from_wgs84(c));
            let key = ((p.x / cell).floor() as i64, (p.y / cell).floor() as i64);
            let entry = truth.entry(key).or_default();
            entry.0 += 1;
            entry.1.extend(f.number(frag));
        }
        let decoded = decode(&bourg::tile::render(&[rpls], tile));
        let mut checked = 0;
        for f in &decoded[0].features {
            let props = f.properties.clone().unwrap_or_default();
            let count = match props.get("count") {
                Some(MvtValue::UInt(n)) => *n as i64,
                other => panic!("count {other:?}"),
            };
            let c = f.geometry.coords_iter().next().expect("point");
            let (mean, max) = match (props.get("fragilite"), props.get("fragilite_max")) {
                (Some(MvtValue::Double(m)), Some(MvtValue::Double(x))) => (*m, *x),
                other => panic!("z{z}: no fragility on a cell: {other:?}"),
            };
            // The cell is the one around its mean position holding as many residences.
            let keys = [-0.5, 0.5].iter().flat_map(|dx| {
                [-0.5, 0.5].map(|dy| {
                    (
                        ((c.x + dx) / cell).floor() as i64,
                        ((c.y + dy) / cell).floor() as i64,
                    )
                })
            });
            let stats = |values: &Vec<f64>| {
                let mean = (10.0 * values.iter().sum::<f64>() / values.len() as f64).round() / 10.0;
                let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                (mean, max)
            };
            let candidates: Vec<(f64, f64)> = keys
                .filter_map(|k| truth.get(&k))
                .filter(|(n, _)| *n == count)
                .map(|(_, values)| stats(values))
                .collect();
            assert!(
                candidates.contains(&(mean, max)),
                "z{z}: cell of {count} at {c:?} has ({mean}, {max}), the residences around it {candidates:?}"
            );
            checked += 1;
        }
        assert!(checked > 5, "z{z}: {checked} cells");
    }
}

/// Low-zoom polygons prepared once per zoom give, byte for byte, the tiles the per-tile path
/// draws: every tile over the demo region from z0 to z8, at every prepared tolerance, for each
/// polygon layer, against the same layer loaded alone (nothing prepared). A layer with a small
/// byte budget picks, from the prepared commands, the finest tolerance that fits, or the next
/// one, or a finer one with its smallest features dropped: checked against drawing every
/// tolerance.
#[test]
fn prepared_low_zoom_polygons_draw_the_same_tiles() {
    use bourg::layer::PREPARED_TOLERANCES;
    use bourg::tile::Drawn;
    let catalog = demo();
    let budget = 8_000;
    let dir = crate::support::LayerDir::new();
    dir.write(
        "tight",
        &format!(
            "title = \"T\"\nsynthetic = false\nmin_zoom = 5\nmax_zoom = 14\n[source]\npath = {}\n[properties]\ncode = \"string\"\nnom = \"string\"\n[tiles]\nmax_bytes = {budget}\n[attribution]\nproducer = \"T\"\ndate = \"1\"\n",
            crate::support::toml_path(&demo_data().join("communes_62_25_cog2025.geojson"))
        ),
    );
    let tight = dir.load().expect("loads");
    let (mut compared, mut over_budget, mut dropped) = (0, 0, 0);
    let layers = [
        "communes",
        "lovac",
        "epci",
        "departements",
        "perimetres_pvd",
    ]
    .map(|id| catalog.get(id).expect(id))
    .into_iter()
    .chain(tight.get("tight"));
    for prepared in layers {
        let id = prepared.id();
        let alone = bourg::layer::load_layer(&prepared.config).expect("loads alone");
        assert!(!alone.geometries.shares_with(&prepared.geometries));
        let b = prepared.bounds.expect("bounds");
        let tolerance = |k: usize| prepared.config.tiles.tolerance * 2f64.powi(k as i32);
        for z in 0..=8u8 {
            assert!(
                z < prepared.config.min_zoom
                    || (0..PREPARED_TOLERANCES)
                        .all(|k| prepared.geometries.prepared_if_ready(z, k).is_some()),
                "{id}: z{z} not prepared"
            );
            for tile in tiles_over(&b, z) {
                let mut sizes = Vec::new();
                for k in 0..PREPARED_TOLERANCES {
                    let drawn = Drawn::Features {
                        tolerance: tolerance(k),
                    };
                    let a = bourg::tile::draw(prepared, tile, drawn);
                    let b = bourg::tile::draw(&alone, tile, drawn);
                    assert_eq!(a, b, "{id} {tile} level {k}");
                    compared += usize::from(!a.is_empty());
                    sizes.push(a.len());
                }
                let Some(rendered) = bourg::tile::render_layer(prepared, tile) else {
                    assert!(z < prepared.config.min_zoom || sizes[0] == 0, "{id} {tile}");
                    continue;
                };
                let max_bytes = prepared.config.tiles.max_bytes;
                let Some(finest) = sizes.iter().position(|&n| n <= max_bytes + 3) else {
                    continue;
                };
                // The drawn tolerance is the finest that fits, or the next one (the properties'
                // bytes are estimated); or a finer one with the smallest features dropped, where
                // the next tolerance would lose most features at once. The tile (its layer
                // message) fits.
                let Drawn::Features { tolerance: t } = rendered.drawn else {
                    panic!("{id} {tile}: {:?}", rendered.drawn);
                };
                assert!(rendered.bytes.len() <= max_bytes, "{id} {tile}");
                if t < tolerance(finest) {
                    let whole = bourg::tile::draw(prepared, tile, rendered.drawn);
                    let whole = mvt_reader::Reader::new(whole).expect("decodes");
                    let n = whole.get_features(0).expect("features").len();
                    assert!(
                        rendered.features < n,
                        "{id} {tile}: {} of {n}",
                        rendered.features
                    );
                    dropped += 1;
                } else {
                    assert!(
                        t == tolerance(finest) || t == tolerance(finest + 1),
                        "{id} {tile}: drawn at {t}, fits from {} ({sizes:?})",
                        tolerance(finest)
                    );
                }
                over_budget += usize::from(finest > 0);
            }
        }
    }
    assert!(compared > 300, "{compared} tiles");
    assert!(
        over_budget > 10,
        "{over_budget} tiles over budget at the layer's tolerance"
    );
    assert!(dropped > 0, "no tile with its smallest features dropped");
}

/// Point cells counted once per low zoom at load give, byte for byte, the tiles that counting
/// each tile's points gives: every tile over the demo region from z5 to z8, for the residences
/// (sums and fragility statistics), the vacancy buildings and the brownfields.
#[test]
fn prepared_point_cells_draw_the_same_tiles() {
    let catalog = demo();
    let mut compared = 0;
    for id in ["rpls", "vacance_batiments", "friches"] {
        let prepared = catalog.get(id).expect(id);
        let mut alone = bourg::layer::load_layer(&prepared.config).expect("loads alone");
        if id == "rpls" {
            bourg::analysis::fragility::enrich(&mut alone);
        }
        assert!(alone.geometries.cells.is_empty());
        let b = prepared.bounds.expect("bounds");
        for z in prepared.config.min_zoom..=8u8 {
            assert!(prepared.geometries.cells.get(z).is_some(), "{id}: z{z}");
            for tile in tiles_over(&b, z) {
                let a = bourg::tile::render(&[prepared.as_ref()], tile);
                let b = bourg::tile::render(&[&alone], tile);
                assert_eq!(a, b, "{id} {tile}");
                compared += usize::from(!a.is_empty());
            }
        }
    }
    assert!(compared > 30, "{compared} tiles");
}

/// Several layers in one tile keep within the largest of their byte budgets: each is drawn again
/// within its share when together they go over, and every layer still has its features there.
#[test]
fn composite_tiles_keep_within_the_budget() {
    let budget = 16_000;
    let dir = crate::support::LayerDir::new();
    for id in ["a", "b"] {
        dir.write(
            id,
            &format!(
                "title = \"{id}\"\nsynthetic = false\nmin_zoom = 5\nmax_zoom = 14\n[source]\npath = {}\n[properties]\ncode = \"string\"\nnom = \"string\"\n[tiles]\nmax_bytes = {budget}\n[attribution]\nproducer = \"T\"\ndate = \"1\"\n",
                crate::support::toml_path(&demo_data().join("communes_62_25_cog2025.geojson"))
            ),
        );
    }
    let catalog = dir.load().expect("loads");
    let (a, b) = (catalog.get("a").expect("a"), catalog.get("b").expect("b"));
    let mut over = 0;
    for z in 5..=9u8 {
        for tile in tiles_over(&a.bounds.expect("bounds"), z) {
            let alone = bourg::tile::render(&[a.as_ref()], tile).len();
            let both = bourg::tile::render(&[a.as_ref(), b.as_ref()], tile);
            assert!(both.len() <= budget, "{tile}: {} bytes", both.len());
            if both.is_empty() {
                continue;
            }
            let decoded = mvt_reader::Reader::new(both).expect("decodes");
            let names: Vec<String> = decoded
                .get_layer_metadata()
                .expect("layers")
                .into_iter()
                .map(|l| l.name)
                .collect();
            assert_eq!(names, ["a", "b"], "{tile}");
            over += usize::from(2 * alone > budget);
        }
    }
    assert!(
        over > 5,
        "{over} tiles where the two layers together go over the budget"
    );
}
