//! `bourg export`: the tiles of one layer or a composite, over a zoom range and an optional
//! WGS84 box, rendered on every core and written to an archive ([`super::Writer`]).
//!
//! Each tile is [`crate::tile::render`]'s bytes for the layer list, the bytes the server
//! answers at `/tiles/{layers}/{z}/{x}/{y}.mvt`; empty tiles are skipped. Only tiles that may
//! hold something are rendered: a tile is visited when some feature's envelope meets it
//! grown by one tile on each side (wider than any tile buffer or aggregation margin), and the
//! children of a tile that is not visited are not either, since they lie inside it.

use std::collections::BTreeMap;
use std::ops::{ControlFlow, RangeInclusive};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use super::{pmtiles, ArchiveError, Format, Metadata};
use crate::bbox::BboxWgs84;
use crate::catalog::Catalog;
use crate::config::EXTENT;
use crate::layer::Layer;
use crate::tile::{self, TileCoord};

/// The highest zoom an export writes.
pub const MAX_EXPORT_ZOOM: u8 = 20;

/// Tiles rendered ahead of the one the writer waits for, at most.
const WINDOW: usize = 4096;

/// Why an export cannot run or did not finish.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The layer list has an empty name (`a,,b`, or nothing).
    #[error("layer list {0:?} has an empty name")]
    EmptyName(String),
    /// A layer is listed twice.
    #[error("layer {0:?} is listed twice")]
    Repeated(String),
    /// A listed layer is not in the catalogue.
    #[error("no layer {id:?} in {}; the layers are: {known}", dir.display())]
    UnknownLayer {
        id: String,
        dir: PathBuf,
        known: String,
    },
    /// The zoom range is reversed.
    #[error("minzoom {min} is above maxzoom {max}")]
    Zooms { min: u8, max: u8 },
    /// The highest zoom is above [`MAX_EXPORT_ZOOM`].
    #[error("maxzoom {0} is above {MAX_EXPORT_ZOOM}, the highest zoom an export writes")]
    MaxZoom(u8),
    /// The output's extension names no known format and none was given.
    #[error("cannot tell the archive format of {}: name it *.pmtiles or *.mbtiles, or give the format", .0.display())]
    UnknownFormat(PathBuf),
    /// No tile holds anything.
    #[error("nothing to export: no tile of {list} holds a feature at zooms {min}–{max}{within}")]
    NoTiles {
        list: String,
        min: u8,
        max: u8,
        /// ` in bbox w,s,e,n`, or empty without a box.
        within: String,
    },
    /// The caller stopped the export.
    #[error("export cancelled")]
    Cancelled,
    /// Writing the archive failed.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
}

/// What to export, as asked (zooms default to the layers' range).
#[derive(Debug, Clone)]
pub struct Options {
    /// Layer ids joined by commas, as in `/tiles/{layers}/…`.
    pub layers: String,
    /// Lowest zoom; the layers' lowest `min_zoom` when `None`.
    pub minzoom: Option<u8>,
    /// Highest zoom; the layers' highest `max_zoom` when `None`.
    pub maxzoom: Option<u8>,
    /// Only tiles meeting this box.
    pub bbox: Option<BboxWgs84>,
    /// The archive file.
    pub output: PathBuf,
    /// The format; from the output's extension when `None`.
    pub format: Option<Format>,
    /// Overwrite an existing output.
    pub force: bool,
}

impl Options {
    /// The archive format, and that the zooms given and the output are acceptable: what can be
    /// checked before the catalogue is loaded.
    ///
    /// # Errors
    /// [`ExportError::UnknownFormat`], [`ExportError::MaxZoom`], [`ExportError::Zooms`], or
    /// [`ArchiveError::Exists`] without `force`.
    pub fn check(&self) -> Result<Format, ExportError> {
        let format = self
            .format
            .or_else(|| Format::of_path(&self.output))
            .ok_or_else(|| ExportError::UnknownFormat(self.output.clone()))?;
        if let Some(max) = self.maxzoom {
            check_zooms(self.minzoom.unwrap_or(0), max)?;
        }
        super::file::refuse_existing(&self.output, self.force)?;
        Ok(format)
    }
}

/// A checked export: the layers, zooms, box, format and output.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The layers, in the list's order.
    pub layers: Vec<Arc<Layer>>,
    /// Their ids joined by commas.
    pub list: String,
    /// Lowest zoom written.
    pub minzoom: u8,
    /// Highest zoom written.
    pub maxzoom: u8,
    /// Only tiles meeting this box.
    pub bbox: Option<BboxWgs84>,
    /// The archive format.
    pub format: Format,
    /// The archive file.
    pub output: PathBuf,
    /// Overwrite an existing output.
    pub force: bool,
}

