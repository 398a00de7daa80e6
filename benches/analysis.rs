//! Territory analysis on the demo: the indicators of a commune (Lens), a département (62) and a
//! drawn polygon, the national reference, and the recycling-site finder (default programme
//! communes and a whole département), each timed apart from the catalogue load.
//!
//! `cargo bench --bench analysis`.

use std::hint::black_box;
use std::path::Path;

use bourg::analysis::{self, sites, Reference};
use bourg::Catalog;
use criterion::{criterion_group, criterion_main, Criterion};

fn bench_analysis(c: &mut Criterion) {
    let layers = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/layers/demo"));
    let catalog = Catalog::load(layers).expect("demo");
    let mut group = c.benchmark_group("indicators");
    group.sample_size(20);
    for code in ["62498", "246200364", "62"] {
        let t = analysis::resolve(&catalog, code).expect("territory");
        group.bench_function(format!("{code} ({} communes)", t.communes.len()), |b| {
            b.iter(|| black_box(analysis::compute(&catalog, &t)))
        });
    }
    let square = geo::MultiPolygon::new(vec![geo::Polygon::new(
        geo::LineString::from(vec![
            (2.78, 50.40),
            (2.88, 50.40),
            (2.88, 50.46),
            (2.78, 50.46),
            (2.78, 50.40),
        ]),
        vec![],
    )]);
    group.bench_function("drawn polygon around Lens", |b| {
        b.iter(|| {
            let t = analysis::from_polygon(&catalog, square.clone(), "bench");
            black_box(analysis::compute(&catalog, &t))
        })
    });
    group.finish();

    let mut group = c.benchmark_group("reference");
    group.sample_size(10);
    let reference = Catalog::load(&layers.join("reference")).expect("reference");
    group.bench_function("France, 34,867 communes", |b| {
        b.iter(|| black_box(Reference::of(&reference)))
    });
    group.finish();

    let mut group = c.benchmark_group("sites");
    group.sample_size(10);
    let query = |territory: Option<&str>| sites::Query {
        territory: territory.map(|t| analysis::resolve(&catalog, t).expect("territory")),
        ..sites::Query::new()
    };
    for (name, q) in [
        ("programme communes and surroundings", query(None)),
        ("département 62", query(Some("62"))),
    ] {
        group.bench_function(name, |b| b.iter(|| black_box(sites::find(&catalog, &q))));
    }
    group.finish();
}

criterion_group!(benches, bench_analysis);
criterion_main!(benches);
