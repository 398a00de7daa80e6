//! One generator per route family of the abuse barrage: each returns a request that is broken
//! more often than not, and keeps the valid ones cheap (high-zoom tiles, small layers, small
//! pages; never a valid site ranking).

use axum::http::Method;

use super::probe::{
    enc, items_pair, value, Probe, Rng, BAD_WORDS, CRS, LAYERS, SMALL_LAYERS, URI_ROOM,
};

pub(super) fn tile(rng: &mut Rng) -> Probe {
    let layers = match rng.below(8) {
        0 => "communes,communes".to_owned(),
        1 => "a,,b".to_owned(),
        2 => rng.pick(&BAD_WORDS).to_owned(),
        3 => format!("{},{}", rng.pick(&LAYERS), rng.pick(&LAYERS)),
        _ => rng.pick(&LAYERS).to_owned(),
    };
    let number = |rng: &mut Rng, max: u64| -> String {
        if rng.chance(40) {
            rng.pick(&BAD_WORDS).to_owned()
        } else {
            (rng.next() % max).to_string()
        }
    };
    // Valid zooms are high (tiles over the sea, mostly empty: cheap); a few are low.
    let z = if rng.chance(10) {
        rng.below(4).to_string()
    } else if rng.chance(60) {
        (12 + rng.below(20)).to_string()
    } else {
        number(rng, 100)
    };
    let x = number(rng, 1 << 22);
    let y = number(rng, 1 << 22);
    let ext = rng.pick(&[
        "mvt", "pbf", "png", "", "mvt.gz", "MVT", "%00", "json", "mvt/x",
    ]);
    if rng.chance(25) {
        let query = if rng.chance(50) {
            "?territory=62498"
        } else {
            ""
        };
        let z = if rng.chance(70) {
            (14 + rng.below(10)).to_string()
        } else {
            z
        };
        // The site tiles always carry something broken: a valid one ranks sites (expensive).
        let broken = rng.pick(&[
            "?limit=5",
            "?f=json",
            "?kind=",
            "?weights=x",
            "?bbox=nan,0,1,1",
        ]);
        return Probe::get(format!(
            "/api/sites/tiles/{z}/{x}/{y}.{ext}{}",
            if query.is_empty() { broken } else { query }
        ));
    }
    Probe::get(format!("/tiles/{layers}/{z}/{x}/{y}.{ext}"))
}

pub(super) fn tilejson(rng: &mut Rng) -> Probe {
    let spec = match rng.below(5) {
        0 => format!("{}.json", rng.pick(&LAYERS)),
        1 => format!("{},{}.json", rng.pick(&LAYERS), rng.pick(&BAD_WORDS)),
        2 => format!("{}.json", rng.pick(&BAD_WORDS)),
        3 => rng.pick(&LAYERS).to_owned(),
        _ => format!("{}.{}", rng.pick(&LAYERS), rng.pick(&BAD_WORDS)),
    };
    Probe::get(format!("/tiles/{spec}"))
}

pub(super) fn items(rng: &mut Rng) -> Probe {
    let layer = if rng.chance(85) {
        rng.pick(&SMALL_LAYERS).to_owned()
    } else if rng.chance(50) {
        rng.pick(&LAYERS).to_owned()
    } else {
        rng.pick(&BAD_WORDS).to_owned()
    };
    let n = 1 + rng.below(4);
    let mut pairs: Vec<String> = (0..n).map(|_| items_pair(rng)).collect();
    // Big layers always get a small page.
    if !SMALL_LAYERS.contains(&layer.as_str()) {
        pairs.push("limit=3".into());
    }
    Probe::get(format!(
        "/ogc/collections/{layer}/items?{}",
        pairs.join("&")
    ))
}

pub(super) fn ogc_other(rng: &mut Rng) -> Probe {
    let layer = if rng.chance(60) {
        rng.pick(&LAYERS).to_owned()
    } else {
        rng.pick(&BAD_WORDS).to_owned()
    };
    let query = match rng.below(5) {
        0 => String::new(),
        1 => format!("?f={}", value(rng, &["json", "html", "xml", "HTML"])),
        2 => format!("?{}", items_pair(rng)),
        3 => format!("?crs={}", value(rng, &CRS)),
        _ => "?f=json&f=html".into(),
    };
    let path = match rng.below(8) {
        0 => "/ogc".to_owned(),
        1 => "/ogc/".to_owned(),
        2 => "/ogc/conformance".to_owned(),
        3 => "/ogc/collections".to_owned(),
        4 => format!("/ogc/collections/{layer}"),
        5 => format!("/ogc/collections/{layer}/queryables"),
        6 => format!(
            "/ogc/collections/{layer}/items/{}",
            value(rng, &["0", "1", "4294967295", "4294967296", "99999"])
        ),
        _ => "/ogc/api".to_owned(),
    };
    Probe::get(format!("{path}{query}"))
}

