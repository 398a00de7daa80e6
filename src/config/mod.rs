//! The layer catalogue: one TOML file per layer in a directory, the file name being the layer id.
//!
//! Files are parsed into raw serde structs (`deny_unknown_fields`, so a typo fails at start-up)
//! and validated once into [`LayerConfig`], whose fields cannot be wrong: zooms are `u8` ≤ 24,
//! paths are resolved relative to the TOML file, CRS definitions are known to GDAL.
//! Nothing here is checked per request.
//!
//! ```toml
//! title = "Communes (COG 2025)"
//! description = "Communes of Pas-de-Calais and Doubs"
//! synthetic = false
//! min_zoom = 0
//! max_zoom = 14
//!
//! [source]
//! path = "data/communes.geojson"   # relative to this file
//! # layer = "communes"             # OGR layer name, when the dataset holds several
//! # x = "X"; y = "Y"               # point coordinates read from two columns (CSV and other tables)
//! # delimiter = ";"                # CSV only: "," ";" "\t" or "|"
//! # encoding = "ISO-8859-1"        # CSV only: "UTF-8" (default) or "ISO-8859-1"
//! # crs = "EPSG:2154"              # source CRS; required with x/y, overrides the file's own
//!
//! [properties]                     # kept properties, in order, with their types
//! code = "string"
//! pmun22 = "int"
//!
//! [attribution]
//! producer = "IGN, INSEE"
//! date = "2025"
//!
//! [tiles]                          # optional: vector tile settings (defaults shown)
//! buffer = 64                      # tile units (of 4096) around the tile
//! tolerance = 4.0                  # simplification in tile units below max_zoom (0 = none)
//! max_bytes = 500000               # byte budget of this layer in one tile
//! # aggregate_below = 12           # point layers: grid cells instead of points below this zoom
//! # cell_size = 128                # aggregation cell side, tile units (a power of two ≤ 4096)
//! # sums = ["logements"]           # numeric properties summed in each cell
//!
//! [labels]                         # optional: human labels, formats, code texts (see `labels`)
//! pmun22 = "Population municipale 2022"
//!
//! [[join]]                         # optional: attributes from a table joined on a key
//! path = "data/lovac.csv"
//! key = "insee_com"                # column of the table
//! on = "code"                      # kept property of this layer
//! [join.properties]
//! pct_vacants_plus_2ans_pp = "float"
//! ```

mod archive;
mod derived;
mod labels;
mod style;
mod tiles;

use std::fmt;
use std::path::{Path, PathBuf};

pub use archive::{is_archive, load_archives, parse_archive, ArchiveConfig};
pub use derived::{CountBy, CountIf, GroupConfig, TotalsConfig};
pub use labels::{Format, Noun, Words, CELL_COUNT};
pub use style::{Categories, Choropleth, StyleConfig, THEMES};
pub use tiles::{AggregateConfig, TileConfig, EXTENT};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// Highest zoom level a layer may declare.
pub const MAX_ZOOM: u8 = 24;

/// An error in the layer catalogue, naming the file and, where it applies, the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The layer directory cannot be listed.
    #[error("{}: cannot read the layer directory", path.display())]
    ReadDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The directory holds no `*.toml` file.
    #[error("{}: no layer file (*.toml) found", path.display())]
    NoLayers { path: PathBuf },
    /// A layer file cannot be read.
    #[error("{}: cannot read", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A layer file is not valid TOML or has unknown keys or wrongly typed values.
    #[error("{}", path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
    /// A key holds a value that parses but cannot be used.
    #[error("{}: {key}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        key: String,
        message: String,
    },
}

/// The type a kept property is converted to at load time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PropType {
    /// UTF-8 text.
    String,
    /// 64-bit signed integer.
    Int,
    /// 64-bit float.
    Float,
    /// Boolean (`true/false`, `1/0`, `oui/non`, `yes/no`).
    Bool,
}

