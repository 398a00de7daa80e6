//! Vector tiles: each layer of a request rendered to an MVT layer, generalised for the zoom.
//!
//! A layer is drawn from its `min_zoom`; from its `max_zoom` on, geometries are only snapped
//! (no simplification), so overzoomed tiles look exact. Point layers with `aggregate_below`
//! become grid cells below that zoom. A layer whose encoding exceeds its byte budget is
//! generalised further, never truncated: coarser cells for points; for polygons prepared at
//! several tolerances, the finest tolerance expected to fit, or its smallest features dropped
//! where a coarser one would lose most of them (see [`render_layer`]); otherwise a doubled
//! tolerance (quadrupled when more than twice over).

mod aggregate;
mod cache;
mod clip;
mod coord;
mod generalise;
mod mvt;
mod prepare;

pub use cache::{Rendered, TileCache, TileKey};
pub use coord::{TileCoord, TileCoordError, TileTransform};
pub use generalise::signed_area2;

use std::borrow::Cow;

use crate::config::EXTENT;
use crate::layer::{GeometryKind, Layer};
use generalise::Generaliser;
use mvt::LayerBuilder;

/// The largest tolerance tried for lines and polygons over budget, in tile units.
const MAX_TOLERANCE: f64 = 256.0;
/// The first cell size used for a point layer over budget that has no aggregation configured.
const FIRST_BUDGET_CELL: u32 = 16;

/// How a layer was drawn in a tile.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Drawn {
    /// One MVT feature per source feature, simplified with this tolerance (tile units).
    Features { tolerance: f64 },
    /// Points aggregated into cells of this size (tile units).
    Cells { cell_size: u32 },
}

/// One layer rendered for one tile.
#[derive(Debug)]
pub struct LayerTile {
    /// The encoded MVT `Layer` message.
    pub bytes: Vec<u8>,
    /// Features in it.
    pub features: usize,
    /// How it was drawn.
    pub drawn: Drawn,
}

/// Renders one layer for one tile; `None` when the layer has nothing there (or is not drawn at
/// this zoom).
///
/// A tile over its byte budget is drawn again more generalised. For polygons prepared at several
/// tolerances, the next tolerance is the first whose prepared commands, plus the properties at
/// the bytes per feature the first drawing measured, are expected to fit; otherwise, and for
/// points, each step doubles (quadruples when more than twice over) the tolerance or cell size.
pub fn render_layer(layer: &Layer, tile: TileCoord) -> Option<LayerTile> {
    render_layer_within(layer, tile, layer.config.tiles.max_bytes)
}

