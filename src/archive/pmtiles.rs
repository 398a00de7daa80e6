//! PMTiles version 3: the header, the directories (varint-encoded, gzip-compressed) and the
//! Hilbert tile ids, and a writer of clustered archives.
//!
//! Layout written: header (127 bytes) · root directory · metadata · leaf directories · tile
//! data, as the specification recommends. Tiles arrive in tile-id order; identical contents
//! are stored once (a later entry points back at the first copy) and runs of identical
//! consecutive tiles share one entry (`run_length`). The root directory fits in the first
//! 16 KiB; when it would not, entries go to leaf directories of doubling size until it does.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use flate2::write::GzEncoder;
use flate2::Compression;
use rustc_hash::FxHashMap;

use super::file::{AtomicFile, Scratch};
use super::{ArchiveError, Metadata, Writer};
use crate::bbox::BboxWgs84;
use crate::tile::TileCoord;

/// Bytes of the fixed header.
pub const HEADER_BYTES: usize = 127;
/// The header and the root directory fit in these first bytes of an archive.
pub const ROOT_LIMIT: usize = 16_384;
/// Compression code of gzip (header fields `internal_compression`, `tile_compression`).
pub const GZIP: u8 = 2;
/// Tile type code of Mapbox Vector Tiles.
pub const MVT: u8 = 1;

/// The tile id of a tile: the tiles of lower zooms, plus the tile's position on the zoom's
/// Hilbert curve.
pub fn tile_id(tile: TileCoord) -> u64 {
    let z = u32::from(tile.z());
    let before = ((1u64 << (2 * z)) - 1) / 3;
    let n = 1u64 << z;
    let (mut x, mut y) = (u64::from(tile.x()), u64::from(tile.y()));
    let mut d = 0u64;
    let mut s = n / 2;
    while s > 0 {
        let rx = u64::from(x & s > 0);
        let ry = u64::from(y & s > 0);
        d += s * s * ((3 * rx) ^ ry);
        if ry == 0 {
            if rx == 1 {
                x = n - 1 - x;
                y = n - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s /= 2;
    }
    before + d
}

/// One directory entry: a run of `run_length` tiles from `tile_id` with the same content, at
/// `offset` in the tile data; with `run_length` 0, a leaf directory at `offset` in the leaf
/// section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub tile_id: u64,
    pub offset: u64,
    pub length: u32,
    pub run_length: u32,
}

/// The fixed-size header.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub root_offset: u64,
    pub root_length: u64,
    pub metadata_offset: u64,
    pub metadata_length: u64,
    pub leaves_offset: u64,
    pub leaves_length: u64,
    pub data_offset: u64,
    pub data_length: u64,
    pub addressed_tiles: u64,
    pub tile_entries: u64,
    pub tile_contents: u64,
    pub clustered: bool,
    pub internal_compression: u8,
    pub tile_compression: u8,
    pub tile_type: u8,
    pub minzoom: u8,
    pub maxzoom: u8,
    pub bounds: BboxWgs84,
    pub center_zoom: u8,
    pub center_lon: f64,
    pub center_lat: f64,
}

impl Header {
    /// The 127 header bytes.
    pub fn to_bytes(&self) -> [u8; HEADER_BYTES] {
        let mut b = Vec::with_capacity(HEADER_BYTES);
        b.extend_from_slice(b"PMTiles");
        b.push(3);
        for v in [
            self.root_offset,
            self.root_length,
            self.metadata_offset,
            self.metadata_length,
            self.leaves_offset,
            self.leaves_length,
            self.data_offset,
            self.data_length,
            self.addressed_tiles,
            self.tile_entries,
            self.tile_contents,
        ] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(&[
            u8::from(self.clustered),
            self.internal_compression,
            self.tile_compression,
            self.tile_type,
            self.minzoom,
            self.maxzoom,
        ]);
        for v in self.bounds.to_array() {
            b.extend_from_slice(&e7(v).to_le_bytes());
        }
        b.push(self.center_zoom);
        b.extend_from_slice(&e7(self.center_lon).to_le_bytes());
        b.extend_from_slice(&e7(self.center_lat).to_le_bytes());
        let mut out = [0u8; HEADER_BYTES];
        out.copy_from_slice(&b);
        out
    }