impl fmt::Display for PropType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PropType::String => "string",
            PropType::Int => "int",
            PropType::Float => "float",
            PropType::Bool => "bool",
        })
    }
}

/// Text encoding of a CSV source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 (the default; a BOM is accepted).
    Utf8,
    /// ISO-8859-1 (Latin-1), transcoded to UTF-8 before GDAL reads it.
    Latin1,
}

/// Producer and date of a layer's data; Licence Ouverte requires both to be shown.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Attribution {
    /// Who produced the data, e.g. "ANCT" or "IGN, INSEE".
    pub producer: String,
    /// Date or vintage of the data, e.g. "2024-09" or "2025".
    pub date: String,
    /// Licence of the data.
    #[serde(default = "default_licence")]
    pub licence: String,
    /// Where the data is published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

fn default_licence() -> String {
    "Licence Ouverte 2.0".to_owned()
}

impl Attribution {
    /// One line for a map's attribution control: "producer (date), licence".
    pub fn text(&self) -> String {
        format!("{} ({}), {}", self.producer, self.date, self.licence)
    }
}

/// Point coordinates read from two columns of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XyColumns {
    /// Column holding X (easting or longitude).
    pub x: String,
    /// Column holding Y (northing or latitude).
    pub y: String,
}

/// Where a layer's features come from.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    /// The path as written in the TOML file, for messages.
    pub path_written: String,
    /// The path resolved against the TOML file's directory.
    pub path: PathBuf,
    /// OGR layer name, when the dataset holds several.
    pub layer: Option<String>,
    /// Coordinate columns, for tables without a geometry.
    pub xy: Option<XyColumns>,
    /// CSV field separator.
    pub delimiter: Option<char>,
    /// CSV text encoding.
    pub encoding: Encoding,
    /// Source CRS definition (as GDAL understands it, e.g. `EPSG:2154`), overriding the file's.
    pub crs: Option<String>,
}

impl SourceConfig {
    /// Whether the source is read by GDAL's CSV driver.
    pub fn is_csv(&self) -> bool {
        is_csv_path(&self.path)
    }
}

fn is_csv_path(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    [".csv", ".tsv", ".txt"].iter().any(|e| name.ends_with(e))
}

/// Whether a file is gzip-compressed (by its name: `.gz`), to be read through `/vsigzip/`.
pub fn is_gzip_path(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

/// A table joined to a layer's features on a key.
#[derive(Debug, Clone)]
pub struct JoinConfig {
    /// The table, read through GDAL (CSV options as for sources).
    pub source: SourceConfig,
    /// Column of the table holding the key.
    pub key: String,
    /// Kept property of the layer matched against `key`.
    pub on: String,
    /// Columns of the table to add, with their types.
    pub properties: IndexMap<String, PropType>,
    /// Prefix of the added property names (the columns are read unprefixed).
    pub prefix: String,
    /// Drop (and count) the features that find no row.
    pub required: bool,
    /// What a repeated key does.
    pub duplicates: Duplicates,
}

impl JoinConfig {
    /// The names the join adds to the layer's schema, in order.
    pub fn property_names(&self) -> Vec<String> {
        self.properties
            .keys()
            .map(|k| format!("{}{k}", self.prefix))
            .collect()
    }
}

/// What a join does with rows whose key repeats an earlier row's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Duplicates {
    /// Keep the first row; later ones are reported as duplicates.
    #[default]
    First,
    /// Merge: text values are joined with ", " (each distinct value once); numbers keep the first.
    Concat,
}

