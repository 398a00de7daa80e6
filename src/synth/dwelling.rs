//! The attributes of synthetic social buildings and dwellings, in RPLS codes: collective
//! building sizes, construction and first-letting years, financing (`FINAN_CODE` and its
//! `FINAN_LIBELLE`), APL agreement (`CONV`), the landlord's right (`DROIT_CODE`), energy and
//! greenhouse-gas classes (`DPEENERGIE`, `DPESERRE`), rooms, surface and occupancy at 1 January
//! 2025.
//!
//! Invariants: collective buildings hold [`COLLECTIVE_SIZE`] (8 to 150) dwellings;
//! `LOCAT ≥ CONSTRUCT`, both ≤ [`LAST_YEAR`]; `NBPIECE` in 1..=6; `SURFHAB` ≥ 12 m²;
//! classes are `A`..`G`. The distributions are assumptions tuned so the national output shows
//! the published RPLS orders of magnitude (peaks of construction 1955–1980, F+G ≈ 7 %, vacancy
//! ≈ 2.5–3 %); the code tables are documented in the `synth` module docs.

use super::commune::Zonage;
use super::rng::Rng;

/// The last complete year before the file's reference date (1 January 2025).
pub const LAST_YEAR: i64 = 2024;

/// Collective (`C`) or individual (`I`) construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A block of flats.
    Collective,
    /// A house.
    Individual,
}

impl Kind {
    /// The RPLS `TYPECONST_CODE`.
    pub fn code(self) -> &'static str {
        match self {
            Kind::Collective => "C",
            Kind::Individual => "I",
        }
    }

    /// Its `TYPECONST_LIBELLE`. The public files label the types "collectif…", "individuel…"
    /// and "logement étudiant" (read by public code that loads the SDES file); the exact
    /// wording of the first two is our assumption.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Collective => "collectif",
            Kind::Individual => "individuel",
        }
    }
}

/// Construction periods, inclusive.
const PERIODS: [(i64, i64); 8] = [
    (1890, 1948),
    (1949, 1959),
    (1960, 1969),
    (1970, 1979),
    (1980, 1989),
    (1990, 1999),
    (2000, 2009),
    (2010, LAST_YEAR),
];
const COLLECTIVE_PERIODS: [f64; 8] = [0.06, 0.11, 0.21, 0.20, 0.11, 0.09, 0.08, 0.14];
const INDIVIDUAL_PERIODS: [f64; 8] = [0.04, 0.04, 0.07, 0.12, 0.20, 0.17, 0.14, 0.22];
/// Buildings in a QPV: mostly the large estates of 1955–1980.
const QPV_PERIODS: [f64; 8] = [0.02, 0.16, 0.36, 0.28, 0.07, 0.04, 0.03, 0.04];

/// `CONSTRUCT`: year the building was completed.
pub fn construction_year(rng: &mut Rng, kind: Kind, in_qpv: bool) -> i64 {
    let weights = match (kind, in_qpv) {
        (_, true) => &QPV_PERIODS,
        (Kind::Collective, false) => &COLLECTIVE_PERIODS,
        (Kind::Individual, false) => &INDIVIDUAL_PERIODS,
    };
    let (lo, hi) = PERIODS[rng.weighted(weights)];
    rng.range(lo, hi)
}

/// `LOCAT`: first letting by a social landlord. Usually the completion year or the next; 12 %
/// of buildings were bought and improved later (acquisition-amélioration), 5 to 80 years on.
pub fn first_letting_year(rng: &mut Rng, construct: i64) -> i64 {
    if construct <= LAST_YEAR - 5 && rng.chance(0.12) {
        (construct + rng.range(5, 80)).min(LAST_YEAR)
    } else {
        (construct + rng.range(0, 1)).min(LAST_YEAR)
    }
}

/// `FINAN_CODE`: the financing of the operation that first let the dwelling, from its era:
/// HBM before 1950; HLM/O, PLR/PSR, ILM, ILN to 1977; PLA ordinaire, PLA très social or
/// another scheme to 1999; then PLUS, PLAI, PLS, PLI.
pub fn financing(rng: &mut Rng, locat: i64) -> &'static str {
    let (codes, weights): (&[&'static str], &[f64]) = match locat {
        ..=1949 => (&["50"], &[1.0]),
        1950..=1977 => (&["52", "51", "53", "54"], &[0.70, 0.12, 0.12, 0.06]),
        1978..=1999 => (&["12", "11", "49"], &[0.80, 0.08, 0.12]),
        _ => (&["13", "10", "14", "16"], &[0.55, 0.27, 0.15, 0.03]),
    };
    codes[rng.weighted(weights)]
}

