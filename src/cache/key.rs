//! Cache keys: what a cached layer was built from, hashed (XXH3-128).
//!
//! Every key starts with the *build*: the cache format version, the crate version, the GDAL
//! release and the content of the running executable (so that a rebuilt binary, whose loading
//! code may have changed, never reads what an older one prepared). Then:
//!
//! - a layer: its id, the content of its TOML file, of its source and of every joined table
//!   (each with the GDAL side files that exist beside it: `.dbf`, `.shx`, `.prj`, `.cpg`,
//!   `.csvt`, `.aux.xml`, `-wal`…; a folder source with every file under it); a layer that
//!   shares its source with others adds the key of that shared source; a `[totals]` layer adds
//!   the key of the layer it sums;
//! - a shared source: the id and TOML content of every layer that shares it (together they
//!   decide which properties are read and which zooms are prepared) and the source's content.
//!
//! Contents are hashed, not modification times: a file rewritten with the same length and time
//! still changes its key. Every distinct file is hashed once, in chunks spread over every core.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use xxhash_rust::xxh3::Xxh3;

use crate::config::LayerConfig;
use crate::layer::SharedSources;

/// Side files GDAL reads beside a dataset, by extension.
const SIDECARS: [&str; 8] = ["shx", "dbf", "prj", "cpg", "qix", "sbn", "sbx", "csvt"];

/// Side files GDAL reads beside a dataset, by suffix of its whole name: raster statistics and
/// metadata, and a GeoPackage's (SQLite's) write-ahead log, which may hold its latest changes.
const SUFFIXES: [&str; 2] = [".aux.xml", "-wal"];

/// The keys of a catalogue's layers and shared sources; a layer whose inputs cannot all be read
/// has none (it is then loaded, and fails, as without a cache).
#[derive(Debug, Default)]
pub struct Keys {
    layers: HashMap<String, u128>,
    groups: HashMap<String, u128>,
    /// The shared source of each layer that shares one.
    group_of: HashMap<String, String>,
    /// A name for each shared source: its first layer's id.
    names: HashMap<String, String>,
    /// The key of the whole catalogue, when every layer has one.
    catalog: Option<u128>,
}

impl Keys {
    /// Hashes the inputs of `configs`.
    ///
    /// # Runtime
    /// One read of every input file: about 0.1 s a GB from the page cache.
    pub fn of(configs: &[LayerConfig], shared: &SharedSources) -> Self {
        let inputs: Vec<(&LayerConfig, Inputs)> =
            configs.iter().map(|c| (c, Inputs::of(c))).collect();
        let mut files: Vec<&Path> = inputs
            .iter()
            .flat_map(|(_, i)| i.all())
            .map(PathBuf::as_path)
            .collect();
        files.sort();
        files.dedup();
        let hashes = hash_files(&files);
        let build = build();
        let mut keys = Keys::default();
        let hash = |paths: &[PathBuf], h: &mut Xxh3| -> Option<()> {
            for p in paths {
                feed(h, p.file_name()?.as_encoded_bytes());
                h.update(&hashes.get(p.as_path()).copied().flatten()?.to_le_bytes());
            }
            Some(())
        };
        // Shared sources: every member's TOML, then the source.
        let mut members: HashMap<String, Vec<&(&LayerConfig, Inputs)>> = HashMap::new();
        for item in &inputs {
            if let Some(group) = shared.group(item.0) {
                keys.group_of.insert(item.0.id.clone(), group.clone());
                members.entry(group).or_default().push(item);
            }
        }
        for (group, mut layers) in members {
            layers.sort_by(|a, b| a.0.id.cmp(&b.0.id));
            keys.names.insert(group.clone(), layers[0].0.id.clone());
            let mut h = start(build, "shared");
            let complete = layers.iter().all(|(c, i)| {
                feed(&mut h, c.id.as_bytes());
                hash(std::slice::from_ref(&i.toml), &mut h).is_some()
            }) && hash(&layers[0].1.source, &mut h).is_some();
            if complete {
                keys.groups.insert(group, h.digest128());
            }
        }
        // Layers: those that sum another after it.
        for totals in [false, true] {
            for (c, i) in inputs.iter().filter(|(c, _)| c.totals.is_some() == totals) {
                let mut h = start(build, "layer");
                feed(&mut h, c.id.as_bytes());
                if hash(std::slice::from_ref(&i.toml), &mut h).is_none()
                    || hash(&i.source, &mut h).is_none()
                    || i.joins.iter().any(|j| hash(j, &mut h).is_none())
                {
                    continue;
                }
                if let Some(group) = keys.group_of.get(&c.id) {
                    let Some(k) = keys.groups.get(group) else {
                        continue;
                    };
                    h.update(&k.to_le_bytes());
                }
                if let Some(t) = &c.totals {
                    let Some(k) = keys.layers.get(&t.layer) else {
                        continue;
                    };
                    h.update(&k.to_le_bytes());
                }
                keys.layers.insert(c.id.clone(), h.digest128());
            }
        }
        let mut h = start(build, "catalog");
        let complete = configs.iter().all(|c| {
            feed(&mut h, c.id.as_bytes());
            keys.layers
                .get(&c.id)
                .map(|k| h.update(&k.to_le_bytes()))
                .is_some()
        });
        keys.catalog = complete.then(|| h.digest128());
        keys
    }

