//! The zip of an uploaded Shapefile, read here rather than by GDAL's `/vsizip/`.
//!
//! The central directory is read and checked before anything is inflated: at most
//! [`MAX_ENTRIES`] entries, plain relative names (no absolute path, no `..`), Shapefile parts
//! only, one `.shp`, declared sizes adding up to at most
//! [`UploadLimits::max_uncompressed_bytes`]. Only then is each part inflated, and never past its
//! declared size, so a zip bomb costs neither memory nor time: a lying size is caught as a
//! corrupt entry after at most one byte more than declared. GDAL then reads plain files and
//! never sees the zip, so it cannot read it differently from this module.
//!
//! Layout (APPNOTE.TXT): the end-of-central-directory record (22 bytes and a comment) gives
//! the position of the central directory, one 46-byte header (and name, extra, comment) per
//! entry; each entry's data follows its 30-byte local header. ZIP64 sizes and offsets in an
//! entry's extra field are read; a ZIP64 end record (more than 65 535 entries or over 4 GiB) is
//! refused.

use std::io::Read;

use super::{mib, UploadError, UploadLimits};

/// Most entries a zip may hold, folders and `__MACOSX/` entries included: a Shapefile has
/// at most 9 parts, so this leaves room for a few layers and a macOS archive's extras.
pub const MAX_ENTRIES: usize = 64;

/// Extensions of the parts of a Shapefile; `.shp.xml` is the metadata ArcGIS writes beside it.
const PARTS: [&str; 9] = [
    ".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".shp.xml",
];

/// One inflated part: its file name (without the folders it had in the zip) and contents.
#[derive(Debug)]
pub struct Part {
    pub name: String,
    pub data: Vec<u8>,
}

/// An entry of the central directory.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    name: String,
    flags: u16,
    method: u16,
    crc: u32,
    compressed: u64,
    uncompressed: u64,
    local_header: u64,
}

/// Checks the zip's directory, then inflates its Shapefile parts; the `.shp` comes first.
///
/// # Errors
/// [`UploadError::Unreadable`] for a zip that is not one or is corrupt,
/// [`UploadError::Refused`] for an entry that is not a Shapefile part or has an unsafe name,
/// is encrypted or uses another compression than deflate, [`UploadError::Unusable`] for no or
/// several `.shp`, [`UploadError::TooLarge`] over [`MAX_ENTRIES`] or
/// [`UploadLimits::max_uncompressed_bytes`].
///
/// # Cost
/// The directory check reads only the directory; the parts are then inflated in memory,
/// `max_uncompressed_bytes` at most.
pub fn shapefile_parts(zip: &[u8], limits: &UploadLimits) -> Result<Vec<Part>, UploadError> {
    let mut kept = Vec::new();
    let mut total = 0u64;
    for entry in central_directory(zip)? {
        let Some(name) = checked_name(&entry)? else {
            continue;
        };
        if entry.flags & 1 != 0 {
            return Err(UploadError::Refused(format!(
                "the zip entry {} is encrypted",
                shown(&entry.name)
            )));
        }
        if entry.method != 0 && entry.method != 8 {
            return Err(UploadError::Refused(format!(
                "the zip entry {} is compressed with method {}: only deflate and stored entries are read",
                shown(&entry.name),
                entry.method
            )));
        }
        if kept.iter().any(|(n, _): &(String, Entry)| n == &name) {
            return Err(UploadError::Refused(format!(
                "the zip holds two files named {}",
                shown(&name)
            )));
        }
        total = total.saturating_add(entry.uncompressed);
        kept.push((name, entry));
    }
    if total > limits.max_uncompressed_bytes {
        return Err(UploadError::TooLarge(format!(
            "the zip's files add up to {} uncompressed, more than {} (limit max_uncompressed_bytes = {})",
            mib(total),
            mib(limits.max_uncompressed_bytes),
            limits.max_uncompressed_bytes
        )));
    }
    let shp: Vec<&str> = kept
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| n.to_ascii_lowercase().ends_with(".shp"))
        .collect();
    match shp.len() {
        0 => return Err(UploadError::Unusable("the zip holds no .shp".into())),
        1 => {}
        _ => {
            return Err(UploadError::Unusable(format!(
                "the zip holds several .shp ({}): send one layer",
                shp.iter().map(|n| shown(n)).collect::<Vec<_>>().join(", ")
            )))
        }
    }
    kept.sort_by_key(|(n, _)| !n.to_ascii_lowercase().ends_with(".shp"));
    kept.into_iter()
        .map(|(name, entry)| {
            let data = inflate(zip, &entry)?;
            Ok(Part { name, data })
        })
        .collect()
}