impl Plan {
    /// Checks the options against a catalogue.
    ///
    /// # Errors
    /// An empty, repeated or unknown layer name, reversed zooms, a zoom above
    /// [`MAX_EXPORT_ZOOM`], an unknown format, an existing output without `force`.
    pub fn try_new(catalog: &Catalog, options: Options) -> Result<Self, ExportError> {
        let format = options.check()?;
        let mut layers: Vec<Arc<Layer>> = Vec::new();
        for id in options.layers.split(',') {
            let id = id.trim();
            if id.is_empty() {
                return Err(ExportError::EmptyName(options.layers));
            }
            if layers.iter().any(|l| l.id() == id) {
                return Err(ExportError::Repeated(id.to_owned()));
            }
            let layer = catalog.get(id).ok_or_else(|| ExportError::UnknownLayer {
                id: id.to_owned(),
                dir: catalog.dir.clone(),
                known: catalog
                    .layers()
                    .map(|l| l.id())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
            layers.push(Arc::clone(layer));
        }
        let minzoom = options
            .minzoom
            .unwrap_or_else(|| layers.iter().map(|l| l.config.min_zoom).min().unwrap_or(0));
        let maxzoom = options
            .maxzoom
            .unwrap_or_else(|| layers.iter().map(|l| l.config.max_zoom).max().unwrap_or(0));
        check_zooms(minzoom, maxzoom)?;
        let list = layers.iter().map(|l| l.id()).collect::<Vec<_>>().join(",");
        Ok(Self {
            layers,
            list,
            minzoom,
            maxzoom,
            bbox: options.bbox,
            format,
            output: options.output,
            force: options.force,
        })
    }

    /// The tiles to render, in ascending PMTiles tile id: those of `minzoom..=maxzoom` that
    /// meet the box and may hold a feature (see the module's documentation).
    ///
    /// # Runtime
    /// One R-tree count per layer and visited tile, from zoom 0 (on every core).
    pub fn tiles(&self) -> Vec<TileCoord> {
        let mut out: Vec<(u64, TileCoord)> = Vec::new();
        let mut level = vec![TileCoord::containing(0.0, 0.0, 0)];
        for z in 0..=self.maxzoom {
            let ranges = self.bbox.map(|b| ranges(&b, z));
            let keep = crate::parallel::map(&level, |t| {
                ranges.as_ref().is_none_or(|r| {
                    r.iter()
                        .any(|(xs, ys)| xs.contains(&t.x()) && ys.contains(&t.y()))
                }) && self.may_hold(*t)
            });
            let kept: Vec<TileCoord> = level
                .iter()
                .zip(keep)
                .filter_map(|(t, k)| k.then_some(*t))
                .collect();
            if z >= self.minzoom {
                out.extend(kept.iter().map(|&t| (pmtiles::tile_id(t), t)));
            }
            level = kept.iter().flat_map(|t| children(*t)).collect();
        }
        out.sort_unstable_by_key(|(id, _)| *id);
        out.into_iter().map(|(_, t)| t).collect()
    }

    /// Some feature of some layer meets the tile grown by one tile on each side.
    fn may_hold(&self, tile: TileCoord) -> bool {
        self.layers.iter().any(|l| {
            let margin = EXTENT.max(l.config.tiles.buffer);
            let bbox = tile.bbox_wgs84(f64::from(margin), EXTENT);
            l.index.count(&bbox) > 0
        })
    }

    /// The archive's metadata: the layers' TileJSON with this export's zooms, and its bounds
    /// (the layers' bounds within the box).
    pub fn metadata(&self) -> Metadata {
        let mut tilejson = crate::tilejson::document(&self.layers);
        let world = BboxWgs84 {
            west: -180.0,
            south: -crate::mercator::MAX_LATITUDE,
            east: 180.0,
            north: crate::mercator::MAX_LATITUDE,
        };
        let data = crate::tilejson::bounds(&self.layers).unwrap_or(world);
        let bounds = match self.bbox {
            Some(b) if !b.crosses_antimeridian() => BboxWgs84 {
                west: data.west.max(b.west),
                south: data.south.max(b.south),
                east: data.east.min(b.east),
                north: data.north.min(b.north),
            },
            _ => data,
        };
        let bounds = if bounds.west <= bounds.east && bounds.south <= bounds.north {
            bounds
        } else {
            data
        };
        let center = crate::tilejson::center(&bounds, self.minzoom, self.maxzoom);
        tilejson["minzoom"] = self.minzoom.into();
        tilejson["maxzoom"] = self.maxzoom.into();
        tilejson["bounds"] = serde_json::json!(bounds.to_array());
        tilejson["center"] = serde_json::json!(center);
        tilejson["format"] = "pbf".into();
        tilejson["generator"] = format!("bourg {}", env!("CARGO_PKG_VERSION")).into();
        Metadata {
            tilejson,
            minzoom: self.minzoom,
            maxzoom: self.maxzoom,
            bounds,
            center,
        }
    }
}

/// A zoom range an export can write.
fn check_zooms(min: u8, max: u8) -> Result<(), ExportError> {
    if max > MAX_EXPORT_ZOOM {
        return Err(ExportError::MaxZoom(max));
    }
    if min > max {
        return Err(ExportError::Zooms { min, max });
    }
    Ok(())
}

/// The tile ranges (x, y) meeting a box at zoom `z`, as the tiles holding its corners bound
/// them; two when it crosses the antimeridian.
fn ranges(bbox: &BboxWgs84, z: u8) -> Vec<(RangeInclusive<u32>, RangeInclusive<u32>)> {
    bbox.envelopes()
        .iter()
        .map(|r| {
            let nw = TileCoord::containing(r.min().x, r.max().y, z);
            let se = TileCoord::containing(r.max().x, r.min().y, z);
            (nw.x()..=se.x(), nw.y()..=se.y())
        })
        .collect()
}

fn children(t: TileCoord) -> impl Iterator<Item = TileCoord> {
    let (z, x, y) = (
        u64::from(t.z()) + 1,
        u64::from(t.x()) * 2,
        u64::from(t.y()) * 2,
    );
    [(0, 0), (1, 0), (0, 1), (1, 1)]
        .into_iter()
        .filter_map(move |(dx, dy)| TileCoord::try_new(z, x + dx, y + dy).ok())
}

/// Where an export stands, reported after each tile.
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    /// Tiles rendered and handed to the writer (written or skipped).
    pub done: usize,
    /// Tiles to render.
    pub total: usize,
    /// Non-empty tiles written.
    pub written: usize,
    /// Empty tiles skipped.
    pub empty: usize,
}

/// What an export wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    /// The archive.
    pub output: PathBuf,
    /// `pmtiles` or `mbtiles`.
    pub format: &'static str,
    /// The layers.
    pub layers: String,
    /// Lowest zoom.
    pub minzoom: u8,
    /// Highest zoom.
    pub maxzoom: u8,
    /// Tiles rendered (those that may hold a feature).
    pub rendered: usize,
    /// Non-empty tiles written.
    pub tiles: usize,
    /// Distinct tile contents among them (identical tiles are stored once).
    pub distinct: usize,
    /// Empty tiles skipped.
    pub empty: usize,
    /// Size of the archive.
    pub bytes: u64,
    /// Wall time, in seconds.
    pub seconds: f64,
    /// Tiles rendered per second.
    pub tiles_per_second: f64,
}

