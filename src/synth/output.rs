//! Writing the CSV files: `;`-separated UTF-8 text, `\n` line ends, fields formatted by hand
//! (no per-row allocation), written to `<name>.tmp` and renamed on success so a failed run never
//! leaves a half-written file under the final name.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::error::SynthError;
use super::projection::Decimetres;

/// A file being written; renamed to its final name by [`AtomicFile::commit`], removed if dropped
/// before.
#[derive(Debug)]
pub struct AtomicFile {
    path: PathBuf,
    tmp: PathBuf,
    writer: Option<BufWriter<File>>,
    bytes: u64,
}

impl AtomicFile {
    /// Creates `<path>.tmp`.
    ///
    /// # Errors
    /// When the file cannot be created.
    pub fn create(path: &Path) -> Result<Self, SynthError> {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let file = File::create(&tmp).map_err(|source| SynthError::Write {
            path: tmp.clone(),
            source,
        })?;
        Ok(Self {
            path: path.to_owned(),
            tmp,
            writer: Some(BufWriter::with_capacity(1 << 20, file)),
            bytes: 0,
        })
    }

    /// Appends bytes.
    ///
    /// # Errors
    /// When the disk refuses them.
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), SynthError> {
        let writer = self.writer.as_mut().ok_or_else(|| SynthError::Write {
            path: self.tmp.clone(),
            source: std::io::Error::other("file already committed"),
        })?;
        writer
            .write_all(bytes)
            .map_err(|source| SynthError::Write {
                path: self.tmp.clone(),
                source,
            })?;
        self.bytes += bytes.len() as u64;
        Ok(())
    }

    /// Flushes, syncs and renames the file to its final name; returns its size in bytes.
    ///
    /// # Errors
    /// When flushing or renaming fails.
    pub fn commit(mut self) -> Result<u64, SynthError> {
        let err = |path: &Path| {
            let path = path.to_owned();
            move |source| SynthError::Write { path, source }
        };
        if let Some(writer) = self.writer.take() {
            let file = writer
                .into_inner()
                .map_err(|e| err(&self.tmp)(e.into_error()))?;
            file.sync_all().map_err(err(&self.tmp))?;
        }
        std::fs::rename(&self.tmp, &self.path).map_err(err(&self.path))?;
        Ok(self.bytes)
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Appends a text field, quoted (RFC 4180 style) only if it holds `;`, `"` or a line break.
pub fn push_text(buf: &mut Vec<u8>, text: &str) {
    if text.contains([';', '"', '\n', '\r']) {
        buf.push(b'"');
        for b in text.bytes() {
            if b == b'"' {
                buf.push(b'"');
            }
            buf.push(b);
        }
        buf.push(b'"');
    } else {
        buf.extend_from_slice(text.as_bytes());
    }
}

/// Appends an unsigned integer in decimal.
pub fn push_uint(buf: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[i..]);
}

/// Appends a signed integer in decimal.
pub fn push_int(buf: &mut Vec<u8>, n: i64) {
    if n < 0 {
        buf.push(b'-');
    }
    push_uint(buf, n.unsigned_abs());
}

/// Appends a number given in tenths with one decimal (`655` → `65.5`, `-3` → `-0.3`).
pub fn push_tenths(buf: &mut Vec<u8>, tenths: i64) {
    if tenths < 0 {
        buf.push(b'-');
    }
    let t = tenths.unsigned_abs();
    push_uint(buf, t / 10);
    buf.push(b'.');
    buf.push(b'0' + (t % 10) as u8);
}

/// Appends `X;Y` of a Lambert-93 position in metres with one decimal.
pub fn push_xy(buf: &mut Vec<u8>, p: Decimetres) {
    push_tenths(buf, p.x);
    buf.push(b';');
    push_tenths(buf, p.y);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::{any, prop_assert, prop_assert_eq, proptest};

    #[test]
    fn fields_are_formatted_like_the_rpls() {
        let mut b = Vec::new();
        push_text(&mut b, "DE LA GARE");
        b.push(b';');
        push_text(&mut b, "a;b \"c\"");
        b.push(b';');
        push_tenths(&mut b, 655);
        b.push(b';');
        push_xy(
            &mut b,
            Decimetres {
                x: 6_869_483,
                y: 70_362_641,
            },
        );
        assert_eq!(
            String::from_utf8(b).unwrap(),
            "DE LA GARE;\"a;b \"\"c\"\"\";65.5;686948.3;7036264.1"
        );
    }

    #[test]
    fn atomic_file_appears_only_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        let mut f = AtomicFile::create(&path).unwrap();
        f.write(b"x;y\n").unwrap();
        assert!(!path.exists());
        assert_eq!(f.commit().unwrap(), 4);
        assert_eq!(std::fs::read(&path).unwrap(), b"x;y\n");
        let mut dropped = AtomicFile::create(&dir.path().join("b.csv")).unwrap();
        dropped.write(b"partial").unwrap();
        drop(dropped);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "only a.csv is left");
    }

    proptest! {
        #[test]
        fn integers_match_std_formatting(n in any::<i64>(), t in -10_000_000_000i64..10_000_000_000) {
            let mut b = Vec::new();
            push_int(&mut b, n);
            prop_assert_eq!(String::from_utf8(b).unwrap(), n.to_string());
            let mut b = Vec::new();
            push_tenths(&mut b, t);
            let parsed: f64 = String::from_utf8(b).unwrap().parse().unwrap();
            prop_assert!((parsed * 10.0 - t as f64).abs() < 1e-3);
        }
    }
}