/// The `FINAN_LIBELLE` of a `FINAN_CODE`, empty for a code we do not know.
///
/// Labels of 10, 11, 12, 13, 14, 16, 50, 52, 53 and 54 are those of the SDES file as public
/// code matching them reads them; 17, 49, 51, 55 and 99 are our wording of the scheme their
/// code stands for (see the README, "Fichiers RPLS réels").
pub fn financing_label(code: &str) -> &'static str {
    match code {
        "10" => "PLA d\u{2019}intégration/LLTS dans les DOM",
        "11" => "PLA Loyer Minoré / PLA Très Social / PLA Insertion",
        "12" => "PLA ordinaire",
        "13" => "PLUS/LLS dans les DOM",
        "14" => "PLS/PPLS/PCLS/PLA CFF",
        "16" => "PLI",
        "17" => "PCL",
        "49" => "Autre financement",
        "50" => "HBM",
        "51" => "PLR/PSR",
        "52" => "HLM/O",
        "53" => "ILM",
        "54" => "ILN",
        "55" => "Prêts spéciaux du CFF",
        "99" => "Autre financement avant 1977",
        _ => "",
    }
}

/// `CONV`: 1 when the dwelling is under an APL agreement, 2 otherwise. Post-1977 schemes are
/// agreed, PLI never, older stock mostly (80 %, agreed when rehabilitated).
pub fn agreement(rng: &mut Rng, finan: &str) -> u8 {
    let p = match finan {
        "16" => 0.0,
        "49" => 0.6,
        "50" | "51" | "52" | "53" | "54" => 0.8,
        _ => 0.99,
    };
    if rng.chance(p) {
        1
    } else {
        2
    }
}

/// `DROIT_CODE`: 1 full ownership (95.5 %), 2 usufruct (only for lettings from 2005), 3 long lease
/// (bail emphytéotique), 4 rehabilitation lease, 5 building lease.
pub fn right(rng: &mut Rng, locat: i64) -> u8 {
    let usufruct = if locat >= 2005 { 0.01 } else { 0.0 };
    let weights = [0.955, usufruct, 0.02, 0.01, 0.005];
    rng.weighted(&weights) as u8 + 1
}

/// DPE class letters, best first.
pub const CLASSES: [u8; 7] = *b"ABCDEFG";

/// Energy-class distribution (A..G) of a building by completion year.
fn energy_weights(construct: i64) -> &'static [f64; 7] {
    match construct {
        ..=1948 => &[0.0, 0.01, 0.08, 0.30, 0.38, 0.16, 0.07],
        1949..=1974 => &[0.0, 0.02, 0.16, 0.40, 0.31, 0.09, 0.02],
        1975..=1988 => &[0.0, 0.03, 0.26, 0.45, 0.21, 0.04, 0.01],
        1989..=2005 => &[0.01, 0.07, 0.40, 0.40, 0.11, 0.01, 0.0],
        2006..=2012 => &[0.03, 0.30, 0.52, 0.13, 0.02, 0.0, 0.0],
        _ => &[0.14, 0.56, 0.27, 0.03, 0.0, 0.0, 0.0],
    }
}

/// The main heating of a building, which drives its greenhouse-gas class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heating {
    /// Gas or oil: the GHG class follows the energy class.
    Fossil,
    /// Electric: a much better GHG class.
    Electric,
    /// District heating or heat pumps: somewhat better.
    Network,
}

/// A building's heating: 55 % fossil, 25 % electric, 20 % network.
pub fn heating(rng: &mut Rng) -> Heating {
    [Heating::Fossil, Heating::Electric, Heating::Network][rng.weighted(&[0.55, 0.25, 0.20])]
}

/// The building's energy class (index into [`CLASSES`]); buildings completed before 1975 were
/// rehabilitated with probability 0.25, gaining one class (60 %) or two.
pub fn building_energy_class(rng: &mut Rng, construct: i64) -> u8 {
    let mut class = rng.weighted(energy_weights(construct)) as u8;
    if construct < 1975 && rng.chance(0.25) {
        class = class.saturating_sub(if rng.chance(0.6) { 1 } else { 2 });
    }
    class
}

/// A dwelling's energy and GHG classes (indexes into [`CLASSES`]): the building's energy class,
/// one class off with probability 0.12 (floor, exposure); the GHG class from the heating.
pub fn dwelling_classes(rng: &mut Rng, building: u8, heating: Heating) -> (u8, u8) {
    let mut energy = i32::from(building);
    if rng.chance(0.12) {
        energy += if rng.chance(0.5) { 1 } else { -1 };
    }
    let energy = energy.clamp(0, 6);
    let ghg = match heating {
        Heating::Fossil => energy + [-1, 0, 1][rng.weighted(&[0.15, 0.60, 0.25])],
        Heating::Electric => energy - 3 + rng.range(0, 1) as i32,
        Heating::Network => energy - 1 - rng.range(0, 1) as i32,
    };
    (energy as u8, ghg.clamp(0, 6) as u8)
}