/// Paths that try to leave the web folder, and other odd ones it must answer with a JSON 404.
pub(super) fn static_path(rng: &mut Rng) -> Probe {
    const PREFIXES: [&str; 10] = [
        "/", "/js/", "/css/", "/ogc/", "/tiles/", "/api/", "/web/", "/%2e%2e/", "//", "/js/%2f",
    ];
    const UP: [&str; 10] = [
        "../",
        "..%2f",
        "%2e%2e/",
        "%2e%2e%2f",
        "%2E%2E/",
        ".%2e/",
        "..%5c",
        "%c0%ae%c0%ae/",
        "....//",
        "./",
    ];
    const TARGETS: [&str; 7] = [
        "Cargo.toml",
        "etc/passwd",
        "src/main.rs",
        "layers/demo/acv.toml",
        "index.html",
        "js/app.js",
        "%ff",
    ];
    match rng.below(10) {
        0 => Probe::get(format!("/{}", "a/".repeat(rng.below(URI_ROOM / 2)))),
        1 => Probe::get(format!("/{}", "%ff".repeat(rng.below(URI_ROOM / 3)))),
        _ => {
            let ups: String = (0..rng.below(8)).map(|_| rng.pick(&UP)).collect();
            Probe::get(format!(
                "{}{ups}{}",
                rng.pick(&PREFIXES),
                rng.pick(&TARGETS)
            ))
        }
    }
}

pub(super) fn layers(rng: &mut Rng) -> Probe {
    Probe::get(match rng.below(3) {
        0 => format!("/layers/{}", rng.pick(&LAYERS)),
        1 => format!("/layers/{}", rng.pick(&BAD_WORDS)),
        _ => format!("/layers?{}", items_pair(rng)),
    })
}

pub(super) fn search(rng: &mut Rng) -> Probe {
    let q = match rng.below(6) {
        0 => enc(&"Lens ".repeat(rng.below(URI_ROOM / 5))),
        1 => rng.pick(&BAD_WORDS).to_owned(),
        2 => enc(rng.pick(&["Lens", "62498", "é", "ÉTAPLES", "%", "_", "'", "\0"])),
        3 => "a".repeat(101),
        _ => enc(&"Arr".repeat(rng.below(40))),
    };
    let extra = match rng.below(5) {
        0 => format!("&limit={}", value(rng, &["0", "51", "10", "-1"])),
        1 => "&q=Lens".to_owned(),
        2 => format!("&{}", items_pair(rng)),
        _ => String::new(),
    };
    Probe::get(format!("/api/search?q={q}{extra}"))
}

pub(super) fn territory(rng: &mut Rng) -> Probe {
    // Valid codes (a report each, not cheap) are rare.
    let code = if rng.chance(3) {
        rng.pick(&["62498", "62", "25", "200033058"]).to_owned()
    } else {
        match rng.below(4) {
            0 => "9".repeat(rng.below(URI_ROOM)),
            1 => enc(rng.pick(&["' OR 1=1 --", "62498\0", "acv-", "62498 ", "Lens"])),
            _ => rng.pick(&BAD_WORDS).to_owned(),
        }
    };
    let query = if rng.chance(20) {
        format!("?{}", items_pair(rng))
    } else {
        String::new()
    };
    Probe::get(format!("/api/territories/{code}{query}"))
}

/// Uploads that are not perimeters (each is refused before any analysis).
pub(super) fn stats(rng: &mut Rng) -> Probe {
    const TYPES: [&[u8]; 9] = [
        b"application/geo+json",
        b"application/json",
        b"application/zip",
        b"application/geopackage+sqlite3",
        b"text/plain",
        b"",
        b"application/geo+json; charset=\xff",
        b"multipart/form-data; boundary=x",
        b"\xff\xfe",
    ];
    let body: Vec<u8> = match rng.below(9) {
        0 => Vec::new(),
        1 => b"{}".to_vec(),
        2 => br#"{"type":"Polygon"}"#.to_vec(),
        3 => br#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1"#.to_vec(),
        4 => format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes(),
        5 => (0..rng.below(4_096)).map(|_| rng.next() as u8).collect(),
        6 => b"PK\x03\x04garbage".to_vec(),
        7 => b"SQLite format 3\0garbage".to_vec(),
        _ => br#"{"type":"Polygon","coordinates":[[[1e400,0],[1,NaN],[0,1],[1e400,0]]]}"#.to_vec(),
    };
    let query = match rng.below(5) {
        0 => format!("?crs={}", value(rng, &CRS)),
        1 => format!("?name={}", enc(&"x".repeat(rng.below(10_000)))),
        2 => format!("?{}", items_pair(rng)),
        _ => String::new(),
    };
    Probe::post(
        format!("/api/territories/stats{query}"),
        rng.pick(&TYPES),
        body,
    )
}

