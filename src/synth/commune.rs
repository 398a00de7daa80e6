//! What the generator knows about one commune: the real public aggregates it is calibrated on.
//!
//! Codes are 5-character INSEE codes (COG 2025), kept as text (`01004`, `2A004`). Points are WGS84
//! longitude/latitude. Every field comes from a file of `layers/data/france/` (see
//! `layers/data/README.md`); a commune missing from a table simply has that field empty.

use geo::Coord;

/// Housing-market zoning A/B/C (the zoning in force before the October 2023 revision).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zonage {
    /// Abis: Paris and its inner ring.
    Abis,
    /// A: very tight markets.
    A,
    /// B1: tight markets.
    B1,
    /// B2: intermediate.
    B2,
    /// C: relaxed markets (most rural communes).
    C,
}

impl Zonage {
    /// Parses the codes of the DHUP table (`Abis`, `A`, `B1`, `B2`, `C`).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "Abis" | "ABIS" | "A bis" => Some(Zonage::Abis),
            "A" => Some(Zonage::A),
            "B1" => Some(Zonage::B1),
            "B2" => Some(Zonage::B2),
            "C" => Some(Zonage::C),
            _ => None,
        }
    }
}

/// A commune's row of the LOVAC 2021 aggregate, when it has one.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Lovac {
    /// Private dwellings (`nb_log_pp`), when published.
    pub private_dwellings: Option<u32>,
    /// Share of them vacant for more than 2 years at 2021-01-01, in % (`pct_vacants_plus_2ans_pp`),
    /// when published.
    pub pct_vacant_over_2_years: Option<f64>,
}

impl Lovac {
    /// The published count of private dwellings vacant for more than 2 years:
    /// `round(nb_log_pp × pct / 100)` (half away from zero), `None` when either is unpublished.
    pub fn published_count(&self) -> Option<u64> {
        let stock = f64::from(self.private_dwellings?);
        let pct = self.pct_vacant_over_2_years?;
        Some((stock * pct / 100.0).round().max(0.0) as u64)
    }
}

/// Which ANCT programme gave a commune its reference point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Programme {
    /// Action Cœur de Ville (preferred).
    Acv,
    /// Petites villes de demain.
    Pvd,
    /// Opération de revitalisation de territoire.
    Ort,
}

impl Programme {
    /// Parses `acv`, `pvd` or `ort`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "acv" => Some(Programme::Acv),
            "pvd" => Some(Programme::Pvd),
            "ort" => Some(Programme::Ort),
            _ => None,
        }
    }
}

/// One metropolitan commune (COG 2025) and its aggregates.
#[derive(Debug, Clone, PartialEq)]
pub struct Commune {
    /// INSEE code.
    pub code: String,
    /// Official name.
    pub name: String,
    /// Département code (`62`, `2A`).
    pub dep: String,
    /// Region code (`32`), from the département table; empty when the table lacks it.
    pub reg: String,
    /// SIREN of the commune's EPCI (`246200364`); empty for the few communes in none.
    pub epci: String,
    /// INSEE population municipale 2022.
    pub population: u32,
    /// INSEE 7-level density class, 1 (grands centres urbains) to 7 (rural très dispersé).
    pub dens7: u8,
    /// Zoning A/B/C, when the commune is in the table.
    pub zonage: Option<Zonage>,
    /// QPV 2024 codes attached to the commune, sorted.
    pub qpv: Vec<String>,
    /// Postcodes (COG 2026 reference), in the table's order.
    pub postcodes: Vec<String>,
    /// LOVAC 2021 aggregate.
    pub lovac: Lovac,
    /// The ANCT point of the commune's programme (ACV before PVD before ORT), with its programme.
    pub programme: Option<(Programme, Coord<f64>)>,
}

impl Commune {
    /// Whether the commune is in Action Cœur de Ville.
    pub fn is_acv(&self) -> bool {
        matches!(self.programme, Some((Programme::Acv, _)))
    }

    /// The density class as an index 0..=6 into per-class tables (class 7 for anything odd).
    pub fn dens_index(&self) -> usize {
        usize::from(self.dens7.clamp(1, 7) - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lovac_count_rounds_half_away_from_zero() {
        let l = Lovac {
            private_dwellings: Some(534),
            pct_vacant_over_2_years: Some(3.9),
        };
        assert_eq!(l.published_count(), Some(21)); // 20.826
        let half = Lovac {
            private_dwellings: Some(50),
            pct_vacant_over_2_years: Some(5.0),
        };
        assert_eq!(half.published_count(), Some(3)); // 2.5
        assert_eq!(Lovac::default().published_count(), None);
    }

    #[test]
    fn zonage_codes_parse() {
        assert_eq!(Zonage::parse("Abis"), Some(Zonage::Abis));
        assert_eq!(Zonage::parse("B2"), Some(Zonage::B2));
        assert_eq!(Zonage::parse("D"), None);
    }
}
