//! Mapbox Vector Tile 2.1 encoding: protobuf by hand (the format has four messages), command
//! and zigzag geometry encoding, keys and values deduplicated per layer.
//!
//! Geometries arrive in integer tile units, already clipped, simplified and validated; this module
//! only writes them. Polygon rings must already have MVT winding (exterior rings positive area
//! by the surveyor's formula in tile coordinates, holes negative).

use rustc_hash::FxHashMap as HashMap;

use crate::layer::Value;

/// An integer point in tile units (y down).
pub type TilePoint = [i32; 2];

/// A geometry ready to encode.
#[derive(Debug, Clone, PartialEq)]
pub enum TileGeometry {
    /// One or more points.
    Points(Vec<TilePoint>),
    /// One or more line strings, each of ≥ 2 distinct points.
    Lines(Vec<Vec<TilePoint>>),
    /// Polygons: each is rings (exterior first, then holes), each ring open (first point not
    /// repeated) with ≥ 3 points.
    Polygons(Vec<Vec<Vec<TilePoint>>>),
}

/// MVT geometry types.
const POINT: u64 = 1;
const LINESTRING: u64 = 2;
pub const POLYGON: u64 = 3;
/// Geometry commands.
const MOVE_TO: u32 = 1;
const LINE_TO: u32 = 2;
const CLOSE_PATH: u32 = 7;

/// A value as a hashable key for deduplication (floats by their bits).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ValueKey {
    String(std::sync::Arc<str>),
    Double(u64),
    Int(i64),
    Bool(bool),
}

/// Builds one MVT layer.
#[derive(Debug)]
pub struct LayerBuilder {
    name: String,
    extent: u32,
    keys: HashMap<String, u32>,
    key_list: Vec<String>,
    values: HashMap<ValueKey, u32>,
    value_list: Vec<ValueKey>,
    features: Vec<u8>,
    geometry_bytes: usize,
    count: usize,
}

impl LayerBuilder {
    /// A new, empty layer.
    pub fn new(name: &str, extent: u32) -> Self {
        Self {
            name: name.to_owned(),
            extent,
            keys: HashMap::default(),
            key_list: Vec::new(),
            values: HashMap::default(),
            value_list: Vec::new(),
            features: Vec::new(),
            geometry_bytes: 0,
            count: 0,
        }
    }

    /// Number of features added.
    pub fn len(&self) -> usize {
        self.count
    }

    /// The index of a key in the layer's key table, added when new.
    pub fn key_index(&mut self, key: &str) -> u32 {
        if let Some(&i) = self.keys.get(key) {
            return i;
        }
        let i = self.key_list.len() as u32;
        self.keys.insert(key.to_owned(), i);
        self.key_list.push(key.to_owned());
        i
    }

