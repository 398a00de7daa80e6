//! The web UI's files: compiled into the binary (the `web/` folder at build time, with MapLibre's
//! build vendored in `web/vendor/maplibre-gl/`), or read from a folder given at start
//! (`--web DIR`, for development: a changed file is read again).
//!
//! MapLibre's files are also found under a fingerprinted folder,
//! `vendor/maplibre-gl/<fingerprint>/…`, the fingerprint a hash of their contents: the UI's own
//! HTML, scripts and styles are sent with their references to `vendor/maplibre-gl/` rewritten to
//! it, so MapLibre can be cached for good by browsers and a new version is a new URL. (MapLibre
//! loads its worker relative to its own URL: the worker is in the same fingerprinted folder.)
//!
//! Paths here are relative to the UI's root, without a leading `/`, already checked by the caller
//! (no `..`, no hidden file).

mod asset;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

pub use asset::{media_type, Asset};

/// The vendored MapLibre folder, relative to the UI's root, with its trailing `/`.
pub const MAPLIBRE_DIR: &str = "vendor/maplibre-gl/";

/// The files whose contents make the fingerprint (what the page loads).
const MAPLIBRE_FILES: [&str; 3] = [
    "maplibre-gl.mjs",
    "maplibre-gl-worker.mjs",
    "maplibre-gl.css",
];

/// Most bytes of prepared files kept for a `--web` folder (embedded files are few and all kept).
const MAX_DISK_CACHE_BYTES: usize = 64 << 20;

#[derive(rust_embed::RustEmbed)]
#[folder = "web/"]
#[exclude = "node_modules/**"]
#[exclude = "package.json"]
#[exclude = "package-lock.json"]
#[exclude = ".*"]
#[exclude = "**/.*"]
struct Embedded;

/// How a file was found: what its prepared form depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    /// Size and modification time on disk (`None` when embedded: never changes).
    file: Option<(u64, Option<SystemTime>)>,
    /// The MapLibre fingerprint written into it (rewritten files only).
    fingerprint: Option<String>,
}

/// The UI's files, prepared once each (see [`Asset`]).
#[derive(Debug)]
pub struct WebFiles {
    dir: Option<PathBuf>,
    cache: Mutex<HashMap<String, (Stamp, Arc<Asset>)>>,
}

/// A file found.
#[derive(Debug, Clone)]
pub struct Found {
    /// The file as sent.
    pub asset: Arc<Asset>,
    /// Whether it was asked for under its fingerprint (and so never changes at that URL).
    pub immutable: bool,
}

impl WebFiles {
    /// The files compiled into the binary.
    pub fn embedded() -> Self {
        Self::with_dir(None)
    }

    /// The files of `dir` (read when asked for), or the embedded ones when `None`.
    pub fn with_dir(dir: Option<PathBuf>) -> Self {
        Self {
            dir,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The file at `path` (relative, checked); `Ok(None)` when there is none. A path to a folder
    /// (empty or ending in `/`) names its `index.html`.
    ///
    /// # Errors
    /// A file that exists but cannot be read.
    pub fn get(&self, path: &str) -> std::io::Result<Option<Found>> {
        let path = if path.is_empty() || path.ends_with('/') {
            format!("{path}index.html")
        } else {
            path.to_owned()
        };
        if let Some(rest) = path.strip_prefix(MAPLIBRE_DIR) {
            if let Some((fingerprint, file)) = rest.split_once('/') {
                if is_fingerprint(fingerprint) {
                    if self.fingerprint()?.as_deref() != Some(fingerprint) {
                        return Ok(None);
                    }
                    let asset = self.prepared(&format!("{MAPLIBRE_DIR}{file}"))?;
                    return Ok(asset.map(|asset| Found {
                        asset,
                        immutable: true,
                    }));
                }
            }
        }
        Ok(self.prepared(&path)?.map(|asset| Found {
            asset,
            immutable: false,
        }))
    }

    /// The fingerprint of MapLibre's files (16 hex digits), `None` when they are missing.
    ///
    /// # Errors
    /// One of them cannot be read.
    pub fn fingerprint(&self) -> std::io::Result<Option<String>> {
        let mut hashes = String::new();
        for file in MAPLIBRE_FILES {
            match self.prepared(&format!("{MAPLIBRE_DIR}{file}"))? {
                Some(asset) => hashes.push_str(&asset.hash),
                None => return Ok(None),
            }
        }
        Ok(Some(format!(
            "{:016x}",
            xxhash_rust::xxh3::xxh3_64(hashes.as_bytes())
        )))
    }

    /// The prepared file, from the cache when its stamp has not changed.
    fn prepared(&self, path: &str) -> std::io::Result<Option<Arc<Asset>>> {
        let Some(file_stamp) = self.stamp(path)? else {
            return Ok(None);
        };
        let fingerprint = if rewritten(path) {
            self.fingerprint()?
        } else {
            None
        };
        let stamp = Stamp {
            file: file_stamp,
            fingerprint,
        };
        if let Some((s, asset)) = self.lock().get(path) {
            if *s == stamp {
                return Ok(Some(asset.clone()));
            }
        }
        let Some((mut body, modified)) = self.read(path)? else {
            return Ok(None);
        };
        if let Some(fingerprint) = &stamp.fingerprint {
            body = rewrite(&body, fingerprint);
        }
        let asset = Arc::new(Asset::new(path, body, modified));
        let mut cache = self.lock();
        if self.dir.is_some() {
            let held: usize = cache.values().map(|(_, a)| a.weight()).sum();
            if held + asset.weight() > MAX_DISK_CACHE_BYTES {
                cache.clear();
            }
        }
        cache.insert(path.to_owned(), (stamp, asset.clone()));
        Ok(Some(asset))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Stamp, Arc<Asset>)>> {
        // A panic while holding the lock leaves a map that is still consistent.
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `Ok(None)` when there is no such file; `Some(None)` for an embedded file.
    #[allow(clippy::type_complexity)]
    fn stamp(&self, path: &str) -> std::io::Result<Option<Option<(u64, Option<SystemTime>)>>> {
        match &self.dir {
            None => Ok(Embedded::get(path).map(|_| None)),
            Some(dir) => match std::fs::metadata(dir.join(path)) {
                Ok(m) if m.is_file() => Ok(Some(Some((m.len(), m.modified().ok())))),
                Ok(_) => Ok(None),
                Err(e) if missing(&e) => Ok(None),
                Err(e) => Err(e),
            },
        }
    }

    fn read(&self, path: &str) -> std::io::Result<Option<(Vec<u8>, Option<SystemTime>)>> {
        match &self.dir {
            None => Ok(Embedded::get(path).map(|f| {
                let modified = f
                    .metadata
                    .last_modified()
                    .map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s));
                (f.data.into_owned(), modified)
            })),
            Some(dir) => {
                let full = dir.join(path);
                match std::fs::read(&full) {
                    Ok(body) => {
                        let modified = std::fs::metadata(&full).and_then(|m| m.modified()).ok();
                        Ok(Some((body, modified)))
                    }
                    Err(e) if missing(&e) => Ok(None),
                    Err(e) => Err(e),
                }
            }
        }
    }
}

fn missing(e: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    // A path through a file names nothing either (names too long are refused before).
    matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory)
}