    /// Reads a header.
    ///
    /// # Errors
    /// When the bytes are too short, the magic is not `PMTiles` or the version not 3 (the
    /// message says which).
    pub fn parse(b: &[u8]) -> Result<Self, String> {
        if b.len() < HEADER_BYTES {
            return Err(format!("{} bytes, shorter than a PMTiles header", b.len()));
        }
        if &b[..7] != b"PMTiles" {
            return Err("not a PMTiles archive (no PMTiles magic)".to_owned());
        }
        if b[7] != 3 {
            return Err(format!("PMTiles version {}, only version 3 is read", b[7]));
        }
        let u = |at: usize| {
            let mut v = [0u8; 8];
            v.copy_from_slice(&b[at..at + 8]);
            u64::from_le_bytes(v)
        };
        let deg = |at: usize| {
            let mut v = [0u8; 4];
            v.copy_from_slice(&b[at..at + 4]);
            f64::from(i32::from_le_bytes(v)) / 1e7
        };
        Ok(Self {
            root_offset: u(8),
            root_length: u(16),
            metadata_offset: u(24),
            metadata_length: u(32),
            leaves_offset: u(40),
            leaves_length: u(48),
            data_offset: u(56),
            data_length: u(64),
            addressed_tiles: u(72),
            tile_entries: u(80),
            tile_contents: u(88),
            clustered: b[96] == 1,
            internal_compression: b[97],
            tile_compression: b[98],
            tile_type: b[99],
            minzoom: b[100],
            maxzoom: b[101],
            bounds: BboxWgs84 {
                west: deg(102),
                south: deg(106),
                east: deg(110),
                north: deg(114),
            },
            center_zoom: b[118],
            center_lon: deg(119),
            center_lat: deg(123),
        })
    }
}

/// Degrees as the header stores them: integer ten-millionths.
fn e7(degrees: f64) -> i32 {
    (degrees * 1e7).round() as i32
}

/// Encodes a directory (before compression): the entry count, then the tile-id deltas, run
/// lengths, lengths and offsets as varints (an offset that follows the previous entry's data
/// is written 0, any other offset + 1).
pub fn encode_directory(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * 6 + 8);
    varint(&mut out, entries.len() as u64);
    let mut last = 0u64;
    for e in entries {
        varint(&mut out, e.tile_id - last);
        last = e.tile_id;
    }
    for e in entries {
        varint(&mut out, u64::from(e.run_length));
    }
    for e in entries {
        varint(&mut out, u64::from(e.length));
    }
    for (i, e) in entries.iter().enumerate() {
        let follows = i > 0 && {
            let p = &entries[i - 1];
            e.offset == p.offset + u64::from(p.length)
        };
        varint(&mut out, if follows { 0 } else { e.offset + 1 });
    }
    out
}

/// Decodes a directory (after decompression).
///
/// # Errors
/// When the bytes end early or hold values out of range.
pub fn decode_directory(mut b: &[u8]) -> Result<Vec<Entry>, String> {
    let n = read_varint(&mut b).ok_or("truncated directory")?;
    // Each entry takes at least four bytes.
    let n = usize::try_from(n)
        .ok()
        .filter(|&n| n <= b.len() / 4)
        .ok_or_else(|| format!("directory of {n} entries in {} bytes", b.len()))?;
    let mut next = || read_varint(&mut b).ok_or_else(|| "truncated directory".to_owned());
    let mut entries = vec![
        Entry {
            tile_id: 0,
            offset: 0,
            length: 0,
            run_length: 0
        };
        n
    ];
    let mut last = 0u64;
    for e in &mut entries {
        last = last.checked_add(next()?).ok_or("tile id overflow")?;
        e.tile_id = last;
    }
    for e in &mut entries {
        e.run_length = u32::try_from(next()?).map_err(|_| "run length out of range")?;
    }
    for e in &mut entries {
        e.length = u32::try_from(next()?).map_err(|_| "length out of range")?;
    }
    for i in 0..n {
        let v = next()?;
        entries[i].offset = if v == 0 && i > 0 {
            entries[i - 1].offset + u64::from(entries[i - 1].length)
        } else {
            v.checked_sub(1).ok_or("offset 0 on the first entry")?
        };
    }
    Ok(entries)
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn read_varint(b: &mut &[u8]) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = b.split_first()?;
        *b = rest;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// gzip at the default level (archives are written once and read many times).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(
        Vec::with_capacity(bytes.len() / 2 + 32),
        Compression::default(),
    );
    // Writing to a Vec cannot fail.
    let _ = e.write_all(bytes);
    e.finish().unwrap_or_default()
}

