//! A fast reader for large delimited text with coordinate columns (the RPLS file: 5.3 million
//! dwellings, 760 MB), giving exactly what GDAL's CSV driver gives with the options
//! `source::open` sets (no type detection, empty string as null), on several threads.
//!
//! The file is cut into as many byte ranges as there are cores. Each worker starts at the first
//! record that begins in its range (after a line break), parses its records the way GDAL's
//! `CSVSplitLine` does (a `"` toggles quoting anywhere in a field, `""` inside quotes is one
//! quote, a line break inside quotes continues the record), and groups them with its own
//! [`Grouper`]. The parts are then merged in file order, so the first row of a group is the
//! same as in a sequential read. A worker that started inside a quoted field (an odd number of
//! quotes before its start) is detected and the file is read again on one thread.
//!
//! CRS: the source's configured CRS, reprojected to WGS84 with GDAL's OSR, one point per group
//! (or per row when the layer is not grouped). Tested equal to the GDAL reading on every CSV of
//! the repository and on the synthetic RPLS files (`tests/it/csv_reader.rs`).

use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};

use gdal::vector::{Geometry as GdalGeometry, OGRwkbGeometryType};
use geo::{Coord, Geometry};

use super::group::Grouper;
use super::load::{in_range, table_of, Read as Loaded};
use super::source::{GdalMessage, SourceError};
use super::table::{Column, ColumnBuilder};
use super::value::{self, Value};
use super::{LoadReport, Tally};
use crate::config::{Encoding, LayerConfig, PropType};

/// Whether the fast reader can read this source: an uncompressed delimited text file with
/// coordinate columns and a configured CRS, in UTF-8.
pub fn applies(config: &LayerConfig) -> bool {
    let s = &config.source;
    s.is_csv()
        && s.xy.is_some()
        && s.crs.is_some()
        && s.layer.is_none()
        && s.encoding == Encoding::Utf8
        && !crate::config::is_gzip_path(&s.path)
}

/// Reads the source on `workers` threads (at least one).
///
/// # Errors
/// As GDAL's reading: a missing file, a missing column, an unusable CRS.
pub fn read(config: &LayerConfig, workers: usize) -> Result<Loaded, SourceError> {
    let path = &config.source.path;
    if !path.exists() {
        return Err(SourceError::NotFound);
    }
    let delimiter = config.source.delimiter.map_or(b',', |c| c as u8);
    let mut file = BufReader::new(File::open(path).map_err(SourceError::Io)?);
    let mut header = Vec::new();
    let header_end = read_record(&mut file, &mut header).map_err(SourceError::Io)? as u64;
    let mut names = split(&header, delimiter);
    if let Some(first) = names.first_mut() {
        if let Some(rest) = first.strip_prefix('\u{feff}') {
            *first = rest.to_owned();
        }
    }
    let names: Vec<String> = names.into_iter().map(|n| n.trim().to_owned()).collect();
    let plan = Plan::new(config, &names)?;
    let len = std::fs::metadata(path).map_err(SourceError::Io)?.len();
    let workers = workers.max(1);
    let bounds: Vec<u64> = (0..=workers)
        .map(|k| header_end + (len - header_end) * k as u64 / workers as u64)
        .collect();
    let parts: Vec<Result<Part, SourceError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|k| {
                let (plan, bounds) = (&plan, &bounds);
                scope.spawn(move || plan.read_range(bounds[k], bounds[k + 1], k == 0))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(Err(SourceError::Worker)))
            .collect()
    });
    let parts: Vec<Part> = parts.into_iter().collect::<Result<_, _>>()?;
    // Each worker's start must be a record start: an even number of quotes before it, and the
    // previous worker stopped exactly there.
    let mut quotes = 0u64;
    let mut consistent = true;
    for (k, part) in parts.iter().enumerate() {
        quotes += part.quotes_skipped;
        if quotes % 2 == 1 || (k > 0 && parts[k - 1].end != part.start) {
            consistent = false;
        }
        quotes += part.quotes;
    }
    let parts = if consistent {
        parts
    } else {
        vec![plan.read_range(header_end, len, true)?]
    };
    Ok(plan.merge(parts))
}