/// A validated layer definition.
#[derive(Debug, Clone)]
pub struct LayerConfig {
    /// The layer id: the TOML file name without extension.
    pub id: String,
    /// The TOML file, as found in the layer directory.
    pub toml_path: PathBuf,
    /// Human title.
    pub title: String,
    /// Longer description.
    pub description: String,
    /// Where the features come from.
    pub source: SourceConfig,
    /// Kept properties, in order.
    pub properties: IndexMap<String, PropType>,
    /// Lowest zoom at which the layer is drawn.
    pub min_zoom: u8,
    /// Highest zoom with distinct detail (overzoomed beyond).
    pub max_zoom: u8,
    /// Producer and date.
    pub attribution: Attribution,
    /// Whether the data is generated rather than real.
    pub synthetic: bool,
    /// Tables joined to the features.
    pub joins: Vec<JoinConfig>,
    /// Vector tile settings.
    pub tiles: TileConfig,
    /// Rows grouped into features.
    pub group: Option<GroupConfig>,
    /// Sums of a grouped layer by code.
    pub totals: Option<TotalsConfig>,
    /// Map look and legend.
    pub style: StyleConfig,
    /// Labels, formats and value texts of the properties, and the features' noun.
    pub words: Words,
    /// Properties searched by `/api/search`.
    pub search: Option<SearchConfig>,
    /// What the layer brings to territory indicators.
    pub role: Option<Role>,
    /// `[analysis] national = true` on a communes layer: it holds every commune of France, so
    /// the catalogue is its own national reference (no `reference/` folder needed).
    pub national: bool,
}

/// What a layer brings to territory indicators (`[analysis] role = "…"`). Each role reads
/// properties of fixed names, listed in `analysis::indicators`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Commune polygons: code, nom, dep, epci, pmun22.
    Communes,
    /// Social-housing residences: DEPCOM, logements, vacants, dpe_F, dpe_G, CONSTRUCT, en_qpv.
    Residences,
    /// Private long-term vacancy per commune: code, nb_log_pp, pct_vacants_plus_2ans_pp.
    Lovac,
    /// Brownfield sites: insee_com.
    Friches,
    /// Zonage A/B/C per commune: code, zonage_abc.
    Zonage,
    /// Programme perimeters: code, and id_acv or id_pvd.
    Perimeters,
    /// Communes with a QPV: code, n_qp_in_commune.
    Qpv,
    /// Buildings with long-term vacant private dwellings: DEPCOM, NB_LOGVAC.
    Vacancy,
    /// Town-centre points (the programme's town-hall points): insee_com.
    Centres,
    /// Communes under an ORT convention: insee_com, signee (« Signée », « En cours », …).
    Ort,
}

/// The fragility score and its components, which the residences role adds (as floats).
pub const FRAGILITY_PROPERTIES: [&str; 5] = [
    "fragilite",
    "frag_vacance",
    "frag_dpe",
    "frag_age",
    "frag_qpv",
];

