//! One cache file: a fixed header, then the payload.
//!
//! | bytes | field |
//! |---|---|
//! | 8 | magic `BOURGCAT` |
//! | 4 | format version, little-endian ([`FORMAT_VERSION`]) |
//! | 16 | key: the hash of the inputs the payload was built from, little-endian |
//! | 8 | payload length, little-endian |
//! | 8 | XXH3-64 of the payload, little-endian |
//!
//! A file is written to a temporary name in the same folder, synced, then renamed over the
//! final name, so a crash never leaves a partial file under that name. Reading checks the
//! magic, the version and the key from the header alone (a stale file costs one small read),
//! then the length and the checksum of the whole payload before anything decodes it.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use xxhash_rust::xxh3::{xxh3_64, Xxh3};

/// Bumped whenever what a cache file stores changes shape.
pub const FORMAT_VERSION: u32 = 1;

const MAGIC: [u8; 8] = *b"BOURGCAT";
const HEADER_LEN: usize = 8 + 4 + 16 + 8 + 8;

/// Why a cache file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum Unusable {
    /// There is none.
    #[error("no cache file yet")]
    Missing,
    /// It cannot be read.
    #[error("cannot read the cache file")]
    Io(#[source] std::io::Error),
    /// It is shorter or longer than its header says.
    #[error("truncated or extended: {found} bytes where the header announces {expected}")]
    Length {
        /// Bytes announced by the header.
        expected: u64,
        /// Bytes found.
        found: u64,
    },
    /// It is not a cache file.
    #[error("not a Bourg cache file (bad magic)")]
    Magic,
    /// It was written by another format version.
    #[error("format version {found}, this build reads {FORMAT_VERSION}")]
    Version {
        /// The file's version.
        found: u32,
    },
    /// It was built from other inputs (or by another build).
    #[error("stale: built from other inputs")]
    Stale,
    /// Its payload does not match its checksum.
    #[error("corrupt: the checksum does not match")]
    Checksum,
}

/// Writes `payload` (produced by `fill`) under `path` with its header, atomically.
///
/// # Errors
/// When the temporary file cannot be created, written, synced or renamed (it is then removed),
/// or when `fill` fails.
pub fn write(
    path: &Path,
    key: u128,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = write_to(&tmp, key, fill).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn write_to(
    tmp: &Path,
    key: u128,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let file = File::create(tmp)?;
    let mut out = Hashing {
        inner: BufWriter::with_capacity(1 << 20, file),
        hasher: Xxh3::new(),
        len: 0,
    };
    out.inner.write_all(&[0; HEADER_LEN])?;
    fill(&mut out)?;
    let header = header(key, out.len, out.hasher.digest());
    let mut file = out.inner.into_inner().map_err(|e| e.into_error())?;
    file.seek(SeekFrom::Start(0))?;
    file.write_all(&header)?;
    file.sync_all()
}

fn header(key: u128, len: u64, checksum: u64) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[..8].copy_from_slice(&MAGIC);
    h[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    h[12..28].copy_from_slice(&key.to_le_bytes());
    h[28..36].copy_from_slice(&len.to_le_bytes());
    h[36..44].copy_from_slice(&checksum.to_le_bytes());
    h
}

/// A writer that hashes and counts what goes through it.
struct Hashing<W> {
    inner: W,
    hasher: Xxh3,
    len: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The payload of the cache file at `path`, when it was written with `key` by this format
/// version and is whole.
///
/// # Errors
/// Why the file cannot be used.
///
/// # Runtime
/// One read of the file and one XXH3 pass over it (about 10 GB/s).
pub fn read(path: &Path, key: u128) -> Result<Vec<u8>, Unusable> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Unusable::Missing),
        Err(e) => return Err(Unusable::Io(e)),
    };
    let found = file.metadata().map_err(Unusable::Io)?.len();
    let mut h = [0u8; HEADER_LEN];
    if found < HEADER_LEN as u64 {
        return Err(Unusable::Length {
            expected: HEADER_LEN as u64,
            found,
        });
    }
    file.read_exact(&mut h).map_err(Unusable::Io)?;
    if h[..8] != MAGIC {
        return Err(Unusable::Magic);
    }
    let version = u32::from_le_bytes(le(&h[8..12]));
    if version != FORMAT_VERSION {
        return Err(Unusable::Version { found: version });
    }
    if u128::from_le_bytes(le(&h[12..28])) != key {
        return Err(Unusable::Stale);
    }
    let len = u64::from_le_bytes(le(&h[28..36]));
    let checksum = u64::from_le_bytes(le(&h[36..44]));
    let expected = len.saturating_add(HEADER_LEN as u64);
    if found != expected {
        return Err(Unusable::Length { expected, found });
    }
    let mut payload = Vec::new();
    payload
        .try_reserve_exact(len as usize)
        .map_err(|e| Unusable::Io(std::io::Error::other(e)))?;
    file.take(len)
        .read_to_end(&mut payload)
        .map_err(Unusable::Io)?;
    if payload.len() as u64 != len {
        return Err(Unusable::Length {
            expected,
            found: payload.len() as u64 + HEADER_LEN as u64,
        });
    }
    if xxh3_64(&payload) != checksum {
        return Err(Unusable::Checksum);
    }
    Ok(payload)
}