/// Renders one layer for one tile within `max_bytes` (see [`render_layer`]).
pub fn render_layer_within(layer: &Layer, tile: TileCoord, max_bytes: usize) -> Option<LayerTile> {
    let config = &layer.config;
    if tile.z() < config.min_zoom || layer.is_empty() {
        return None;
    }
    let tiles = &config.tiles;
    let is_points = layer.geometry_kind == GeometryKind::Point;
    let mut drawn = match &tiles.aggregate {
        Some(a) if is_points && tile.z() < a.below_zoom => Drawn::Cells {
            cell_size: a.cell_size,
        },
        _ => Drawn::Features {
            tolerance: if tile.z() >= config.max_zoom {
                0.0
            } else {
                tiles.tolerance
            },
        },
    };
    let mut candidates: Option<Vec<u32>> = None;
    if let Drawn::Features { tolerance } = drawn {
        // Polygons prepared at several tolerances: start from the first expected to fit.
        let ids = in_tile(layer, tile);
        let planned = prepare::level(tolerance, tiles.tolerance).and_then(|level| {
            plan(
                layer,
                tile,
                level,
                None,
                &ids,
                feature_bytes(layer),
                max_bytes,
            )
        });
        candidates = Some(ids);
        if let Some((d, kept)) = planned {
            drawn = d;
            candidates = kept.or(candidates);
        }
    }
    loop {
        let started = std::time::Instant::now();
        let (builder, ids) = match drawn {
            Drawn::Cells { cell_size } => (draw_cells(layer, tile, cell_size), None),
            Drawn::Features { tolerance } => {
                let ids = candidates.take().unwrap_or_else(|| in_tile(layer, tile));
                (draw_features(layer, tile, tolerance, &ids), Some(ids))
            }
        };
        let features = builder.len();
        let geometry_bytes = builder.geometry_bytes();
        let bytes = builder.finish();
        tracing::debug!(
            layer = %layer.id(),
            %tile,
            ?drawn,
            features,
            bytes = bytes.len(),
            ms = started.elapsed().as_secs_f64() * 1000.0,
            "layer drawn"
        );
        if features == 0 {
            return None;
        }
        let mut subset = None;
        let next = if bytes.len() <= max_bytes {
            None
        } else {
            let others = (bytes.len() - geometry_bytes) as f64 / features as f64;
            let predicted = match (drawn, &ids) {
                (Drawn::Features { tolerance }, Some(ids)) => {
                    prepare::level(tolerance, tiles.tolerance).and_then(|k| {
                        let (d, kept) = plan(
                            layer,
                            tile,
                            k + 1,
                            Some((k, features)),
                            ids,
                            others,
                            max_bytes,
                        )?;
                        subset = kept;
                        Some(d)
                    })
                }
                _ => None,
            };
            match drawn {
                _ if predicted.is_some() => predicted,
                Drawn::Cells { cell_size } if cell_size < EXTENT => Some(Drawn::Cells {
                    cell_size: cell_size * 2,
                }),
                Drawn::Features { .. } if is_points => Some(Drawn::Cells {
                    cell_size: tiles
                        .aggregate
                        .as_ref()
                        .map_or(FIRST_BUDGET_CELL, |a| a.cell_size),
                }),
                Drawn::Features { tolerance } if tolerance < MAX_TOLERANCE => {
                    // Each try costs a whole render: grow fast when far over budget.
                    let factor = if bytes.len() > 2 * max_bytes {
                        4.0
                    } else {
                        2.0
                    };
                    Some(Drawn::Features {
                        tolerance: (tolerance * factor).clamp(1.0, MAX_TOLERANCE),
                    })
                }
                _ => {
                    tracing::warn!(
                        layer = %layer.id(),
                        %tile,
                        bytes = bytes.len(),
                        budget = max_bytes,
                        "tile still over budget at the coarsest generalisation"
                    );
                    None
                }
            }
        };
        match next {
            Some(d) => {
                drawn = d;
                candidates = subset.or(ids);
            }
            None => {
                return Some(LayerTile {
                    bytes,
                    features,
                    drawn,
                })
            }
        }
    }
}

/// How to draw the features `ids` within `max_bytes` from prepared tolerance level `from` on,
/// expecting their prepared commands plus `others` bytes per feature: the first level expected to
/// fit, unless it keeps less than half the features of the level before it (`previous`: a level
/// and its number of features), where most features would vanish at once, and the level before
/// keeps half as many more once its smallest features are dropped: then the level before, with its
/// smallest features dropped. When no level fits, the coarsest with its smallest features
/// dropped. `None` when the layer's polygons are not prepared for this zoom.
fn plan(
    layer: &Layer,
    tile: TileCoord,
    from: usize,
    mut previous: Option<(usize, usize)>,
    ids: &[u32],
    others: f64,
    max_bytes: usize,
) -> Option<(Drawn, Option<Vec<u32>>)> {
    let budget = max_bytes as f64;
    let dropping = |k: usize| {
        largest_fitting(layer, tile, k, ids, others, max_bytes)
            .map(|kept| (level_drawn(layer, k), Some(kept)))
    };
    for k in from..crate::layer::PREPARED_TOLERANCES {
        let Some(prepared) = layer.geometries.prepared_if_ready(tile.z(), k) else {
            break;
        };
        let (mut bytes, mut features) = (0usize, 0usize);
        for &id in ids {
            let size = prepare::size(prepared_of(layer, prepared, id)?);
            bytes += size;
            features += usize::from(size > 0);
        }
        if bytes as f64 + features as f64 * others <= budget {
            if let Some((before, n)) = previous {
                if 2 * features < n {
                    if let Some(plan) = dropping(before) {
                        let kept = plan.1.as_ref().map_or(0, Vec::len);
                        if 2 * kept > 3 * features {
                            return Some(plan);
                        }
                    }
                }
            }
            return Some((level_drawn(layer, k), None));
        }
        previous = Some((k, features));
    }
    previous.and_then(|(k, _)| dropping(k))
}