impl Role {
    /// The numeric properties the role adds to its layer once loaded.
    pub fn added_properties(self) -> &'static [&'static str] {
        match self {
            Role::Residences => &FRAGILITY_PROPERTIES,
            _ => &[],
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAnalysis {
    role: Role,
    #[serde(default)]
    national: bool,
}

/// `[search]`: the layer's features can be found by name or code.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchConfig {
    /// Property holding the name.
    pub name: String,
    /// Property holding the code.
    pub code: String,
}

impl LayerConfig {
    /// Type of a property, configured, joined or made by grouping (totals are typed at load).
    pub fn property_type(&self, name: &str) -> Option<PropType> {
        self.properties
            .get(name)
            .copied()
            .or_else(|| {
                self.joins.iter().find_map(|j| {
                    let column = name.strip_prefix(j.prefix.as_str())?;
                    j.properties.get(column).copied()
                })
            })
            .or_else(|| {
                self.group
                    .as_ref()?
                    .properties()
                    .into_iter()
                    .find_map(|(n, t)| (n == name).then_some(t))
            })
            .or_else(|| {
                self.role
                    .is_some_and(|r| r.added_properties().contains(&name))
                    .then_some(PropType::Float)
            })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLayer {
    title: String,
    #[serde(default)]
    description: String,
    source: RawSource,
    #[serde(default)]
    properties: IndexMap<String, PropType>,
    #[serde(default)]
    min_zoom: Option<i64>,
    #[serde(default)]
    max_zoom: Option<i64>,
    attribution: Attribution,
    synthetic: bool,
    #[serde(default)]
    join: Vec<RawJoin>,
    #[serde(default)]
    tiles: Option<tiles::RawTiles>,
    #[serde(default)]
    group: Option<derived::RawGroup>,
    #[serde(default)]
    totals: Option<derived::RawTotals>,
    #[serde(default)]
    style: Option<style::RawStyle>,
    #[serde(default)]
    search: Option<SearchConfig>,
    #[serde(default)]
    analysis: Option<RawAnalysis>,
    #[serde(default)]
    noun: Option<[String; 2]>,
    #[serde(default)]
    labels: IndexMap<String, String>,
    #[serde(default)]
    formats: IndexMap<String, Format>,
    #[serde(default)]
    values: IndexMap<String, IndexMap<String, String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    path: String,
    layer: Option<String>,
    x: Option<String>,
    y: Option<String>,
    delimiter: Option<String>,
    encoding: Option<String>,
    crs: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJoin {
    path: String,
    layer: Option<String>,
    delimiter: Option<String>,
    encoding: Option<String>,
    key: String,
    on: String,
    properties: IndexMap<String, PropType>,
    #[serde(default)]
    prefix: String,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    duplicates: Duplicates,
}

/// Default lowest zoom.
const DEFAULT_MIN_ZOOM: u8 = 0;
/// Default highest zoom.
const DEFAULT_MAX_ZOOM: u8 = 14;

/// Reads and validates every `*.toml` file of `dir` but archive layers ([`load_archives`]),
/// sorted by file name.
///
/// # Errors
/// The first file that cannot be read, parsed or validated, or an empty directory.
pub fn load_dir(dir: &Path) -> Result<Vec<LayerConfig>, ConfigError> {
    let mut configs = Vec::new();
    for path in toml_files(dir)? {
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        if !is_archive(&text) {
            configs.push(parse(&path, &text)?);
        }
    }
    Ok(configs)
}

/// The `*.toml` files of `dir`, sorted by file name.
///
/// # Errors
/// The directory cannot be listed or holds no `*.toml` file.
fn toml_files(dir: &Path) -> Result<Vec<PathBuf>, ConfigError> {
    let entries = std::fs::read_dir(dir).map_err(|source| ConfigError::ReadDir {
        path: dir.to_owned(),
        source,
    })?;
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| ConfigError::ReadDir {
            path: dir.to_owned(),
            source,
        })?;
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "toml") && path.is_file() {
            paths.push(path);
        }
    }
    if paths.is_empty() {
        return Err(ConfigError::NoLayers {
            path: dir.to_owned(),
        });
    }
    paths.sort();
    Ok(paths)
}

/// Reads and validates one layer file.
///
/// # Errors
/// When the file cannot be read, is not valid TOML, has unknown keys or bad values.
pub fn load_file(path: &Path) -> Result<LayerConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse(path, &text)
}

/// Parses and validates the text of a layer file found at `path`.
///
/// # Errors
/// When the text is not valid TOML, has unknown keys or bad values.
pub fn parse(path: &Path, text: &str) -> Result<LayerConfig, ConfigError> {
    let raw: RawLayer = toml::from_str(text).map_err(|source| ConfigError::Parse {
        path: path.to_owned(),
        source,
    })?;
    Validator { path }.layer(raw)
}

struct Validator<'a> {
    path: &'a Path,
}

