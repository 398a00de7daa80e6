//! Synthetic landlords (`BAILLEUR`): generic names built from the département, each ending in
//! "(synthétique)", so no row can be mistaken for a real company's.
//!
//! Each département has five: its public office (OPH, 40 % of operations), two social housing
//! companies (ESH, 20 % and 15 %), a cooperative (10 %) and, in urban communes (dens7 1–3), a
//! local semi-public company (SEM, 15 %; its share goes to the OPH elsewhere).

use super::rng::Rng;

/// The département's name with its French preposition and article ("du Pas-de-Calais",
/// "de l'Ain"); "du département NN" for a code not in the list.
pub fn departement_name(code: &str) -> String {
    DEPARTEMENTS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, n)| (*n).to_owned())
        .unwrap_or_else(|| format!("du département {code}"))
}

/// The landlords of one département, in a fixed order.
#[derive(Debug, Clone)]
pub struct Landlords {
    names: [String; 5],
}

impl Landlords {
    /// The five landlords of département `code`.
    pub fn of(code: &str) -> Self {
        let of = departement_name(code);
        Self {
            names: [
                format!("OPH {of} (synthétique)"),
                format!("ESH n° 1 {of} (synthétique)"),
                format!("ESH n° 2 {of} (synthétique)"),
                format!("Coopérative HLM {of} (synthétique)"),
                format!("SEM immobilière {of} (synthétique)"),
            ],
        }
    }

    /// Draws the landlord of an operation in a commune of density class `dens7`.
    pub fn pick(&self, rng: &mut Rng, dens7: u8) -> &str {
        let urban = dens7 <= 3;
        let weights = if urban {
            [0.40, 0.20, 0.15, 0.10, 0.15]
        } else {
            [0.55, 0.20, 0.15, 0.10, 0.0]
        };
        &self.names[rng.weighted(&weights)]
    }

    /// All five names.
    #[cfg(test)]
    pub fn names(&self) -> &[String; 5] {
        &self.names
    }
}

/// Metropolitan départements (COG 2025) with their names as used after "OPH".
const DEPARTEMENTS: [(&str, &str); 96] = [
    ("01", "de l'Ain"),
    ("02", "de l'Aisne"),
    ("03", "de l'Allier"),
    ("04", "des Alpes-de-Haute-Provence"),
    ("05", "des Hautes-Alpes"),
    ("06", "des Alpes-Maritimes"),
    ("07", "de l'Ardèche"),
    ("08", "des Ardennes"),
    ("09", "de l'Ariège"),
    ("10", "de l'Aube"),
    ("11", "de l'Aude"),
    ("12", "de l'Aveyron"),
    ("13", "des Bouches-du-Rhône"),
    ("14", "du Calvados"),
    ("15", "du Cantal"),
    ("16", "de la Charente"),
    ("17", "de la Charente-Maritime"),
    ("18", "du Cher"),
    ("19", "de la Corrèze"),
    ("2A", "de la Corse-du-Sud"),
    ("2B", "de la Haute-Corse"),
    ("21", "de la Côte-d'Or"),
    ("22", "des Côtes-d'Armor"),
    ("23", "de la Creuse"),
    ("24", "de la Dordogne"),
    ("25", "du Doubs"),
    ("26", "de la Drôme"),
    ("27", "de l'Eure"),
    ("28", "d'Eure-et-Loir"),
    ("29", "du Finistère"),
    ("30", "du Gard"),
    ("31", "de la Haute-Garonne"),
    ("32", "du Gers"),
    ("33", "de la Gironde"),
    ("34", "de l'Hérault"),
    ("35", "d'Ille-et-Vilaine"),
    ("36", "de l'Indre"),
    ("37", "d'Indre-et-Loire"),
    ("38", "de l'Isère"),
    ("39", "du Jura"),
    ("40", "des Landes"),
    ("41", "de Loir-et-Cher"),
    ("42", "de la Loire"),
    ("43", "de la Haute-Loire"),
    ("44", "de la Loire-Atlantique"),
    ("45", "du Loiret"),
    ("46", "du Lot"),
    ("47", "de Lot-et-Garonne"),
    ("48", "de la Lozère"),
    ("49", "de Maine-et-Loire"),
    ("50", "de la Manche"),
    ("51", "de la Marne"),
    ("52", "de la Haute-Marne"),
    ("53", "de la Mayenne"),
    ("54", "de Meurthe-et-Moselle"),
    ("55", "de la Meuse"),
    ("56", "du Morbihan"),
    ("57", "de la Moselle"),
    ("58", "de la Nièvre"),
    ("59", "du Nord"),
    ("60", "de l'Oise"),
    ("61", "de l'Orne"),
    ("62", "du Pas-de-Calais"),
    ("63", "du Puy-de-Dôme"),
    ("64", "des Pyrénées-Atlantiques"),
    ("65", "des Hautes-Pyrénées"),
    ("66", "des Pyrénées-Orientales"),
    ("67", "du Bas-Rhin"),
    ("68", "du Haut-Rhin"),
    ("69", "du Rhône"),
    ("70", "de la Haute-Saône"),
    ("71", "de Saône-et-Loire"),
    ("72", "de la Sarthe"),
    ("73", "de la Savoie"),
    ("74", "de la Haute-Savoie"),
    ("75", "de Paris"),
    ("76", "de la Seine-Maritime"),
    ("77", "de Seine-et-Marne"),
    ("78", "des Yvelines"),
    ("79", "des Deux-Sèvres"),
    ("80", "de la Somme"),
    ("81", "du Tarn"),
    ("82", "de Tarn-et-Garonne"),
    ("83", "du Var"),
    ("84", "de Vaucluse"),
    ("85", "de la Vendée"),
    ("86", "de la Vienne"),
    ("87", "de la Haute-Vienne"),
    ("88", "des Vosges"),
    ("89", "de l'Yonne"),
    ("90", "du Territoire de Belfort"),
    ("91", "de l'Essonne"),
    ("92", "des Hauts-de-Seine"),
    ("93", "de la Seine-Saint-Denis"),
    ("94", "du Val-de-Marne"),
    ("95", "du Val-d'Oise"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_generic_and_marked_synthetic() {
        let l = Landlords::of("62");
        assert_eq!(l.names()[0], "OPH du Pas-de-Calais (synthétique)");
        for name in l.names() {
            assert!(name.ends_with("(synthétique)"), "{name}");
            assert!(!name.contains([';', '"']), "{name}");
        }
        assert_eq!(Landlords::of("25").names()[0], "OPH du Doubs (synthétique)");
        assert_eq!(departement_name("99"), "du département 99");
    }

    #[test]
    fn table_codes_are_unique() {
        let mut codes: Vec<&str> = DEPARTEMENTS.iter().map(|(c, _)| *c).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 96);
    }

    #[test]
    fn no_sem_outside_urban_communes() {
        let l = Landlords::of("25");
        let mut rng = Rng::seeded(5);
        for _ in 0..2000 {
            assert!(!l.pick(&mut rng, 6).starts_with("SEM"));
        }
    }
}