/// The root directory and the leaf directories (concatenated) of these entries: all in the
/// root when it fits in the first 16 KiB, else leaves of 4096 entries, doubled until the root
/// of their entries fits.
pub fn directories(entries: &[Entry]) -> (Vec<u8>, Vec<u8>) {
    let root = gzip(&encode_directory(entries));
    if HEADER_BYTES + root.len() <= ROOT_LIMIT {
        return (root, Vec::new());
    }
    let mut leaf_size = 4096;
    loop {
        let mut leaves = Vec::new();
        let mut pointers = Vec::new();
        for chunk in entries.chunks(leaf_size) {
            let leaf = gzip(&encode_directory(chunk));
            pointers.push(Entry {
                tile_id: chunk[0].tile_id,
                offset: leaves.len() as u64,
                length: leaf.len() as u32,
                run_length: 0,
            });
            leaves.extend_from_slice(&leaf);
        }
        let root = gzip(&encode_directory(&pointers));
        if HEADER_BYTES + root.len() <= ROOT_LIMIT {
            return (root, leaves);
        }
        leaf_size *= 2;
    }
}

/// Writes a clustered PMTiles archive: tile data to a scratch file as tiles arrive, then the
/// header, directories, metadata and that data into the partial file, renamed at the end.
pub struct PmTilesWriter {
    file: AtomicFile,
    out: File,
    _scratch: Scratch,
    data: BufWriter<File>,
    data_length: u64,
    entries: Vec<Entry>,
    /// Where each distinct content is (by hash of the uncompressed tile).
    stored: FxHashMap<u128, (u64, u32)>,
    last_hash: Option<u128>,
    addressed: u64,
}

impl PmTilesWriter {
    /// Creates the partial file and the scratch file of the tile data beside `output`.
    ///
    /// # Errors
    /// As [`AtomicFile::create`].
    pub fn create(output: &Path, force: bool) -> Result<Self, ArchiveError> {
        let (file, out) = AtomicFile::create(output, force)?;
        let (scratch, data) = Scratch::create(output, "tiles.partial")?;
        Ok(Self {
            file,
            out,
            _scratch: scratch,
            data: BufWriter::with_capacity(1 << 20, data),
            data_length: 0,
            entries: Vec::new(),
            stored: FxHashMap::default(),
            last_hash: None,
            addressed: 0,
        })
    }

    fn partial_error(&self, what: &'static str, e: std::io::Error) -> ArchiveError {
        ArchiveError::io(self.file.partial(), what, e)
    }
}

impl Writer for PmTilesWriter {
    fn add(&mut self, tile: TileCoord, gzip: &[u8], hash: u128) -> Result<(), ArchiveError> {
        let id = tile_id(tile);
        self.addressed += 1;
        if let (Some(last), Some(h)) = (self.entries.last_mut(), self.last_hash) {
            debug_assert!(
                id >= last.tile_id + u64::from(last.run_length),
                "tile order"
            );
            if h == hash && last.tile_id + u64::from(last.run_length) == id {
                last.run_length += 1;
                return Ok(());
            }
        }
        let (offset, length) = match self.stored.get(&hash) {
            Some(&at) => at,
            None => {
                let at = (self.data_length, gzip.len() as u32);
                if let Err(e) = self.data.write_all(gzip) {
                    return Err(self.partial_error("cannot write the tile data of", e));
                }
                self.data_length += gzip.len() as u64;
                self.stored.insert(hash, at);
                at
            }
        };
        self.entries.push(Entry {
            tile_id: id,
            offset,
            length,
            run_length: 1,
        });
        self.last_hash = Some(hash);
        Ok(())
    }

