//! Reading a configured layer through GDAL/OGR into WGS84 and Web Mercator features.
//!
//! Geometries are validated in the source CRS (GEOS through GDAL); an invalid one is repaired
//! with `MakeValid` when possible. Each is then reprojected once to WGS84 longitude/latitude and
//! projected to Web Mercator. Empty, invalid-and-unrepairable and out-of-range geometries are
//! skipped and counted in the [`LoadReport`], with the first few examples.

use std::sync::Arc;
use std::time::Instant;

use gdal::cpl::CslStringList;
use gdal::spatial_ref::CoordTransform;
use gdal::vector::{Geometry as GdalGeometry, LayerAccess};
use geo::{BoundingRect, Coord, CoordsIter, Geometry};

use super::group::Grouper;
use super::join;
use super::source::{self, GdalMessage, SourceError};
use super::table::{ColumnBuilder, Table};
use super::value::{self, Value};
use super::{Geometries, GeometryKind, Layer, LoadError, LoadReport, Property};
use crate::bbox::BboxWgs84;
use crate::config::LayerConfig;
use crate::index::SpatialIndex;
use crate::mercator;

/// Loads one layer: reads, validates, reprojects, groups, joins and indexes its features.
///
/// # Errors
/// When the source or a joined table cannot be opened, lacks a configured column, or has no
/// usable CRS. Bad features are not errors: they are counted in the report.
pub fn load_layer(config: &LayerConfig) -> Result<Layer, LoadError> {
    load_layer_with(config, None)
}

/// Loads one layer; a `[totals]` layer needs the layer it sums (`base`).
///
/// # Errors
/// As [`load_layer`], and when `base` is missing or lacks the summed properties.
pub fn load_layer_with(config: &LayerConfig, base: Option<&Layer>) -> Result<Layer, LoadError> {
    load(config, base, Reading::Fast, None)
}

/// How delimited text with coordinate columns is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// With the parallel reader of [`super::csv`] when it applies.
    Fast,
    /// With the parallel reader on this many threads when it applies (for tests).
    FastWith(usize),
    /// With GDAL's CSV driver always (what the fast reader is tested against).
    Gdal,
}

/// Loads one layer, reading delimited text as asked.
///
/// # Errors
/// As [`load_layer_with`].
pub fn load(
    config: &LayerConfig,
    base: Option<&Layer>,
    reading: Reading,
    shared: Option<&super::SharedSources>,
) -> Result<Layer, LoadError> {
    let started = Instant::now();
    let source_error = |kind| LoadError::new(config, "source", &config.source.path_written, kind);
    if let Some(read) = shared.and_then(|s| s.get(config)) {
        let read = read.map_err(|e| source_error(SourceError::Shared(e)))?;
        let mut table = Table::with_rows(read.geometries.len());
        for name in config.properties.keys() {
            if let Some(c) = read.columns.get(name) {
                table.push(c.clone());
            }
        }
        let mut report = read.report.clone();
        report
            .invalid_values
            .retain(|name, _| config.properties.contains_key(name));
        return finish(
            config,
            base,
            read.geometries.clone(),
            table,
            report,
            started,
        );
    }
    let workers = match reading {
        Reading::Fast => crate::parallel::cores(),
        Reading::FastWith(n) => n,
        Reading::Gdal => 0,
    };
    let read = if workers > 0 && super::csv::applies(config) {
        super::csv::read(config, workers)
    } else {
        read_features(config)
    };
    let Read {
        geometries,
        table,
        report,
    } = read.map_err(source_error)?;
    finish(
        config,
        base,
        Geometries::new(geometries),
        table,
        report,
        started,
    )
}