/// A parsing problem found by a worker, placed after the merge.
struct Issue {
    kind: IssueKind,
    /// Record number within the worker's part.
    record: u64,
    text: String,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum IssueKind {
    Empty,
    Invalid,
    OutOfRange,
    Value(usize),
}

/// What one worker read.
struct Part {
    /// Byte offset of its first record and just past its last.
    start: u64,
    end: u64,
    /// Quotes between its range start and `start`, and in its records.
    quotes_skipped: u64,
    quotes: u64,
    records: u64,
    /// One entry per feature it created: WGS84 point.
    points: Vec<Coord<f64>>,
    /// Kept properties of its features.
    columns: Vec<Column>,
    grouper: Option<Grouper>,
    /// Grouped rows without a usable point whose key is new to this part: they belong to a
    /// group of an earlier part, or are skipped, which only the merge knows.
    orphans: Vec<Orphan>,
    /// Counts of issues by kind, and the first few of each (with their record numbers).
    issues: Vec<Issue>,
    counts: std::collections::HashMap<IssueKind, u64>,
}

/// A grouped row whose point is unusable and whose group this part does not know.
struct Orphan {
    record: u64,
    /// Its group columns.
    values: Vec<String>,
    /// Why its point is unusable.
    geometry: Issue,
    /// Its properties that do not convert (reported if it joins a group).
    properties: Vec<Issue>,
}

/// Column positions and types, resolved once from the header.
struct Plan<'a> {
    config: &'a LayerConfig,
    delimiter: u8,
    x: usize,
    y: usize,
    properties: Vec<(usize, PropType)>,
    group_fields: Vec<usize>,
    crs: String,
}

