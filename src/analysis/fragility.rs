//! Residence fragility (*qualification du parc*, as Lens-Liévin's landlords and communes rated
//! their stock together): a score from 0 to 100 per social residence, the weighted sum of four
//! named components, each normalised to 0..1 and kept beside the score so it explains itself.
//!
//! | component | property | 0 | 1 |
//! |---|---|---|---|
//! | vacancy | `frag_vacance` | no vacant dwelling | ≥ 10 % of the dwellings vacant (`vacants / logements`) |
//! | energy | `frag_dpe` | no F or G label | every dwelling F or G (`(dpe_F + dpe_G) / logements`) |
//! | age | `frag_age` | built ≤ 15 years ago | built ≥ 65 years ago (linear between) |
//! | QPV | `frag_qpv` | outside | in a quartier prioritaire (`en_qpv`) |
//!
//! `fragilite = 100 × (0.35 vacancy + 0.30 energy + 0.20 age + 0.15 QPV)`. A missing input counts
//! 0 for its component. The reference year is [`REFERENCE_YEAR`].

use crate::config::PropType;
use crate::layer::table::ColumnBuilder;
use crate::layer::{Layer, Property, Value};

/// Year from which building age is counted.
pub const REFERENCE_YEAR: f64 = 2026.0;
/// Weights of vacancy, energy, age and QPV; they sum to 1.
pub const WEIGHTS: [f64; 4] = [0.35, 0.30, 0.20, 0.15];
/// The properties added, score first.
pub const PROPERTIES: [&str; 5] = [
    "fragilite",
    "frag_vacance",
    "frag_dpe",
    "frag_age",
    "frag_qpv",
];

/// The four components of one residence, each in 0..=1.
pub fn components(
    dwellings: f64,
    vacant: f64,
    dpe_fg: f64,
    year: Option<f64>,
    in_qpv: bool,
) -> [f64; 4] {
    let share = |part: f64| {
        if dwellings > 0.0 {
            part / dwellings
        } else {
            0.0
        }
    };
    [
        (share(vacant) / 0.10).clamp(0.0, 1.0),
        share(dpe_fg).clamp(0.0, 1.0),
        year.map_or(0.0, |y| {
            ((REFERENCE_YEAR - y - 15.0) / 50.0).clamp(0.0, 1.0)
        }),
        if in_qpv { 1.0 } else { 0.0 },
    ]
}

/// The score of some components, 0..=100, one decimal.
pub fn score(c: &[f64; 4]) -> f64 {
    let s: f64 = c.iter().zip(WEIGHTS).map(|(c, w)| c * w).sum();
    (1000.0 * s).round() / 10.0
}

fn round2(v: f64) -> f64 {
    (100.0 * v).round() / 100.0
}

/// Adds the score and its components to every feature of a residences layer that has the inputs
/// (`logements`); a layer without them is left as it is.
pub fn enrich(layer: &mut Layer) {
    let index = |name: &str| layer.property_index(name);
    let Some(dwellings) = index("logements") else {
        return;
    };
    let (vacant, f, g, year, qpv) = (
        index("vacants"),
        index("dpe_F"),
        index("dpe_G"),
        index("CONSTRUCT"),
        index("en_qpv"),
    );
    let mut columns: Vec<ColumnBuilder> = (0..PROPERTIES.len())
        .map(|_| ColumnBuilder::new(PropType::Float))
        .collect();
    for feature in layer.features() {
        let num = |i: Option<usize>| i.and_then(|i| feature.number(i));
        let c = components(
            num(Some(dwellings)).unwrap_or(0.0),
            num(vacant).unwrap_or(0.0),
            num(f).unwrap_or(0.0) + num(g).unwrap_or(0.0),
            num(year),
            matches!(qpv.and_then(|i| feature.get(i)), Some(Value::Bool(true))),
        );
        columns[0].push(Value::Float(score(&c)));
        for (b, v) in columns[1..].iter_mut().zip(c) {
            b.push(Value::Float(round2(v)));
        }
    }
    for b in columns {
        layer.table.push(std::sync::Arc::new(b.finish()));
    }
    layer.schema.extend(PROPERTIES.iter().map(|n| Property {
        name: (*n).to_owned(),
        ty: PropType::Float,
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_scores() {
        // 10 dwellings, 1 vacant (10 % → 1), 5 F/G (0.5), built 1966 (60 years → 0.9), in a QPV.
        let c = components(10.0, 1.0, 5.0, Some(1966.0), true);
        assert_eq!(c, [1.0, 0.5, 0.9, 1.0]);
        assert_eq!(score(&c), 83.0);
        assert_eq!(score(&components(10.0, 0.0, 0.0, Some(2020.0), false)), 0.0);
        assert_eq!(score(&components(4.0, 4.0, 4.0, Some(1900.0), true)), 100.0);
        assert_eq!(score(&components(0.0, 0.0, 0.0, None, false)), 0.0);
    }

    proptest! {
        /// More vacancy, more F/G, an older building or a QPV never lowers the score.
        #[test]
        fn monotonic_in_each_input(n in 1.0f64..200.0, v in 0.0f64..1.0, d in 0.0f64..1.0, y in 1850.0f64..2026.0, q: bool, bump in 0.0f64..1.0) {
            let base = score(&components(n, v * n, d * n, Some(y), q));
            prop_assert!(score(&components(n, (v + bump).min(1.0) * n, d * n, Some(y), q)) >= base);
            prop_assert!(score(&components(n, v * n, (d + bump).min(1.0) * n, Some(y), q)) >= base);
            prop_assert!(score(&components(n, v * n, d * n, Some(y - 100.0 * bump), q)) >= base);
            prop_assert!(score(&components(n, v * n, d * n, Some(y), true)) >= base);
            prop_assert!((0.0..=100.0).contains(&base));
        }
    }
}
