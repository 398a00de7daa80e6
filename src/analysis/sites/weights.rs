//! The score of a site: seven named components in 0..1, weighted and normalised by the sum of the
//! weights, so every score lies in 0..=100 whatever the weights, and each component's share of it
//! (its points) adds up to the score.

use serde::ser::SerializeMap;
use serde::Serialize;

/// Component names, in output order.
pub const COMPONENTS: [&str; 7] = [
    "vacancy",
    "perimeter",
    "centre",
    "stock",
    "size",
    "detente",
    "fragility",
];

/// Default weights, in [`COMPONENTS`] order; they sum to 1.
pub const DEFAULT_WEIGHTS: [f64; 7] = [0.25, 0.20, 0.15, 0.10, 0.10, 0.10, 0.10];

/// The components' names in French, in [`COMPONENTS`] order (export headers, reasons).
pub const FRENCH_NAMES: [&str; 7] = [
    "Vacance alentour",
    "Programme",
    "Centralité",
    "Parc social proche",
    "Taille",
    "Détente du marché",
    "Fragilité",
];

/// What each component measures, in French, in [`COMPONENTS`] order (the exports' method sheet).
pub const FRENCH_DESCRIPTIONS: [&str; 7] = [
    "logements privés vacants depuis plus de 2 ans à moins de 300 m ; 1 dès 30 logements",
    "commune ACV, PVD ou ORT (signée ou en cours) : 1 ; hors de ces communes, 0,5 à leur limite décroissant jusqu'à 0 à 1 km",
    "proximité du centre (point mairie du programme, sinon point intérieur de la commune) : 1 au centre, 0 à partir de 2 km",
    "logements sociaux à moins de 500 m ; 1 dès 200 logements",
    "logements sur le site (vacants ou sociaux) ou surface de l'unité foncière d'une friche ; 1 dès 50 logements ou 5 000 m² ; 0,5 si la surface d'une friche est inconnue",
    "zonage ABC de la commune : C 1 ; B2 0,75 ; B1 0,4 ; A et Abis 0,1 ; inconnu 0,5",
    "score de fragilité d'une résidence sociale ÷ 100 (0 pour les autres sites)",
];

/// Weights of the components, in [`COMPONENTS`] order: each in 0..=10, not all 0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights([f64; 7]);

impl Default for Weights {
    fn default() -> Self {
        Weights(DEFAULT_WEIGHTS)
    }
}

impl Serialize for Weights {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Components(self.0).serialize(s)
    }
}

impl Weights {
    /// Weights from values in [`COMPONENTS`] order.
    ///
    /// # Errors
    /// A weight that is not a number in 0..=10, or all weights 0 (the score would be 0 ÷ 0).
    pub fn try_new(w: [f64; 7]) -> Result<Self, String> {
        if let Some(i) = w
            .iter()
            .position(|v| !(v.is_finite() && (0.0..=10.0).contains(v)))
        {
            return Err(format!(
                "weights: {} = {} is not a number in 0..=10",
                COMPONENTS[i], w[i]
            ));
        }
        if w.iter().all(|v| *v == 0.0) {
            return Err(format!(
                "weights: every weight is 0, so no score can be computed: give at least one of {} a positive weight",
                COMPONENTS.join(", ")
            ));
        }
        Ok(Weights(w))
    }

    /// Parses `vacancy:0.5,perimeter:0.1`; unnamed components keep their default.
    ///
    /// # Errors
    /// An unknown component, a weight that is not a number in 0..=10, or all weights 0.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut w = DEFAULT_WEIGHTS;
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part
                .split_once(':')
                .ok_or_else(|| format!("weights: {part:?} is not name:value"))?;
            let i = COMPONENTS
                .iter()
                .position(|c| *c == name.trim())
                .ok_or_else(|| {
                    format!(
                        "weights: unknown component {name:?} (components: {})",
                        COMPONENTS.join(", ")
                    )
                })?;
            w[i] = value
                .trim()
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite() && (0.0..=10.0).contains(v))
                .ok_or_else(|| format!("weights: {name} = {value:?} is not a number in 0..=10"))?;
        }
        Self::try_new(w)
    }

    /// The weights, in [`COMPONENTS`] order.
    pub fn values(&self) -> [f64; 7] {
        self.0
    }

    /// The score of components in 0..1: `100 × Σ wᵢ·cᵢ / Σ wᵢ`, in 0..=100, and each component's
    /// points `100 × wᵢ·cᵢ / Σ wᵢ`, which sum to the score.
    pub fn score(&self, components: &[f64; 7]) -> (f64, [f64; 7]) {
        let total: f64 = self.0.iter().sum();
        let mut points = [0.0; 7];
        for (p, (c, w)) in points.iter_mut().zip(components.iter().zip(self.0)) {
            *p = 100.0 * w * c.clamp(0.0, 1.0) / total;
        }
        (points.iter().sum::<f64>().clamp(0.0, 100.0), points)
    }
}

