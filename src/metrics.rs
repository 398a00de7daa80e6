//! What the server counts, for Prometheus: counters and histograms kept by the code that does
//! the work (requests, tile renders, the tile cache, reloads), and the text exposition format
//! (version 0.0.4) they are written in, with the values read at scrape time (layers, pools).
//!
//! One [`Metrics`] per server state, not a process-wide recorder: two servers in one process
//! (the tests) count apart.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, seconds: from a cached tile (under a millisecond) to a
/// national analysis (seconds).
pub const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Upper bounds of the load and reload buckets, seconds.
pub const LOAD_BUCKETS: [f64; 8] = [0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0];

/// A monotonic count.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    /// The count.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Observations counted in cumulative buckets, with their sum.
#[derive(Debug)]
pub struct Histogram {
    bounds: &'static [f64],
    /// Per bound (not cumulative), then the overflow.
    buckets: Vec<AtomicU64>,
    /// Sum of the observations, in nanoseconds (or units of 1e-9).
    sum_nanos: AtomicU64,
}

impl Histogram {
    /// A histogram with these upper bounds (increasing).
    pub fn new(bounds: &'static [f64]) -> Self {
        Self {
            bounds,
            buckets: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_nanos: AtomicU64::new(0),
        }
    }

    /// Counts a duration.
    pub fn observe(&self, d: Duration) {
        let s = d.as_secs_f64();
        let i = self
            .bounds
            .iter()
            .position(|&b| s <= b)
            .unwrap_or(self.bounds.len());
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        self.sum_nanos.fetch_add(
            u64::try_from(d.as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// Observations counted.
    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).sum()
    }
}

/// Values of one metric per label set, created on first use.
#[derive(Debug)]
pub struct Family<T> {
    labels: &'static [&'static str],
    members: Mutex<BTreeMap<Vec<String>, std::sync::Arc<T>>>,
    make: fn() -> T,
}

impl<T> Family<T> {
    /// A family with these label names, whose members `make` creates.
    pub fn new(labels: &'static [&'static str], make: fn() -> T) -> Self {
        Self {
            labels,
            members: Mutex::default(),
            make,
        }
    }

    /// The member of these label values (as many as the names), created if new.
    pub fn get(&self, values: &[&str]) -> std::sync::Arc<T> {
        debug_assert_eq!(values.len(), self.labels.len());
        let mut members = self
            .members
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        members
            .entry(values.iter().map(|v| (*v).to_owned()).collect())
            .or_insert_with(|| std::sync::Arc::new((self.make)()))
            .clone()
    }

    fn snapshot(&self) -> Vec<(Vec<String>, std::sync::Arc<T>)> {
        self.members
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

/// A cache's traffic.
#[derive(Debug, Default)]
pub struct CacheCounters {
    /// Lookups answered from the cache.
    pub hits: Counter,
    /// Lookups that computed the value.
    pub misses: Counter,
    /// Entries dropped to keep within the memory budget.
    pub evictions: Counter,
}

impl CacheCounters {
    /// Counts a lookup: a miss when the value was computed for it (`fresh`), else a hit.
    pub fn lookup(&self, fresh: bool) {
        if fresh {
            self.misses.add(1);
        } else {
            self.hits.add(1);
        }
    }
}

/// Everything counted while the server runs.
#[derive(Debug)]
pub struct Metrics {
    /// Requests per route template, method and status.
    pub requests: Family<Counter>,
    /// Request latency per route template and status.
    pub latency: Family<Histogram>,
    /// Response body bytes sent per route template (after compression).
    pub bytes_out: Family<Counter>,
    /// Layer tiles rendered, and their render time, per layer and zoom.
    pub renders: Family<Histogram>,
    /// Whole tiles (one per layer list) in the tile cache.
    pub tile_cache: CacheCounters,
    /// Per-layer parts of tiles in the tile cache.
    pub part_cache: CacheCounters,
    /// Catalogue loads (`start`) and reloads (`admin`, `watch`, `signal`) per outcome.
    pub loads: Family<Histogram>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            requests: Family::new(&["route", "method", "status"], Counter::default),
            latency: Family::new(&["route", "status"], || Histogram::new(&LATENCY_BUCKETS)),
            bytes_out: Family::new(&["route"], Counter::default),
            renders: Family::new(&["layer", "zoom"], || Histogram::new(&LATENCY_BUCKETS)),
            tile_cache: CacheCounters::default(),
            part_cache: CacheCounters::default(),
            loads: Family::new(&["trigger", "outcome"], || Histogram::new(&LOAD_BUCKETS)),
        }
    }
}

impl Metrics {
    /// Counts one answered request.
    pub fn request(&self, route: &str, method: &str, status: u16, took: Duration) {
        let status = status.to_string();
        self.requests.get(&[route, method, &status]).add(1);
        self.latency.get(&[route, &status]).observe(took);
    }

