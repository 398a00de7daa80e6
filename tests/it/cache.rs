//! The prepared-catalogue cache: a load read from the cache equals a load from the sources
//! (features, every property value, geometries, R-tree answers, search, prepared low zooms,
//! rendered tiles, memory, the national reference), keeps shared geometries shared, and never
//! serves a damaged or stale file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bourg::bbox::BboxWgs84;
use bourg::layer::{Layer, LoadReport, PREPARED_TOLERANCES, PREPARED_ZOOMS};
use bourg::{Catalog, LoadOptions};

use crate::support::{demo_data, demo_layers, tiles_over};

fn options(cache: &Path) -> LoadOptions {
    LoadOptions {
        cache_dir: Some(cache.to_owned()),
        write_in_background: false,
        read_only_cache: false,
    }
}

fn load(layers: &Path, cache: &Path) -> Catalog {
    Catalog::load_with(layers, &options(cache)).expect("the layers load")
}

fn ids(catalog: &Catalog) -> Vec<String> {
    catalog.layers().map(|l| l.id().to_owned()).collect()
}

/// Asserts that two catalogues hold the same layers, feature for feature and tile for tile.
fn assert_same(fresh: &Catalog, cached: &Catalog) {
    assert_eq!(ids(fresh), ids(cached));
    for (a, b) in fresh.layers().zip(cached.layers()) {
        let id = a.id();
        assert_eq!(a.schema, b.schema, "{id}: schema");
        assert_eq!(a.len(), b.len(), "{id}: features");
        for (fa, fb) in a.features().zip(b.features()) {
            assert_eq!(fa.wgs84, fb.wgs84, "{id}: geometry of feature {}", fa.id);
            assert!(
                fa.values().eq(fb.values()),
                "{id}: properties of feature {}",
                fa.id
            );
        }
        let report = |l: &Layer| LoadReport {
            load_ms: 0.0,
            ..l.report.clone()
        };
        assert_eq!(report(a), report(b), "{id}: report");
        assert_eq!(a.bounds, b.bounds, "{id}: bounds");
        assert_eq!(a.geometry_kind, b.geometry_kind, "{id}: kind");
        assert_eq!(a.label_points, b.label_points, "{id}: label points");
        assert_eq!(a.memory(), b.memory(), "{id}: memory");
        if let Some(bounds) = a.bounds {
            for bbox in quarters(&bounds) {
                assert_eq!(a.index.query(&bbox), b.index.query(&bbox), "{id}: R-tree");
            }
        }
        assert_eq!(a.search.is_some(), b.search.is_some(), "{id}: search");
        if let (Some(sa), Some(sb)) = (&a.search, &b.search) {
            for q in ["saint", "lens", "62", "besan", "x"] {
                assert_eq!(sa.search(q, 20), sb.search(q, 20), "{id}: search {q}");
            }
        }
        for z in 0..PREPARED_ZOOMS {
            for k in 0..PREPARED_TOLERANCES {
                assert_eq!(
                    a.geometries.prepared_if_ready(z, k),
                    b.geometries.prepared_if_ready(z, k),
                    "{id}: prepared polygons of z{z} level {k}"
                );
            }
            assert_eq!(
                a.geometries.cells.get(z),
                b.geometries.cells.get(z),
                "{id}: point cells of z{z}"
            );
        }
    }
    // Geometries shared between the same layers.
    let layers = |c: &Catalog| c.layers().cloned().collect::<Vec<_>>();
    let (la, lb) = (layers(fresh), layers(cached));
    for i in 0..la.len() {
        for j in 0..la.len() {
            assert_eq!(
                la[i].geometries.shares_with(&la[j].geometries),
                lb[i].geometries.shares_with(&lb[j].geometries),
                "{} and {} share geometries in one load only",
                la[i].id(),
                la[j].id()
            );
        }
    }
    // Every layer's tiles, byte for byte: every tile of the data up to z8 (the prepared low
    // zooms), then the tiles around Lens at z10 and z12.
    let ra: Vec<&Layer> = fresh.layers().map(|l| l.as_ref()).collect();
    let rb: Vec<&Layer> = cached.layers().map(|l| l.as_ref()).collect();
    let extent = fresh
        .layers()
        .filter_map(|l| l.bounds)
        .reduce(|a, b| a.union(&b))
        .expect("some bounds");
    let lens = BboxWgs84::try_new(2.76, 50.40, 2.90, 50.47).expect("box");
    let tiles = (0..=8u8)
        .flat_map(|z| tiles_over(&extent, z))
        .chain([10u8, 12].into_iter().flat_map(|z| tiles_over(&lens, z)));
    let mut drawn = 0;
    for tile in tiles {
        let bytes = bourg::tile::render(&ra, tile);
        assert_eq!(bytes, bourg::tile::render(&rb, tile), "tile {tile:?}");
        drawn += usize::from(!bytes.is_empty());
    }
    assert!(drawn > 20, "only {drawn} tiles have data");
    let reference = |c: &Catalog| serde_json::to_value(c.reference.as_deref()).expect("JSON");
    assert_eq!(reference(fresh), reference(cached), "national reference");
}