/// The bytes of a fixed-size field (the slice always has the right length).
fn le<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&bytes[..N]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(key: u128, payload: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("layer.bin");
        write(&path, key, |out| out.write_all(payload)).unwrap();
        (dir, path)
    }

    #[test]
    fn a_written_file_reads_back_and_leaves_no_temporary() {
        let payload: Vec<u8> = (0..100_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let (dir, path) = written(42, &payload);
        assert_eq!(read(&path, 42).unwrap(), payload);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "only the final file");
        assert_eq!(
            std::fs::metadata(&path).unwrap().len(),
            (HEADER_LEN + payload.len()) as u64
        );
    }

    #[test]
    fn every_damage_is_detected() {
        let payload = vec![7u8; 5000];
        let (_dir, path) = written(42, &payload);
        let good = std::fs::read(&path).unwrap();
        assert!(matches!(read(&path, 43), Err(Unusable::Stale)));
        assert!(matches!(
            read(&path.with_extension("none"), 42),
            Err(Unusable::Missing)
        ));
        let damaged = |bytes: Vec<u8>| {
            std::fs::write(&path, bytes).unwrap();
            read(&path, 42)
        };
        // One flipped bit anywhere: in the payload, the length, the checksum, the key, the
        // version, the magic.
        for at in [HEADER_LEN + 2500, 30, 40, 20, 9, 0] {
            let mut bytes = good.clone();
            bytes[at] ^= 0x10;
            assert!(damaged(bytes).is_err(), "flip at {at}");
        }
        let mut bytes = good.clone();
        bytes[HEADER_LEN + 2500] ^= 1;
        assert!(matches!(damaged(bytes), Err(Unusable::Checksum)));
        let mut bytes = good.clone();
        bytes[9] ^= 1;
        assert!(matches!(damaged(bytes), Err(Unusable::Version { .. })));
        assert!(matches!(
            damaged(good[..good.len() - 1].to_vec()),
            Err(Unusable::Length { .. })
        ));
        assert!(matches!(
            damaged(good[..10].to_vec()),
            Err(Unusable::Length { .. })
        ));
        let mut longer = good.clone();
        longer.push(0);
        assert!(matches!(damaged(longer), Err(Unusable::Length { .. })));
        assert!(matches!(
            damaged(b"garbage, not a cache file at all, but long enough for a header".to_vec()),
            Err(Unusable::Magic)
        ));
        assert_eq!(damaged(good).unwrap(), payload);
    }

    #[test]
    fn a_failed_write_leaves_the_old_file() {
        let (dir, path) = written(1, b"old");
        let failed = write(&path, 2, |out| {
            out.write_all(b"half")?;
            Err(std::io::Error::other("disk full"))
        });
        assert!(failed.is_err());
        assert_eq!(read(&path, 1).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