    /// Writes the counters and histograms kept here.
    pub fn write(&self, out: &mut Exposition) {
        out.counters(
            "bourg_http_requests_total",
            "HTTP requests answered, per route template, method and status.",
            &self.requests,
        );
        out.histograms(
            "bourg_http_request_duration_seconds",
            "Time to answer a request (until its headers), per route template and status.",
            &self.latency,
        );
        out.counters(
            "bourg_http_response_bytes_total",
            "Response body bytes sent, after compression, per route template.",
            &self.bytes_out,
        );
        out.histograms(
            "bourg_tile_render_seconds",
            "Layer tiles rendered (count) and their render time, per layer and zoom.",
            &self.renders,
        );
        let caches = [("tiles", &self.tile_cache), ("parts", &self.part_cache)];
        for (name, help, read) in [
            (
                "bourg_tile_cache_hits_total",
                "Tile cache lookups answered from the cache, for whole tiles (per layer list) and per-layer parts.",
                (|c: &CacheCounters| c.hits.get()) as fn(&CacheCounters) -> u64,
            ),
            (
                "bourg_tile_cache_misses_total",
                "Tile cache lookups that assembled a tile or drew a layer's part.",
                |c| c.misses.get(),
            ),
            (
                "bourg_tile_cache_evictions_total",
                "Tile cache entries dropped to keep within the memory budget.",
                |c| c.evictions.get(),
            ),
        ] {
            for (cache, counters) in caches {
                out.sample(name, help, "counter", &[("cache", cache)], read(counters) as f64);
            }
        }
        out.histograms(
            "bourg_catalog_load_seconds",
            "Catalogue loads and reloads, per trigger (start, admin, watch, signal) and outcome (ok, failed).",
            &self.loads,
        );
    }
}

/// A document in the Prometheus text format: each metric's `# HELP` and `# TYPE` once, then
/// its samples.
#[derive(Debug, Default)]
pub struct Exposition {
    text: String,
    declared: std::collections::HashSet<String>,
}

impl Exposition {
    /// The document.
    pub fn finish(self) -> String {
        self.text
    }

    fn declare(&mut self, name: &str, help: &str, kind: &str) {
        if self.declared.insert(name.to_owned()) {
            let help = help.replace('\\', "\\\\").replace('\n', "\\n");
            let _ = writeln!(self.text, "# HELP {name} {help}\n# TYPE {name} {kind}");
        }
    }

    /// One sample of a metric of this kind (`counter`, `gauge`); samples of one metric must
    /// follow each other.
    pub fn sample(&mut self, name: &str, help: &str, kind: &str, labels: &[(&str, &str)], v: f64) {
        self.declare(name, help, kind);
        self.text.push_str(name);
        write_labels(&mut self.text, labels);
        let _ = writeln!(self.text, " {}", number(v));
    }

    fn counters(&mut self, name: &str, help: &str, family: &Family<Counter>) {
        self.declare(name, help, "counter");
        for (values, c) in family.snapshot() {
            let labels = pairs(family.labels, &values);
            self.sample(name, help, "counter", &labels, c.get() as f64);
        }
    }

    fn histograms(&mut self, name: &str, help: &str, family: &Family<Histogram>) {
        self.declare(name, help, "histogram");
        for (values, h) in family.snapshot() {
            let labels = pairs(family.labels, &values);
            let mut cumulative = 0;
            for (i, bucket) in h.buckets.iter().enumerate() {
                cumulative += bucket.load(Ordering::Relaxed);
                let le = h.bounds.get(i).map_or("+Inf".to_owned(), |b| number(*b));
                let mut with_le = labels.clone();
                with_le.push(("le", &le));
                self.text.push_str(name);
                self.text.push_str("_bucket");
                write_labels(&mut self.text, &with_le);
                let _ = writeln!(self.text, " {cumulative}");
            }
            for (suffix, v) in [
                (
                    "_sum",
                    number(h.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9),
                ),
                ("_count", cumulative.to_string()),
            ] {
                self.text.push_str(name);
                self.text.push_str(suffix);
                write_labels(&mut self.text, &labels);
                let _ = writeln!(self.text, " {v}");
            }
        }
    }
}

fn pairs<'a>(names: &[&'a str], values: &'a [String]) -> Vec<(&'a str, &'a str)> {
    names
        .iter()
        .copied()
        .zip(values.iter().map(String::as_str))
        .collect()
}

fn write_labels(out: &mut String, labels: &[(&str, &str)]) {
    if labels.is_empty() {
        return;
    }
    out.push('{');
    for (i, (k, v)) in labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let v = v
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n");
        let _ = write!(out, "{k}=\"{v}\"");
    }
    out.push('}');
}

/// A sample value: integers without a fraction, `+Inf`/`-Inf`/`NaN` as Prometheus spells them.
fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_owned()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let m = Metrics::default();
        m.request(
            "/tiles/{layers}/{z}/{x}/{y}",
            "GET",
            200,
            Duration::from_micros(700),
        );
        m.request(
            "/tiles/{layers}/{z}/{x}/{y}",
            "GET",
            200,
            Duration::from_secs(20),
        );
        m.request("/health", "GET", 200, Duration::from_millis(3));
        let mut out = Exposition::default();
        m.write(&mut out);
        let text = out.finish();
        assert!(text.contains(
            "bourg_http_request_duration_seconds_bucket{route=\"/tiles/{layers}/{z}/{x}/{y}\",status=\"200\",le=\"0.001\"} 1\n"
        ));
        assert!(text.contains(
            "bourg_http_request_duration_seconds_bucket{route=\"/tiles/{layers}/{z}/{x}/{y}\",status=\"200\",le=\"+Inf\"} 2\n"
        ));
        assert!(text.contains(
            "bourg_http_request_duration_seconds_count{route=\"/health\",status=\"200\"} 1\n"
        ));
        assert_eq!(
            text.matches("# TYPE bourg_http_requests_total counter")
                .count(),
            1
        );
    }

    #[test]
    fn label_values_are_escaped() {
        let mut out = Exposition::default();
        out.sample("m", "h", "gauge", &[("l", "a\"b\\c\nd")], 1.0);
        assert_eq!(
            out.finish(),
            "# HELP m h\n# TYPE m gauge\nm{l=\"a\\\"b\\\\c\\nd\"} 1\n"
        );
    }
}
