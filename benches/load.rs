//! Start-up and index costs: loading the demo catalogue (GDAL read, validation, reprojection,
//! joins, R-tree) and the R-tree alone, bulk load and bbox query timed apart.
//!
//! `cargo bench --bench load` (or `make bench`). Inputs are built outside the timed closures;
//! generated envelopes use a fixed-seed generator.

use std::hint::black_box;
use std::path::Path;

use bourg::bbox::BboxWgs84;
use bourg::index::SpatialIndex;
use bourg::Catalog;
use criterion::{criterion_group, criterion_main, Criterion};
use geo::{Coord, Rect};

/// Deterministic points over metropolitan France (a 64-bit LCG; no dependency needed).
fn envelopes(n: usize) -> Vec<Rect<f64>> {
    let mut state: u64 = 0x5eed;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| {
            let x = -5.0 + 14.0 * next();
            let y = 42.0 + 9.0 * next();
            let c = Coord { x, y };
            Rect::new(c, c)
        })
        .collect()
}

fn demo_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/layers/demo"))
}

fn bench_load(c: &mut Criterion) {
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.bench_function("demo_catalogue", |b| {
        b.iter(|| black_box(Catalog::load(demo_dir()).expect("demo loads")))
    });
    group.finish();
}

fn bench_index(c: &mut Criterion) {
    let points = envelopes(1_000_000);
    let mut group = c.benchmark_group("index");
    group.sample_size(10);
    group.bench_function("bulk_load_1M_points", |b| {
        b.iter_batched(
            || points.clone(),
            |p| black_box(SpatialIndex::bulk_load(p)),
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();

    let index = SpatialIndex::bulk_load(points);
    // About a z12 tile around Lens, and a département-sized box.
    let small = BboxWgs84::try_new(2.76, 50.40, 2.85, 50.46).expect("bbox");
    let large = BboxWgs84::try_new(1.5, 50.0, 3.2, 51.0).expect("bbox");
    c.bench_function("index/query_1M_small_bbox", |b| {
        b.iter(|| black_box(index.query(&small)))
    });
    c.bench_function("index/query_1M_large_bbox", |b| {
        b.iter(|| black_box(index.query(&large)))
    });
    c.bench_function("index/count_1M_large_bbox", |b| {
        b.iter(|| black_box(index.count(&large)))
    });
}

criterion_group!(benches, bench_load, bench_index);
criterion_main!(benches);