/// The features whose boxes meet the buffered tile.
fn in_tile(layer: &Layer, tile: TileCoord) -> Vec<u32> {
    let bbox = tile.bbox_wgs84(f64::from(layer.config.tiles.buffer), EXTENT);
    layer.query(&bbox).map(|(id, _)| id).collect()
}

/// Feature `id`'s polygons among the `prepared` features of a zoom (which are indexed like the
/// source's geometries); `None` when it has none prepared.
fn prepared_of<'p>(
    layer: &Layer,
    prepared: &'p [crate::layer::PreparedFeature],
    id: u32,
) -> Option<&'p [crate::layer::PreparedPolygon]> {
    prepared
        .get(layer.geometries.source_index(id as usize)?)?
        .as_deref()
}

/// The features of `ids` to keep at prepared tolerance level `k` so that the tile is expected
/// to fit `max_bytes`: the largest first (by the area of their polygons' boxes), as tippecanoe's
/// `--drop-smallest-as-needed` does; in `ids`' order. `None` when the level is not prepared or
/// nothing would be dropped.
fn largest_fitting(
    layer: &Layer,
    tile: TileCoord,
    k: usize,
    ids: &[u32],
    others: f64,
    max_bytes: usize,
) -> Option<Vec<u32>> {
    let prepared = layer.geometries.prepared_if_ready(tile.z(), k)?;
    let mut sized: Vec<(f64, usize, u32)> = Vec::with_capacity(ids.len());
    for &id in ids {
        let polygons = prepared_of(layer, prepared, id)?;
        let size = prepare::size(polygons);
        if size > 0 {
            let area: f64 = polygons
                .iter()
                .map(|p| (p.hi[0] - p.lo[0]) * (p.hi[1] - p.lo[1]))
                .sum();
            sized.push((area, size, id));
        }
    }
    sized.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.2.cmp(&b.2)));
    // A little under the budget: the properties' bytes are estimated.
    let budget = max_bytes as f64 * 0.97;
    let mut bytes = 0.0;
    let mut kept = rustc_hash::FxHashSet::default();
    for &(_, size, id) in &sized {
        bytes += size as f64 + others;
        if bytes > budget {
            break;
        }
        kept.insert(id);
    }
    (kept.len() < sized.len()).then(|| ids.iter().copied().filter(|id| kept.contains(id)).collect())
}

fn level_drawn(layer: &Layer, k: usize) -> Drawn {
    Drawn::Features {
        tolerance: layer.config.tiles.tolerance * 2f64.powi(k as i32),
    }
}

/// The expected bytes one feature adds to a tile besides its geometry commands: its framing,
/// its tags, and its share of the value table (a text column's values are shared by the rows
/// with the same text; numbers are counted as all distinct).
fn feature_bytes(layer: &Layer) -> f64 {
    let rows = layer.table.rows().max(1) as f64;
    let mut bytes = 12.0;
    for i in 0..layer.schema.len() {
        let Some(column) = layer.table.column(i) else {
            continue;
        };
        bytes += 2.0;
        bytes += match column.dictionary() {
            Some(dict) => {
                let sample = &dict[..dict.len().min(256)];
                let mean = sample.iter().map(|s| s.len()).sum::<usize>() as f64
                    / sample.len().max(1) as f64;
                (dict.len() as f64 / rows).min(1.0) * (4.0 + mean)
            }
            None => match column.ty() {
                crate::config::PropType::Float => 11.0,
                crate::config::PropType::Bool => 0.0,
                _ => 5.0,
            },
        };
    }
    bytes
}

/// Draws a layer in a tile as asked, whatever its byte budget (see [`render_layer`]); empty bytes
/// when nothing is there.
pub fn draw(layer: &Layer, tile: TileCoord, drawn: Drawn) -> Vec<u8> {
    let builder = match drawn {
        Drawn::Cells { cell_size } => draw_cells(layer, tile, cell_size),
        Drawn::Features { tolerance } => {
            draw_features(layer, tile, tolerance, &in_tile(layer, tile))
        }
    };
    if builder.len() == 0 {
        return Vec::new();
    }
    mvt::tile([builder.finish()])
}

