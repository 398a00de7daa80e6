//! Tile rendering: a dense z14 tile over Lens, a z10 tile, an aggregated low-zoom tile, and the
//! bulk load of a national-scale point layer, each timed apart from its inputs.
//!
//! `cargo bench --bench tiles`. The national point layer is generated with a fixed seed (one
//! million points over metropolitan France, denser near Lens) and written once as CSV.

use std::hint::black_box;
use std::io::Write;
use std::path::Path;

use bourg::tile::{render, render_layer, TileCoord};
use bourg::Catalog;
use criterion::{criterion_group, criterion_main, Criterion};

const POINTS: usize = 1_000_000;

/// A 64-bit LCG: deterministic, no dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Writes a layer folder with a one-million-point CSV layer aggregated below z12.
fn national_points(dir: &Path) {
    let mut rng = Lcg(0x5eed);
    let mut csv =
        std::io::BufWriter::new(std::fs::File::create(dir.join("points.csv")).expect("csv"));
    writeln!(csv, "lon,lat,logements").expect("write");
    for i in 0..POINTS {
        // A third of the points within ~20 km of Lens, the rest over the country.
        let (lon, lat) = if i % 3 == 0 {
            (
                2.83 + (rng.next() - 0.5) * 0.5,
                50.43 + (rng.next() - 0.5) * 0.3,
            )
        } else {
            (-4.5 + 12.5 * rng.next(), 42.5 + 8.5 * rng.next())
        };
        let n = 1 + (rng.next() * 40.0) as u32;
        writeln!(csv, "{lon:.6},{lat:.6},{n}").expect("write");
    }
    drop(csv);
    std::fs::write(
        dir.join("points.toml"),
        "title = \"Points\"\nsynthetic = true\nmax_zoom = 16\n[source]\npath = \"points.csv\"\nx = \"lon\"\ny = \"lat\"\ncrs = \"EPSG:4326\"\n[properties]\nlogements = \"int\"\n[tiles]\naggregate_below = 12\nsums = [\"logements\"]\n[attribution]\nproducer = \"bench\"\ndate = \"2026\"\n",
    )
    .expect("toml");
}

fn bench_demo_tiles(c: &mut Criterion) {
    let catalog = Catalog::load(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/layers/demo"
    )))
    .expect("demo");
    let communes = catalog.get("communes").expect("communes").as_ref();
    let all: Vec<&bourg::layer::Layer> = catalog.layers().map(|l| l.as_ref()).collect();
    let lens14 = TileCoord::containing(2.8319, 50.4322, 14);
    let lens10 = TileCoord::containing(2.8319, 50.4322, 10);
    let lens7 = TileCoord::containing(2.8319, 50.4322, 7);
    c.bench_function("tile/demo_all_layers_z14_lens", |b| {
        b.iter(|| black_box(render(&all, lens14)))
    });
    c.bench_function("tile/demo_all_layers_z10_lens", |b| {
        b.iter(|| black_box(render(&all, lens10)))
    });
    c.bench_function("tile/communes_z7_lens", |b| {
        b.iter(|| black_box(render_layer(communes, lens7)))
    });
}

fn bench_national_points(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    national_points(dir.path());
    let mut group = c.benchmark_group("national_points");
    group.sample_size(10);
    group.bench_function("bulk_load_1M_csv", |b| {
        b.iter(|| black_box(Catalog::load(dir.path()).expect("loads")))
    });
    group.finish();
    let catalog = Catalog::load(dir.path()).expect("loads");
    let points = catalog.get("points").expect("points").as_ref();
    for (name, z) in [
        ("z14_lens_points", 14),
        ("z10_lens_cells", 10),
        ("z5_aggregated", 5),
    ] {
        let tile = TileCoord::containing(2.8319, 50.4322, z);
        let size = render_layer(points, tile).map_or(0, |t| t.bytes.len());
        eprintln!("national_points/{name}: {size} bytes");
        c.bench_function(&format!("national_points/{name}"), |b| {
            b.iter(|| black_box(render_layer(points, tile)))
        });
    }
}

criterion_group!(benches, bench_demo_tiles, bench_national_points);
criterion_main!(benches);