/// The box and its four quarters.
fn quarters(b: &BboxWgs84) -> Vec<BboxWgs84> {
    let (mx, my) = ((b.west + b.east) / 2.0, (b.south + b.north) / 2.0);
    [
        (b.west, b.south, b.east, b.north),
        (b.west, b.south, mx, my),
        (mx, b.south, b.east, my),
        (b.west, my, mx, b.north),
        (mx, my, b.east, b.north),
    ]
    .into_iter()
    .filter_map(|(w, s, e, n)| BboxWgs84::try_new(w, s, e, n).ok())
    .collect()
}

/// The cache file whose name ends with `suffix` (`-rpls.layer`, `-communes.shared`).
fn cache_file(cache: &Path, suffix: &str) -> PathBuf {
    let found: Vec<PathBuf> = std::fs::read_dir(cache)
        .expect("cache folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    assert_eq!(found.len(), 1, "one file ending in {suffix}: {found:?}");
    found.into_iter().next().expect("one file")
}

#[test]
fn a_cached_demo_equals_a_fresh_load() {
    let layers = demo_layers();
    let cache = tempfile::tempdir().expect("temp dir");
    let fresh = Catalog::load(&layers).expect("demo loads");
    let first = load(&layers, cache.path());
    assert!(first.from_cache().is_empty(), "nothing cached yet");
    let second = load(&layers, cache.path());
    assert_eq!(
        second.from_cache(),
        ids(&second),
        "every layer from the cache"
    );
    assert_same(&fresh, &second);
    // The seven views of the commune polygons hold one copy, as after a load from the source.
    let communes = second.get("communes").expect("communes");
    for id in ["lovac", "zonage_abc", "qpv", "rpls_communes"] {
        let layer = second.get(id).expect("layer");
        assert!(communes.geometries.shares_with(&layer.geometries), "{id}");
        assert!(layer.memory().shared, "{id}");
    }
}

/// Some demo layers and copies of their data in a temporary folder (`layers/`, `data/`), whose
/// files a test may change: the commune polygons (shared by `communes` and `lovac`, which joins
/// a table), action-cœur-de-ville points and vacant buildings (points counted in cells).
struct Copy {
    dir: tempfile::TempDir,
}

impl Copy {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("layers")).expect("layers folder");
        for id in ["communes", "lovac", "acv", "vacance_batiments"] {
            let toml = std::fs::read_to_string(demo_layers().join(format!("{id}.toml")))
                .expect("demo layer file");
            for line in toml.lines() {
                if let Some(name) = line
                    .strip_prefix("path = \"../data/")
                    .and_then(|l| l.strip_suffix('"'))
                {
                    let to = dir.path().join("data").join(name);
                    std::fs::create_dir_all(to.parent().expect("parent")).expect("data folder");
                    std::fs::copy(demo_data().join(name), &to).expect("copy data");
                }
            }
            std::fs::write(dir.path().join(format!("layers/{id}.toml")), toml).expect("write");
        }
        Self { dir }
    }

    fn layers(&self) -> PathBuf {
        self.dir.path().join("layers")
    }

    fn data(&self, name: &str) -> PathBuf {
        self.dir.path().join("data").join(name)
    }

    fn fresh(&self) -> Catalog {
        Catalog::load(&self.layers()).expect("the copy loads")
    }

    /// Replaces `from` by `to` (same length) in a data file, and sets its modification time
    /// back: only its content tells that it changed.
    fn change(&self, name: &str, from: &str, to: &str) {
        assert_eq!(from.len(), to.len());
        let path = self.data(name);
        let modified = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .expect("mtime");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains(from), "{from} in {name}");
        let changed = text.replacen(from, to, 1);
        assert_eq!(changed.len(), text.len());
        std::fs::write(&path, changed).expect("write");
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(modified))
            .expect("set the time back");
        let meta = std::fs::metadata(&path).expect("metadata");
        assert_eq!(meta.modified().expect("mtime"), modified);
        assert_eq!(meta.len() as usize, text.len());
    }
}