    /// The index of a value in the layer's value table, added when new; `None` for null.
    pub fn value_index(&mut self, value: &Value) -> Option<u32> {
        let key = match value {
            Value::Null => return None,
            Value::Bool(b) => ValueKey::Bool(*b),
            Value::Int(i) => ValueKey::Int(*i),
            Value::Float(f) => ValueKey::Double(f.to_bits()),
            Value::String(s) => ValueKey::String(s.clone()),
        };
        let next = self.value_list.len() as u32;
        match self.values.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => Some(*e.get()),
            std::collections::hash_map::Entry::Vacant(e) => {
                self.value_list.push(e.key().clone());
                e.insert(next);
                Some(next)
            }
        }
    }

    /// Adds a feature; null properties are left out (MVT has no null). An empty geometry adds
    /// nothing.
    pub fn add_feature<'a, V: std::borrow::Borrow<Value>>(
        &mut self,
        id: u64,
        geometry: &TileGeometry,
        properties: impl IntoIterator<Item = (&'a str, V)>,
    ) {
        let mut tags = Vec::new();
        for (key, value) in properties {
            if let Some(v) = self.value_index(value.borrow()) {
                tags.push(self.key_index(key));
                tags.push(v);
            }
        }
        self.add_tagged(id, geometry, &tags);
    }

    /// Adds a feature whose tags (key index, value index pairs) are known. An empty geometry
    /// adds nothing.
    pub fn add_tagged(&mut self, id: u64, geometry: &TileGeometry, tags: &[u32]) {
        let mut commands = Commands::default();
        let kind = commands.geometry(geometry);
        self.add_commands(id, kind, &commands, tags);
    }

    /// Adds a feature of geometry type `kind` (see [`Commands::geometry`]) whose geometry
    /// commands are written; empty commands add nothing.
    pub fn add_commands(&mut self, id: u64, kind: u64, commands: &Commands, tags: &[u32]) {
        let commands = commands.bytes();
        if commands.is_empty() {
            return;
        }
        let tags_len: usize = tags.iter().map(|&t| varint_len(u64::from(t))).sum();
        let mut len = 1 + varint_len(id) + 1 + varint_len(kind);
        if !tags.is_empty() {
            len += 1 + varint_len(tags_len as u64) + tags_len;
        }
        len += 1 + varint_len(commands.len() as u64) + commands.len();
        let out = &mut self.features;
        out.reserve(len + 4);
        write_tag(out, 2, 2);
        write_varint(out, len as u64);
        write_varint_field(out, 1, id);
        if !tags.is_empty() {
            write_tag(out, 2, 2);
            write_varint(out, tags_len as u64);
            for &t in tags {
                write_varint(out, u64::from(t));
            }
        }
        write_varint_field(out, 3, kind);
        write_bytes_field(out, 4, commands);
        self.geometry_bytes += commands.len();
        self.count += 1;
    }

    /// Bytes of geometry commands written so far (what simplification can shrink).
    pub fn geometry_bytes(&self) -> usize {
        self.geometry_bytes
    }

    /// The encoded `Layer` message.
    pub fn finish(self) -> Vec<u8> {
        let value_len = |value: &ValueKey| match value {
            ValueKey::String(s) => 1 + varint_len(s.len() as u64) + s.len(),
            ValueKey::Double(_) => 9,
            ValueKey::Int(i) if *i >= 0 => 1 + varint_len(*i as u64),
            ValueKey::Int(i) => 1 + varint_len(zigzag64(*i)),
            ValueKey::Bool(_) => 2,
        };
        let field_len = |len: usize| 1 + varint_len(len as u64) + len;
        let size = 2
            + field_len(self.name.len())
            + self.features.len()
            + self
                .key_list
                .iter()
                .map(|k| field_len(k.len()))
                .sum::<usize>()
            + self
                .value_list
                .iter()
                .map(|v| field_len(value_len(v)))
                .sum::<usize>()
            + 1
            + varint_len(u64::from(self.extent));
        let mut out = Vec::with_capacity(size);
        write_varint_field(&mut out, 15, 2);
        write_bytes_field(&mut out, 1, self.name.as_bytes());
        out.extend_from_slice(&self.features);
        for key in &self.key_list {
            write_bytes_field(&mut out, 3, key.as_bytes());
        }
        for value in &self.value_list {
            write_tag(&mut out, 4, 2);
            write_varint(&mut out, value_len(value) as u64);
            match value {
                ValueKey::String(s) => write_bytes_field(&mut out, 1, s.as_bytes()),
                ValueKey::Double(bits) => {
                    write_tag(&mut out, 3, 1);
                    out.extend_from_slice(&bits.to_le_bytes());
                }
                ValueKey::Int(i) if *i >= 0 => write_varint_field(&mut out, 5, *i as u64),
                ValueKey::Int(i) => write_varint_field(&mut out, 6, zigzag64(*i)),
                ValueKey::Bool(b) => write_varint_field(&mut out, 7, u64::from(*b)),
            }
        }
        write_varint_field(&mut out, 5, u64::from(self.extent));
        debug_assert_eq!(out.len(), size);
        out
    }
}

/// Assembles encoded layers into a tile (`Tile.layers`, field 3).
pub fn tile<L: AsRef<[u8]>>(layers: impl IntoIterator<Item = L>) -> Vec<u8> {
    let layers: Vec<L> = layers.into_iter().collect();
    let size = layers
        .iter()
        .map(|l| 1 + varint_len(l.as_ref().len() as u64) + l.as_ref().len())
        .sum();
    let mut out = Vec::with_capacity(size);
    for layer in &layers {
        write_bytes_field(&mut out, 3, layer.as_ref());
    }
    out
}
/// MVT geometry commands written as varints (MVT 2.1 §4.3), with the cursor they leave; the
/// cursor starts at (0, 0) for each feature.
#[derive(Debug, Clone, Default)]
pub struct Commands {
    bytes: Vec<u8>,
    cursor: TilePoint,
}

