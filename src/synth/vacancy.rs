//! Long-term vacant private dwellings of one commune, as LOVAC-like building points: one row per
//! building holding at least one private dwelling vacant for 2 years or more.
//!
//! The commune's count is split into houses (one dwelling) and blocks of flats (1 to 20 vacant
//! flats, geometric, mean ≈ 1.7) so that the `NB_LOGVAC` of its rows sum exactly to the count.
//! Calibration on the Zéro Logement Vacant distributions of the LOVAC 2024 vacant stock
//! (`lovac_zlv_distributions_acv.csv`), ACV communes apart from the others:
//! - share of flats: 76 % in ACV communes (294,421 of 387,310); elsewhere by dens7 class
//!   (85, 70, 60, 40, 36, 24, 16 %), which averages the published 48 % over the vacant stock's
//!   density mix;
//! - construction year: the published deciles of the building year, uniform within a decile
//!   (the first decile, published as "0–1800", is drawn in 1700–1800);
//! - duration: 42 % in "3–5 years" (widened here to 2–5), 58 % in "6–10 years" (723,384 and
//!   1,012,378 dwellings), +8 points of long vacancy for buildings from before 1949; the year
//!   is then capped so the building existed when the vacancy began (LOVAC reference: 2021-01-01).
//!
//! Points are drawn like the social buildings but closer to the centre (0.7 × the spread): long
//! vacancy concentrates in old town centres.

use geo::Coord;

use super::output::{push_int, push_text, push_uint, push_xy};
use super::rng::Rng;
use super::rpls::Context;
use super::SynthError;

/// The header of the vacancy file.
pub const HEADER: &str =
    "DEPCOM;LIBCOM;X;Y;NB_LOGVAC;DUREE_VACANCE;ANNEE_CONSTRUCTION;TYPE_LOCAL\n";

/// LOVAC 2021 reference year (vacancy measured at 1 January).
pub const REFERENCE_YEAR: i64 = 2021;
/// Most vacant flats in one building.
pub const MAX_FLATS: u64 = 20;

const FLAT_SHARE_ACV: f64 = 0.76;
const FLAT_SHARE_BY_DENS7: [f64; 7] = [0.85, 0.70, 0.60, 0.40, 0.36, 0.24, 0.16];
/// Building-year deciles, ACV communes (ZLV, LOVAC 2024 vacant stock).
const DECILES_ACV: [(i64, i64); 10] = [
    (1700, 1800),
    (1800, 1860),
    (1860, 1896),
    (1896, 1910),
    (1910, 1939),
    (1939, 1961),
    (1961, 1972),
    (1972, 1987),
    (1987, 2005),
    (2005, 2019),
];
/// Building-year deciles, other communes.
const DECILES_OTHER: [(i64, i64); 10] = [
    (1700, 1800),
    (1800, 1850),
    (1850, 1870),
    (1870, 1900),
    (1900, 1920),
    (1920, 1953),
    (1953, 1969),
    (1969, 1983),
    (1983, 2004),
    (2004, 2019),
];
const LONG_SHARE: f64 = 0.583;

/// Counts over the generated vacancy rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VacancyStats {
    /// Buildings (rows).
    pub buildings: u64,
    /// Vacant dwellings (sum of `NB_LOGVAC`).
    pub dwellings: u64,
    /// Dwellings in blocks of flats.
    pub flats: u64,
}

struct VacantBuilding {
    dwellings: u64,
    duration: i64,
    year: i64,
    flats: bool,
}

/// Appends the rows of the commune's `count` long-term vacant private dwellings to `out`.
///
/// # Errors
/// When PROJ fails.
pub fn generate(
    ctx: &Context<'_>,
    rng: &mut Rng,
    count: u64,
    out: &mut Vec<u8>,
    stats: &mut VacancyStats,
) -> Result<(), SynthError> {
    let c = ctx.commune;
    let acv = c.is_acv();
    let flat_share = if acv {
        FLAT_SHARE_ACV
    } else {
        FLAT_SHARE_BY_DENS7[c.dens_index()]
    };
    let deciles = if acv { &DECILES_ACV } else { &DECILES_OTHER };
    let spread = 0.7 * ctx.spread_m;
    let mut buildings = Vec::new();
    let mut positions: Vec<Coord<f64>> = Vec::new();
    let mut rest = count;
    while rest > 0 {
        let flats = rng.chance(flat_share);
        let mut dwellings = 1;
        if flats {
            while dwellings < MAX_FLATS.min(rest) && rng.chance(0.4) {
                dwellings += 1;
            }
        }
        let (lo, hi) = deciles[rng.below(10) as usize];
        let mut year = rng.range(lo, hi);
        let long = LONG_SHARE + if year < 1949 { 0.08 } else { 0.0 };
        let duration = if rng.chance(long) {
            rng.range(6, 10)
        } else {
            rng.range(2, 5)
        };
        year = year.min(REFERENCE_YEAR - duration);
        buildings.push(VacantBuilding {
            dwellings,
            duration,
            year,
            flats,
        });
        positions.push(ctx.territory.sample_near(rng, ctx.territory.centre, spread));
        rest -= dwellings;
    }
    let xy = ctx
        .territory
        .project_checked(ctx.l93, rng, &positions, spread)?;
    for (b, &position) in buildings.iter().zip(&xy) {
        push_text(out, &c.code);
        out.push(b';');
        push_text(out, &c.name);
        out.push(b';');
        push_xy(out, position);
        out.push(b';');
        push_uint(out, b.dwellings);
        out.push(b';');
        push_int(out, b.duration);
        out.push(b';');
        push_int(out, b.year);
        out.push(b';');
        out.extend_from_slice(if b.flats {
            b"appartement\n"
        } else {
            b"maison\n"
        });
        stats.buildings += 1;
        stats.dwellings += b.dwellings;
        stats.flats += if b.flats { b.dwellings } else { 0 };
    }
    Ok(())
}
