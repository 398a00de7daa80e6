//! Search of places by name or code, accent- and case-insensitive, over the layers that declare
//! `[search]` (the communes: `name = "nom"`, `code = "code"`; EPCIs by name or SIREN, départements
//! by name or number).
//!
//! Names are folded once at load (lower case, accents and ligatures removed, apostrophes and
//! hyphens as spaces); a query is folded the same way and ranked: exact code, exact name, name
//! prefix, word prefix, then substring; shorter names first within a rank. A query's
//! intercommunality abbreviations ("CA", "CC", "CU") also match the names written out.

use geo::{BoundingRect, InteriorPoint};
use serde::Serialize;

use crate::layer::{Layer, Value};

/// Folds text for comparison: `"Liévin"` and `"LIEVIN"` both give `"lievin"`;
/// `"Saint-Omer"` gives `"saint omer"`.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        let mapped = match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' => "a",
            'ç' => "c",
            'é' | 'è' | 'ê' | 'ë' => "e",
            'î' | 'ï' | 'í' | 'ì' => "i",
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' => "o",
            'ù' | 'û' | 'ü' | 'ú' => "u",
            'ÿ' | 'ý' => "y",
            'ñ' => "n",
            'œ' => "oe",
            'æ' => "ae",
            '\'' | '’' | '-' | '_' | '.' | ',' | '/' => " ",
            _ => {
                out.push(c);
                continue;
            }
        };
        out.push_str(mapped);
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Abbreviations of intercommunalities' names (folded), as people type them: "CA de Lens" for
/// "Communauté d'agglomération de Lens - Liévin".
const ABBREVIATIONS: [(&str, &str); 5] = [
    ("ca", "communaute d agglomeration"),
    ("cc", "communaute de communes"),
    ("cu", "communaute urbaine"),
    ("com com", "communaute de communes"),
    ("agglo", "communaute d agglomeration"),
];

/// A folded query with its abbreviations written out (the query itself when it has none).
fn expand(q: &str) -> String {
    let mut words = format!(" {q} ");
    for (short, long) in ABBREVIATIONS {
        words = words.replace(&format!(" {short} "), &format!(" {long} "));
    }
    words.trim().to_owned()
}

/// The folded names and codes of one layer.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct SearchIndex {
    entries: Vec<(u32, String, String)>,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// The layer.
    pub layer: String,
    /// The feature id.
    pub id: u32,
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// A point inside it, WGS84 `[lon, lat]`.
    pub center: [f64; 2],
    /// Its bounds, WGS84 `[west, south, east, north]`.
    pub bbox: [f64; 4],
}

impl SearchIndex {
    /// Folds the names and codes of a layer's features.
    pub fn build(layer: &Layer, name: usize, code: usize) -> Self {
        let text = |v: Option<Value>| v.and_then(|v| v.as_key()).unwrap_or_default();
        let entries = layer
            .features()
            .map(|f| {
                (
                    f.id,
                    fold(&text(f.get(name))),
                    text(f.get(code)).to_lowercase(),
                )
            })
            .collect();
        Self { entries }
    }

    /// The best matches of a query, at most `limit`, with their rank (0 is best).
    ///
    /// # Runtime
    /// A scan of the folded names: about 35,000 for all French communes.
    pub fn search(&self, query: &str, limit: usize) -> Vec<(u8, u32)> {
        let q = fold(query);
        let code_q = query.trim().to_lowercase();
        if q.is_empty() {
            return Vec::new();
        }
        let long = expand(&q);
        let rank_name = |name: &str, q: &str| {
            if name == q {
                Some(1)
            } else if name.starts_with(q) {
                Some(2)
            } else if name.split(' ').any(|w| w.starts_with(q)) {
                Some(3)
            } else if name.contains(q) {
                Some(4)
            } else {
                None
            }
        };
        let mut ranked: Vec<(u8, usize, u32)> = self
            .entries
            .iter()
            .filter_map(|(id, name, code)| {
                let rank = if *code == code_q {
                    0
                } else {
                    let by_name = rank_name(name, &q);
                    let by_long = (long != q).then(|| rank_name(name, &long)).flatten();
                    let by_code = (code_q.len() >= 2 && code.starts_with(&code_q)).then_some(4);
                    [by_name, by_long, by_code].into_iter().flatten().min()?
                };
                Some((rank, name.len(), *id))
            })
            .collect();
        ranked.sort_unstable();
        ranked
            .into_iter()
            .take(limit)
            .map(|(r, _, id)| (r, id))
            .collect()
    }
}

/// The hit for a feature.
pub fn hit(layer: &Layer, id: u32, name: usize, code: usize) -> Option<Hit> {
    let f = layer.feature(id)?;
    let text = |i: usize| f.get(i).and_then(|v| v.as_key()).unwrap_or_default();
    let center = f.wgs84.interior_point()?;
    let b = f.wgs84.bounding_rect()?;
    Some(Hit {
        layer: layer.id().to_owned(),
        id,
        code: text(code),
        name: text(name),
        center: [center.x(), center.y()],
        bbox: [b.min().x, b.min().y, b.max().x, b.max().y],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviations_are_written_out() {
        assert_eq!(expand("ca de lens"), "communaute d agglomeration de lens");
        assert_eq!(expand("cc du pays"), "communaute de communes du pays");
        assert_eq!(expand("lens"), "lens");
        // Only whole words: "cache" and "ocean" stay.
        assert_eq!(expand("cache ocean"), "cache ocean");
    }

    #[test]
    fn folding() {
        assert_eq!(fold("Liévin"), "lievin");
        assert_eq!(fold("LIÉVIN"), "lievin");
        assert_eq!(fold("Saint-Omer"), "saint omer");
        assert_eq!(fold("L'Isle-sur-le-Doubs"), "l isle sur le doubs");
        assert_eq!(fold("  Œuilly "), "oeuilly");
        assert_eq!(fold("Besançon"), "besancon");
    }
}
