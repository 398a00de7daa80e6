//! Synthetic addresses: generic French street names and RPLS-style street-type abbreviations.
//!
//! Names are the commonest in France (people, dates, trees, places such as "de la Gare"), written
//! in upper case like the RPLS `NOMVOIE` column; none designates a real address. Names and
//! types never contain the `;` separator.

use super::dwelling::Kind;
use super::rng::Rng;

/// Street names (`NOMVOIE`), upper case with accents.
pub const STREET_NAMES: [&str; 64] = [
    "DE LA RÉPUBLIQUE",
    "JEAN JAURÈS",
    "VICTOR HUGO",
    "PASTEUR",
    "DU GÉNÉRAL DE GAULLE",
    "JEAN MOULIN",
    "DE LA GARE",
    "DES ÉCOLES",
    "DU 8 MAI 1945",
    "DU 11 NOVEMBRE",
    "GAMBETTA",
    "JULES FERRY",
    "DE LA LIBÉRATION",
    "DES LILAS",
    "DES TILLEULS",
    "DES ACACIAS",
    "DU STADE",
    "DE LA PAIX",
    "ANATOLE FRANCE",
    "PIERRE ET MARIE CURIE",
    "LOUIS ARAGON",
    "PABLO PICASSO",
    "FRÉDÉRIC MISTRAL",
    "DES PEUPLIERS",
    "DES ROSES",
    "DU MOULIN",
    "DE L'ÉGLISE",
    "DU CHÂTEAU",
    "ALBERT CAMUS",
    "PAUL ÉLUARD",
    "GEORGES BRASSENS",
    "JEAN-JACQUES ROUSSEAU",
    "VOLTAIRE",
    "DES CHARMES",
    "DU PARC",
    "DES JARDINS",
    "DE LA FONTAINE",
    "DES PRÉS",
    "DES VIGNES",
    "SALVADOR ALLENDE",
    "DU MARÉCHAL LECLERC",
    "DU MARÉCHAL FOCH",
    "CLEMENCEAU",
    "JEAN MERMOZ",
    "ANTOINE DE SAINT-EXUPÉRY",
    "MARCEL PAGNOL",
    "JEAN ZAY",
    "LÉO LAGRANGE",
    "DES CERISIERS",
    "DES MARRONNIERS",
    "DES BLEUETS",
    "DES COQUELICOTS",
    "DU VERGER",
    "DE LA MAIRIE",
    "DU COLLÈGE",
    "DES SPORTS",
    "DE L'EUROPE",
    "DES FLEURS",
    "DU CENTRE",
    "ÉMILE ZOLA",
    "GUY MÔQUET",
    "HENRI BARBUSSE",
    "PAUL VAILLANT-COUTURIER",
    "DES HIRONDELLES",
];

/// Street types (`TYPVOIE`) of collective buildings and their weights.
const COLLECTIVE_TYPES: [(&str, f64); 9] = [
    ("RUE", 0.46),
    ("AV", 0.15),
    ("BD", 0.05),
    ("ALL", 0.10),
    ("RES", 0.09),
    ("PL", 0.04),
    ("SQ", 0.04),
    ("CITE", 0.04),
    ("QUA", 0.03),
];

/// Street types of houses and their weights.
const INDIVIDUAL_TYPES: [(&str, f64); 7] = [
    ("RUE", 0.46),
    ("ALL", 0.15),
    ("IMP", 0.14),
    ("CHE", 0.10),
    ("CITE", 0.08),
    ("RTE", 0.04),
    ("LOT", 0.03),
];

/// A street: type abbreviation and name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Street {
    /// `TYPVOIE`.
    pub kind: &'static str,
    /// `NOMVOIE`.
    pub name: &'static str,
}

/// A random street for an operation of the given kind.
pub fn street(rng: &mut Rng, kind: Kind) -> Street {
    let types: &[(&str, f64)] = match kind {
        Kind::Collective => &COLLECTIVE_TYPES,
        Kind::Individual => &INDIVIDUAL_TYPES,
    };
    let weights: Vec<f64> = types.iter().map(|(_, w)| *w).collect();
    Street {
        kind: types[rng.weighted(&weights)].0,
        name: STREET_NAMES[rng.below(STREET_NAMES.len() as u64) as usize],
    }
}

/// `INDREP`: empty, or `B` (bis) / `T` (ter) with probability `p`.
pub fn repetition(rng: &mut Rng, p: f64) -> &'static str {
    if rng.chance(p) {
        if rng.chance(0.8) {
            "B"
        } else {
            "T"
        }
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_types_are_safe_csv_fields() {
        let all = STREET_NAMES
            .iter()
            .chain(COLLECTIVE_TYPES.iter().map(|(t, _)| t))
            .chain(INDIVIDUAL_TYPES.iter().map(|(t, _)| t));
        for s in all {
            assert!(!s.is_empty());
            assert!(!s.contains([';', '"', '\n']), "{s}");
            assert_eq!(s.to_uppercase(), *s, "{s}");
        }
    }

    #[test]
    fn streets_are_drawn_from_the_tables() {
        let mut rng = Rng::seeded(9);
        for _ in 0..1000 {
            let s = street(&mut rng, Kind::Individual);
            assert!(INDIVIDUAL_TYPES.iter().any(|(t, _)| *t == s.kind));
            assert!(STREET_NAMES.contains(&s.name));
        }
    }
}