/// Smallest and largest collective building.
pub const COLLECTIVE_SIZE: (u32, u32) = (8, 150);
/// Median collective building size by dens7 class (log-normal, σ = 0.6 in log space).
const MEDIAN_BUILDING: [f64; 7] = [40.0, 30.0, 22.0, 18.0, 14.0, 12.0, 10.0];

/// Sizes of the collective buildings holding `total` dwellings: log-normal around the class's
/// median, clamped to [`COLLECTIVE_SIZE`]; the last ones adjusted so the sizes sum to `total`
/// and none falls below the minimum (`total` is 0 or at least the minimum).
pub fn collective_sizes(rng: &mut Rng, total: u64, dens: usize) -> Vec<u32> {
    let (min, max) = (u64::from(COLLECTIVE_SIZE.0), u64::from(COLLECTIVE_SIZE.1));
    let mut sizes = Vec::new();
    let mut rest = total;
    while rest > 0 {
        let drawn = (MEDIAN_BUILDING[dens].ln() + 0.6 * rng.normal())
            .exp()
            .round() as u64;
        let mut size = drawn.clamp(min, max);
        if rest.saturating_sub(size) < min {
            size = if rest <= max { rest } else { rest - min };
        }
        sizes.push(size as u32);
        rest -= size;
    }
    sizes
}

/// A geometric count: how many successes of probability `p` before the first failure, at most
/// `cap`.
pub fn geometric(rng: &mut Rng, p: f64, cap: usize) -> usize {
    let mut k = 0;
    while k < cap && rng.chance(p) {
        k += 1;
    }
    k
}

const COLLECTIVE_ROOMS: [f64; 6] = [0.08, 0.21, 0.36, 0.26, 0.08, 0.01];
const INDIVIDUAL_ROOMS: [f64; 6] = [0.01, 0.07, 0.25, 0.42, 0.21, 0.04];
/// Typical surface of a social dwelling by number of rooms, m².
const SURFACE_BY_ROOMS: [f64; 6] = [31.0, 47.0, 65.0, 79.0, 92.0, 106.0];

/// `NBPIECE`, 1..=6, mostly 2 to 4.
pub fn rooms(rng: &mut Rng, kind: Kind) -> u8 {
    let weights = match kind {
        Kind::Collective => &COLLECTIVE_ROOMS,
        Kind::Individual => &INDIVIDUAL_ROOMS,
    };
    rng.weighted(weights) as u8 + 1
}

/// A building's surface factor: ±6 % (one standard deviation) between buildings, houses 6 %
/// larger, dwellings completed from 2000 4 % smaller.
pub fn building_surface_factor(rng: &mut Rng, kind: Kind, construct: i64) -> f64 {
    let mut f = 1.0 + 0.06 * rng.normal().clamp(-2.5, 2.5);
    if kind == Kind::Individual {
        f *= 1.06;
    }
    if construct >= 2000 {
        f *= 0.96;
    }
    f
}

/// `SURFHAB` in tenths of m²: the typical surface for the rooms × the building factor × ±5 %
/// (one standard deviation, clamped to ±12 %), at least 12 m².
pub fn surface_tenths(rng: &mut Rng, rooms: u8, building_factor: f64) -> i64 {
    let base = SURFACE_BY_ROOMS[usize::from(rooms.clamp(1, 6) - 1)];
    let noise = 1.0 + (0.05 * rng.normal()).clamp(-0.12, 0.12);
    ((base * building_factor * noise * 10.0).round() as i64).max(120)
}

/// `OCCUPATION` at 1 January.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occupancy {
    /// Let.
    Occupied,
    /// Offered for letting but not let.
    Vacant,
    /// Not offered: works, planned demolition or sale.
    Empty,
}

impl Occupancy {
    /// The code written in the file.
    pub fn code(self) -> &'static str {
        match self {
            Occupancy::Occupied => "occupe",
            Occupancy::Vacant => "vacant",
            Occupancy::Empty => "vide",
        }
    }
}

/// Base probability of a vacant dwelling, before the multipliers of [`occupancy`].
pub const BASE_VACANT: f64 = 0.024;
/// Base probability of an empty (withdrawn) dwelling.
pub const BASE_EMPTY: f64 = 0.008;

