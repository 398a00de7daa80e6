//! The pieces of the abuse barrage: a seeded generator, the request type, lists of bad values,
//! and the parameter generators the route families share (boxes, CQL2 filters, `/items` pairs).

use axum::http::Method;

/// The longest text that fits a request line: `http::Uri` holds at most 64 KiB, so a longer
/// filter or path never reaches a handler (hyper refuses it first). The CQL2 parser's own limits
/// are tested with 1 MB filters in [`super`].
pub(super) const URI_ROOM: usize = 60_000;

/// SplitMix64: a tiny deterministic generator, enough to pick among lists.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(super) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub(super) fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub(super) fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len())]
    }
}

/// One request of the barrage.
pub(super) struct Probe {
    pub(super) method: Method,
    pub(super) uri: String,
    pub(super) headers: Vec<(&'static str, Vec<u8>)>,
    pub(super) body: Vec<u8>,
}

impl Probe {
    pub(super) fn get(uri: impl Into<String>) -> Self {
        Self {
            method: Method::GET,
            uri: uri.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub(super) fn post(uri: impl Into<String>, content_type: &[u8], body: Vec<u8>) -> Self {
        Self {
            method: Method::POST,
            uri: uri.into(),
            headers: vec![("content-type", content_type.to_vec())],
            body,
        }
    }

    pub(super) fn label(&self) -> String {
        let uri: String = self.uri.chars().take(160).collect();
        format!("{} {uri} ({} body bytes)", self.method, self.body.len())
    }
}

/// Percent-encodes every byte outside the unreserved set.
pub(super) fn enc(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

pub(super) const LAYERS: [&str; 15] = [
    "acv",
    "communes",
    "departements",
    "epci",
    "friches",
    "lovac",
    "ort",
    "perimetres_acv",
    "perimetres_pvd",
    "pvd",
    "qpv",
    "rpls",
    "rpls_communes",
    "vacance_batiments",
    "zonage_abc",
];
/// Layers whose whole scan is cheap, for requests that may be valid.
pub(super) const SMALL_LAYERS: [&str; 6] = ["acv", "departements", "epci", "ort", "pvd", "qpv"];

/// Path segments and parameter values that are not what they should be.
pub(super) const BAD_WORDS: [&str; 24] = [
    "",
    "-1",
    "99",
    "4294967296",
    "18446744073709551616",
    "999999999999999999999999999999",
    "abc",
    "1e3",
    "0x10",
    "+1",
    "%20",
    "1.5",
    "NaN",
    "-0",
    "%ff",
    "%ff%fe",
    "%zz",
    "%",
    "%00",
    "..",
    "%2e%2e",
    "%c0%ae%c0%ae",
    "%E2%80%AE",
    "%D9%A3",
];
/// Numbers for boxes: sensible ones and broken ones.
pub(super) const NUMBERS: [&str; 24] = [
    "2.8", "50.4", "3", "51", "-1", "0", "180", "-180", "90", "-90", "181", "-91", "NaN", "nan",
    "inf", "-inf", "Infinity", "1e400", "-1e400", "1e-400", "1,5", "", "%20", "0x1",
];
pub(super) const CRS: [&str; 12] = [
    "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
    "http://www.opengis.net/def/crs/EPSG/0/4326",
    "http://www.opengis.net/def/crs/EPSG/0/2154",
    "EPSG:3857",
    "[EPSG:2154",
    "EPSG:2154]",
    "http://www.opengis.net/def/crs/EPSG/0/",
    "urn:ogc:def:crs:EPSG::4326",
    "EPSG:99999999999999999999",
    "%ff",
    "",
    "CRS84%00",
];
pub(super) const DATETIMES: [&str; 7] = [
    "2020-01-01",
    "../..",
    "2020-13-45T99:99:99Z",
    "garbage",
    "",
    "%ff",
    "2020-01-01T00:00:00Z/..",
];

pub(super) fn bbox(rng: &mut Rng) -> String {
    match rng.below(6) {
        // Inverted corners.
        0 => "3,51,2,50".into(),
        1 => format!("{},{},{},{}", "9".repeat(400), 1, 2, 3),
        _ => {
            let n = rng.below(9);
            (0..n)
                .map(|_| rng.pick(&NUMBERS))
                .collect::<Vec<_>>()
                .join(",")
        }
    }
}

/// CQL2 text, mostly broken: token soup, bad geometries, deep nesting.
pub(super) fn filter(rng: &mut Rng) -> String {
    const TOKENS: [&str; 30] = [
        "nom",
        "pmun22",
        "code",
        "AND",
        "OR",
        "NOT",
        "(",
        ")",
        "=",
        "<",
        "<>",
        "'x'",
        "'",
        "3",
        "1e400",
        "LIKE",
        "IN",
        "BETWEEN",
        "IS",
        "NULL",
        "S_INTERSECTS",
        "geometry",
        "POINT",
        "BBOX",
        "1 2",
        ",",
        "TRUE",
        "%",
        "\"",
        "\\",
    ];
    const GEOMETRIES: [&str; 12] = [
        "POINT(nan nan)",
        "POINT(1e400 0)",
        "POINT EMPTY",
        "POLYGON EMPTY",
        "POLYGON((0 0, 1 1))",
        "POLYGON((0 0, 1 0, 1 1, 0 0)",
        "LINESTRING(0 0)",
        "BBOX(nan,0,1,1)",
        "BBOX(1,2,3)",
        "BBOX(3,51,2,50)",
        "GEOMETRYCOLLECTION(POINT(1 2), GEOMETRYCOLLECTION(POINT(3 4)))",
        "MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5)))",
    ];
    match rng.below(8) {
        0 => {
            let depth = [33, 100, 1_000, 4_000][rng.below(4)];
            format!("{}TRUE{}", "(".repeat(depth), ")".repeat(depth))
        }
        1 => format!("{}TRUE", "NOT ".repeat([33, 500][rng.below(2)])),
        2 => format!("S_INTERSECTS(geometry, {})", rng.pick(&GEOMETRIES)),
        3 => {
            let depth = [10, 40, 200][rng.below(3)];
            format!(
                "S_INTERSECTS(geometry, {}POINT(1 2){})",
                "GEOMETRYCOLLECTION(".repeat(depth),
                ")".repeat(depth)
            )
        }
        4 => format!("nom LIKE '{}a'", "%".repeat(rng.below(300))),
        _ => (0..rng.below(14))
            .map(|_| rng.pick(&TOKENS))
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// A value that is either a bad word (raw, so `%` sequences stay broken) or encoded text.
pub(super) fn value(rng: &mut Rng, good: &[&str]) -> String {
    if rng.chance(50) {
        rng.pick(&BAD_WORDS).to_owned()
    } else {
        enc(rng.pick(good))
    }
}

/// One `name=value` pair of an `/items` query, broken more often than not.
pub(super) fn items_pair(rng: &mut Rng) -> String {
    let huge = || "9".repeat(40);
    match rng.below(16) {
        0 => format!("bbox={}", enc(&bbox(rng))),
        1 => format!("bbox={}", bbox(rng)),
        2 => format!(
            "limit={}",
            value(rng, &["0", "1", "10", "10001", "-5", "1.5", &huge()])
        ),
        3 => format!(
            "offset={}",
            value(rng, &["0", "5", "4294967296", "-1", &huge()])
        ),
        4 => format!("filter={}", enc(&filter(rng))),
        5 => format!(
            "filter-lang={}",
            value(rng, &["cql2-text", "cql2-json", "CQL2-TEXT", ""])
        ),
        6 => format!(
            "{}={}",
            rng.pick(&["crs", "bbox-crs", "filter-crs"]),
            value(rng, &CRS)
        ),
        7 => format!("datetime={}", value(rng, &DATETIMES)),
        8 => format!(
            "sortby={}",
            value(
                rng,
                &["-", "+", "--nom", "nom,nom", ",,,", "-code", "unknown"]
            )
        ),
        9 => format!(
            "properties={}",
            value(rng, &[",", "nom,,code", "unknown", "", "code"])
        ),
        10 => format!("f={}", value(rng, &["xml", "HTML", "", "json", "html"])),
        11 => format!(
            "{}={}",
            value(rng, &["foo", "BBOX", "Limit", "filter "]),
            value(rng, &["bar"])
        ),
        12 => "limit=1&limit=2".to_owned(),
        13 => rng
            .pick(&["%zz", "%", "%ff%fe=1", "a=%ff%fe", "=", "&&&", "a&b&c"])
            .to_owned(),
        14 => format!(
            "{}={}",
            rng.pick(&["nom", "code", "pmun22", "dep", "insee_com"]),
            value(rng, &["Lens", "62", "1e400", "true"])
        ),
        _ => format!("bbox-crs={}", enc(rng.pick(&CRS))),
    }
}