impl Validator<'_> {
    fn invalid(&self, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.to_owned(),
            key: key.to_owned(),
            message: message.into(),
        }
    }

    fn layer(&self, raw: RawLayer) -> Result<LayerConfig, ConfigError> {
        let id = self
            .path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(self.invalid(
                "file name",
                format!("layer id {id:?} must use only ASCII letters, digits, '_' and '-'"),
            ));
        }
        if raw.title.trim().is_empty() {
            return Err(self.invalid("title", "must not be empty"));
        }
        let min_zoom = self.zoom("min_zoom", raw.min_zoom, DEFAULT_MIN_ZOOM)?;
        let max_zoom = self.zoom("max_zoom", raw.max_zoom, DEFAULT_MAX_ZOOM)?;
        if min_zoom > max_zoom {
            return Err(self.invalid(
                "min_zoom",
                format!("{min_zoom} is above max_zoom {max_zoom}"),
            ));
        }
        if raw.attribution.producer.trim().is_empty() {
            return Err(self.invalid("attribution.producer", "must not be empty"));
        }
        if raw.attribution.date.trim().is_empty() {
            return Err(self.invalid("attribution.date", "must not be empty"));
        }
        let source = self.source(raw.source)?;
        let words = labels::RawWords {
            noun: raw.noun,
            labels: raw.labels,
            formats: raw.formats,
            values: raw.values,
        };
        for name in raw.properties.keys() {
            self.property_name("properties", name)?;
        }
        let all_names: Vec<&str> = raw.properties.keys().map(String::as_str).collect();
        let mut joins = Vec::with_capacity(raw.join.len());
        for (i, join) in raw.join.into_iter().enumerate() {
            let prefix = format!("join[{i}]");
            if !raw.properties.contains_key(&join.on) {
                return Err(self.invalid(
                    &format!("{prefix}.on"),
                    format!("{:?} is not a kept property of this layer", join.on),
                ));
            }
            for name in join.properties.keys() {
                self.property_name(&format!("{prefix}.properties"), name)?;
            }
            let source = self.source(RawSource {
                path: join.path,
                layer: join.layer,
                x: None,
                y: None,
                delimiter: join.delimiter,
                encoding: join.encoding,
                crs: None,
            })?;
            joins.push(JoinConfig {
                source,
                key: join.key,
                on: join.on,
                properties: join.properties,
                prefix: join.prefix,
                required: join.required,
                duplicates: join.duplicates,
            });
        }
        let mut all_names: Vec<String> = all_names.into_iter().map(str::to_owned).collect();
        for join in &joins {
            for name in join.property_names() {
                if all_names.contains(&name) {
                    return Err(self.invalid(
                        "join.properties",
                        format!("{name:?} is already a property of this layer (set join.prefix)"),
                    ));
                }
                all_names.push(name);
            }
        }
        let mut config = LayerConfig {
            id,
            toml_path: self.path.to_owned(),
            title: raw.title,
            description: raw.description,
            source,
            properties: raw.properties,
            min_zoom,
            max_zoom,
            attribution: raw.attribution,
            synthetic: raw.synthetic,
            joins,
            tiles: TileConfig::default(),
            group: None,
            totals: None,
            style: StyleConfig::default(),
            words: Words::default(),
            search: None,
            role: raw.analysis.as_ref().map(|a| a.role),
            national: raw.analysis.as_ref().is_some_and(|a| a.national),
        };
        if config.national && config.role != Some(Role::Communes) {
            return Err(self.invalid(
                "analysis.national",
                "applies to the communes layer (role = \"communes\") only",
            ));
        }
        let invalid = |key: &str, message: String| self.invalid(key, message);
        let all_names: Vec<&str> = all_names.iter().map(String::as_str).collect();
        if let Some(group) = raw.group {
            if config.source.xy.is_none() {
                return Err(
                    self.invalid("group", "applies to tables read with source.x and source.y")
                );
            }
            config.group = Some(derived::group(group, invalid, &all_names)?);
        }
        if let Some(totals) = raw.totals {
            if config.group.is_some() {
                return Err(self.invalid("totals", "a grouped layer cannot also hold totals"));
            }
            config.totals = Some(derived::totals(totals, invalid, &all_names, &config.id)?);
        }
        if let Some(tiles) = raw.tiles {
            config.tiles = self.tiles(tiles, &config)?;
        }
        if let Some(search) = raw.search {
            for (key, name) in [("search.name", &search.name), ("search.code", &search.code)] {
                if config.property_type(name).is_none() {
                    return Err(
                        self.invalid(key, format!("{name:?} is not a property of this layer"))
                    );
                }
            }
            config.search = Some(search);
        }
        if let Some(raw_style) = raw.style {
            let typed = |name: &str| {
                config.property_type(name).or_else(|| {
                    // Totals' sums take the type of the summed layer's property, known at load;
                    // they are numbers.
                    config
                        .totals
                        .as_ref()
                        .filter(|t| t.sums.iter().any(|s| s == name))
                        .map(|_| PropType::Float)
                })
            };
            config.style = style::style(raw_style, |k, m| self.invalid(k, m), typed)?;
        }
        config.words = self.words(words, &config)?;
        Ok(config)
    }

    fn zoom(&self, key: &str, value: Option<i64>, default: u8) -> Result<u8, ConfigError> {
        match value {
            None => Ok(default),
            Some(z) => u8::try_from(z)
                .ok()
                .filter(|z| *z <= MAX_ZOOM)
                .ok_or_else(|| {
                    self.invalid(key, format!("{z} is not a zoom level in 0..={MAX_ZOOM}"))
                }),
        }
    }

    fn property_name(&self, key: &str, name: &str) -> Result<(), ConfigError> {
        if name.trim().is_empty() {
            return Err(self.invalid(key, "a property name must not be empty"));
        }
        Ok(())
    }

    fn source(&self, raw: RawSource) -> Result<SourceConfig, ConfigError> {
        if raw.path.trim().is_empty() {
            return Err(self.invalid("source.path", "must not be empty"));
        }
        let base = self.path.parent().unwrap_or(Path::new("."));
        let path = base.join(&raw.path);
        let csv = is_csv_path(&path);
        let xy = match (raw.x, raw.y) {
            (Some(x), Some(y)) => Some(XyColumns { x, y }),
            (None, None) => None,
            (Some(_), None) => return Err(self.invalid("source.y", "is required with source.x")),
            (None, Some(_)) => return Err(self.invalid("source.x", "is required with source.y")),
        };
        let delimiter = match raw.delimiter {
            None => None,
            Some(d) => {
                if !csv {
                    return Err(self.invalid("source.delimiter", "applies only to CSV sources"));
                }
                match d.as_str() {
                    "," | ";" | "\t" | "|" | " " => d.chars().next(),
                    other => {
                        return Err(self.invalid(
                            "source.delimiter",
                            format!("{other:?} is not one of \",\", \";\", \"\\t\", \"|\", \" \""),
                        ))
                    }
                }
            }
        };
        let encoding = match raw.encoding.as_deref() {
            None => Encoding::Utf8,
            Some(e) => {
                if !csv {
                    return Err(self.invalid("source.encoding", "applies only to CSV sources"));
                }
                match e.to_ascii_uppercase().replace('_', "-").as_str() {
                    "UTF-8" | "UTF8" => Encoding::Utf8,
                    "ISO-8859-1" | "LATIN1" | "LATIN-1" => Encoding::Latin1,
                    _ => {
                        return Err(self.invalid(
                            "source.encoding",
                            format!("{e:?} is not \"UTF-8\" or \"ISO-8859-1\""),
                        ))
                    }
                }
            }
        };
        if let Some(crs) = &raw.crs {
            crate::crs::validate(crs).map_err(|reason| self.invalid("source.crs", reason))?;
        } else if xy.is_some() {
            return Err(self.invalid(
                "source.crs",
                "is required when source.x and source.y are set (e.g. \"EPSG:2154\")",
            ));
        }
        Ok(SourceConfig {
            path_written: raw.path,
            path,
            layer: raw.layer,
            xy,
            delimiter,
            encoding,
            crs: raw.crs,
        })
    }
}

#[cfg(test)]
mod tests;