/// A dwelling's occupancy. Vacancy: [`BASE_VACANT`] × zone (Abis/A 0.5, B1 0.8, B2 1.3,
/// C or unknown 1.6) × 1.3 before 1975 × 1.8 in class F/G × 1.2 in a QPV. Withdrawn:
/// [`BASE_EMPTY`] × 2 before 1975 × 2.5 in class F/G.
pub fn occupancy(
    rng: &mut Rng,
    zonage: Option<Zonage>,
    construct: i64,
    energy: u8,
    in_qpv: bool,
) -> Occupancy {
    let zone = match zonage {
        Some(Zonage::Abis) | Some(Zonage::A) => 0.5,
        Some(Zonage::B1) => 0.8,
        Some(Zonage::B2) => 1.3,
        Some(Zonage::C) | None => 1.6,
    };
    let old = construct < 1975;
    let poor = energy >= 5;
    let vacant = BASE_VACANT
        * zone
        * if old { 1.3 } else { 1.0 }
        * if poor { 1.8 } else { 1.0 }
        * if in_qpv { 1.2 } else { 1.0 };
    let empty = BASE_EMPTY * if old { 2.0 } else { 1.0 } * if poor { 2.5 } else { 1.0 };
    let u = rng.f64();
    if u < vacant {
        Occupancy::Vacant
    } else if u < vacant + empty {
        Occupancy::Empty
    } else {
        Occupancy::Occupied
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::{any, prop_assert, prop_assert_eq, proptest};

    proptest! {
        #[test]
        fn collective_sizes_sum_and_stay_in_bounds(total in 8u64..20_000, seed in any::<u64>(), dens in 0usize..7) {
            let mut rng = Rng::seeded(seed);
            let sizes = collective_sizes(&mut rng, total, dens);
            prop_assert_eq!(sizes.iter().map(|&s| u64::from(s)).sum::<u64>(), total);
            for s in sizes {
                prop_assert!((COLLECTIVE_SIZE.0..=COLLECTIVE_SIZE.1).contains(&s), "{}", s);
            }
        }
    }

    #[test]
    fn no_collective_building_for_zero_and_geometric_is_capped() {
        assert!(collective_sizes(&mut Rng::seeded(1), 0, 0).is_empty());
        let mut rng = Rng::seeded(2);
        assert!((0..1000).all(|_| geometric(&mut rng, 0.99, 5) <= 5));
        assert_eq!(geometric(&mut rng, 0.0, 5), 0);
    }

    #[test]
    fn years_are_ordered_and_bounded() {
        let mut rng = Rng::seeded(1);
        for _ in 0..20_000 {
            for kind in [Kind::Collective, Kind::Individual] {
                let qpv = rng.chance(0.2);
                let c = construction_year(&mut rng, kind, qpv);
                let l = first_letting_year(&mut rng, c);
                assert!((1890..=LAST_YEAR).contains(&c));
                assert!(c <= l && l <= LAST_YEAR, "{c} {l}");
            }
        }
    }

    #[test]
    fn financing_matches_the_era() {
        let mut rng = Rng::seeded(2);
        assert_eq!(financing(&mut rng, 1930), "50");
        for _ in 0..1000 {
            assert!(["13", "10", "14", "16"].contains(&financing(&mut rng, 2015)));
            assert!(["12", "11", "49"].contains(&financing(&mut rng, 1990)));
            assert!(["52", "51", "53", "54"].contains(&financing(&mut rng, 1965)));
            for year in [1930, 1965, 1990, 2015] {
                assert!(!financing_label(financing(&mut rng, year)).is_empty());
            }
        }
        assert_eq!(agreement(&mut rng, "16"), 2);
        assert_eq!(financing_label("13"), "PLUS/LLS dans les DOM");
        assert_eq!(financing_label("7"), "");
    }

    #[test]
    fn rooms_and_surfaces_are_consistent() {
        let mut rng = Rng::seeded(3);
        let mut by_rooms = [(0i64, 0i64); 6];
        for _ in 0..50_000 {
            let r = rooms(&mut rng, Kind::Collective);
            assert!((1..=6).contains(&r));
            let s = surface_tenths(&mut rng, r, 1.0);
            assert!(s >= 120);
            by_rooms[usize::from(r - 1)].0 += s;
            by_rooms[usize::from(r - 1)].1 += 1;
        }
        let means: Vec<f64> = by_rooms
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| *s as f64 / *n as f64 / 10.0)
            .collect();
        assert!(means.windows(2).all(|w| w[0] < w[1]), "{means:?}");
    }

    #[test]
    fn classes_stay_in_range_and_old_buildings_are_worse() {
        let mut rng = Rng::seeded(4);
        let mut poor = [0u32; 2];
        for _ in 0..20_000 {
            for (i, year) in [1930, 2018].into_iter().enumerate() {
                let b = building_energy_class(&mut rng, year);
                let h = heating(&mut rng);
                let (e, g) = dwelling_classes(&mut rng, b, h);
                assert!(e <= 6 && g <= 6);
                poor[i] += u32::from(e >= 5);
            }
        }
        assert!(poor[0] > 1000 && poor[1] < 50, "{poor:?}");
    }
}