impl<'a> Plan<'a> {
    fn new(config: &'a LayerConfig, names: &[String]) -> Result<Self, SourceError> {
        let find = |name: &str| {
            names
                .iter()
                .position(|c| c == name)
                .ok_or_else(|| SourceError::MissingColumn {
                    name: name.to_owned(),
                    available: super::source::abbreviate(names),
                })
        };
        let properties = config
            .properties
            .iter()
            .map(|(name, ty)| Ok((find(name)?, *ty)))
            .collect::<Result<Vec<_>, SourceError>>()?;
        let (x, y) = match &config.source.xy {
            Some(xy) => (find(&xy.x)?, find(&xy.y)?),
            None => return Err(SourceError::NoCrs),
        };
        let group_fields = match &config.group {
            Some(g) => g
                .columns()
                .iter()
                .map(|c| find(c))
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        let crs = config.source.crs.clone().ok_or(SourceError::NoCrs)?;
        // Fail like GDAL on an unusable CRS, before any worker starts.
        let srs = crate::crs::spatial_ref(&crs)
            .map_err(|e| SourceError::Crs(crs.clone(), (&e).into()))?;
        crate::crs::to_wgs84(&srs).map_err(|e| SourceError::Transform((&e).into()))?;
        Ok(Self {
            config,
            delimiter: config.source.delimiter.map_or(b',', |c| c as u8),
            x,
            y,
            properties,
            group_fields,
            crs,
        })
    }

    /// Reads the records that start in `[from, to)`: the first one is the one after the first
    /// line break at or after `from - 1` (at `from` itself for the first part).
    fn read_range(&self, from: u64, to: u64, first: bool) -> Result<Part, SourceError> {
        let srs = crate::crs::spatial_ref(&self.crs)
            .map_err(|e| SourceError::Crs(self.crs.clone(), (&e).into()))?;
        let transform =
            crate::crs::to_wgs84(&srs).map_err(|e| SourceError::Transform((&e).into()))?;
        let mut file = File::open(&self.config.source.path).map_err(SourceError::Io)?;
        let mut pos = if first { from } else { from - 1 };
        file.seek(SeekFrom::Start(pos)).map_err(SourceError::Io)?;
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut quotes_skipped = 0;
        if !first {
            let mut skipped = Vec::new();
            let n = reader
                .read_until(b'\n', &mut skipped)
                .map_err(SourceError::Io)?;
            quotes_skipped = skipped.iter().filter(|&&b| b == b'"').count() as u64;
            pos += n as u64;
        }
        let mut part = Part {
            start: pos,
            end: pos,
            quotes_skipped,
            quotes: 0,
            records: 0,
            points: Vec::new(),
            columns: Vec::new(),
            grouper: self.config.group.as_ref().map(Grouper::new),
            orphans: Vec::new(),
            issues: Vec::new(),
            counts: Default::default(),
        };
        let mut builders: Vec<ColumnBuilder> = self
            .properties
            .iter()
            .map(|&(_, ty)| ColumnBuilder::new(ty))
            .collect();
        let mut record = Vec::new();
        let mut fields: Vec<(usize, usize)> = Vec::new();
        let mut text = String::new();
        while pos < to {
            record.clear();
            let n = read_record(&mut reader, &mut record).map_err(SourceError::Io)?;
            if n == 0 {
                break;
            }
            pos += n as u64;
            part.quotes += record.iter().filter(|&&b| b == b'"').count() as u64;
            trim_line_end(&mut record);
            if record.is_empty() {
                // GDAL skips blank lines without counting them as features.
                continue;
            }
            let r = part.records;
            part.records += 1;
            text.clear();
            split_into(&record, self.delimiter, &mut text, &mut fields);
            let field = |i: usize| -> &str { fields.get(i).map_or("", |&(a, b)| &text[a..b]) };
            let group_values: Vec<&str> =
                self.group_fields.iter().map(|&i| field(i).trim()).collect();
            if let Some(g) = part.grouper.as_mut() {
                if let Some(existing) = g.existing(&group_values) {
                    g.add_to(existing, &group_values);
                    self.properties(&field, r, &mut part.issues, &mut part.counts, None);
                    continue;
                }
            }
            let point = match self.point(field(self.x), field(self.y), r, &transform) {
                Ok(point) => point,
                Err(issue) if part.grouper.is_some() => {
                    let mut properties = Vec::new();
                    let mut ignored = Default::default();
                    self.properties(&field, r, &mut properties, &mut ignored, None);
                    part.orphans.push(Orphan {
                        record: r,
                        values: group_values.iter().map(|s| (*s).to_owned()).collect(),
                        geometry: issue,
                        properties,
                    });
                    continue;
                }
                Err(issue) => {
                    note(&mut part.issues, &mut part.counts, issue);
                    continue;
                }
            };
            self.properties(
                &field,
                r,
                &mut part.issues,
                &mut part.counts,
                Some(&mut builders),
            );
            part.points.push(point);
            if let Some(g) = part.grouper.as_mut() {
                g.add(&group_values);
            }
        }
        part.end = pos;
        part.columns = builders.into_iter().map(ColumnBuilder::finish).collect();
        Ok(part)
    }

    /// Reports the properties of a row that do not convert to their type.
    /// Converts the properties of a row, noting those that do not convert to their type, and
    /// appends them to `builders` when given (as `load`'s GDAL reader does).
    fn properties<'f>(
        &self,
        field: &impl Fn(usize) -> &'f str,
        record: u64,
        issues: &mut Vec<Issue>,
        counts: &mut std::collections::HashMap<IssueKind, u64>,
        mut builders: Option<&mut [ColumnBuilder]>,
    ) {
        for (n, &(i, ty)) in self.properties.iter().enumerate() {
            let raw = field(i);
            if raw.is_empty() {
                if let Some(b) = builders.as_deref_mut() {
                    b[n].push(Value::Null);
                }
                continue;
            }
            if ty == PropType::String {
                if let Some(b) = builders.as_deref_mut() {
                    b[n].push_text(raw);
                }
                continue;
            }
            let v = match value::from_text(raw, ty) {
                Ok(v) => v,
                Err(_) => {
                    let name = self.config.properties.get_index(n).map_or("", |(k, _)| k);
                    let text = format!("{name} = StringValue({raw:?}) is not a {ty}");
                    let issue = Issue {
                        kind: IssueKind::Value(n),
                        record,
                        text,
                    };
                    note(issues, counts, issue);
                    Value::Null
                }
            };
            if let Some(b) = builders.as_deref_mut() {
                b[n].push(v);
            }
        }
    }

    /// The WGS84 point of a row, or why it has none.
    fn point(
        &self,
        x: &str,
        y: &str,
        record: u64,
        transform: &gdal::spatial_ref::CoordTransform,
    ) -> Result<Coord<f64>, Issue> {
        let issue = |kind, text| Issue { kind, record, text };
        if x.trim().is_empty() || y.trim().is_empty() {
            return Err(issue(IssueKind::Empty, "no coordinates".into()));
        }
        let (Ok(fx), Ok(fy)) = (value::parse_float(x), value::parse_float(y)) else {
            let (tx, ty) = (x.trim(), y.trim());
            let text = format!("coordinates ({tx:?}, {ty:?}) are not numbers");
            return Err(issue(IssueKind::Invalid, text));
        };
        let mut point = GdalGeometry::empty(OGRwkbGeometryType::wkbPoint)
            .map_err(|e| issue(IssueKind::Invalid, GdalMessage::from(&e).0))?;
        point.add_point_2d((fx, fy));
        if let Err(e) = point.transform_inplace(transform) {
            let msg = GdalMessage::from(&e);
            return Err(issue(
                IssueKind::OutOfRange,
                format!("cannot be reprojected: {msg}"),
            ));
        }
        let (lon, lat, _) = point.get_point(0);
        let c = Coord { x: lon, y: lat };
        if !in_range(c) {
            let text = format!("({lon}, {lat}) is outside WGS84 / Web Mercator range");
            return Err(issue(IssueKind::OutOfRange, text));
        }
        Ok(c)
    }