/// Seven values, one per component, serialised as a map in [`COMPONENTS`] order.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Components(pub [f64; 7]);

impl Components {
    /// The value of a component by name.
    pub fn get(&self, name: &str) -> Option<f64> {
        COMPONENTS
            .iter()
            .position(|c| *c == name)
            .map(|i| self.0[i])
    }

    /// `(name, value)` in [`COMPONENTS`] order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, f64)> + '_ {
        COMPONENTS.iter().copied().zip(self.0)
    }
}

impl Serialize for Components {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(7))?;
        for (name, v) in self.iter() {
            map.serialize_entry(name, &v)?;
        }
        map.end()
    }
}

/// `v` rounded to `decimals` decimals.
pub fn round(v: f64, decimals: i32) -> f64 {
    let k = 10f64.powi(decimals);
    (v * k).round() / k
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn weights_parse_with_defaults() {
        let w = Weights::parse("vacancy:0.5, fragility:0").unwrap().values();
        assert_eq!(w[0], 0.5);
        assert_eq!(w[6], 0.0);
        assert_eq!(w[1], DEFAULT_WEIGHTS[1]);
        assert!(Weights::parse("speed:1")
            .unwrap_err()
            .contains("unknown component \"speed\""));
        assert!(Weights::parse("vacancy:-1").unwrap_err().contains("0..=10"));
        assert!(Weights::parse("vacancy")
            .unwrap_err()
            .contains("name:value"));
        assert!((DEFAULT_WEIGHTS.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn all_weights_zero_is_refused() {
        let all_zero = COMPONENTS.map(|c| format!("{c}:0")).join(",");
        assert!(Weights::parse(&all_zero)
            .unwrap_err()
            .contains("every weight is 0"));
        assert!(Weights::try_new([0.0; 7]).is_err());
        assert!(Weights::try_new([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1e-9]).is_ok());
    }

    #[test]
    fn hand_computed_scores() {
        // Default weights sum to 1: the score is the plain weighted sum × 100.
        let (score, points) = Weights::default().score(&[1.0, 1.0, 0.0, 0.0, 0.5, 0.0, 0.0]);
        assert!((score - 50.0).abs() < 1e-9, "{score}");
        assert!((points[0] - 25.0).abs() < 1e-9 && (points[4] - 5.0).abs() < 1e-9);
        // Weights 2 and 2 on two components, both full: 100; one full, one half: 75.
        let w = Weights::try_new([2.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0]).unwrap();
        assert!((w.score(&[1.0, 1.0, 0.3, 0.3, 0.3, 0.3, 0.3]).0 - 100.0).abs() < 1e-9);
        assert!((w.score(&[1.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0]).0 - 75.0).abs() < 1e-9);
    }

    #[test]
    fn components_serialise_in_component_order() {
        let json = serde_json::to_string(&Components([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7])).unwrap();
        assert_eq!(
            json,
            r#"{"vacancy":0.1,"perimeter":0.2,"centre":0.3,"stock":0.4,"size":0.5,"detente":0.6,"fragility":0.7}"#
        );
    }

    proptest! {
        #[test]
        fn scores_lie_in_0_100_and_equal_the_sum_of_points(
            w in proptest::array::uniform7(0.0f64..=10.0),
            c in proptest::array::uniform7(0.0f64..=1.0),
        ) {
            prop_assume!(w.iter().any(|v| *v > 0.0));
            let weights = Weights::try_new(w).unwrap();
            let (score, points) = weights.score(&c);
            prop_assert!((0.0..=100.0).contains(&score), "{score}");
            prop_assert!((score - points.iter().sum::<f64>()).abs() < 1e-9);
            // Against the formula written out: 100 Σ w c / Σ w.
            let expected = 100.0 * w.iter().zip(&c).map(|(w, c)| w * c).sum::<f64>()
                / w.iter().sum::<f64>();
            prop_assert!((score - expected).abs() < 1e-9);
            prop_assert!(points.iter().all(|p| *p >= 0.0));
        }

        #[test]
        fn raising_a_weight_keeps_the_order_of_sites_stronger_on_it(
            w in proptest::array::uniform7(0.0f64..=10.0),
            a in proptest::array::uniform7(0.0f64..=1.0),
            b in proptest::array::uniform7(0.0f64..=1.0),
            k in 0usize..7,
            raise in 0.0f64..=5.0,
        ) {
            prop_assume!(w.iter().any(|v| *v > 0.0));
            let weights = Weights::try_new(w).unwrap();
            let (sa, sb) = (weights.score(&a).0, weights.score(&b).0);
            prop_assume!(sa >= sb && a[k] >= b[k]);
            let mut raised = w;
            raised[k] = (raised[k] + raise).min(10.0);
            let raised = Weights::try_new(raised).unwrap();
            prop_assert!(raised.score(&a).0 + 1e-9 >= raised.score(&b).0);
        }
    }
}
