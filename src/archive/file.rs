//! Writing an archive atomically: into a hidden partial file beside the output
//! (`.NAME.partial`), flushed to disk, then renamed over the output name. An interrupted
//! export leaves at most the partial file, which the next export overwrites; the output name
//! only ever holds a complete archive.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use super::ArchiveError;

/// The partial file of an output being written; removed when dropped before [`commit`].
///
/// [`commit`]: AtomicFile::commit
#[derive(Debug)]
pub struct AtomicFile {
    output: PathBuf,
    partial: PathBuf,
    committed: bool,
}

impl AtomicFile {
    /// Creates (or truncates a stale) `.NAME.partial` beside `output`.
    ///
    /// # Errors
    /// [`ArchiveError::Exists`] when `output` exists and `force` is false;
    /// [`ArchiveError::Io`] when the partial file cannot be created.
    pub fn create(output: &Path, force: bool) -> Result<(Self, File), ArchiveError> {
        refuse_existing(output, force)?;
        let partial = beside(output, "partial")?;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&partial)
            .map_err(|e| ArchiveError::io(&partial, "cannot create", e))?;
        Ok((
            Self {
                output: output.to_owned(),
                partial,
                committed: false,
            },
            file,
        ))
    }

    /// The partial file's path.
    pub fn partial(&self) -> &Path {
        &self.partial
    }

    /// Flushes the partial file to disk and renames it to the output name (replacing what was
    /// there), then flushes the folder so that the rename itself survives a crash.
    ///
    /// # Errors
    /// [`ArchiveError::Io`] when flushing or renaming fails; the partial file is then removed.
    pub fn commit(mut self) -> Result<(), ArchiveError> {
        File::open(&self.partial)
            .and_then(|f| f.sync_all())
            .map_err(|e| ArchiveError::io(&self.partial, "cannot flush", e))?;
        std::fs::rename(&self.partial, &self.output)
            .map_err(|e| ArchiveError::io(&self.output, "cannot rename the partial file to", e))?;
        self.committed = true;
        if let Some(dir) = folder(&self.output) {
            // Best effort: some file systems cannot open a folder for syncing.
            let _ = File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

/// A scratch file beside the output (`.NAME.SUFFIX`), removed when dropped.
#[derive(Debug)]
pub struct Scratch {
    path: PathBuf,
}

impl Scratch {
    /// Creates (or truncates) `.NAME.SUFFIX` beside `output`.
    ///
    /// # Errors
    /// [`ArchiveError::Io`] when it cannot be created.
    pub fn create(output: &Path, suffix: &str) -> Result<(Self, File), ArchiveError> {
        let path = beside(output, suffix)?;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .map_err(|e| ArchiveError::io(&path, "cannot create", e))?;
        Ok((Self { path }, file))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Fails when `output` exists and `force` is false (checked before any work, and again when
/// the partial file is created).
///
/// # Errors
/// [`ArchiveError::Exists`].
pub fn refuse_existing(output: &Path, force: bool) -> Result<(), ArchiveError> {
    if !force && std::fs::symlink_metadata(output).is_ok() {
        return Err(ArchiveError::Exists(output.to_owned()));
    }
    Ok(())
}

/// `.NAME.SUFFIX` in the output's folder.
fn beside(output: &Path, suffix: &str) -> Result<PathBuf, ArchiveError> {
    let name = output
        .file_name()
        .ok_or_else(|| ArchiveError::NoFileName(output.to_owned()))?;
    let hidden = format!(".{}.{suffix}", name.to_string_lossy());
    Ok(match folder(output) {
        Some(dir) => dir.join(hidden),
        None => PathBuf::from(hidden),
    })
}

/// The folder of a path, `None` for a bare file name.
fn folder(path: &Path) -> Option<&Path> {
    path.parent().filter(|p| !p.as_os_str().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_renames_and_drop_removes() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("a.pmtiles");
        let (file, mut f) = AtomicFile::create(&out, false).unwrap();
        assert_eq!(file.partial(), dir.path().join(".a.pmtiles.partial"));
        std::io::Write::write_all(&mut f, b"abc").unwrap();
        file.commit().unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), b"abc");
        assert!(!dir.path().join(".a.pmtiles.partial").exists());

        assert!(matches!(
            AtomicFile::create(&out, false),
            Err(ArchiveError::Exists(_))
        ));
        let (file, _) = AtomicFile::create(&out, true).unwrap();
        drop(file);
        assert_eq!(std::fs::read(&out).unwrap(), b"abc", "untouched");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
