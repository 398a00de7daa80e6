//! Glyphs for map labels, as MapLibre and Mapbox GL read them: signed distance fields (SDF) of
//! the glyphs of one range of 256 code points, in the `glyphs.proto` protobuf message, rendered
//! with FreeType (`pbf_font_tools`) from the fonts compiled into the binary (`fonts/`: Noto Sans
//! Regular, OFL; DejaVu Sans, Bitstream Vera licence).
//!
//! A font stack names several fonts, comma-separated: each code point is taken from the first
//! font that has it. Each font's rendered ranges are kept in a cache bounded in bytes.
//!
//! Glyphs are rendered at 24 px with a 3-pixel border (a bitmap is `(width + 6) × (height + 6)`
//! bytes) and an 8-pixel radius, as node-fontnik and Martin do.

use std::sync::Arc;

use pbf_font_tools::prost::Message;
use pbf_font_tools::{freetype, Fontstack, Glyphs};

/// Pixel size of the rendered glyphs.
const SIZE: usize = 24;
/// Pixels from the outline over which distances are recorded.
const RADIUS: usize = 8;
/// The share of the byte range given to distances inside the outline.
const CUTOFF: f64 = 0.25;
/// Code points per range.
pub const RANGE: u32 = 256;
/// The last range's start (Unicode ends at U+10FFFF).
const LAST_START: u32 = 0x10_FF00;
/// Bytes of rendered ranges kept.
const CACHE_BYTES: u64 = 32 << 20;

/// A font compiled into the binary.
#[derive(Debug)]
pub struct Font {
    /// The name a style gives in `text-font` (FreeType's family and style names).
    pub name: &'static str,
    /// Family name.
    pub family: &'static str,
    /// Style name.
    pub style: &'static str,
    data: &'static [u8],
}

/// The fonts served, in the order `/fonts.json` lists them.
pub const FONTS: [Font; 2] = [
    Font {
        name: "Noto Sans Regular",
        family: "Noto Sans",
        style: "Regular",
        data: include_bytes!("../../fonts/NotoSans-Regular.ttf"),
    },
    Font {
        name: "DejaVu Sans Book",
        family: "DejaVu Sans",
        style: "Book",
        data: include_bytes!("../../fonts/DejaVuSans.ttf"),
    },
];

/// The font stack the style names: Noto Sans, DejaVu Sans for what it lacks (symbols, arrows).
pub const STYLE_FONT_STACK: [&str; 2] = [FONTS[0].name, FONTS[1].name];

/// What a glyph request can get wrong.
#[derive(Debug, thiserror::Error)]
pub enum GlyphError {
    /// The range is not `start-end` with `start` a multiple of 256 and `end = start + 255`.
    #[error("the glyph range {0:?} is not start-end with start a multiple of 256 (up to 1113856) and end = start + 255, e.g. 0-255")]
    BadRange(String),
    /// The font stack names a font that is not served.
    #[error("no font named {0:?} (see /fonts.json)")]
    UnknownFont(String),
    /// The font stack is empty.
    #[error("the font stack names no font")]
    EmptyStack,
    /// FreeType failed on a font compiled into the binary.
    #[error("cannot render the glyphs of {font}")]
    Render {
        /// The font.
        font: &'static str,
        /// FreeType's error.
        #[source]
        source: pbf_font_tools::PbfFontError,
    },
}

/// The first code point of a range written `start-end` (a `.pbf` extension removed before).
///
/// # Errors
/// [`GlyphError::BadRange`] unless `start` is a multiple of 256 up to U+10FF00 and `end` is
/// `start + 255`.
pub fn parse_range(text: &str) -> Result<u32, GlyphError> {
    let bad = || GlyphError::BadRange(text.to_owned());
    let (a, b) = text.split_once('-').ok_or_else(bad)?;
    let digits = |s: &str| !s.is_empty() && s.len() <= 7 && s.bytes().all(|c| c.is_ascii_digit());
    if !digits(a) || !digits(b) {
        return Err(bad());
    }
    let start: u32 = a.parse().map_err(|_| bad())?;
    let end: u32 = b.parse().map_err(|_| bad())?;
    if start % RANGE != 0 || start > LAST_START || end != start + RANGE - 1 {
        return Err(bad());
    }
    Ok(start)
}

/// The fonts of a stack (`A,B`), by index into [`FONTS`].
///
/// # Errors
/// [`GlyphError::UnknownFont`] naming the first unknown font, [`GlyphError::EmptyStack`].
pub fn parse_stack(text: &str) -> Result<Vec<usize>, GlyphError> {
    let mut fonts = Vec::new();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let index = FONTS
            .iter()
            .position(|f| f.name == name)
            .ok_or_else(|| GlyphError::UnknownFont(name.to_owned()))?;
        if !fonts.contains(&index) {
            fonts.push(index);
        }
    }
    if fonts.is_empty() {
        return Err(GlyphError::EmptyStack);
    }
    Ok(fonts)
}

/// Renders and caches glyph ranges.
pub struct GlyphCache {
    ranges: moka::sync::Cache<(usize, u32), Arc<Fontstack>>,
}

impl std::fmt::Debug for GlyphCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GlyphCache")
            .field("ranges", &self.ranges.entry_count())
            .finish()
    }
}