    fn finish(mut self: Box<Self>, metadata: &Metadata) -> Result<(), ArchiveError> {
        let (root, leaves) = directories(&self.entries);
        let json = serde_json::to_vec(&metadata.tilejson).unwrap_or_default();
        let meta = gzip(&json);
        let root_offset = HEADER_BYTES as u64;
        let metadata_offset = root_offset + root.len() as u64;
        let leaves_offset = metadata_offset + meta.len() as u64;
        let data_offset = leaves_offset + leaves.len() as u64;
        let header = Header {
            root_offset,
            root_length: root.len() as u64,
            metadata_offset,
            metadata_length: meta.len() as u64,
            leaves_offset,
            leaves_length: leaves.len() as u64,
            data_offset,
            data_length: self.data_length,
            addressed_tiles: self.addressed,
            tile_entries: self.entries.len() as u64,
            tile_contents: self.stored.len() as u64,
            clustered: true,
            internal_compression: GZIP,
            tile_compression: GZIP,
            tile_type: MVT,
            minzoom: metadata.minzoom,
            maxzoom: metadata.maxzoom,
            bounds: metadata.bounds,
            center_zoom: metadata.center[2] as u8,
            center_lon: metadata.center[0],
            center_lat: metadata.center[1],
        };
        let mut data = match self.data.into_inner() {
            Ok(f) => f,
            Err(e) => {
                let e = e.into_error();
                return Err(ArchiveError::io(
                    self.file.partial(),
                    "cannot write the tile data of",
                    e,
                ));
            }
        };
        let result = (|| {
            let mut out = BufWriter::new(&mut self.out);
            out.write_all(&header.to_bytes())?;
            out.write_all(&root)?;
            out.write_all(&meta)?;
            out.write_all(&leaves)?;
            out.flush()?;
            drop(out);
            data.seek(SeekFrom::Start(0))?;
            let copied = std::io::copy(&mut (&mut data).take(self.data_length), &mut self.out)?;
            if copied != self.data_length {
                return Err(std::io::Error::other("tile data cut short"));
            }
            self.out.flush()
        })();
        result.map_err(|e| ArchiveError::io(self.file.partial(), "cannot write", e))?;
        self.file.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(z: u64, x: u64, y: u64) -> TileCoord {
        TileCoord::try_new(z, x, y).unwrap()
    }

    #[test]
    fn tile_ids_follow_the_specification() {
        // The specification's examples: zoom 0, the four tiles of zoom 1 along the curve, and
        // the first tile of zoom 2.
        assert_eq!(tile_id(t(0, 0, 0)), 0);
        assert_eq!(tile_id(t(1, 0, 0)), 1);
        assert_eq!(tile_id(t(1, 0, 1)), 2);
        assert_eq!(tile_id(t(1, 1, 1)), 3);
        assert_eq!(tile_id(t(1, 1, 0)), 4);
        assert_eq!(tile_id(t(2, 0, 0)), 5);
        // The last tile of a zoom comes just before the first of the next.
        assert_eq!(tile_id(t(3, 7, 0)) + 1, tile_id(t(4, 0, 0)));
        // Every tile of zoom 4 gets a distinct id in its zoom's range.
        let mut ids: Vec<u64> = (0..16)
            .flat_map(|x| (0..16).map(move |y| tile_id(t(4, x, y))))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 256);
        assert_eq!(ids[0], 85);
        assert_eq!(ids[255], 85 + 255);
    }

    #[test]
    fn directories_round_trip() {
        let entries = vec![
            Entry {
                tile_id: 3,
                offset: 0,
                length: 10,
                run_length: 1,
            },
            Entry {
                tile_id: 4,
                offset: 10,
                length: 300,
                run_length: 2,
            },
            Entry {
                tile_id: 9,
                offset: 0,
                length: 10,
                run_length: 1,
            },
        ];
        let bytes = encode_directory(&entries);
        assert_eq!(decode_directory(&bytes).unwrap(), entries);
        assert!(decode_directory(&bytes[..bytes.len() - 1]).is_err());
    }

    #[test]
    fn header_round_trip() {
        let h = Header {
            root_offset: 127,
            root_length: 50,
            metadata_offset: 177,
            metadata_length: 20,
            leaves_offset: 197,
            leaves_length: 0,
            data_offset: 197,
            data_length: 1000,
            addressed_tiles: 10,
            tile_entries: 8,
            tile_contents: 7,
            clustered: true,
            internal_compression: GZIP,
            tile_compression: GZIP,
            tile_type: MVT,
            minzoom: 0,
            maxzoom: 14,
            bounds: BboxWgs84 {
                west: -5.1,
                south: 41.3,
                east: 9.56,
                north: 51.09,
            },
            center_zoom: 7,
            center_lon: 2.2,
            center_lat: 46.2,
        };
        assert_eq!(Header::parse(&h.to_bytes()).unwrap(), h);
        assert!(Header::parse(b"PMTiles").is_err());
    }

    #[test]
    fn many_entries_go_to_leaves() {
        // Scattered ids and offsets compress badly: the root alone would not fit.
        let entries: Vec<Entry> = (0..60_000u64)
            .map(|i| Entry {
                tile_id: i * 7 + (i * 2_654_435_761) % 5,
                offset: (i * 40_503) % 1_000_003,
                length: 100 + (i % 977) as u32,
                run_length: 1,
            })
            .collect();
        let (root, leaves) = directories(&entries);
        assert!(HEADER_BYTES + root.len() <= ROOT_LIMIT);
        assert!(!leaves.is_empty());
        let gunzip = |b: &[u8]| {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(b)
                .read_to_end(&mut out)
                .unwrap();
            out
        };
        let pointers = decode_directory(&gunzip(&root)).unwrap();
        let mut all = Vec::new();
        for p in &pointers {
            assert_eq!(p.run_length, 0);
            let leaf = &leaves[p.offset as usize..(p.offset + u64::from(p.length)) as usize];
            all.extend(decode_directory(&gunzip(leaf)).unwrap());
        }
        assert_eq!(all, entries);
    }
}
