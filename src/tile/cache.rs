//! A memory-bounded cache of rendered tiles (moka, weighed in bytes), emptied per layer when that
//! layer reloads. Each entry holds the tile, its gzip form and its strong ETag.

use std::io::Write;
use std::sync::Arc;

use axum::body::Bytes;
use flate2::write::GzEncoder;
use flate2::Compression;

use super::TileCoord;

/// What a cached tile is for: the requested layer list (as in the URL), the generations of
/// those layers (so that a tile rendered from a catalogue a reload has replaced is never served
/// for the new one) and the tile address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TileKey {
    /// Layer ids joined by commas, in request order.
    pub layers: Arc<str>,
    /// The layers' generations ([`crate::Catalog::layer_generation`]), folded into one.
    pub generations: u64,
    /// The tile.
    pub tile: TileCoord,
}

impl TileKey {
    /// The key of a tile of these layers, at these generations (in the same order).
    pub fn new(
        layers: Arc<str>,
        generations: impl IntoIterator<Item = u64>,
        tile: TileCoord,
    ) -> Self {
        let generations = generations
            .into_iter()
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, g| {
                (h ^ g).wrapping_mul(0x0000_0100_0000_01b3)
            });
        Self {
            layers,
            generations,
            tile,
        }
    }

    fn involves(&self, ids: &[String]) -> bool {
        self.layers.split(',').any(|l| ids.iter().any(|id| id == l))
    }
}

/// A rendered tile.
#[derive(Debug)]
pub struct Rendered {
    /// The MVT bytes; empty when no layer has anything in the tile.
    pub body: Bytes,
    /// The same, gzip-compressed.
    pub gzip: Bytes,
    /// Strong ETag (quoted), from a hash of `body`.
    pub etag: String,
}

impl Rendered {
    /// Compresses and fingerprints a tile.
    pub fn new(body: Vec<u8>) -> Self {
        let gzip = if body.is_empty() {
            Vec::new()
        } else {
            let mut encoder =
                // Level 2: tiles are compressed as they are rendered (about 3 times quicker than
                // the default level, for 5–8 % more bytes; zlib-rs's level 1 is quicker still
                // but gives a tenth more bytes than level 2).
                GzEncoder::new(Vec::with_capacity(body.len() / 2), Compression::new(2));
            // Writing to a Vec cannot fail.
            let _ = encoder.write_all(&body);
            encoder.finish().unwrap_or_default()
        };
        let etag = format!("\"{:016x}-{:x}\"", fnv1a(&body), body.len());
        Self {
            body: Bytes::from(body),
            gzip: Bytes::from(gzip),
            etag,
        }
    }

    fn weight(&self) -> u32 {
        u32::try_from(self.body.len() + self.gzip.len() + self.etag.len() + 64).unwrap_or(u32::MAX)
    }
}

/// FNV-1a, 64 bits: stable across runs and builds, unlike std's hasher.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The tile cache.
#[derive(Debug, Clone)]
pub struct TileCache {
    cache: moka::sync::Cache<TileKey, Arc<Rendered>>,
}

impl TileCache {
    /// A cache holding at most `max_bytes` of tiles (0 disables caching).
    pub fn new(max_bytes: u64) -> Self {
        Self {
            cache: moka::sync::Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|_, v: &Arc<Rendered>| v.weight())
                .support_invalidation_closures()
                .build(),
        }
    }

    /// The cached tile, or renders, stores and returns it. Concurrent requests for the same
    /// missing tile render it once.
    pub fn get_or_render(&self, key: TileKey, render: impl FnOnce() -> Vec<u8>) -> Arc<Rendered> {
        self.cache
            .get_with(key, || Arc::new(Rendered::new(render())))
    }

    /// Drops every cached tile that involves one of these layers.
    pub fn invalidate_layers(&self, ids: &[String]) {
        let ids = ids.to_vec();
        if let Err(e) = self
            .cache
            .invalidate_entries_if(move |key, _| key.involves(&ids))
        {
            // Only possible without `support_invalidation_closures`; empty everything instead.
            tracing::warn!(error = %e, "emptying the whole tile cache");
            self.cache.invalidate_all();
        }
    }

    /// Whether a tile is cached (after pending maintenance).
    pub fn contains(&self, key: &TileKey) -> bool {
        self.cache.run_pending_tasks();
        self.cache.contains_key(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(layers: &str) -> TileKey {
        TileKey::new(layers.into(), [1, 2], TileCoord::try_new(1, 0, 0).unwrap())
    }

    #[test]
    fn renders_once_and_invalidates_by_layer() {
        let cache = TileCache::new(1 << 20);
        let mut calls = 0;
        cache.get_or_render(key("a,b"), || {
            calls += 1;
            vec![1, 2, 3]
        });
        let again = cache.get_or_render(key("a,b"), || {
            calls += 1;
            vec![9]
        });
        assert_eq!(calls, 1);
        assert_eq!(&again.body[..], &[1, 2, 3]);
        cache.get_or_render(key("c"), Vec::new);
        cache.invalidate_layers(&["b".to_owned()]);
        assert!(!cache.contains(&key("a,b")));
        assert!(cache.contains(&key("c")));
    }

    #[test]
    fn etag_is_stable_and_gzip_round_trips() {
        let a = Rendered::new(b"tile".to_vec());
        let b = Rendered::new(b"tile".to_vec());
        assert_eq!(a.etag, b.etag);
        assert_ne!(a.etag, Rendered::new(b"tilf".to_vec()).etag);
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&a.gzip[..]), &mut out)
            .unwrap();
        assert_eq!(out, b"tile");
    }
}