/// One rendered tile: `None` when empty, else its gzip bytes and the hash of its MVT bytes.
type Done = Option<(Vec<u8>, u128)>;

/// Renders the plan's tiles on every core and writes the archive; `observe` is called after
/// each tile and may stop the export ([`ControlFlow::Break`]).
///
/// # Errors
/// [`ExportError::NoTiles`] when every tile is empty, [`ExportError::Cancelled`], or the
/// archive cannot be written. The output name is then untouched, and no partial file is left.
///
/// # Runtime
/// A render and a gzip per tile, spread over the cores; the writer keeps the tiles in tile-id
/// order with at most 4096 tiles held ahead of it.
pub fn run(
    plan: &Plan,
    mut observe: impl FnMut(Progress) -> ControlFlow<()>,
) -> Result<Summary, ExportError> {
    let started = Instant::now();
    let tiles = plan.tiles();
    let mut writer = super::writer(plan.format, &plan.output, plan.force)?;
    let refs: Vec<&Layer> = plan.layers.iter().map(|l| l.as_ref()).collect();
    let mut progress = Progress {
        total: tiles.len(),
        ..Progress::default()
    };
    let mut distinct = std::collections::HashSet::new();
    let mut result: Result<(), ExportError> = Ok(());
    render_in_order(&tiles, &refs, |i, done| {
        progress.done = i + 1;
        match done {
            None => progress.empty += 1,
            Some((gzip, hash)) => {
                if let Err(e) = writer.add(tiles[i], &gzip, hash) {
                    result = Err(e.into());
                    return ControlFlow::Break(());
                }
                distinct.insert(hash);
                progress.written += 1;
            }
        }
        if observe(progress).is_break() {
            result = Err(ExportError::Cancelled);
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    result?;
    if progress.written == 0 {
        return Err(ExportError::NoTiles {
            list: plan.list.clone(),
            min: plan.minzoom,
            max: plan.maxzoom,
            within: plan.bbox.map_or_else(String::new, |b| {
                let [w, s, e, n] = b.to_array();
                format!(" in bbox {w},{s},{e},{n}")
            }),
        });
    }
    writer.finish(&plan.metadata())?;
    let bytes = std::fs::metadata(&plan.output)
        .map(|m| m.len())
        .map_err(|e| ArchiveError::io(&plan.output, "cannot read the size of", e))?;
    let seconds = started.elapsed().as_secs_f64();
    Ok(Summary {
        output: plan.output.clone(),
        format: plan.format.name(),
        layers: plan.list.clone(),
        minzoom: plan.minzoom,
        maxzoom: plan.maxzoom,
        rendered: tiles.len(),
        tiles: progress.written,
        distinct: distinct.len(),
        empty: progress.empty,
        bytes,
        seconds,
        tiles_per_second: tiles.len() as f64 / seconds.max(1e-9),
    })
}

/// Renders `tiles` on every core and hands each result to `write` in the tiles' order, until
/// `write` breaks. Workers stay at most [`WINDOW`] tiles ahead of the writer.
fn render_in_order(
    tiles: &[TileCoord],
    layers: &[&Layer],
    mut write: impl FnMut(usize, Done) -> ControlFlow<()>,
) {
    let next = AtomicUsize::new(0);
    let written = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let workers = crate::parallel::cores().min(tiles.len()).max(1);
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<(usize, Done)>();
        for _ in 0..workers {
            let tx = tx.clone();
            let (next, written, stop) = (&next, &written, &stop);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&tile) = tiles.get(i) else { break };
                while i >= written.load(Ordering::Acquire) + WINDOW {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let body = tile::render(layers, tile);
                let done = (!body.is_empty()).then(|| {
                    let hash = xxhash_rust::xxh3::xxh3_128(&body);
                    (pmtiles::gzip(&body), hash)
                });
                if tx.send((i, done)).is_err() {
                    return;
                }
            });
        }
        drop(tx);
        let mut pending: BTreeMap<usize, Done> = BTreeMap::new();
        let mut expected = 0usize;
        'receive: for (i, done) in rx.iter() {
            pending.insert(i, done);
            while let Some(done) = pending.remove(&expected) {
                let flow = write(expected, done);
                expected += 1;
                written.store(expected, Ordering::Release);
                if flow.is_break() {
                    stop.store(true, Ordering::Relaxed);
                    break 'receive;
                }
            }
        }
        // Dropping the receiver ends workers blocked on sending.
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_the_tiles_holding_the_corners() {
        let lens = BboxWgs84::parse("2.70,50.36,2.95,50.48").unwrap();
        let r = ranges(&lens, 12);
        assert_eq!(r.len(), 1);
        let nw = TileCoord::containing(2.70, 50.48, 12);
        let se = TileCoord::containing(2.95, 50.36, 12);
        assert_eq!(r[0], (nw.x()..=se.x(), nw.y()..=se.y()));
        // Across the antimeridian: the two sides.
        let pacific = BboxWgs84::parse("170,-20,-170,-10").unwrap();
        let r = ranges(&pacific, 3);
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].0.clone(), r[1].0.clone()), (7..=7, 0..=0));
    }

    #[test]
    fn children_lie_inside_their_parent() {
        let t = TileCoord::try_new(3, 5, 2).unwrap();
        let kids: Vec<TileCoord> = children(t).collect();
        assert_eq!(kids.len(), 4);
        for k in kids {
            assert_eq!((k.z(), k.x() / 2, k.y() / 2), (4, 5, 2));
        }
        let last = TileCoord::try_new(24, 0, 0).unwrap();
        assert_eq!(children(last).count(), 0, "no zoom 25");
    }

    #[test]
    fn zoom_ranges_are_checked() {
        assert!(check_zooms(0, 20).is_ok());
        assert!(matches!(check_zooms(0, 21), Err(ExportError::MaxZoom(21))));
        assert!(matches!(
            check_zooms(9, 5),
            Err(ExportError::Zooms { min: 9, max: 5 })
        ));
    }
}