    /// The key of the whole catalogue: its layers' ids and keys, in order.
    pub fn catalog(&self) -> Option<u128> {
        self.catalog
    }

    /// The key of a layer.
    pub fn layer(&self, id: &str) -> Option<u128> {
        self.layers.get(id).copied()
    }

    /// The key of a shared source (see [`SharedSources::group`]).
    pub fn group(&self, group: &str) -> Option<u128> {
        self.groups.get(group).copied()
    }

    /// The shared source a layer reads, when it shares one.
    pub fn group_of(&self, id: &str) -> Option<&str> {
        self.group_of.get(id).map(String::as_str)
    }

    /// The name of a shared source: the id of the first of its layers.
    pub fn name(&self, group: &str) -> Option<&str> {
        self.names.get(group).map(String::as_str)
    }
}

/// The files a layer reads: its TOML file, its source (with the side files beside it, or every
/// file of a source folder) and its joins' sources.
pub fn input_files(config: &LayerConfig) -> Vec<PathBuf> {
    Inputs::of(config).all().cloned().collect()
}

/// The files a layer reads.
struct Inputs {
    toml: PathBuf,
    source: Vec<PathBuf>,
    joins: Vec<Vec<PathBuf>>,
}

impl Inputs {
    fn of(config: &LayerConfig) -> Self {
        Self {
            toml: config.toml_path.clone(),
            source: with_sidecars(&config.source.path),
            joins: config
                .joins
                .iter()
                .map(|j| with_sidecars(&j.source.path))
                .collect(),
        }
    }

    fn all(&self) -> impl Iterator<Item = &PathBuf> {
        std::iter::once(&self.toml)
            .chain(&self.source)
            .chain(self.joins.iter().flatten())
    }
}

/// The dataset's file and the side files beside it; every file under it for a folder.
fn with_sidecars(path: &Path) -> Vec<PathBuf> {
    if path.is_dir() {
        let mut files = Vec::new();
        let mut stack = vec![path.to_owned()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let p = entry.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    files.push(p);
                }
            }
        }
        files.sort();
        return files;
    }
    let suffixed = SUFFIXES.iter().map(|suffix| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    });
    let sides = SIDECARS
        .iter()
        .map(|ext| path.with_extension(ext))
        .chain(suffixed)
        .filter(|p| p != path && p.is_file());
    std::iter::once(path.to_owned()).chain(sides).collect()
}

/// A hasher fed with the build, then `what`.
fn start(build: u128, what: &str) -> Xxh3 {
    let mut h = Xxh3::new();
    h.update(&build.to_le_bytes());
    feed(&mut h, what.as_bytes());
    h
}

/// Bytes preceded by their length, so that consecutive fields cannot run into each other.
fn feed(h: &mut Xxh3, bytes: &[u8]) {
    h.update(&(bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}

/// The hash of this build: format version, crate version, GDAL release, executable (hashed once
/// per process: the binary that runs, even if a new one replaces it on disk).
fn build() -> u128 {
    static BUILD: std::sync::OnceLock<u128> = std::sync::OnceLock::new();
    *BUILD.get_or_init(|| {
        let exe = std::env::current_exe().ok();
        let exe = exe
            .as_deref()
            .and_then(|p| hash_files(&[p]).get(p).copied().flatten());
        build_of(exe)
    })
}

fn build_of(exe: Option<u128>) -> u128 {
    let mut h = Xxh3::new();
    h.update(&super::file::FORMAT_VERSION.to_le_bytes());
    feed(&mut h, env!("CARGO_PKG_VERSION").as_bytes());
    feed(
        &mut h,
        gdal::version::version_info("RELEASE_NAME").as_bytes(),
    );
    h.update(&exe.unwrap_or_default().to_le_bytes());
    h.digest128()
}

/// Files are hashed in chunks of this size, on every core: a file's hash is the hash of its
/// length and of its chunks' hashes.
const CHUNK: u64 = 32 << 20;

/// The XXH3-128 of `len` bytes of a file from `offset`.
fn hash_chunk(path: &Path, offset: u64, len: u64) -> std::io::Result<u128> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut file = file.take(len);
    let mut h = Xxh3::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut read = 0;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        read += n as u64;
    }
    if read != len {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the file changed while it was hashed",
        ));
    }
    Ok(h.digest128())
}

