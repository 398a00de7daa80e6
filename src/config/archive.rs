//! Archive layers: a layer file with an `[archive]` table names a PMTiles or MBTiles file of
//! pre-rendered vector tiles, served as is (see [`crate::archive::Archive`]).
//!
//! ```toml
//! title = "Communes (archive nationale)"
//! description = "Pre-rendered with bourg export"
//!
//! [archive]
//! path = "data/communes.pmtiles"    # relative to this file; *.pmtiles or *.mbtiles
//! # url = "https://cdn.example.fr/communes.pmtiles"   # the map reads the PMTiles there
//! # url = "/archives/communes.pmtiles"                # … or from this server (Range requests)
//!
//! [style]                            # optional
//! color = "#7f7f7f"
//! visible = true
//! ```
//!
//! Name, attribution, zooms, bounds and vector layers come from the archive's own metadata.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::ConfigError;

/// A validated archive layer.
#[derive(Debug, Clone)]
pub struct ArchiveConfig {
    /// The layer id: the TOML file name without extension.
    pub id: String,
    /// The TOML file.
    pub toml_path: PathBuf,
    /// Human title.
    pub title: String,
    /// Longer description.
    pub description: String,
    /// The path as written, for messages.
    pub path_written: String,
    /// The archive file, resolved against the TOML file's folder.
    pub path: PathBuf,
    /// Where the map reads the PMTiles with the `pmtiles://` protocol: an `http(s)://` URL, or
    /// a path on this server starting with `/`; `None`: through `/tiles/{id}/…`.
    pub url: Option<String>,
    /// Colour of its features on the map.
    pub color: String,
    /// Shown when the map opens.
    pub visible: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArchiveLayer {
    title: String,
    #[serde(default)]
    description: String,
    archive: RawArchive,
    #[serde(default)]
    style: Option<RawArchiveStyle>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArchive {
    path: String,
    url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArchiveStyle {
    color: Option<String>,
    visible: Option<bool>,
}

/// Whether a layer file's text declares an archive layer (a top-level `archive` table). Text
/// that is not TOML is not one (the vector layer loader then names the error).
pub fn is_archive(text: &str) -> bool {
    text.parse::<toml::Table>()
        .is_ok_and(|t| t.contains_key("archive"))
}

/// Reads every archive layer file of `dir`, sorted by file name.
///
/// # Errors
/// The first archive layer file that cannot be read, parsed or validated.
pub fn load_archives(dir: &Path) -> Result<Vec<ArchiveConfig>, ConfigError> {
    let mut out = Vec::new();
    for path in super::toml_files(dir)? {
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        if is_archive(&text) {
            out.push(parse_archive(&path, &text)?);
        }
    }
    Ok(out)
}

/// Parses and validates an archive layer file found at `path`.
///
/// # Errors
/// Unknown keys, a path that is neither `*.pmtiles` nor `*.mbtiles`, a URL that is neither
/// `http(s)://…` nor `/…`, a colour that is not `#rrggbb`.
pub fn parse_archive(path: &Path, text: &str) -> Result<ArchiveConfig, ConfigError> {
    let raw: RawArchiveLayer = toml::from_str(text).map_err(|source| ConfigError::Parse {
        path: path.to_owned(),
        source,
    })?;
    let invalid = |key: &str, message: String| ConfigError::Invalid {
        path: path.to_owned(),
        key: key.to_owned(),
        message,
    };
    let id = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if crate::archive::Format::of_path(Path::new(&raw.archive.path)).is_none() {
        return Err(invalid(
            "archive.path",
            format!("{:?} is neither *.pmtiles nor *.mbtiles", raw.archive.path),
        ));
    }
    if let Some(url) = &raw.archive.url {
        let ok = url.starts_with("https://") || url.starts_with("http://") || url.starts_with('/');
        if !ok || url.chars().any(|c| c.is_whitespace() || c == '"') {
            return Err(invalid(
                "archive.url",
                format!("{url:?} is not an http(s):// URL nor a path on this server (/…)"),
            ));
        }
        if !raw.archive.path.to_ascii_lowercase().ends_with(".pmtiles") {
            return Err(invalid(
                "archive.url",
                "the map reads PMTiles archives only: remove url or use a *.pmtiles file".into(),
            ));
        }
    }
    let style = raw.style.unwrap_or(RawArchiveStyle {
        color: None,
        visible: None,
    });
    let color = style.color.unwrap_or_else(|| "#7f7f7f".to_owned());
    if !super::style::is_colour(&color) {
        return Err(invalid(
            "style.color",
            format!("{color:?} is not a colour (#rrggbb)"),
        ));
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    Ok(ArchiveConfig {
        id,
        toml_path: path.to_owned(),
        title: raw.title,
        description: raw.description,
        path: dir.join(&raw.archive.path),
        path_written: raw.archive.path,
        url: raw.archive.url,
        color,
        visible: style.visible.unwrap_or(true),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_files_are_told_apart_and_checked() {
        let p = Path::new("/layers/communes.toml");
        assert!(is_archive(
            "title = \"x\"\n[archive]\npath = \"a.pmtiles\"\n"
        ));
        assert!(!is_archive(
            "title = \"x\"\n[source]\npath = \"a.geojson\"\n"
        ));
        assert!(!is_archive("not toml ["));
        let c = parse_archive(
            p,
            "title = \"C\"\n[archive]\npath = \"data/c.pmtiles\"\nurl = \"/archives/communes.pmtiles\"\n",
        )
        .unwrap();
        assert_eq!(c.id, "communes");
        assert_eq!(c.path, Path::new("/layers/data/c.pmtiles"));
        assert!(c.visible);
        for (bad, key) in [
            ("[archive]\npath = \"c.zip\"\n", "archive.path"),
            (
                "[archive]\npath = \"c.pmtiles\"\nurl = \"ftp://x\"\n",
                "archive.url",
            ),
            (
                "[archive]\npath = \"c.mbtiles\"\nurl = \"/a.mbtiles\"\n",
                "archive.url",
            ),
            (
                "[archive]\npath = \"c.pmtiles\"\n[style]\ncolor = \"red\"\n",
                "style.color",
            ),
        ] {
            let e = parse_archive(p, &format!("title = \"C\"\n{bad}")).unwrap_err();
            assert!(e.to_string().contains(key), "{bad}: {e}");
        }
        let e = parse_archive(
            p,
            "title = \"C\"\n[archive]\npath = \"c.pmtiles\"\nzoom = 3\n",
        );
        assert!(e.unwrap_err().to_string().contains("communes.toml"));
    }
}