/// Adds the group, join and totals properties to what was read, and assembles the layer.
fn finish(
    config: &LayerConfig,
    base: Option<&Layer>,
    mut geometries: Geometries,
    mut table: Table,
    mut report: LoadReport,
    started: Instant,
) -> Result<Layer, LoadError> {
    let mut schema: Vec<Property> = config
        .properties
        .iter()
        .map(|(name, ty)| Property {
            name: name.clone(),
            ty: *ty,
        })
        .collect();
    if let Some(group) = &config.group {
        schema.extend(
            group
                .properties()
                .into_iter()
                .map(|(name, ty)| Property { name, ty }),
        );
    }
    for join_config in &config.joins {
        let on = config
            .properties
            .get_index_of(&join_config.on)
            .unwrap_or_default();
        let mut target = join::Target {
            table: &mut table,
            geometries: &mut geometries,
        };
        let join_report = join::apply(join_config, on, &mut target).map_err(|kind| {
            LoadError::new(config, "join", &join_config.source.path_written, kind)
        })?;
        report.joins.push(join_report);
        schema.extend(
            join_config
                .property_names()
                .into_iter()
                .zip(join_config.properties.values())
                .map(|(name, ty)| Property { name, ty: *ty }),
        );
    }
    if let Some(totals) = &config.totals {
        let on = config
            .properties
            .get_index_of(&totals.on)
            .unwrap_or_default();
        let mut target = join::Target {
            table: &mut table,
            geometries: &mut geometries,
        };
        let (report_totals, added) = super::totals::apply(totals, base, on, &mut target)
            .map_err(|kind| LoadError::new(config, "totals of layer", &totals.layer, kind))?;
        report.joins.push(report_totals);
        schema.extend(added);
    }
    Ok(assemble(config, schema, geometries, table, report, started))
}

/// Indexes, generalises and labels loaded features into a layer.
pub(super) fn assemble(
    config: &LayerConfig,
    schema: Vec<Property>,
    mut geometries: Geometries,
    table: Table,
    mut report: LoadReport,
    started: Instant,
) -> Layer {
    let envelopes: Vec<_> = geometries
        .iter()
        .filter_map(|g| g.bounding_rect())
        .collect();
    let bounds = envelopes
        .iter()
        .map(|r| BboxWgs84::from_rect(*r))
        .reduce(|a, b| a.union(&b));
    let index = SpatialIndex::bulk_load(envelopes);
    let geometry_kind = GeometryKind::of_all(geometries.iter());
    geometries.generalise(geometry_kind, config.max_zoom, config.tiles.tolerance);
    report.features = geometries.len();
    report.load_ms = started.elapsed().as_secs_f64() * 1000.0;
    let mut layer = Layer {
        config: config.clone(),
        schema,
        geometries,
        table,
        index,
        bounds,
        geometry_kind,
        report,
        search: None,
        label_points: Vec::new(),
    };
    if config.style.label.is_some() && layer.geometry_kind != GeometryKind::Point {
        use geo::InteriorPoint;
        layer.label_points = layer
            .geometries
            .iter()
            .map(|g| g.interior_point().map(|p| mercator::from_wgs84(p.0)))
            .collect();
    }
    if let Some(s) = &config.search {
        if let (Some(name), Some(code)) =
            (layer.property_index(&s.name), layer.property_index(&s.code))
        {
            layer.search = Some(crate::search::SearchIndex::build(&layer, name, code));
        }
    }
    layer
}

/// What reading a source gives: one geometry and one row per feature, and the report.
pub(super) struct Read {
    pub geometries: Vec<Geometry<f64>>,
    pub table: Table,
    pub report: LoadReport,
}

/// The table of the kept properties, then the group counts (recording the rows grouped).
pub(super) fn table_of(
    rows: usize,
    builders: Vec<ColumnBuilder>,
    grouper: Option<Grouper>,
    report: &mut LoadReport,
) -> Table {
    let mut table = Table::with_rows(rows);
    for b in builders {
        table.push(Arc::new(b.finish()));
    }
    if let Some(g) = grouper {
        let (columns, grouped) = g.finish();
        for c in columns {
            table.push(c);
        }
        report.grouped_rows = grouped;
    }
    table
}

