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
const POLYGON: u64 = 3;
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
        if let Some(&i) = self.values.get(&key) {
            return Some(i);
        }
        let i = self.value_list.len() as u32;
        self.values.insert(key.clone(), i);
        self.value_list.push(key);
        Some(i)
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
        let (kind, commands) = encode_geometry(geometry);
        if commands.is_empty() {
            return;
        }
        let mut feature = Vec::with_capacity(commands.len() * 2 + tags.len() + 8);
        write_varint_field(&mut feature, 1, id);
        write_packed(&mut feature, 2, tags);
        write_varint_field(&mut feature, 3, kind);
        write_packed(&mut feature, 4, &commands);
        write_bytes_field(&mut self.features, 2, &feature);
        self.count += 1;
    }

    /// The encoded `Layer` message.
    pub fn finish(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.features.len() + 64);
        write_varint_field(&mut out, 15, 2);
        write_bytes_field(&mut out, 1, self.name.as_bytes());
        out.extend_from_slice(&self.features);
        for key in &self.key_list {
            write_bytes_field(&mut out, 3, key.as_bytes());
        }
        for value in &self.value_list {
            let mut v = Vec::new();
            match value {
                ValueKey::String(s) => write_bytes_field(&mut v, 1, s.as_bytes()),
                ValueKey::Double(bits) => {
                    write_tag(&mut v, 3, 1);
                    v.extend_from_slice(&bits.to_le_bytes());
                }
                ValueKey::Int(i) if *i >= 0 => write_varint_field(&mut v, 5, *i as u64),
                ValueKey::Int(i) => write_varint_field(&mut v, 6, zigzag64(*i)),
                ValueKey::Bool(b) => write_varint_field(&mut v, 7, u64::from(*b)),
            }
            write_bytes_field(&mut out, 4, &v);
        }
        write_varint_field(&mut out, 5, u64::from(self.extent));
        out
    }
}

/// Assembles encoded layers into a tile (`Tile.layers`, field 3).
pub fn tile(layers: impl IntoIterator<Item = Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    for layer in layers {
        write_bytes_field(&mut out, 3, &layer);
    }
    out
}

fn encode_geometry(g: &TileGeometry) -> (u64, Vec<u32>) {
    let mut cmds = Vec::new();
    let mut cursor = [0i32, 0i32];
    let push_point = |cmds: &mut Vec<u32>, p: TilePoint, cursor: &mut [i32; 2]| {
        cmds.push(zigzag32(p[0].wrapping_sub(cursor[0])));
        cmds.push(zigzag32(p[1].wrapping_sub(cursor[1])));
        *cursor = p;
    };
    match g {
        TileGeometry::Points(points) => {
            if !points.is_empty() {
                cmds.push(command(MOVE_TO, points.len()));
                for &p in points {
                    push_point(&mut cmds, p, &mut cursor);
                }
            }
            (POINT, cmds)
        }
        TileGeometry::Lines(lines) => {
            for line in lines.iter().filter(|l| l.len() >= 2) {
                cmds.push(command(MOVE_TO, 1));
                push_point(&mut cmds, line[0], &mut cursor);
                cmds.push(command(LINE_TO, line.len() - 1));
                for &p in &line[1..] {
                    push_point(&mut cmds, p, &mut cursor);
                }
            }
            (LINESTRING, cmds)
        }
        TileGeometry::Polygons(polygons) => {
            for ring in polygons.iter().flatten().filter(|r| r.len() >= 3) {
                cmds.push(command(MOVE_TO, 1));
                push_point(&mut cmds, ring[0], &mut cursor);
                cmds.push(command(LINE_TO, ring.len() - 1));
                for &p in &ring[1..] {
                    push_point(&mut cmds, p, &mut cursor);
                }
                cmds.push(command(CLOSE_PATH, 1));
            }
            (POLYGON, cmds)
        }
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

fn write_packed(out: &mut Vec<u8>, field: u32, values: &[u32]) {
    if values.is_empty() {
        return;
    }
    let mut body = Vec::with_capacity(values.len() * 2);
    for &v in values {
        write_varint(&mut body, u64::from(v));
    }
    write_bytes_field(out, field, &body);
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