fn draw_cells(layer: &Layer, tile: TileCoord, cell_size: u32) -> LayerBuilder {
    let mut builder = LayerBuilder::new(layer.id(), EXTENT);
    let (sums, stats) = layer
        .config
        .tiles
        .aggregate
        .as_ref()
        .map(|a| (a.sums.as_slice(), a.stats.as_slice()))
        .unwrap_or_default();
    aggregate::aggregate(layer, tile, cell_size, sums, stats, &mut builder);
    builder
}

/// Draws the features `ids` (those of the buffered tile), each simplified with `tolerance`.
fn draw_features(layer: &Layer, tile: TileCoord, tolerance: f64, ids: &[u32]) -> LayerBuilder {
    let mut builder = LayerBuilder::new(layer.id(), EXTENT);
    let buffer = layer.config.tiles.buffer;
    let transform = TileTransform::new(tile, EXTENT);
    // A zoom band's geometry, already simplified within half the tolerance, is simplified
    // again per tile: fewer vertices (and bytes) than the band alone, at a small cost
    // since the band has few.
    let generaliser = Generaliser::new(transform, EXTENT, buffer, tolerance);
    // Prepared polygons serve tiles drawn with a prepared tolerance.
    let prepared = prepare::level(tolerance, layer.config.tiles.tolerance)
        .and_then(|k| layer.geometries.prepared_if_ready(tile.z(), k));
    let mut tags = Tagger::new(layer, ids.len());
    let mut commands = mvt::Commands::default();
    for &id in ids {
        let Some(wgs84) = layer.geometries.get(id as usize) else {
            continue;
        };
        let mercator = match layer.geometries.generalised(id as usize, tile.z()) {
            Some(Some(g)) => Cow::Borrowed(g),
            Some(None) => continue,
            None => Cow::Owned(crate::mercator::geometry_from_wgs84(wgs84)),
        };
        commands.clear();
        let ready = prepared
            .and_then(|p| prepared_of(layer, p, id))
            .is_some_and(|p| {
                prepare::draw(
                    p,
                    &mercator,
                    &generaliser,
                    transform.offset(),
                    &mut commands,
                )
            });
        if ready {
            if !commands.is_empty() {
                let feature_tags = tags.of(&mut builder, id as usize);
                builder.add_commands(u64::from(id), mvt::POLYGON, &commands, feature_tags);
            }
            continue;
        }
        let parts = generaliser.geometry(&mercator);
        let mut tagged = false;
        for part in &parts {
            commands.clear();
            let kind = commands.geometry(part);
            if commands.is_empty() {
                continue;
            }
            if !tagged {
                tags.of(&mut builder, id as usize);
                tagged = true;
            }
            builder.add_commands(u64::from(id), kind, &commands, &tags.tags);
        }
    }
    builder
}

/// Prepares what the tiles of a layer's lowest zooms reuse (at load): polygons simplified,
/// snapped and cleaned per zoom, and point cells per zoom.
pub fn prepare(layer: &Layer) {
    let started = std::time::Instant::now();
    prepare::prepare(layer);
    aggregate::prepare(layer);
    tracing::debug!(
        layer = %layer.id(),
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "tiles prepared"
    );
}

/// The MVT tags of a layer's features, with the key and text value indexes cached per column
/// (text is dictionary-encoded: a code is looked up once per tile, not hashed per feature).
struct Tagger<'a> {
    layer: &'a Layer,
    /// Features expected in the tile (sizes the per-column caches).
    features: usize,
    keys: Vec<Option<u32>>,
    texts: Vec<Codes>,
    tags: Vec<u32>,
}

/// The value index of each text code of a column met in the tile: a table indexed by code when
/// the column's dictionary is small beside the tile's features, a hash map otherwise.
enum Codes {
    Unused,
    /// Value index + 1 per code, 0 for a code not met yet.
    Dense(Vec<u32>),
    Sparse(rustc_hash::FxHashMap<u32, u32>),
}

impl Codes {
    fn get(&self, code: u32) -> Option<u32> {
        match self {
            Codes::Unused => None,
            Codes::Dense(v) => v.get(code as usize).and_then(|&i| i.checked_sub(1)),
            Codes::Sparse(m) => m.get(&code).copied(),
        }
    }