/// Everything needed to turn one OGR feature into ours.
struct Reader<'a> {
    config: &'a LayerConfig,
    transform: CoordTransform,
    property_columns: Vec<usize>,
    xy_columns: Option<(usize, usize)>,
    report: LoadReport,
}

pub(super) fn read_features(config: &LayerConfig) -> Result<Read, SourceError> {
    let opened = source::open(&config.source)?;
    let mut layer = opened.layer(config.source.layer.as_deref())?;
    let property_columns =
        source::column_indexes(&layer, config.properties.keys().map(String::as_str))?;
    let xy_columns = match &config.source.xy {
        Some(xy) => {
            let i = source::column_indexes(&layer, [xy.x.as_str(), xy.y.as_str()])?;
            Some((i[0], i[1]))
        }
        None => None,
    };
    let srs = match &config.source.crs {
        Some(def) => {
            crate::crs::spatial_ref(def).map_err(|e| SourceError::Crs(def.clone(), (&e).into()))?
        }
        None => layer.spatial_ref().ok_or(SourceError::NoCrs)?,
    };
    let transform = crate::crs::to_wgs84(&srs).map_err(|e| SourceError::Transform((&e).into()))?;
    let (mut grouper, group_fields) = match &config.group {
        Some(g) => {
            let fields = source::column_indexes(&layer, g.columns().iter().map(String::as_str))?;
            (Some(Grouper::new(g)), fields)
        }
        None => (None, Vec::new()),
    };
    let mut reader = Reader {
        config,
        transform,
        property_columns,
        xy_columns,
        report: LoadReport::default(),
    };
    let mut builders: Vec<ColumnBuilder> = config
        .properties
        .values()
        .map(|&ty| ColumnBuilder::new(ty))
        .collect();
    let mut geometries = Vec::new();
    for (n, feature) in layer.features().enumerate() {
        reader.report.read += 1;
        let position = Position {
            csv: config.source.is_csv(),
            n,
        };
        // A row of an existing group only adds to its counts.
        let values: Vec<String> = group_fields
            .iter()
            .map(|&i| source::field_text(&feature, i))
            .collect();
        let refs: Vec<&str> = values.iter().map(String::as_str).collect();
        let in_group = grouper.as_mut().and_then(|g| g.existing(&refs));
        if let (Some(g), Some(group)) = (grouper.as_mut(), in_group) {
            g.add_to(group, &refs);
            // The residence keeps its first row's values, but a malformed later row is
            // still reported with its line.
            reader.properties(&feature, position, None);
            continue;
        }
        let Some(wgs84) = reader.geometry(&feature, position) else {
            continue;
        };
        reader.properties(&feature, position, Some(&mut builders));
        if geometries.len() >= u32::MAX as usize {
            return Err(SourceError::TooManyFeatures);
        }
        geometries.push(wgs84);
        if let Some(g) = grouper.as_mut() {
            g.add(&refs);
        }
    }
    let table = table_of(geometries.len(), builders, grouper, &mut reader.report);
    Ok(Read {
        geometries,
        table,
        report: reader.report,
    })
}