/// The file name an entry is extracted to, `None` for what is skipped (folders, the
/// `__MACOSX/` copies macOS adds).
///
/// # Errors
/// An absolute name, a `..` component, or a file that is not a Shapefile part.
fn checked_name(entry: &Entry) -> Result<Option<String>, UploadError> {
    let name = entry.name.as_str();
    let components: Vec<&str> = name.split(['/', '\\']).collect();
    let absolute = name.starts_with(['/', '\\'])
        || name.as_bytes().get(1) == Some(&b':')
        || name.contains('\0');
    if name.is_empty() || absolute || components.contains(&"..") {
        return Err(UploadError::Refused(format!(
            "the zip entry {} has an unsafe path (absolute or with ..)",
            shown(name)
        )));
    }
    let file = components.last().copied().unwrap_or_default();
    if file.is_empty() || components[0] == "__MACOSX" {
        return Ok(None);
    }
    let lower = file.to_ascii_lowercase();
    if !PARTS
        .iter()
        .any(|ext| lower.ends_with(ext) && lower.len() > ext.len())
    {
        return Err(UploadError::Refused(format!(
            "the zip holds {}, which is not a Shapefile part (accepted: {})",
            shown(name),
            PARTS.join(", ")
        )));
    }
    Ok(Some(file.to_owned()))
}

/// A name as shown in a message: quoted, escaped, at most 100 characters.
fn shown(name: &str) -> String {
    if name.chars().count() > 100 {
        format!("{:?}…", name.chars().take(100).collect::<String>())
    } else {
        format!("{name:?}")
    }
}

fn corrupt(what: &str) -> UploadError {
    UploadError::Unreadable(format!(
        "the file cannot be read: it is not a valid zip ({what})"
    ))
}

/// Little-endian reads that fail instead of panicking past the end.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn slice(&self, at: usize, len: usize) -> Result<&[u8], UploadError> {
        at.checked_add(len)
            .and_then(|end| self.0.get(at..end))
            .ok_or_else(|| corrupt("truncated"))
    }

    fn u16(&self, at: usize) -> Result<u16, UploadError> {
        let b = self.slice(at, 2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&self, at: usize) -> Result<u32, UploadError> {
        let b = self.slice(at, 4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&self, at: usize) -> Result<u64, UploadError> {
        let b = self.slice(at, 8)?;
        Ok(u64::from_le_bytes([
            b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
        ]))
    }
}

const END_SIGNATURE: u32 = 0x0605_4b50;
const CENTRAL_SIGNATURE: u32 = 0x0201_4b50;
const LOCAL_SIGNATURE: u32 = 0x0403_4b50;

/// The entries of the central directory, in order.
///
/// # Errors
/// No end record, a ZIP64 or multi-disk zip, a directory that runs past the file, more than
/// [`MAX_ENTRIES`] entries.
fn central_directory(zip: &[u8]) -> Result<Vec<Entry>, UploadError> {
    let b = Bytes(zip);
    // The end record is the last 22 bytes but for a comment of at most 65 535 bytes.
    let earliest = zip.len().saturating_sub(22 + 0xFFFF);
    let end = (earliest..=zip.len().saturating_sub(22))
        .rev()
        .find(|&at| {
            b.u32(at).ok() == Some(END_SIGNATURE)
                && b.u16(at + 20)
                    .is_ok_and(|comment| at + 22 + usize::from(comment) <= zip.len())
        })
        .ok_or_else(|| corrupt("no end of central directory"))?;
    let (disk, directory_disk) = (b.u16(end + 4)?, b.u16(end + 6)?);
    let (on_disk, count) = (b.u16(end + 8)?, b.u16(end + 10)?);
    let (size, offset) = (b.u32(end + 12)?, b.u32(end + 16)?);
    if count == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
        return Err(UploadError::Refused(
            "the zip is a ZIP64 archive (over 65 535 files or 4 GiB), which a perimeter never needs"
                .into(),
        ));
    }
    if disk != 0 || directory_disk != 0 || on_disk != count {
        return Err(UploadError::Refused(
            "the zip is split over several files".into(),
        ));
    }
    if usize::from(count) > MAX_ENTRIES {
        return Err(UploadError::TooLarge(format!(
            "the zip holds {count} entries, more than {MAX_ENTRIES} (limit: {MAX_ENTRIES} entries in a zipped Shapefile)"
        )));
    }
    let directory = b.slice(offset as usize, size as usize)?;
    let d = Bytes(directory);
    let mut at = 0;
    let mut entries = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        if d.u32(at)? != CENTRAL_SIGNATURE {
            return Err(corrupt("bad central directory header"));
        }
        let name_len = usize::from(d.u16(at + 28)?);
        let extra_len = usize::from(d.u16(at + 30)?);
        let comment_len = usize::from(d.u16(at + 32)?);
        let name = String::from_utf8_lossy(d.slice(at + 46, name_len)?).into_owned();
        let extra = d.slice(at + 46 + name_len, extra_len)?;
        let mut entry = Entry {
            name,
            flags: d.u16(at + 8)?,
            method: d.u16(at + 10)?,
            crc: d.u32(at + 16)?,
            compressed: u64::from(d.u32(at + 20)?),
            uncompressed: u64::from(d.u32(at + 24)?),
            local_header: u64::from(d.u32(at + 42)?),
        };
        zip64_sizes(&mut entry, extra)?;
        entries.push(entry);
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(entries)
}