/// `/api/sites` with at least one broken parameter (a valid query ranks sites: expensive).
pub(super) fn sites(rng: &mut Rng) -> Probe {
    let (name, values): (&str, &[&str]) = match rng.below(9) {
        0 => (
            "territory",
            &["nowhere", "99999", "", "%ff", "%ff%fe", "..", "%00"],
        ),
        1 => (
            "bbox",
            &[
                "nan,0,1,1",
                "3,51,2,50",
                "1,2,3",
                "",
                "inf,0,1,1",
                "1e400,0,1,1",
            ],
        ),
        2 => (
            "weights",
            &[
                "vacancy:NaN",
                "vacancy:1e400",
                "vacancy",
                "%3A",
                "foo:1",
                "vacancy:-1",
                "vacancy:inf",
            ],
        ),
        3 => ("kind", &["", ",", "friche,nothing", "FRICHE", "%ff"]),
        4 => (
            "fragility_min",
            &["NaN", "inf", "-1", "1e400", "101", "abc", "", "%ff", "-0.1"],
        ),
        5 => (
            "limit",
            &[
                "0",
                "1001",
                "-1",
                "1e3",
                "abc",
                "",
                "%ff",
                "18446744073709551616",
            ],
        ),
        6 => ("f", &["xml", "GPKG", "", "csv%00", "%ff"]),
        7 => (
            rng.pick(&["foo", "Limit", "datetime", "%ff%fe", "%zz"]),
            &["1"],
        ),
        _ => ("perimeter", &["acv-", "pvd-99999", "%ff"]),
    };
    let broken = format!("{name}={}", rng.pick(values));
    let extra = if rng.chance(50) {
        "&kind=friche&limit=5".to_owned()
    } else {
        String::new()
    };
    Probe::get(format!("/api/sites?{broken}{extra}"))
}

/// Any route with another method, a body it does not expect, or odd headers.
pub(super) fn method(rng: &mut Rng) -> Probe {
    let mut probe = match rng.below(7) {
        0 => tile(rng),
        1 => items(rng),
        2 => ogc_other(rng),
        3 => static_path(rng),
        4 => layers(rng),
        5 => Probe::get("/health"),
        _ => Probe::get("/style.json"),
    };
    let methods: [&[u8]; 11] = [
        b"POST",
        b"PUT",
        b"DELETE",
        b"PATCH",
        b"OPTIONS",
        b"TRACE",
        b"CONNECT",
        b"FOO",
        b"get",
        b"HEAD",
        b"PROPFIND",
    ];
    probe.method = Method::from_bytes(methods[rng.below(methods.len())]).unwrap_or(Method::PUT);
    if rng.chance(50) {
        probe.body = b"{\"hello\": 1}".to_vec();
    }
    probe
}

/// Odd headers on any probe.
pub(super) fn headers(rng: &mut Rng, probe: &mut Probe) {
    const HEADERS: [(&str, &[u8]); 14] = [
        ("accept", b"text/html"),
        ("accept", b"application/xml"),
        ("accept", b"*/*;q=abc, text/html;q=-1"),
        ("accept", b"\xff\xfe"),
        ("accept", b""),
        ("accept-encoding", b"gzip;q=abc, *;q=0"),
        ("if-none-match", b"*"),
        ("if-none-match", b"\"\xff\""),
        ("host", b"evil.example/<script>"),
        ("x-forwarded-host", b"a\"b<c"),
        ("x-forwarded-proto", b"gopher"),
        ("range", b"bytes=999999999-"),
        ("range", b"bytes=5-1, x"),
        ("origin", b"http://evil.example"),
    ];
    for _ in 0..rng.below(3) {
        let (name, value) = HEADERS[rng.below(HEADERS.len())];
        probe.headers.push((name, value.to_vec()));
    }
}
