//! Live reload: the layer folder and every file the layers read are watched (inotify, through
//! `notify`); once the changes have settled for a debounce delay, the catalogue is reloaded as
//! `POST /admin/reload` does it — only the layers whose inputs changed by content are loaded
//! again, the new catalogue swaps in whole, and a failed reload keeps the current layers and
//! shows its error in `/health` and the metrics.
//!
//! A copy of a large file fires events for as long as it is written: the reload waits until
//! none came for the debounce delay (but no longer than [`MAX_WAIT`] after the first).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use notify::{EventKind, RecursiveMode};

use crate::{AppState, Trigger};

/// The longest a reload waits for changes to settle.
pub const MAX_WAIT: Duration = Duration::from_secs(60);

/// Watches the layers of a server until dropped.
#[derive(Debug)]
pub struct Watcher {
    stop: Arc<AtomicBool>,
}

impl Drop for Watcher {
    /// Stops the watching within a quarter of a second; a reload under way is not waited for
    /// (a server that stops must not wait for a national reload).
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// What to watch: folders (the layer folder, the folders of the sources, source folders
/// themselves) and which paths in them matter.
#[derive(Debug, Default, PartialEq)]
struct Plan {
    /// Folders watched without their sub-folders.
    flat: BTreeSet<PathBuf>,
    /// Folders watched with their sub-folders (a source that is a folder, the reference folder).
    deep: BTreeSet<PathBuf>,
    /// Files whose changes matter.
    files: BTreeSet<PathBuf>,
    /// The layer folder: a TOML file appearing, changing or going there matters.
    layer_dir: PathBuf,
}

impl Plan {
    /// The files the layers of `dir` (and of its reference folder) read now. Layer files that
    /// do not parse are skipped: the folder itself is watched, so their fix is seen.
    fn of(dir: &Path) -> Self {
        let dir = canonical(dir);
        let mut plan = Plan {
            layer_dir: dir.clone(),
            ..Plan::default()
        };
        plan.flat.insert(dir.clone());
        let reference = dir.join(crate::analysis::reference::FOLDER);
        for folder in [dir.to_owned(), reference.clone()] {
            if folder != dir && folder.is_dir() {
                plan.deep.insert(folder.clone());
            }
            // Archive layers: their file (an export renames the new one into place).
            for archive in crate::config::load_archives(&folder).unwrap_or_default() {
                plan.add(archive.path);
            }
            let Ok(configs) = crate::config::load_dir(&folder) else {
                continue;
            };
            for config in &configs {
                for file in crate::cache::input_files(config) {
                    plan.add(file);
                }
                for dataset in std::iter::once(&config.source.path)
                    .chain(config.joins.iter().map(|j| &j.source.path))
                {
                    if dataset.is_dir() {
                        plan.deep.insert(canonical(dataset));
                    }
                }
            }
        }
        plan
    }

    fn add(&mut self, file: PathBuf) {
        let file = canonical(&file);
        if let Some(parent) = file.parent() {
            self.flat.insert(parent.to_owned());
        }
        self.files.insert(file);
    }

    /// Whether a change of `path` may change what is served.
    fn matters(&self, path: &Path) -> bool {
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.') || n.ends_with('~'));
        if hidden {
            return false;
        }
        self.files.contains(path)
            || self.deep.iter().any(|d| path.starts_with(d))
            || (path.parent() == Some(self.layer_dir.as_path())
                && path.extension().is_some_and(|e| e == "toml"))
    }
}

/// The path with symbolic links and `..` resolved (events name the real files); for a file
/// that does not exist, its folder's resolved path and its name.
fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| {
        match (
            path.parent().and_then(|p| p.canonicalize().ok()),
            path.file_name(),
        ) {
            (Some(parent), Some(name)) => parent.join(name),
            _ => path.to_owned(),
        }
    })
}