impl Reader<'_> {
    /// The feature's geometry in WGS84, or `None` (counted) when it must be skipped.
    fn geometry(
        &mut self,
        feature: &gdal::vector::Feature<'_>,
        position: Position,
    ) -> Option<Geometry> {
        let gdal_geometry = match self.xy_columns {
            Some((x, y)) => self.xy_point(feature, x, y, position)?,
            None => match feature.geometry() {
                Some(g) if !g.is_empty() => g.clone(),
                _ => {
                    self.report.empty.add(format!("{position}: no geometry"));
                    return None;
                }
            },
        };
        let mut valid = self.validated(gdal_geometry, position)?;
        if let Err(e) = valid.transform_inplace(&self.transform) {
            let msg = GdalMessage::from(&e);
            self.report
                .out_of_range
                .add(format!("{position}: cannot be reprojected: {msg}"));
            return None;
        }
        let geometry: Geometry = match valid.to_geo() {
            Ok(g) => g,
            Err(e) => {
                let msg = GdalMessage::from(&e);
                self.report
                    .invalid
                    .add(format!("{position}: unsupported geometry: {msg}"));
                return None;
            }
        };
        if let Some(c) = geometry.coords_iter().find(|c| !in_range(*c)) {
            self.report.out_of_range.add(format!(
                "{position}: ({}, {}) is outside WGS84 / Web Mercator range",
                c.x, c.y
            ));
            return None;
        }
        Some(geometry)
    }

    fn xy_point(
        &mut self,
        feature: &gdal::vector::Feature<'_>,
        x: usize,
        y: usize,
        position: Position,
    ) -> Option<GdalGeometry> {
        let (tx, ty) = (
            source::field_text(feature, x),
            source::field_text(feature, y),
        );
        if tx.trim().is_empty() || ty.trim().is_empty() {
            self.report.empty.add(format!("{position}: no coordinates"));
            return None;
        }
        match (value::parse_float(&tx), value::parse_float(&ty)) {
            (Ok(fx), Ok(fy)) => {
                let mut point =
                    GdalGeometry::empty(gdal::vector::OGRwkbGeometryType::wkbPoint).ok()?;
                point.add_point_2d((fx, fy));
                Some(point)
            }
            _ => {
                self.report.invalid.add(format!(
                    "{position}: coordinates ({tx:?}, {ty:?}) are not numbers"
                ));
                None
            }
        }
    }

    /// The geometry if valid, repaired if it can be, `None` (counted) otherwise.
    fn validated(&mut self, g: GdalGeometry, position: Position) -> Option<GdalGeometry> {
        if is_point_family(&g) || g.is_valid() {
            return Some(g);
        }
        match g.make_valid(&CslStringList::new()) {
            Ok(fixed) if !fixed.is_empty() && fixed.is_valid() => {
                self.report.repaired.add(format!(
                    "{position}: invalid geometry repaired with MakeValid"
                ));
                Some(fixed)
            }
            _ => {
                self.report.invalid.add(format!(
                    "{position}: invalid geometry that MakeValid cannot repair"
                ));
                None
            }
        }
    }

    /// Converts the row's properties, counting those that do not convert, and appends them to
    /// `builders` when given.
    fn properties(
        &mut self,
        feature: &gdal::vector::Feature<'_>,
        position: Position,
        mut builders: Option<&mut [ColumnBuilder]>,
    ) {
        for (i, (name, ty)) in self.config.properties.iter().enumerate() {
            let column = self.property_columns[i];
            let field = feature.field(column).ok().flatten();
            let value = match value::convert(field.as_ref(), *ty) {
                Ok(v) => v,
                Err(_) => {
                    let shown = field.map(|f| format!("{f:?}")).unwrap_or_default();
                    let counter = self.report.invalid_values.entry(name.clone()).or_default();
                    counter.add(format!("{position}: {name} = {shown} is not a {ty}"));
                    Value::Null
                }
            };
            if let Some(b) = builders.as_deref_mut() {
                b[i].push(value);
            }
        }
    }
}

fn is_point_family(g: &GdalGeometry) -> bool {
    use gdal::vector::OGRwkbGeometryType as T;
    matches!(
        gdal::vector::geometry_type_flatten(g.geometry_type()),
        T::wkbPoint | T::wkbMultiPoint
    )
}

pub(super) fn in_range(c: Coord<f64>) -> bool {
    c.x.is_finite()
        && c.y.is_finite()
        && (-180.0..=180.0).contains(&c.x)
        && (-mercator::MAX_LATITUDE..=mercator::MAX_LATITUDE).contains(&c.y)
}

/// Where a feature sits in its source, for messages: the row's line in a CSV (the header is
/// line 1, so a multi-line quoted cell shifts it), else the feature's rank.
#[derive(Debug, Clone, Copy)]
struct Position {
    csv: bool,
    n: usize,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.csv {
            write!(f, "line {}", self.n + 2)
        } else {
            write!(f, "feature {}", self.n + 1)
        }
    }
}