/// Replaces the sizes and offset marked 0xFFFFFFFF by their ZIP64 values (extra field 0x0001,
/// which holds only the marked ones, in this order).
fn zip64_sizes(entry: &mut Entry, extra: &[u8]) -> Result<(), UploadError> {
    const MARK: u64 = 0xFFFF_FFFF;
    if ![entry.uncompressed, entry.compressed, entry.local_header].contains(&MARK) {
        return Ok(());
    }
    let e = Bytes(extra);
    let mut at = 0;
    while at + 4 <= extra.len() {
        let (id, len) = (e.u16(at)?, usize::from(e.u16(at + 2)?));
        if id == 1 {
            let field = Bytes(e.slice(at + 4, len)?);
            let mut next = 0;
            for value in [
                &mut entry.uncompressed,
                &mut entry.compressed,
                &mut entry.local_header,
            ] {
                if *value == MARK {
                    *value = field.u64(next)?;
                    next += 8;
                }
            }
            return Ok(());
        }
        at += 4 + len;
    }
    Err(corrupt("ZIP64 sizes missing"))
}

/// The entry's data, inflated to its declared size and no further, its CRC checked.
fn inflate(zip: &[u8], entry: &Entry) -> Result<Vec<u8>, UploadError> {
    let b = Bytes(zip);
    let local = usize::try_from(entry.local_header).map_err(|_| corrupt("bad offset"))?;
    if b.u32(local)? != LOCAL_SIGNATURE {
        return Err(corrupt("bad local header"));
    }
    let header = 30 + usize::from(b.u16(local + 26)?) + usize::from(b.u16(local + 28)?);
    let start = local
        .checked_add(header)
        .ok_or_else(|| corrupt("bad offset"))?;
    let compressed = usize::try_from(entry.compressed).map_err(|_| corrupt("bad size"))?;
    let data = b.slice(start, compressed)?;
    let declared = usize::try_from(entry.uncompressed).map_err(|_| corrupt("bad size"))?;
    let out = if entry.method == 0 {
        data.to_vec()
    } else {
        let mut out = Vec::with_capacity(declared);
        flate2::read::DeflateDecoder::new(data)
            .take(entry.uncompressed.saturating_add(1))
            .read_to_end(&mut out)
            .map_err(|_| corrupt("bad deflate data"))?;
        out
    };
    if out.len() != declared {
        return Err(UploadError::Unreadable(format!(
            "the file cannot be read: the zip entry {} does not inflate to its declared size",
            shown(&entry.name)
        )));
    }
    let mut crc = flate2::Crc::new();
    crc.update(&out);
    if crc.sum() != entry.crc {
        return Err(UploadError::Unreadable(format!(
            "the file cannot be read: the zip entry {} fails its CRC check",
            shown(&entry.name)
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A zip of stored (or, with `deflate`, deflated) entries, written by hand from the
    /// specification.
    fn zip(entries: &[(&str, &[u8])], deflate: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let mut directory = Vec::new();
        for (name, data) in entries {
            let body = if deflate {
                let mut e =
                    flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
                std::io::Write::write_all(&mut e, data).unwrap();
                e.finish().unwrap()
            } else {
                data.to_vec()
            };
            let mut crc = flate2::Crc::new();
            crc.update(data);
            let method: u16 = if deflate { 8 } else { 0 };
            let offset = out.len() as u32;
            let common = |h: &mut Vec<u8>| {
                h.extend(20u16.to_le_bytes()); // version needed
                h.extend(0u16.to_le_bytes()); // flags
                h.extend(method.to_le_bytes());
                h.extend([0; 4]); // time, date
                h.extend(crc.sum().to_le_bytes());
                h.extend((body.len() as u32).to_le_bytes());
                h.extend((data.len() as u32).to_le_bytes());
                h.extend((name.len() as u16).to_le_bytes());
                h.extend(0u16.to_le_bytes()); // extra
            };
            out.extend(LOCAL_SIGNATURE.to_le_bytes());
            common(&mut out);
            out.extend(name.as_bytes());
            out.extend(&body);
            directory.extend(CENTRAL_SIGNATURE.to_le_bytes());
            directory.extend(20u16.to_le_bytes()); // version made by
            common(&mut directory);
            directory.extend([0; 6]); // comment, disk, internal attributes
            directory.extend([0; 4]); // external attributes
            directory.extend(offset.to_le_bytes());
            directory.extend(name.as_bytes());
        }
        let offset = out.len() as u32;
        out.extend(&directory);
        out.extend(END_SIGNATURE.to_le_bytes());
        out.extend([0; 4]);
        out.extend((entries.len() as u16).to_le_bytes());
        out.extend((entries.len() as u16).to_le_bytes());
        out.extend((directory.len() as u32).to_le_bytes());
        out.extend(offset.to_le_bytes());
        out.extend(0u16.to_le_bytes());
        out
    }

    fn limits() -> UploadLimits {
        UploadLimits::default()
    }

    #[test]
    fn parts_are_inflated_shp_first_without_their_folders() {
        for deflate in [false, true] {
            let z = zip(
                &[
                    ("ort/ort.dbf", b"dbf"),
                    ("ort/", b""),
                    ("ort/ort.shp", &[7; 1000]),
                    ("__MACOSX/ort/._ort.shp", b"resource fork"),
                ],
                deflate,
            );
            let parts = shapefile_parts(&z, &limits()).unwrap();
            let names: Vec<&str> = parts.iter().map(|p| p.name.as_str()).collect();
            assert_eq!(names, ["ort.shp", "ort.dbf"]);
            assert_eq!(parts[0].data, vec![7; 1000]);
            assert_eq!(parts[1].data, b"dbf");
        }
    }

    #[test]
    fn garbage_and_truncated_zips_are_clear_errors() {
        let good = zip(&[("a.shp", b"shape"), ("a.dbf", b"table")], true);
        let mut cases: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"not a zip".to_vec(),
            vec![0; 100],
            END_SIGNATURE.to_le_bytes().to_vec(),
        ];
        // Every truncation: the end record is lost or points past the end.
        cases.extend((0..good.len()).map(|n| good[..n].to_vec()));
        // An entry's deflated data damaged, the directory intact.
        let mut cut = good.clone();
        cut[36] ^= 0xFF;
        cases.push(cut);
        for bytes in cases {
            match shapefile_parts(&bytes, &limits()) {
                Err(UploadError::Unreadable(m)) => assert!(m.contains("cannot be read"), "{m}"),
                other => panic!("{} bytes: {other:?}", bytes.len()),
            }
        }
    }

    #[test]
    fn unsafe_names_and_foreign_files_are_refused() {
        for name in [
            "../a.shp",
            "x/../../a.shp",
            "/etc/a.shp",
            "C:\\a.shp",
            "..\\a.shp",
            "layer.vrt",
            "a.shp.vrt",
            "a.gpkg",
            ".shp",
        ] {
            let z = zip(&[(name, b"x"), ("a.shp", b"shape")], false);
            match shapefile_parts(&z, &limits()) {
                Err(UploadError::Refused(m)) => assert!(m.contains(&format!("{name:?}")), "{m}"),
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    #[test]
    fn no_or_several_shp_and_duplicates() {
        let z = zip(&[("a.dbf", b"x")], false);
        assert!(
            matches!(shapefile_parts(&z, &limits()), Err(UploadError::Unusable(m)) if m.contains("no .shp"))
        );
        let z = zip(&[("a.shp", b"x"), ("b.SHP", b"y")], false);
        assert!(
            matches!(shapefile_parts(&z, &limits()), Err(UploadError::Unusable(m)) if m.contains("several .shp"))
        );
        let z = zip(&[("a/a.shp", b"x"), ("b/a.shp", b"y")], false);
        assert!(
            matches!(shapefile_parts(&z, &limits()), Err(UploadError::Refused(m)) if m.contains("two files"))
        );
    }

    #[test]
    fn caps_are_checked_from_the_directory() {
        let z = zip(&[("a.shp", &[0; 600]), ("a.dbf", &[0; 600])], true);
        let small = UploadLimits {
            max_uncompressed_bytes: 1000,
            ..limits()
        };
        match shapefile_parts(&z, &small) {
            Err(UploadError::TooLarge(m)) => {
                assert!(m.contains("limit max_uncompressed_bytes = 1000"), "{m}")
            }
            other => panic!("{other:?}"),
        }
        let many: Vec<(String, &[u8])> = (0..=MAX_ENTRIES)
            .map(|i| (format!("{i}.dbf"), &b"x"[..]))
            .collect();
        let many: Vec<(&str, &[u8])> = many.iter().map(|(n, d)| (n.as_str(), *d)).collect();
        match shapefile_parts(&zip(&many, false), &limits()) {
            Err(UploadError::TooLarge(m)) => assert!(m.contains("more than 64"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    /// A declared size smaller than what the data inflates to: inflating stops one byte past it.
    #[test]
    fn a_lying_size_is_corrupt_not_inflated() {
        let mut z = zip(&[("a.shp", &[0; 10_000])], true);
        // The central directory's uncompressed size (offset 24 in the header).
        let directory = z.len() - 22 - 46 - "a.shp".len();
        z[directory + 24..directory + 28].copy_from_slice(&10u32.to_le_bytes());
        match shapefile_parts(&z, &limits()) {
            Err(UploadError::Unreadable(m)) => assert!(m.contains("declared size"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    /// A zip of one entry's directory header and nothing else, its uncompressed size and extra
    /// field as given.
    fn directory_only(uncompressed: u32, extra: &[u8]) -> Vec<u8> {
        let mut z = CENTRAL_SIGNATURE.to_le_bytes().to_vec();
        z.extend([20, 0, 20, 0, 0, 0, 8, 0, 0, 0, 0, 0]); // versions, flags, deflate, time
        z.extend([0; 4]); // CRC
        z.extend(100u32.to_le_bytes());
        z.extend(uncompressed.to_le_bytes());
        z.extend(5u16.to_le_bytes());
        z.extend((extra.len() as u16).to_le_bytes());
        z.extend([0; 14]); // comment, disk, attributes, local header at 0
        z.extend(b"a.shp");
        z.extend(extra);
        let size = z.len() as u32;
        z.extend(END_SIGNATURE.to_le_bytes());
        z.extend([0, 0, 0, 0, 1, 0, 1, 0]);
        z.extend(size.to_le_bytes());
        z.extend([0; 6]); // directory at 0, no comment
        z
    }

    #[test]
    fn zip64_sizes_are_read_from_the_extra_field() {
        let mut extra = vec![1, 0, 8, 0];
        extra.extend((8u64 << 30).to_le_bytes());
        match shapefile_parts(&directory_only(u32::MAX, &extra), &limits()) {
            Err(UploadError::TooLarge(m)) => assert!(m.contains("8192 MiB"), "{m}"),
            other => panic!("{other:?}"),
        }
        match shapefile_parts(&directory_only(u32::MAX, &[]), &limits()) {
            Err(UploadError::Unreadable(m)) => assert!(m.contains("ZIP64"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let _ = shapefile_parts(&bytes, &limits());
        }

        #[test]
        fn never_panics_on_a_damaged_zip(at in 0usize..200, value in proptest::num::u8::ANY) {
            let mut z = zip(&[("a.shp", b"shape"), ("a.dbf", b"table")], true);
            let at = at % z.len();
            z[at] = value;
            let _ = shapefile_parts(&z, &limits());
        }
    }
}