/// 16 lowercase hex digits.
fn is_fingerprint(s: &str) -> bool {
    s.len() == 16 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Whether the references to MapLibre of this file are rewritten to its fingerprint: the UI's
/// own HTML, scripts and styles.
fn rewritten(path: &str) -> bool {
    !path.starts_with("vendor/")
        && [".html", ".js", ".mjs", ".css"]
            .iter()
            .any(|ext| path.ends_with(ext))
}

/// Every `vendor/maplibre-gl/` made `vendor/maplibre-gl/<fingerprint>/`.
fn rewrite(body: &[u8], fingerprint: &str) -> Vec<u8> {
    let Ok(text) = std::str::from_utf8(body) else {
        return body.to_vec();
    };
    text.replace(MAPLIBRE_DIR, &format!("{MAPLIBRE_DIR}{fingerprint}/"))
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_ui_holds_the_page_and_maplibre_and_nothing_else() {
        let files = WebFiles::embedded();
        for path in ["", "index.html", "app.css", "favicon.svg", "js/app.js"] {
            assert!(files.get(path).expect("read").is_some(), "{path}");
        }
        for file in MAPLIBRE_FILES {
            let path = format!("{MAPLIBRE_DIR}{file}");
            assert!(files.get(&path).expect("read").is_some(), "{path}");
        }
        for path in [
            "package.json",
            "package-lock.json",
            "node_modules/pbf/package.json",
        ] {
            assert!(files.get(path).expect("read").is_none(), "{path}");
        }
        assert!(Embedded::iter().all(|p| !p.starts_with("node_modules")));
    }

    #[test]
    fn fingerprinted_paths_serve_only_the_current_fingerprint() {
        let files = WebFiles::embedded();
        let fp = files
            .fingerprint()
            .expect("read")
            .expect("maplibre embedded");
        let found = files
            .get(&format!("{MAPLIBRE_DIR}{fp}/maplibre-gl.mjs"))
            .expect("read")
            .expect("found");
        assert!(found.immutable);
        let stale = format!("{MAPLIBRE_DIR}0123456789abcdef/maplibre-gl.mjs");
        assert!(fp == "0123456789abcdef" || files.get(&stale).expect("read").is_none());
        let page = files.get("index.html").expect("read").expect("found");
        let text = String::from_utf8_lossy(&page.asset.body);
        assert!(
            text.contains(&format!("{MAPLIBRE_DIR}{fp}/maplibre-gl.css")),
            "{text}"
        );
    }

    #[test]
    fn rewriting_touches_only_the_maplibre_folder() {
        let out = rewrite(
            b"import x from '../vendor/maplibre-gl/maplibre-gl.mjs'; 'vendor/other'",
            "ab",
        );
        assert_eq!(
            String::from_utf8(out).expect("utf8"),
            "import x from '../vendor/maplibre-gl/ab/maplibre-gl.mjs'; 'vendor/other'"
        );
        assert!(rewritten("index.html") && rewritten("js/app.js"));
        assert!(!rewritten("vendor/maplibre-gl/maplibre-gl.mjs") && !rewritten("favicon.svg"));
    }
}