impl Commands {
    /// Commands whose cursor starts at `p` (for a run of commands spliced in later, see
    /// [`Commands::splice`]).
    pub fn starting_at(p: TilePoint) -> Self {
        Self {
            bytes: Vec::new(),
            cursor: p,
        }
    }

    /// Forgets the commands, for the next feature.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.cursor = [0, 0];
    }

    /// The varint bytes written.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Where the cursor is.
    pub fn cursor(&self) -> TilePoint {
        self.cursor
    }

    /// Writes a geometry; returns its MVT geometry type.
    pub fn geometry(&mut self, g: &TileGeometry) -> u64 {
        match g {
            TileGeometry::Points(points) => {
                if !points.is_empty() {
                    self.command(MOVE_TO, points.len());
                    for &p in points {
                        self.point(p);
                    }
                }
                POINT
            }
            TileGeometry::Lines(lines) => {
                for line in lines.iter().filter(|l| l.len() >= 2) {
                    self.path(line);
                }
                LINESTRING
            }
            TileGeometry::Polygons(polygons) => {
                for shape in polygons {
                    self.shape(shape);
                }
                POLYGON
            }
        }
    }

    /// Writes the rings of one polygon (exterior first); rings of fewer than 3 points are left
    /// out.
    pub fn shape(&mut self, rings: &[Vec<TilePoint>]) {
        for ring in rings.iter().filter(|r| r.len() >= 3) {
            self.path(ring);
            self.command(CLOSE_PATH, 1);
        }
    }

    /// `MoveTo` the first point, `LineTo` the others (at least 2 points).
    fn path(&mut self, points: &[TilePoint]) {
        self.command(MOVE_TO, 1);
        self.point(points[0]);
        self.command(LINE_TO, points.len() - 1);
        for &p in &points[1..] {
            self.point(p);
        }
    }

    /// Appends commands written elsewhere by [`Commands::starting_at`]`(start)` that began with a
    /// `MoveTo` (whose first 3 bytes, `MoveTo(1) 0 0`, were dropped: `rest` is the remainder) and
    /// left the cursor at `end`; `start` and `end` are shifted by `-shift`.
    pub fn splice(&mut self, start: TilePoint, rest: &[u8], end: TilePoint, shift: TilePoint) {
        self.command(MOVE_TO, 1);
        self.point([start[0] - shift[0], start[1] - shift[1]]);
        self.bytes.extend_from_slice(rest);
        self.cursor = [end[0] - shift[0], end[1] - shift[1]];
    }

    /// The bytes [`Commands::splice`] needs: the commands without their leading
    /// `MoveTo(1) 0 0`; `None` when they do not start that way (nothing was written).
    pub fn into_rest(self) -> Option<Vec<u8>> {
        let head = [command(MOVE_TO, 1) as u8, 0, 0];
        self.bytes
            .starts_with(&head)
            .then(|| self.bytes[3..].to_vec())
    }

    fn command(&mut self, id: u32, count: usize) {
        write_varint(&mut self.bytes, u64::from(command(id, count)));
    }

    fn point(&mut self, p: TilePoint) {
        let [x, y] = self.cursor;
        write_varint(&mut self.bytes, u64::from(zigzag32(p[0].wrapping_sub(x))));
        write_varint(&mut self.bytes, u64::from(zigzag32(p[1].wrapping_sub(y))));
        self.cursor = p;
    }
}

fn command(id: u32, count: usize) -> u32 {
    (id & 0x7) | ((count as u32) << 3)
}

fn zigzag32(n: i32) -> u32 {
    ((n << 1) ^ (n >> 31)) as u32
}

