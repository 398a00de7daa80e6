//! Shared test support: fixtures, layer folders in temporary directories, the router, requests.

pub mod lambert93;
pub mod postgres;
pub mod server;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use bourg::{AppState, Catalog, Settings};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// A file of `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The repository's demo `layers/demo/` folder. Its synthetic files (`layers/data/synthetic/`,
/// gitignored) are generated first if missing: `make test` does it with the binary, this keeps a
/// plain `cargo test` working.
pub fn demo_layers() -> PathBuf {
    static READY: OnceLock<()> = OnceLock::new();
    let layers = Path::new(env!("CARGO_MANIFEST_DIR")).join("layers/demo");
    READY.get_or_init(|| {
        let out = layers.join("../data/synthetic");
        let present = [bourg::synth::RPLS_FILE, bourg::synth::VACANCY_FILE]
            .iter()
            .all(|f| out.join(f).is_file());
        if !present {
            bourg::synth::run(&bourg::synth::Options {
                scope: bourg::synth::Scope::Departements(vec!["62".into(), "25".into()]),
                seed: bourg::synth::DEFAULT_SEED,
                data_dir: layers.join("../data"),
                out_dir: out,
            })
            .expect("generate the synthetic demo files");
        }
    });
    layers
}

/// The repository's `layers/data/` folder (demo files, national tables, generated synthetic
/// files).
pub fn demo_data() -> PathBuf {
    demo_layers().join("../data")
}

/// A temporary folder of layer files.
pub struct LayerDir {
    pub dir: tempfile::TempDir,
}

impl LayerDir {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `<id>.toml` with the given text and returns its path.
    pub fn write(&self, id: &str, toml: &str) -> PathBuf {
        let path = self.dir.path().join(format!("{id}.toml"));
        std::fs::write(&path, toml).expect("write layer file");
        path
    }

    /// Writes a layer file with the usual title, attribution and the given source and properties.
    pub fn layer(&self, id: &str, source: &str, properties: &str) -> PathBuf {
        self.write(
            id,
            &format!(
                "title = \"{id}\"\nsynthetic = false\n\n[source]\n{source}\n\n[properties]\n{properties}\n\n[attribution]\nproducer = \"Test\"\ndate = \"2026\"\n"
            ),
        )
    }

    pub fn load(&self) -> Result<Catalog, bourg::CatalogError> {
        Catalog::load(self.path())
    }
}

/// Every tile of zoom `z` that meets the box.
pub fn tiles_over(b: &bourg::bbox::BboxWgs84, z: u8) -> Vec<bourg::tile::TileCoord> {
    use bourg::tile::TileCoord;
    let nw = TileCoord::containing(b.west, b.north, z);
    let se = TileCoord::containing(b.east, b.south, z);
    (nw.x()..=se.x())
        .flat_map(|x| {
            (nw.y()..=se.y()).map(move |y| {
                TileCoord::try_new(u64::from(z), u64::from(x), u64::from(y)).expect("tile")
            })
        })
        .collect()
}

/// A TOML string literal for a path.
pub fn toml_path(p: &Path) -> String {
    format!("{:?}", p.display().to_string())
}

/// The router over a loaded catalogue.
pub fn app(catalog: Catalog) -> Router {
    bourg::router(state(catalog))
}

/// The router over a loaded catalogue with the given settings.
pub fn app_with(catalog: Catalog, settings: Settings) -> Router {
    bourg::router(AppState::new(catalog, settings))
}

/// The default settings, with the repository's web folder.
pub fn settings() -> Settings {
    Settings::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("web"))
}

/// The application state over a loaded catalogue, with the default settings.
pub fn state(catalog: Catalog) -> AppState {
    AppState::new(catalog, settings())
}

/// Sends a request and returns the status, headers and body bytes.
pub async fn send(
    app: &Router,
    request: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    (status, headers, body)
}

/// GETs a URI and parses the JSON body.
pub async fn get_json(app: &Router, uri: &str) -> (StatusCode, serde_json::Value) {
    let request = Request::get(uri).body(Body::empty()).expect("request");
    let (status, headers, body) = send(app, request).await;
    let value: serde_json::Value = serde_json::from_slice(&body).unwrap_or_else(|e| {
        panic!(
            "{uri}: body is not JSON ({e}); content-type {:?}: {}",
            headers.get("content-type"),
            String::from_utf8_lossy(&body)
        )
    });
    (status, value)
}

/// Asserts a JSON error body of the documented shape and returns its description.
pub fn error_description(body: &serde_json::Value) -> String {
    assert!(body["code"].is_string(), "no code in {body}");
    body["description"]
        .as_str()
        .unwrap_or_else(|| panic!("no description in {body}"))
        .to_owned()
}

/// The full error chain of a catalogue error, on one line.
pub fn chain(e: &bourg::CatalogError) -> String {
    bourg::error_chain(e)
}

/// Serves the router on a free loopback port for clients that need a socket (GDAL, node).
/// The server runs until the test's runtime ends.
pub async fn serve(catalog: Catalog) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let app = app(catalog);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

/// Runs a command off the async runtime and returns (success, stdout, stderr).
pub async fn run(program: &str, args: Vec<String>) -> (bool, String, String) {
    let program = program.to_owned();
    tokio::task::spawn_blocking(move || {
        let output = std::process::Command::new(&program)
            .args(&args)
            .output()
            .unwrap_or_else(|e| panic!("{program}: {e} (installed by `make test`)"));
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    })
    .await
    .expect("command task")
}

/// A text file, decompressed with flate2 when its name ends in `.gz`.
pub fn read_text(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    if path.extension().is_some_and(|e| e == "gz") {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut text)
            .expect("gzip text");
        text
    } else {
        String::from_utf8(bytes).expect("UTF-8 text")
    }
}

/// Rows of a CSV file as maps from header to value, read with a small RFC 4180 parser (quotes,
/// doubled quotes, line breaks inside quoted cells) — independent of GDAL. `.gz` files are
/// decompressed with flate2.
pub fn read_csv(path: &Path, sep: char) -> Vec<std::collections::BTreeMap<String, String>> {
    let text = read_text(path);
    let mut records: Vec<Vec<String>> = Vec::new();
    let mut record = vec![String::new()];
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let cell = record.last_mut().expect("a cell");
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            '"' => quoted = !quoted,
            c if c == sep && !quoted => record.push(String::new()),
            '\r' if !quoted => {}
            '\n' if !quoted => {
                records.push(std::mem::replace(&mut record, vec![String::new()]));
            }
            c => cell.push(c),
        }
    }
    if record.len() > 1 || !record[0].is_empty() {
        records.push(record);
    }
    records.retain(|r| r.len() > 1 || !r[0].trim().is_empty());
    let header = records.remove(0);
    records
        .into_iter()
        .map(|r| header.iter().cloned().zip(r).collect())
        .collect()
}

/// `bytes` written to a file `name` in a new temporary folder, for a reader run afterwards
/// (GDAL, Python). The folder is kept: the path outlives this call.
pub fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = tempfile::Builder::new()
        .prefix("bourg-test")
        .tempdir()
        .expect("temp dir")
        .keep();
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}