/// Starts watching the layer folder of `state`'s catalogue; changes reload it after `debounce`
/// without new changes.
///
/// # Errors
/// When the system refuses to watch (no inotify, too many watches).
pub fn watch(state: AppState, debounce: Duration) -> notify::Result<Watcher> {
    let (tx, rx) = mpsc::channel::<notify::Result<notify::Event>>();
    let mut watcher = notify::recommended_watcher(move |event| {
        // The receiver is gone only when the watcher stops.
        let _ = tx.send(event);
    })?;
    let dir = state.catalog().dir.clone();
    let mut plan = Plan::of(&dir);
    apply(&mut watcher, &Plan::default(), &plan)?;
    tracing::info!(
        folder = %dir.display(),
        folders = plan.flat.len() + plan.deep.len(),
        debounce_ms = debounce.as_millis() as u64,
        "watching the layer files"
    );
    let stop = Arc::new(AtomicBool::new(false));
    let stopping = Arc::clone(&stop);
    std::thread::Builder::new()
        .name("bourg-watch".into())
        .spawn(move || {
            // Checked at least this often.
            let tick = Duration::from_millis(250).min(debounce);
            let mut first_change: Option<Instant> = None;
            let mut last_change = Instant::now();
            loop {
                if stopping.load(Ordering::Relaxed) {
                    return;
                }
                match rx.recv_timeout(tick) {
                    Ok(Ok(event)) => {
                        let relevant = !matches!(event.kind, EventKind::Access(_))
                            && event.paths.iter().any(|p| plan.matters(p));
                        if relevant {
                            tracing::debug!(paths = ?event.paths, "layer file changed");
                            first_change.get_or_insert_with(Instant::now);
                            last_change = Instant::now();
                        }
                    }
                    Ok(Err(e)) => tracing::warn!(error = %e, "file watching"),
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => return,
                }
                let Some(first) = first_change else { continue };
                if last_change.elapsed() < debounce && first.elapsed() < MAX_WAIT {
                    continue;
                }
                first_change = None;
                // The reload logs its outcome and keeps it for /health and the metrics.
                let _ = state.reload_for(Trigger::Watch);
                let next = Plan::of(&dir);
                if next != plan {
                    if let Err(e) = apply(&mut watcher, &plan, &next) {
                        tracing::warn!(error = %e, "cannot watch the new layer files");
                    }
                    plan = next;
                }
            }
        })
        .map_err(notify::Error::io)?;
    Ok(Watcher { stop })
}

/// Moves the watches from `old` to `new`. A folder that no longer exists is skipped (its
/// parent, or the layer folder, still sees it come back).
fn apply(watcher: &mut impl notify::Watcher, old: &Plan, new: &Plan) -> notify::Result<()> {
    for (dirs, mode) in [
        (&old.flat, RecursiveMode::NonRecursive),
        (&old.deep, RecursiveMode::Recursive),
    ] {
        let now = if mode == RecursiveMode::Recursive {
            &new.deep
        } else {
            &new.flat
        };
        for d in dirs.difference(now) {
            let _ = watcher.unwatch(d);
        }
    }
    for (dirs, was, mode) in [
        (&new.flat, &old.flat, RecursiveMode::NonRecursive),
        (&new.deep, &old.deep, RecursiveMode::Recursive),
    ] {
        for d in dirs.difference(was) {
            match watcher.watch(d, mode) {
                Ok(()) => {}
                Err(e) if !d.exists() => {
                    tracing::debug!(folder = %d.display(), error = %e, "not watched: missing")
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_files_are_watched() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("france.toml"),
            "title = \"France\"\n[archive]\npath = \"france.pmtiles\"\n",
        )
        .expect("write");
        let plan = Plan::of(dir.path());
        let archive = canonical(dir.path()).join("france.pmtiles");
        assert!(plan.files.contains(&archive), "{plan:?}");
        assert!(plan.matters(&archive));
    }

    #[test]
    fn what_matters() {
        let mut plan = Plan {
            layer_dir: PathBuf::from("/l"),
            ..Plan::default()
        };
        plan.add(PathBuf::from("/data/rpls.csv"));
        plan.deep.insert(PathBuf::from("/data/shp"));
        assert!(plan.matters(Path::new("/data/rpls.csv")));
        assert!(plan.matters(Path::new("/data/shp/a/b.dbf")));
        assert!(plan.matters(Path::new("/l/new.toml")));
        assert!(!plan.matters(Path::new("/l/notes.txt")));
        assert!(!plan.matters(Path::new("/data/other.csv")));
        assert!(!plan.matters(Path::new("/data/shp/.b.dbf.swp")));
        assert!(!plan.matters(Path::new("/l/.new.toml.tmp")));
    }
}