fn zigzag64(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

fn write_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

fn write_tag(out: &mut Vec<u8>, field: u32, wire_type: u8) {
    write_varint(out, (u64::from(field) << 3) | u64::from(wire_type));
}

fn write_varint_field(out: &mut Vec<u8>, field: u32, v: u64) {
    write_tag(out, field, 0);
    write_varint(out, v);
}

fn write_bytes_field(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    write_tag(out, field, 2);
    write_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zigzag_matches_the_spec_table() {
        assert_eq!(zigzag32(0), 0);
        assert_eq!(zigzag32(-1), 1);
        assert_eq!(zigzag32(1), 2);
        assert_eq!(zigzag32(-2), 3);
        assert_eq!(zigzag32(i32::MAX), u32::MAX - 1);
        assert_eq!(zigzag32(i32::MIN), u32::MAX);
    }

    /// The commands of a geometry as the `u32`s of the spec's examples.
    fn encode_geometry(g: &TileGeometry) -> (u64, Vec<u32>) {
        let mut commands = Commands::default();
        let kind = commands.geometry(g);
        let mut out = Vec::new();
        let (mut v, mut shift) = (0u32, 0);
        for &b in commands.bytes() {
            v |= u32::from(b & 0x7f) << shift;
            shift += 7;
            if b < 0x80 {
                out.push(v);
                (v, shift) = (0, 0);
            }
        }
        (kind, out)
    }

    #[test]
    fn varint_lengths() {
        for v in [
            0u64,
            1,
            127,
            128,
            16_383,
            16_384,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            let mut out = Vec::new();
            write_varint(&mut out, v);
            assert_eq!(varint_len(v), out.len(), "{v}");
        }
    }

    #[test]
    fn spliced_commands_equal_commands_written_in_place() {
        let shapes = [
            vec![vec![[10, 10], [20, 10], [20, 20]]],
            vec![
                vec![[40, 40], [60, 40], [60, 70]],
                vec![[45, 45], [50, 50], [55, 45]],
            ],
        ];
        let mut whole = Commands::default();
        whole.shape(&shapes[0]);
        whole.shape(&shapes[1]);
        // The second shape prepared 1000 units away, spliced back with its shift.
        let moved: Vec<Vec<TilePoint>> = shapes[1]
            .iter()
            .map(|r| r.iter().map(|&[x, y]| [x + 1000, y + 1000]).collect())
            .collect();
        let mut prepared = Commands::starting_at(moved[0][0]);
        prepared.shape(&moved);
        let end = prepared.cursor();
        let rest = prepared.into_rest().expect("starts with a MoveTo");
        let mut spliced = Commands::default();
        spliced.shape(&shapes[0]);
        spliced.splice(moved[0][0], &rest, end, [1000, 1000]);
        assert_eq!(spliced.bytes(), whole.bytes());
        assert_eq!(spliced.cursor(), whole.cursor());
    }

    #[test]
    fn spec_example_polygon_commands() {
        // MVT 2.1 §4.3.5.3: polygon (3,6) (8,12) (20,34) → 9 6 12 18 10 12 24 44 15.
        let g = TileGeometry::Polygons(vec![vec![vec![[3, 6], [8, 12], [20, 34]]]]);
        assert_eq!(
            encode_geometry(&g).1,
            vec![9, 6, 12, 18, 10, 12, 24, 44, 15]
        );
    }

    #[test]
    fn spec_example_multipoint_commands() {
        // §4.3.5.1: multipoint (5,7) (3,2) → 17 10 14 3 9.
        let g = TileGeometry::Points(vec![[5, 7], [3, 2]]);
        assert_eq!(encode_geometry(&g).1, vec![17, 10, 14, 3, 9]);
    }

    #[test]
    fn spec_example_linestring_commands() {
        // §4.3.5.2: (2,2) (2,10) (10,10) → 9 4 4 18 0 16 16 0.
        let g = TileGeometry::Lines(vec![vec![[2, 2], [2, 10], [10, 10]]]);
        assert_eq!(encode_geometry(&g).1, vec![9, 4, 4, 18, 0, 16, 16, 0]);
    }

    #[test]
    fn values_are_deduplicated() {
        let mut layer = LayerBuilder::new("l", 4096);
        let a = Value::String("Lens".into());
        let g = TileGeometry::Points(vec![[1, 1]]);
        layer.add_feature(1, &g, [("nom", &a), ("vide", &Value::Null)]);
        layer.add_feature(2, &g, [("nom", &a)]);
        assert_eq!(layer.key_list, vec!["nom".to_owned()]);
        assert_eq!(layer.value_list.len(), 1);
        assert_eq!(layer.len(), 2);
    }
}