fn value(
    catalog: &Catalog,
    layer: &str,
    code_property: &str,
    code: &str,
    property: &str,
) -> String {
    let layer = catalog.get(layer).expect("layer");
    let (c, p) = (
        layer.property_index(code_property).expect("code"),
        layer.property_index(property).expect("property"),
    );
    let feature = layer
        .features()
        .find(|f| f.get(c).and_then(|v| v.as_key()).as_deref() == Some(code))
        .expect("feature");
    format!("{:?}", feature.get(p))
}

#[test]
fn a_changed_input_invalidates_its_layers_only() {
    let copy = Copy::new();
    let cache = tempfile::tempdir().expect("temp dir");
    load(&copy.layers(), cache.path());
    let all = ids(&copy.fresh());
    let others = |changed: &[&str]| -> Vec<String> {
        all.iter()
            .filter(|id| !changed.contains(&id.as_str()))
            .cloned()
            .collect()
    };
    // A joined table: its layer only, though the polygons it shares stay cached.
    copy.change(
        "lovac_communes_62_25_2021.csv",
        "25004,Abbévillers,534,",
        "25004,Abbévillers,535,",
    );
    let after = load(&copy.layers(), cache.path());
    assert_eq!(after.from_cache(), others(&["lovac"]));
    assert_eq!(
        value(&after, "lovac", "code", "25004", "nb_log_pp"),
        "Some(Int(535))"
    );
    assert_same(&copy.fresh(), &after);
    // A source of its own.
    copy.change(
        "acv_communes_62_25.geojson",
        "\"actions_livrees\":6,",
        "\"actions_livrees\":7,",
    );
    let after = load(&copy.layers(), cache.path());
    assert_eq!(after.from_cache(), others(&["acv"]));
    assert_eq!(
        value(&after, "acv", "insee_com", "25056", "actions_livrees"),
        "Some(Int(7))"
    );
    // A shared source: every layer that reads it.
    copy.change(
        "communes_62_25_cog2025.geojson",
        "Abbévillers",
        "Abbévillerz",
    );
    let after = load(&copy.layers(), cache.path());
    assert_eq!(after.from_cache(), others(&["communes", "lovac"]));
    assert_eq!(
        value(&after, "communes", "code", "25004", "nom"),
        "Some(String(\"Abbévillerz\"))"
    );
    assert_same(&copy.fresh(), &after);
    // A layer file: that layer.
    let toml = copy.layers().join("acv.toml");
    let text = std::fs::read_to_string(&toml).expect("read");
    std::fs::write(
        &toml,
        text.replace("color = \"#d62728\"", "color = \"#d62729\""),
    )
    .expect("write");
    let after = load(&copy.layers(), cache.path());
    assert_eq!(after.from_cache(), others(&["acv"]));
    let again = load(&copy.layers(), cache.path());
    assert_eq!(again.from_cache(), all, "every file rewritten");
}

#[test]
fn damaged_cache_files_are_detected_and_rebuilt() {
    let copy = Copy::new();
    let cache = tempfile::tempdir().expect("temp dir");
    let fresh = copy.fresh();
    let all = ids(&fresh);
    load(&copy.layers(), cache.path());
    type Damage = fn(&mut Vec<u8>);
    let damages: [(&str, Damage); 4] = [
        ("a flipped byte in the middle", |b| {
            let middle = b.len() / 2;
            b[middle] ^= 0x55;
        }),
        ("truncated", |b| b.truncate(b.len() * 2 / 3)),
        ("garbage", |b| *b = b"garbage".repeat(100)),
        ("empty", |b| b.clear()),
    ];
    for (file, loaded_again) in [
        ("-vacance_batiments.layer", vec!["vacance_batiments"]),
        ("-communes.shared", vec!["communes", "lovac"]),
        ("-lovac.layer", vec!["lovac"]),
    ] {
        for (what, damage) in damages {
            let path = cache_file(cache.path(), file);
            let mut bytes = std::fs::read(&path).expect("read");
            damage(&mut bytes);
            std::fs::write(&path, bytes).expect("write");
            let after = load(&copy.layers(), cache.path());
            let expected: Vec<String> = all
                .iter()
                .filter(|id| !loaded_again.contains(&id.as_str()))
                .cloned()
                .collect();
            assert_eq!(after.from_cache(), expected, "{file} {what}");
            assert_same(&fresh, &after);
            let rebuilt = load(&copy.layers(), cache.path());
            assert_eq!(rebuilt.from_cache(), all, "{file} {what}: rewritten");
        }
    }
    // A file gone: the same.
    std::fs::remove_file(cache_file(cache.path(), "-acv.layer")).expect("remove");
    let after = load(&copy.layers(), cache.path());
    assert!(!after.from_cache().contains(&"acv".to_owned()));
    assert_same(&fresh, &after);
}