    fn insert(&mut self, code: u32, value: u32, dictionary: usize, features: usize) {
        if let Codes::Unused = self {
            *self = if dictionary <= 8 * features + 1024 {
                Codes::Dense(vec![0; dictionary])
            } else {
                Codes::Sparse(Default::default())
            };
        }
        match self {
            Codes::Dense(v) => {
                if let Some(slot) = v.get_mut(code as usize) {
                    *slot = value + 1;
                }
            }
            Codes::Sparse(m) => {
                m.insert(code, value);
            }
            Codes::Unused => {}
        }
    }
}

impl<'a> Tagger<'a> {
    fn new(layer: &'a Layer, features: usize) -> Self {
        let n = layer.schema.len();
        Self {
            layer,
            features,
            keys: vec![None; n],
            texts: (0..n).map(|_| Codes::Unused).collect(),
            tags: Vec::with_capacity(2 * n),
        }
    }

    /// The tags of feature `row` (null properties left out, as MVT has no null).
    fn of(&mut self, builder: &mut LayerBuilder, row: usize) -> &[u32] {
        self.tags.clear();
        for (i, property) in self.layer.schema.iter().enumerate() {
            let Some(column) = self.layer.table.column(i) else {
                continue;
            };
            let value = match column.text_code(row) {
                Some((code, text)) => match self.texts[i].get(code) {
                    Some(v) => Some(v),
                    None => {
                        let v = builder.value_index(&crate::layer::Value::String(text.clone()));
                        if let Some(v) = v {
                            let dictionary = column.dictionary().map_or(0, <[_]>::len);
                            self.texts[i].insert(code, v, dictionary, self.features);
                        }
                        v
                    }
                },
                None => builder.value_index(&column.get(row)),
            };
            if let Some(v) = value {
                let key = *self.keys[i].get_or_insert_with(|| builder.key_index(&property.name));
                self.tags.push(key);
                self.tags.push(v);
            }
        }
        &self.tags
    }
}