impl Default for GlyphCache {
    fn default() -> Self {
        Self::new()
    }
}

impl GlyphCache {
    /// An empty cache of 32 MiB.
    pub fn new() -> Self {
        Self {
            ranges: moka::sync::Cache::builder()
                .max_capacity(CACHE_BYTES)
                .weigher(|_, stack: &Arc<Fontstack>| {
                    let bytes: usize = stack
                        .glyphs
                        .iter()
                        .map(|g| g.bitmap.as_ref().map_or(0, Vec::len) + 32)
                        .sum();
                    u32::try_from(bytes).unwrap_or(u32::MAX)
                })
                .build(),
        }
    }

    /// The PBF of the range starting at `start` for the fonts given (see [`parse_stack`]): one
    /// font stack named after them, each code point from the first font that has it.
    ///
    /// # Errors
    /// [`GlyphError::Render`] when FreeType fails.
    ///
    /// # Runtime
    /// A range not yet rendered: about 10–50 ms per font (release); then a copy and an encoding.
    pub fn pbf(&self, fonts: &[usize], start: u32) -> Result<Vec<u8>, GlyphError> {
        let mut stack = Fontstack {
            name: fonts
                .iter()
                .map(|&i| FONTS[i].name)
                .collect::<Vec<_>>()
                .join(", "),
            range: format!("{start}-{}", start + RANGE - 1),
            glyphs: Vec::new(),
        };
        let mut taken = std::collections::HashSet::new();
        for &font in fonts {
            let rendered = self.range(font, start)?;
            for glyph in &rendered.glyphs {
                if taken.insert(glyph.id) {
                    stack.glyphs.push(glyph.clone());
                }
            }
        }
        stack.glyphs.sort_by_key(|g| g.id);
        Ok(Glyphs {
            stacks: vec![stack],
        }
        .encode_to_vec())
    }

    /// One font's range, from the cache or rendered (two first requests at once may both
    /// render it).
    fn range(&self, font: usize, start: u32) -> Result<Arc<Fontstack>, GlyphError> {
        if let Some(stack) = self.ranges.get(&(font, start)) {
            return Ok(stack);
        }
        let stack = Arc::new(render(&FONTS[font], start)?);
        self.ranges.insert((font, start), stack.clone());
        Ok(stack)
    }
}

/// The glyphs of one font in one range (only the code points it has).
fn render(font: &Font, start: u32) -> Result<Fontstack, GlyphError> {
    with_face(font, |face| {
        pbf_font_tools::glyph_range_for_face(face, start, start + RANGE - 1, SIZE, RADIUS, CUTOFF)
    })
}

/// How many code points a font has.
///
/// # Errors
/// [`GlyphError::Render`] when FreeType cannot open it.
pub fn coverage(font: &Font) -> Result<usize, GlyphError> {
    with_face(font, |face| Ok(face.chars().count()))
}

/// Opens a font with FreeType (a library of its own, living as long as the face) and hands its
/// face to `use_face`; every failure is a [`GlyphError::Render`] naming the font.
fn with_face<T>(
    font: &Font,
    use_face: impl FnOnce(&freetype::Face) -> Result<T, pbf_font_tools::PbfFontError>,
) -> Result<T, GlyphError> {
    let failed = |source| GlyphError::Render {
        font: font.name,
        source,
    };
    let library = freetype::Library::init().map_err(|e| failed(e.into()))?;
    let face = library
        .new_memory_face(font.data.to_vec(), 0)
        .map_err(|e| failed(e.into()))?;
    use_face(&face).map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_256_code_points_on_a_multiple_of_256() {
        assert_eq!(parse_range("0-255").expect("valid"), 0);
        assert_eq!(parse_range("65280-65535").expect("valid"), 65280);
        assert_eq!(parse_range("1113856-1114111").expect("valid"), LAST_START);
        for bad in [
            "1-256",
            "0-256",
            "0-254",
            "256-0",
            "-255",
            "0-",
            "a-b",
            "0_255",
            "",
            "1114112-1114367",
            "+0-255",
            "99999999999-100000000254",
        ] {
            assert!(
                matches!(parse_range(bad), Err(GlyphError::BadRange(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn stacks_name_served_fonts() {
        assert_eq!(parse_stack("Noto Sans Regular").expect("known"), [0]);
        assert_eq!(
            parse_stack("DejaVu Sans Book, Noto Sans Regular").expect("known"),
            [1, 0]
        );
        assert!(
            matches!(parse_stack("Arial Unicode MS Regular"), Err(GlyphError::UnknownFont(n)) if n == "Arial Unicode MS Regular")
        );
        assert!(matches!(parse_stack(" , "), Err(GlyphError::EmptyStack)));
    }

    /// The names written above are the ones FreeType reads from the files.
    #[test]
    fn font_names_are_freetypes() {
        let library = freetype::Library::init().expect("freetype");
        for font in &FONTS {
            let face = library
                .new_memory_face(font.data.to_vec(), 0)
                .expect("face");
            assert_eq!(face.family_name().as_deref(), Some(font.family));
            assert_eq!(face.style_name().as_deref(), Some(font.style));
            assert_eq!(font.name, format!("{} {}", font.family, font.style));
        }
    }
}
