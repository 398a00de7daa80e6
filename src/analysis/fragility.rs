//! Residence fragility (*qualification du parc*, as Lens-Liévin's landlords and communes rated
//! their stock together): a score from 0 to 100 per social residence, the weighted sum of four
//! named components, each normalised to 0..1 and kept beside the score so it explains itself.
//!
//! | component | property | 0 | 1 |
//! |---|---|---|---|
//! | vacancy | `frag_vacance` | no vacant dwelling | ≥ 10 % of the dwellings vacant (`vacants / logements`) |
//! | energy | `frag_dpe` | no F or G label | every labelled dwelling F or G (`(dpe_F + dpe_G) / (logements − dpe_inconnu)`) |
//! | age | `frag_age` | built ≤ 15 years ago | built ≥ 65 years ago (linear between) |
//! | QPV | `frag_qpv` | outside | in a quartier prioritaire (`en_qpv` true, or a positive count) |
//!
//! `fragilite = 100 × (0.35 vacancy + 0.30 energy + 0.20 age + 0.15 QPV)`. A component whose
//! input is unknown — a property the layer lacks (the real RPLS files have no occupancy, hence
//! no `vacants`), a null value, no labelled dwelling — is null, never 0, and the score is the
//! weighted mean of the known components (weights renormalised to sum to 1); with none known
//! it is null. The reference year is [`REFERENCE_YEAR`].

use crate::config::PropType;
use crate::layer::table::ColumnBuilder;
use crate::layer::{Layer, Property, Value};

/// Year from which building age is counted.
pub const REFERENCE_YEAR: f64 = 2026.0;
/// Weights of vacancy, energy, age and QPV; they sum to 1.
pub const WEIGHTS: [f64; 4] = [0.35, 0.30, 0.20, 0.15];
/// The properties added, score first.
pub const PROPERTIES: [&str; 5] = crate::config::FRAGILITY_PROPERTIES;

/// The four components of one residence, each in 0..=1, `None` when its input is unknown.
/// `dpe` is (dwellings labelled F or G, dwellings with a known label).
pub fn components(
    dwellings: f64,
    vacant: Option<f64>,
    dpe: Option<(f64, f64)>,
    year: Option<f64>,
    in_qpv: Option<bool>,
) -> [Option<f64>; 4] {
    let share = |part: f64, whole: f64| (whole > 0.0).then(|| part / whole);
    [
        vacant
            .and_then(|v| share(v, dwellings))
            .map(|s| (s / 0.10).clamp(0.0, 1.0)),
        dpe.and_then(|(fg, labelled)| share(fg, labelled))
            .map(|s| s.clamp(0.0, 1.0)),
        year.map(|y| ((REFERENCE_YEAR - y - 15.0) / 50.0).clamp(0.0, 1.0)),
        in_qpv.map(|q| if q { 1.0 } else { 0.0 }),
    ]
}

/// The score of some components, 0..=100, one decimal: the weighted mean of the known ones,
/// `None` when none is known.
pub fn score(c: &[Option<f64>; 4]) -> Option<f64> {
    let (mut sum, mut weight) = (0.0, 0.0);
    for (c, w) in c.iter().zip(WEIGHTS) {
        if let Some(c) = c {
            sum += c * w;
            weight += w;
        }
    }
    (weight > 0.0).then(|| (1000.0 * sum / weight).round() / 10.0)
}

fn round2(v: f64) -> f64 {
    (100.0 * v).round() / 100.0
}

/// Adds the score and its components to every feature of a residences layer that has the inputs
/// (`logements`); a layer without them is left as it is. Unknown values are null.
pub fn enrich(layer: &mut Layer) {
    let index = |name: &str| layer.property_index(name);
    let Some(dwellings) = index("logements") else {
        return;
    };
    let (vacant, f, g, unknown, year, qpv) = (
        index("vacants"),
        index("dpe_F"),
        index("dpe_G"),
        index("dpe_inconnu"),
        index("CONSTRUCT"),
        index("en_qpv"),
    );
    let mut columns: Vec<ColumnBuilder> = (0..PROPERTIES.len())
        .map(|_| ColumnBuilder::new(PropType::Float))
        .collect();
    let float = |v: Option<f64>| v.map_or(Value::Null, Value::Float);
    for feature in layer.features() {
        let num = |i: Option<usize>| i.and_then(|i| feature.number(i));
        let n = num(Some(dwellings)).unwrap_or(0.0);
        let dpe = match (num(f), num(g)) {
            (Some(f), Some(g)) => Some((f + g, n - num(unknown).unwrap_or(0.0))),
            _ => None,
        };
        let in_qpv = match qpv.and_then(|i| feature.get(i)) {
            Some(Value::Bool(b)) => Some(b),
            Some(Value::Int(count)) => Some(count > 0),
            _ => None,
        };
        let c = components(n, num(vacant), dpe, num(year), in_qpv);
        columns[0].push(float(score(&c)));
        for (b, v) in columns[1..].iter_mut().zip(c) {
            b.push(float(v.map(round2)));
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
        let c = components(10.0, Some(1.0), Some((5.0, 10.0)), Some(1966.0), Some(true));
        assert_eq!(c, [Some(1.0), Some(0.5), Some(0.9), Some(1.0)]);
        assert_eq!(score(&c), Some(83.0));
        let none = components(
            10.0,
            Some(0.0),
            Some((0.0, 10.0)),
            Some(2020.0),
            Some(false),
        );
        assert_eq!(score(&none), Some(0.0));
        let all = components(4.0, Some(4.0), Some((4.0, 4.0)), Some(1900.0), Some(true));
        assert_eq!(score(&all), Some(100.0));
    }

    #[test]
    fn unknown_inputs_are_null_not_zero() {
        // No occupancy (a real RPLS file): the vacancy component is unknown and the score is
        // the mean of the other three, weighted 0.30, 0.20, 0.15:
        // 100 × (0.30 × 0.5 + 0.20 × 0.9 + 0.15 × 1) / 0.65 = 73.8.
        let c = components(10.0, None, Some((5.0, 10.0)), Some(1966.0), Some(true));
        assert_eq!(c, [None, Some(0.5), Some(0.9), Some(1.0)]);
        assert_eq!(score(&c), Some(73.8));
        // No labelled dwelling: the energy component is unknown, not 0.
        assert_eq!(
            components(3.0, Some(0.0), Some((0.0, 0.0)), None, None)[1],
            None
        );
        assert_eq!(score(&components(3.0, None, None, None, None)), None);
    }

    proptest! {
        /// More vacancy, more F/G, an older building or a QPV never lowers the score.
        #[test]
        fn monotonic_in_each_input(n in 1.0f64..200.0, v in 0.0f64..1.0, d in 0.0f64..1.0, y in 1850.0f64..2026.0, q: bool, bump in 0.0f64..1.0) {
            let s = |v: f64, d: f64, y: f64, q: bool| {
                score(&components(n, Some(v * n), Some((d * n, n)), Some(y), Some(q))).unwrap_or(-1.0)
            };
            let base = s(v, d, y, q);
            prop_assert!(s((v + bump).min(1.0), d, y, q) >= base);
            prop_assert!(s(v, (d + bump).min(1.0), y, q) >= base);
            prop_assert!(s(v, d, y - 100.0 * bump, q) >= base);
            prop_assert!(s(v, d, y, true) >= base);
            prop_assert!((0.0..=100.0).contains(&base));
        }
    }
}