    /// The parts, in file order, as one reading.
    fn merge(&self, parts: Vec<Part>) -> Loaded {
        let mut report = LoadReport::default();
        let mut offset = 0u64;
        let mut issues: Vec<(IssueKind, u64, String)> = Vec::new();
        let mut counts: std::collections::HashMap<IssueKind, u64> = Default::default();
        let mut grouper: Option<Grouper> = None;
        let mut points = Vec::new();
        let mut builders: Vec<ColumnBuilder> = self
            .properties
            .iter()
            .map(|&(_, ty)| ColumnBuilder::new(ty))
            .collect();
        for part in parts {
            report.read += part.records;
            for (k, n) in part.counts {
                *counts.entry(k).or_default() += n;
            }
            issues.extend(
                part.issues
                    .into_iter()
                    .map(|i| (i.kind, offset + i.record, i.text)),
            );
            // A row without a point joins a group an earlier part created, as it would have
            // in a sequential reading; otherwise it is skipped for its point.
            for orphan in part.orphans {
                let values: Vec<&str> = orphan.values.iter().map(String::as_str).collect();
                let joined = grouper.as_mut().and_then(|g| {
                    let group = g.existing(&values)?;
                    g.add_to(group, &values);
                    Some(())
                });
                let reported = match joined {
                    Some(()) => orphan.properties,
                    None => vec![orphan.geometry],
                };
                for i in reported {
                    *counts.entry(i.kind).or_default() += 1;
                    issues.push((i.kind, offset + orphan.record, i.text));
                }
            }
            offset += part.records;
            let fresh = match (grouper.as_mut(), part.grouper) {
                (Some(g), Some(later)) => g.absorb(later),
                (None, Some(first)) => {
                    let all = vec![true; first.len()];
                    grouper = Some(first);
                    all
                }
                _ => vec![true; part.points.len()],
            };
            for (row, (&keep, point)) in fresh.iter().zip(part.points).enumerate() {
                if !keep {
                    continue;
                }
                points.push(point);
                for (b, column) in builders.iter_mut().zip(&part.columns) {
                    b.push(column.get(row));
                }
            }
        }
        let line = |record: u64| format!("line {}", record + 2);
        issues.sort_by_key(|&(_, record, _)| record);
        for (kind, record, text) in issues {
            let tally = self.tally(&mut report, kind);
            if tally.examples.len() < Tally::EXAMPLES {
                tally.examples.push(format!("{}: {text}", line(record)));
            }
        }
        for (kind, n) in counts {
            self.tally(&mut report, kind).count = n;
        }
        let table = table_of(points.len(), builders, grouper, &mut report);
        Loaded {
            geometries: points
                .into_iter()
                .map(|c| Geometry::Point(c.into()))
                .collect(),
            table,
            report,
        }
    }
}

impl Plan<'_> {
    /// The tally of the report an issue of this kind goes to.
    fn tally<'r>(&self, report: &'r mut LoadReport, kind: IssueKind) -> &'r mut Tally {
        match kind {
            IssueKind::Empty => &mut report.empty,
            IssueKind::Invalid => &mut report.invalid,
            IssueKind::OutOfRange => &mut report.out_of_range,
            IssueKind::Value(n) => {
                let name = self
                    .config
                    .properties
                    .get_index(n)
                    .map_or(String::new(), |(k, _)| k.clone());
                report.invalid_values.entry(name).or_default()
            }
        }
    }
}

/// Counts an issue and keeps it when it is among the first few of its kind.
fn note(
    issues: &mut Vec<Issue>,
    counts: &mut std::collections::HashMap<IssueKind, u64>,
    issue: Issue,
) {
    let n = counts.entry(issue.kind).or_default();
    *n += 1;
    if *n <= Tally::EXAMPLES as u64 {
        issues.push(issue);
    }
}