#[test]
fn an_unwritable_cache_does_not_fail_the_load() {
    let copy = Copy::new();
    let fresh = copy.fresh();
    let blocker = tempfile::NamedTempFile::new().expect("temp file");
    // A folder that cannot exist (under a file), whoever runs the test.
    let impossible = blocker.path().join("cache");
    for _ in 0..2 {
        let catalog = load(&copy.layers(), &impossible);
        assert!(catalog.from_cache().is_empty());
        assert_same(&fresh, &catalog);
    }
    // A folder that does not exist yet is created.
    let parent = tempfile::tempdir().expect("temp dir");
    let missing = parent.path().join("a/b/cache");
    load(&copy.layers(), &missing);
    assert_eq!(load(&copy.layers(), &missing).from_cache(), ids(&fresh));
}

#[test]
fn the_cache_is_written_in_the_background_when_asked() {
    let copy = Copy::new();
    let cache = tempfile::tempdir().expect("temp dir");
    let background = LoadOptions {
        write_in_background: true,
        ..options(cache.path())
    };
    let catalog = Catalog::load_with(&copy.layers(), &background).expect("loads");
    let expected = ids(&catalog).len() + 1; // and the shared commune polygons
    let layer_files = || {
        std::fs::read_dir(cache.path())
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                    .count()
            })
            .unwrap_or(0)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while layer_files() < expected {
        assert!(
            std::time::Instant::now() < deadline,
            "the writer never finished"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // Files appear whole (renamed into place), so they read back.
    assert_eq!(
        load(&copy.layers(), cache.path()).from_cache(),
        ids(&catalog)
    );
}

#[test]
fn a_reload_keeps_a_shared_source_shared_and_cached() {
    let copy = Copy::new();
    let cache = tempfile::tempdir().expect("temp dir");
    let catalog = load(&copy.layers(), cache.path());
    // A layer file of the shared commune polygons changes: both layers drawn on them reload.
    let toml = copy.layers().join("communes.toml");
    let text = std::fs::read_to_string(&toml).expect("read");
    std::fs::write(
        &toml,
        text.replace("label_min_zoom = 10", "label_min_zoom = 11"),
    )
    .expect("write");
    let (reloaded, mut changed) = catalog.reload().expect("reload");
    changed.sort();
    assert_eq!(changed, ["communes", "lovac"]);
    let (communes, lovac) = (
        reloaded.get("communes").expect("communes"),
        reloaded.get("lovac").expect("lovac"),
    );
    assert!(communes.geometries.shares_with(&lovac.geometries));
    assert!(Arc::ptr_eq(
        catalog.get("acv").expect("acv"),
        reloaded.get("acv").expect("acv")
    ));
    // What the reload loaded was cached: the next start reads every layer back.
    let again = load(&copy.layers(), cache.path());
    assert_eq!(again.from_cache(), ids(&again));
    assert_same(&copy.fresh(), &again);
}

/// A replica's cache (`bourg serve --replica`) is read, never written.
#[test]
fn a_read_only_cache_is_read_and_never_written() {
    let copy = Copy::new();
    let cache = tempfile::tempdir().expect("temp dir");
    let read_only = LoadOptions {
        read_only_cache: true,
        ..options(cache.path())
    };
    let files = || std::fs::read_dir(cache.path()).expect("cache dir").count();
    let catalog = Catalog::load_with(&copy.layers(), &read_only).expect("loads");
    assert!(catalog.from_cache().is_empty());
    assert_eq!(files(), 0, "nothing written");
    load(&copy.layers(), cache.path());
    let written = files();
    assert!(written > 0);
    let catalog = Catalog::load_with(&copy.layers(), &read_only).expect("loads");
    assert_eq!(
        catalog.from_cache().len(),
        catalog.len(),
        "every layer read from the cache"
    );
    assert_eq!(files(), written);
}
