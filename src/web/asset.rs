//! One file of the web UI ready to send: its media type, a strong entity tag from its content,
//! and, for text, its gzip and brotli forms, compressed once when the file is first asked for.

use std::time::SystemTime;

use xxhash_rust::xxh3::xxh3_64;

/// A web file as it is sent.
#[derive(Debug)]
pub struct Asset {
    /// The bytes, uncompressed.
    pub body: Vec<u8>,
    /// The gzip form (text files only).
    pub gzip: Option<Vec<u8>>,
    /// The brotli form (text files only).
    pub brotli: Option<Vec<u8>>,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// The content hash (16 hex digits), the strong entity tag without its quotes.
    pub hash: String,
    /// When the file last changed (the file's time on disk, the build's for embedded files).
    pub modified: Option<SystemTime>,
}

impl Asset {
    /// Prepares a file named `name` (its extension gives the media type).
    ///
    /// # Runtime
    /// Compresses text once: about 1 s for MapLibre's 1.1 MB script in a debug build, a few
    /// milliseconds for the UI's own files.
    pub fn new(name: &str, body: Vec<u8>, modified: Option<SystemTime>) -> Self {
        let (content_type, text) = media_type(name);
        let hash = format!("{:016x}", xxh3_64(&body));
        let (gzip, brotli) = if text {
            (Some(gzip(&body)), Some(brotli(&body)))
        } else {
            (None, None)
        };
        Self {
            body,
            gzip,
            brotli,
            content_type,
            hash,
            modified,
        }
    }

    /// Bytes held, all forms together.
    pub fn weight(&self) -> usize {
        self.body.len()
            + self.gzip.as_ref().map_or(0, Vec::len)
            + self.brotli.as_ref().map_or(0, Vec::len)
    }
}

/// The media type of a file name, and whether it is text (worth compressing).
pub fn media_type(name: &str) -> (&'static str, bool) {
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    match ext.to_ascii_lowercase().as_str() {
        "html" | "htm" => ("text/html; charset=utf-8", true),
        "js" | "mjs" => ("text/javascript; charset=utf-8", true),
        "css" => ("text/css; charset=utf-8", true),
        "svg" => ("image/svg+xml", true),
        "json" => ("application/json", true),
        "txt" | "md" => ("text/plain; charset=utf-8", true),
        "png" => ("image/png", false),
        "jpg" | "jpeg" => ("image/jpeg", false),
        "ico" => ("image/x-icon", false),
        "woff2" => ("font/woff2", false),
        "ttf" => ("font/ttf", false),
        // No extension: MapLibre's VERSION file.
        "" => ("text/plain; charset=utf-8", true),
        _ => ("application/octet-stream", false),
    }
}

fn gzip(body: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 3),
        flate2::Compression::best(),
    );
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(body);
    encoder.finish().unwrap_or_default()
}

fn brotli(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() / 4);
    let params = brotli::enc::BrotliEncoderParams {
        quality: 9,
        lgwin: 22,
        ..Default::default()
    };
    // Reading from a slice and writing into a Vec cannot fail.
    let _ = brotli::BrotliCompress(&mut &body[..], &mut out, &params);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn text_is_compressed_in_both_forms_and_decompresses_to_itself() {
        let body = "const a = 1;\n".repeat(500).into_bytes();
        let asset = Asset::new("js/a.js", body.clone(), None);
        assert_eq!(asset.content_type, "text/javascript; charset=utf-8");
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(asset.gzip.as_deref().expect("gzip"))
            .read_to_end(&mut out)
            .expect("gunzip");
        assert_eq!(out, body);
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut asset.brotli.as_deref().expect("br"), &mut out)
            .expect("unbrotli");
        assert_eq!(out, body);
        assert!(Asset::new("a.png", vec![1, 2, 3], None).gzip.is_none());
    }

    #[test]
    fn media_types() {
        assert_eq!(media_type("a.mjs").0, "text/javascript; charset=utf-8");
        assert_eq!(media_type("a.CSS").0, "text/css; charset=utf-8");
        assert_eq!(media_type("favicon.svg").0, "image/svg+xml");
        assert_eq!(media_type("index.html").0, "text/html; charset=utf-8");
        assert_eq!(media_type("x.json").0, "application/json");
        assert_eq!(media_type("x.bin").0, "application/octet-stream");
    }
}