/// Encodes WGS84 points that fall in the buffered tile as a one-layer tile (for computed
/// features such as ranked sites); empty bytes when none does.
pub fn render_points<'a>(
    name: &str,
    tile: TileCoord,
    buffer: u32,
    points: impl IntoIterator<Item = (u64, geo::Coord<f64>, Vec<(&'a str, crate::layer::Value)>)>,
) -> Vec<u8> {
    let transform = TileTransform::new(tile, EXTENT);
    let lo = -f64::from(buffer);
    let hi = f64::from(EXTENT + buffer);
    let mut builder = LayerBuilder::new(name, EXTENT);
    for (id, c, props) in points {
        let p = transform.apply(crate::mercator::from_wgs84(c));
        if (lo..=hi).contains(&p.x) && (lo..=hi).contains(&p.y) {
            let geometry =
                mvt::TileGeometry::Points(vec![[p.x.round() as i32, p.y.round() as i32]]);
            builder.add_feature(id, &geometry, props.iter().map(|(k, v)| (*k, v)));
        }
    }
    if builder.len() == 0 {
        return Vec::new();
    }
    mvt::tile([builder.finish()])
}

/// The name of the label-point layer of a layer in tiles.
pub fn label_layer_name(id: &str) -> String {
    format!("{id}_label")
}

/// The label points of a polygon layer that fall inside the tile proper (each point is in one
/// tile only), carrying the label property, from the style's `label_min_zoom` (the map draws
/// no label below); `None` when there is none.
pub fn render_labels(layer: &Layer, tile: TileCoord) -> Option<Vec<u8>> {
    let label = layer.config.style.label.as_ref()?;
    let from = layer.config.min_zoom.max(layer.config.style.label_min_zoom);
    if layer.label_points.is_empty() || tile.z() < from {
        return None;
    }
    let property = layer.property_index(label)?;
    let transform = TileTransform::new(tile, EXTENT);
    let mut builder = LayerBuilder::new(&label_layer_name(layer.id()), EXTENT);
    let extent = f64::from(EXTENT);
    for (id, _) in layer.query(&tile.bbox_wgs84(0.0, EXTENT)) {
        let Some(Some(point)) = layer.label_points.get(id as usize) else {
            continue;
        };
        let p = transform.apply(*point);
        if !(0.0..extent).contains(&p.x) || !(0.0..extent).contains(&p.y) {
            continue;
        }
        let Some(value) = layer.table.get(id as usize, property) else {
            continue;
        };
        builder.add_feature(
            u64::from(id),
            &mvt::TileGeometry::Points(vec![[p.x as i32, p.y as i32]]),
            [(label.as_str(), value)],
        );
    }
    (builder.len() > 0).then(|| builder.finish())
}

/// One layer's share of a tile: its features' MVT layer message and its label points'.
#[derive(Debug, Default)]
pub struct Part {
    /// The features, `None` when the layer has nothing in the tile.
    pub features: Option<Vec<u8>>,
    /// The label points (only with features, and only in a part drawn within the layer's own
    /// budget).
    pub labels: Option<Vec<u8>>,
}

impl Part {
    /// Bytes of both messages.
    pub fn len(&self) -> usize {
        self.features.as_ref().map_or(0, Vec::len) + self.labels.as_ref().map_or(0, Vec::len)
    }

    /// Whether the part holds nothing.
    pub fn is_empty(&self) -> bool {
        self.features.is_none() && self.labels.is_none()
    }
}

/// Draws a layer's part of a tile: within its own byte budget with its label points
/// (`within: None`), or its features alone within `within` bytes (its share of a composite
/// over budget, see [`compose`]).
pub fn render_part(layer: &Layer, tile: TileCoord, within: Option<usize>) -> Part {
    match within {
        None => {
            let features = render_layer(layer, tile).map(|t| t.bytes);
            let labels = features.as_ref().and_then(|_| render_labels(layer, tile));
            Part { features, labels }
        }
        Some(max_bytes) => Part {
            features: render_layer_within(layer, tile, max_bytes).map(|t| t.bytes),
            labels: None,
        },
    }
}

/// Renders several layers into one tile, in the order given (each followed by its label points);
/// empty bytes when none has anything. The tile keeps within the largest of the layers' byte
/// budgets: when the layers together go over it, each is drawn again within its share of it.
pub fn render(layers: &[&Layer], tile: TileCoord) -> Vec<u8> {
    compose(layers, |i, within| {
        std::sync::Arc::new(render_part(layers[i], tile, within))
    })
}

/// Assembles a tile of several layers from their parts (MVT layer messages concatenate), as
/// [`render`] does; `part(i, within)` gives the part of `layers[i]` as [`render_part`] draws
/// it, from a cache or drawn there, so that a tile of `a,b`, one of `b,a` and one of `a` share
/// their parts and are the same bytes as [`render`]'s.
pub fn compose(
    layers: &[&Layer],
    mut part: impl FnMut(usize, Option<usize>) -> std::sync::Arc<Part>,
) -> Vec<u8> {
    let full: Vec<std::sync::Arc<Part>> = (0..layers.len()).map(|i| part(i, None)).collect();
    // Per layer, the features drawn again within a share, when they were.
    let mut shared: Vec<Option<std::sync::Arc<Part>>> = vec![None; layers.len()];
    let budget = layers
        .iter()
        .map(|l| l.config.tiles.max_bytes)
        .max()
        .unwrap_or(0);
    let total: usize = full.iter().map(|p| p.len()).sum();
    if layers.len() > 1 && total > budget {
        // The smallest layers keep what they drew; the largest share what is left.
        let labels: usize = full
            .iter()
            .map(|p| p.labels.as_ref().map_or(0, Vec::len))
            .sum();
        let mut room = budget.saturating_sub(labels);
        let features_len = |p: &Part| p.features.as_ref().map_or(0, Vec::len);
        let mut order: Vec<usize> = (0..layers.len()).collect();
        order.sort_by_key(|&i| features_len(&full[i]));
        for (n, &i) in order.iter().enumerate() {
            let share = room / (order.len() - n);
            let kept = if features_len(&full[i]) > share {
                let again = part(i, Some(share));
                let len = features_len(&again);
                shared[i] = Some(again);
                len
            } else {
                features_len(&full[i])
            };
            room = room.saturating_sub(kept);
        }
    }
    let mut messages: Vec<&[u8]> = Vec::new();
    for (f, s) in full.iter().zip(&shared) {
        let features = match s {
            Some(s) => s.features.as_deref(),
            None => f.features.as_deref(),
        };
        messages.extend(features);
        messages.extend(f.labels.as_deref());
    }
    mvt::tile(messages)
}