/// Reads one record (up to an unquoted line break, included) into `out`; returns the bytes
/// read, 0 at the end of the file.
fn read_record(reader: &mut impl BufRead, out: &mut Vec<u8>) -> std::io::Result<usize> {
    let mut total = 0;
    loop {
        let start = out.len();
        let n = reader.read_until(b'\n', out)?;
        total += n;
        if n == 0 {
            return Ok(total);
        }
        let quotes = out.iter().filter(|&&b| b == b'"').count();
        if quotes % 2 == 0 || out.len() == start {
            return Ok(total);
        }
        // An odd number of quotes so far: the line break is inside a quoted field.
    }
}

fn trim_line_end(record: &mut Vec<u8>) {
    while matches!(record.last(), Some(b'\n' | b'\r')) {
        record.pop();
    }
}

/// Splits a record into fields as GDAL's `CSVSplitLine` does, appending their text to `text`
/// and their byte ranges in it to `fields` (invalid UTF-8 is replaced, as GDAL's reading
/// through `field_as_string` would).
fn split_into(record: &[u8], delimiter: u8, text: &mut String, fields: &mut Vec<(usize, usize)>) {
    fields.clear();
    // Most records have no quote and are valid UTF-8: one copy, fields as ranges of it.
    if !record.contains(&b'"') {
        if let Ok(s) = std::str::from_utf8(record) {
            let base = text.len();
            text.push_str(s);
            let mut start = 0;
            for (i, &b) in record.iter().enumerate() {
                if b == delimiter {
                    fields.push((base + start, base + i));
                    start = i + 1;
                }
            }
            fields.push((base + start, base + record.len()));
            return;
        }
    }
    let mut field: Vec<u8> = Vec::with_capacity(64);
    let mut in_quotes = false;
    let mut i = 0;
    let push = |field: &mut Vec<u8>, text: &mut String, fields: &mut Vec<(usize, usize)>| {
        let start = text.len();
        text.push_str(&String::from_utf8_lossy(field));
        fields.push((start, text.len()));
        field.clear();
    };
    while i < record.len() {
        let b = record[i];
        // GDAL reads a line break inside quotes as "\n", whatever the file's line ends.
        if in_quotes && b == b'\r' && record.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        if in_quotes && b == b'"' && record.get(i + 1) == Some(&b'"') {
            field.push(b'"');
            i += 2;
            continue;
        }
        if b == b'"' {
            in_quotes = !in_quotes;
        } else if !in_quotes && b == delimiter {
            push(&mut field, text, fields);
        } else {
            field.push(b);
        }
        i += 1;
    }
    push(&mut field, text, fields);
}

/// The fields of a record as owned strings (the header).
fn split(record: &[u8], delimiter: u8) -> Vec<String> {
    let mut record = record.to_vec();
    trim_line_end(&mut record);
    let mut text = String::new();
    let mut fields = Vec::new();
    split_into(&record, delimiter, &mut text, &mut fields);
    fields
        .into_iter()
        .map(|(a, b)| text[a..b].to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fields(line: &str) -> Vec<String> {
        split(line.as_bytes(), b';')
    }

    #[test]
    fn splits_like_gdal() {
        assert_eq!(fields("a;b;c"), ["a", "b", "c"]);
        assert_eq!(fields("a;;c\r\n"), ["a", "", "c"]);
        assert_eq!(fields("\"a;b\";\"c\"\"d\""), ["a;b", "c\"d"]);
        assert_eq!(fields("ab\"c;d\"e;f"), ["abc;de", "f"]);
        assert_eq!(fields("\"multi\nline\";x"), ["multi\nline", "x"]);
    }

    #[test]
    fn records_continue_inside_quotes() {
        let data = b"a;\"b\nc\";d\ne;f;g\n";
        let mut reader = std::io::Cursor::new(&data[..]);
        let mut out = Vec::new();
        assert_eq!(read_record(&mut reader, &mut out).unwrap(), 10);
        assert_eq!(
            fields(std::str::from_utf8(&out).unwrap()),
            ["a", "b\nc", "d"]
        );
        out.clear();
        assert_eq!(read_record(&mut reader, &mut out).unwrap(), 6);
        out.clear();
        assert_eq!(read_record(&mut reader, &mut out).unwrap(), 0);
    }

    /// Found by `fuzz/fuzz_targets/csv_rows.rs` against GDAL's CSV driver: a quoted field of a
    /// CRLF file that spans two lines kept its `\r`.
    #[test]
    fn fuzz_csv_rows_quoted_crlf_reads_as_lf() {
        assert_eq!(fields("\"deux\r\nlignes\";x\r\n"), ["deux\nlignes", "x"]);
    }

    proptest! {
        #[test]
        fn splitting_never_panics(s in ".{0,64}") {
            let _ = fields(&s);
        }
    }
}