/// The hash of every file (`None` for those that cannot be read), their chunks spread over
/// every core.
///
/// # Runtime
/// About 0.1 s a GB on 2 cores when the files are in the page cache.
pub fn hash_files<'a>(files: &[&'a Path]) -> HashMap<&'a Path, Option<u128>> {
    let sizes: Vec<Option<u64>> = files
        .iter()
        .map(|p| {
            std::fs::metadata(p)
                .ok()
                .filter(|m| m.is_file())
                .map(|m| m.len())
        })
        .collect();
    // Every chunk of every readable file: (file, offset, length).
    let chunks: Vec<(usize, u64, u64)> = sizes
        .iter()
        .enumerate()
        .filter_map(|(i, size)| Some((i, (*size)?)))
        .flat_map(|(i, size)| {
            (0..size.div_ceil(CHUNK).max(1))
                .map(move |k| (i, k * CHUNK, CHUNK.min(size - k * CHUNK)))
        })
        .collect();
    let hashes = crate::parallel::map(&chunks, |&(i, offset, len)| {
        hash_chunk(files[i], offset, len).ok()
    });
    let mut out: HashMap<&Path, Option<u128>> = HashMap::new();
    for (i, path) in files.iter().enumerate() {
        let Some(size) = sizes[i] else {
            out.insert(*path, None);
            continue;
        };
        let mut h = Xxh3::new();
        h.update(&size.to_le_bytes());
        let mut complete = true;
        // Chunks are in file, then offset order.
        for (_, hash) in chunks.iter().zip(&hashes).filter(|((j, _, _), _)| *j == i) {
            match hash {
                Some(hash) => h.update(&hash.to_le_bytes()),
                None => complete = false,
            }
        }
        out.insert(*path, complete.then(|| h.digest128()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_files_are_inputs_too() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "a.shp",
            "a.dbf",
            "a.prj",
            "a.shp.aux.xml",
            "b.gpkg",
            "b.gpkg-wal",
            "c.csv",
        ] {
            std::fs::write(dir.path().join(name), name).unwrap();
        }
        let names = |p: &str| -> Vec<String> {
            with_sidecars(&dir.path().join(p))
                .iter()
                .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
                .collect()
        };
        assert_eq!(names("a.shp"), ["a.shp", "a.dbf", "a.prj", "a.shp.aux.xml"]);
        assert_eq!(names("b.gpkg"), ["b.gpkg", "b.gpkg-wal"]);
        assert_eq!(names("c.csv"), ["c.csv"]);
    }

    #[test]
    fn a_hash_follows_the_content_across_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (
            dir.path().join("a"),
            dir.path().join("b"),
            dir.path().join("c"),
        );
        // Two chunks and a bit.
        let mut bytes: Vec<u8> = (0..2 * CHUNK as usize + 10)
            .map(|i| (i % 251) as u8)
            .collect();
        std::fs::write(&a, &bytes).unwrap();
        std::fs::write(&b, &bytes).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&c, &bytes).unwrap();
        let missing = dir.path().join("missing");
        let files: Vec<&Path> = vec![&a, &b, &c, &missing];
        let h = hash_files(&files);
        assert!(h[a.as_path()].is_some());
        assert_eq!(h[a.as_path()], h[b.as_path()], "same content, same hash");
        assert_ne!(h[a.as_path()], h[c.as_path()], "one byte of the last chunk");
        assert_eq!(h[missing.as_path()], None);
        // One chunk alone hashes the same whatever else is hashed with it.
        assert_eq!(hash_files(&[&a])[a.as_path()], h[a.as_path()]);
    }
}
