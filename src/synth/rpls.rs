//! The social housing of one commune, as rows of the SDES RPLS "données détaillées au
//! logement" in its 2025 DiDo layout: one row per dwelling, dwellings grouped in buildings,
//! buildings in operations.
//!
//! An operation (one programme of one landlord) shares its construction and first-letting
//! years, financing, agreement, right, landlord, street and postcode, and its QPV. A building
//! has its own number and position (Lambert-93, written to the decimetre), energy class, heating
//! and surface factor. Every dwelling of a building shares its address, X/Y, `CONSTRUCT`,
//! `TYPECONST_CODE`, `FINAN_CODE`, `SYNTH_BAILLEUR` and QPV; rooms, surface, DPE and occupancy
//! vary. Collective buildings hold 8 to 150 dwellings, houses one.
//!
//! # Columns
//! [`HEADER`] holds the official columns the generator can fill, in the order of the official
//! file ([`DIDO_2025_COLUMNS`]), then [`SYNTHETIC_COLUMNS`], which the real file does not
//! publish: the occupancy at 1 January and the landlord's name. Left out, as the generator has
//! nothing true-looking to put there: the labels of the region, département, EPCI, right and
//! QPV (their wording in the real file is not known to us), floor, dwelling identifiers,
//! conventions, SRU, patrimony segments, accessibility and the geocoding zonings.
//!
//! Values: `REG_CODE`, `DEP_CODE` as in the COG (`32`, `62`); `EPSG` 2154; `QUALITE_XY` `11`
//! (street and number found, the INSEE geocoder's best class); `QPV_CODE` `1` in a QPV, `2`
//! outside; `PLG_QP24` the QPV 2024 code, `HZ` outside the commune's QPVs, `CSZ` in a commune
//! without QPV (the INSEE geolocation convention, assumed for RPLS).

use geo::Coord;

use super::address::{self, Street};
use super::calibration::{qpv_share, COLLECTIVE_SHARE};
use super::commune::Commune;
use super::dwelling::{
    self, collective_sizes, geometric, Heating, Kind, Occupancy, CLASSES, COLLECTIVE_SIZE,
};
use super::error::SynthError;
use super::landlord::Landlords;
use super::output::{push_int, push_text, push_uint, push_xy};
use super::place::Territory;
use super::projection::Lambert93;
use super::rng::Rng;

/// The columns of the SDES file "données détaillées au logement" of the RPLS at 1 January 2025
/// as DiDo serves it, in order (`;`-separated, UTF-8).
///
/// Reconstructed from public sources, not from the SDES dictionary (which we could not read):
/// the data model of the 2023 release (`REG_CODE` … `CODEPOSTAL` in this order, then `NU…`);
/// the tail `CONV` … `ZE2020` of the 2023 release in order; the 2025 names (`DEPCOM` instead of
/// `DEPCOM_CODE` from 2025, `PLG_QP24`, `PLG_IRIS2024_CODE`, `QUALITE_QP24`) and the set of
/// columns from public code reading the 2025 release. Inferred: `LIBCOM` as the commune's
/// label, and the order from `NUMVOIE` to `FINANAUTRE` (that of the older regional files).
/// The README ("Fichiers RPLS réels") lists the sources.
pub const DIDO_2025_COLUMNS: [&str; 70] = [
    "REG_CODE",
    "REG_LIBELLE",
    "DEP_CODE",
    "DEP_LIBELLE",
    "EPCI_CODE",
    "EPCI_LIBELLE",
    "DROIT_CODE",
    "DROIT_LIBELLE",
    "DEPCOM",
    "LIBCOM",
    "CODEPOSTAL",
    "NUMVOIE",
    "INDREP",
    "TYPVOIE",
    "NOMVOIE",
    "ETAGE",
    "COMPLGEO",
    "LIEUDIT",
    "QPV_CODE",
    "QPV_LIBELLE",
    "TYPECONST_CODE",
    "TYPECONST_LIBELLE",
    "NBPIECE",
    "SURFHAB",
    "CONSTRUCT",
    "LOCAT",
    "PATRIMOINE",
    "ORIGINE",
    "FINAN_CODE",
    "FINAN_LIBELLE",
    "FINANAUTRE",
    "CONV",
    "NUMCONV",
    "DATCONV",
    "NEWLOGT_CODE",
    "NEWLOGT_LIBELLE",
    "CUS",
    "DPEDATE",
    "DPEENERGIE",
    "DPESERRE",
    "SRU_EXPIR",
    "SRU_ALINEA",
    "CODSEGPATRIM",
    "LIBSEGPATRIM",
    "PMR_CODE",
    "PMR_LIBELLE",
    "PLG_VOIE",
    "EPSG",
    "X",
    "Y",
    "PLG_QP24",
    "PLG_QP15",
    "PLG_IRIS2024_CODE",
    "PLG_IRIS2024_LIBELLE",
    "PLG_ZUS",
    "PLG_QVA",
    "QUALITE_VOIE",
    "QUALITE_NUMERO",
    "QUALITE_XY",
    "DISTANCE_PRECISION",
    "QUALITE_QP24",
    "QUALITE_QP15",
    "QUALITE_IRIS",
    "QUALITE_ZUS",
    "QUALITE_QVA",
    "COMAQP",
    "COMAZUS",
    "UU2020",
    "AAV2020",
    "ZE2020",
];

/// The columns `bourg synth` adds after the official ones: the real file publishes neither the
/// occupancy (`occupe`, `vacant`, `vide`) nor the landlord.
pub const SYNTHETIC_COLUMNS: [&str; 2] = ["SYNTH_OCCUPATION", "SYNTH_BAILLEUR"];

/// The header of the generated file: official columns in the official order, then
/// [`SYNTHETIC_COLUMNS`].
pub const HEADER: &str = "REG_CODE;DEP_CODE;EPCI_CODE;DROIT_CODE;DEPCOM;LIBCOM;CODEPOSTAL;NUMVOIE;INDREP;TYPVOIE;NOMVOIE;QPV_CODE;TYPECONST_CODE;TYPECONST_LIBELLE;NBPIECE;SURFHAB;CONSTRUCT;LOCAT;FINAN_CODE;FINAN_LIBELLE;CONV;DPEENERGIE;DPESERRE;EPSG;X;Y;PLG_QP24;QUALITE_XY;SYNTH_OCCUPATION;SYNTH_BAILLEUR\n";

/// Spread of a QPV around its centre, metres (at most the commune's spread).
const QPV_SPREAD_M: f64 = 250.0;

/// Everything a commune's generation reads.
#[derive(Debug)]
pub struct Context<'a> {
    /// The commune.
    pub commune: &'a Commune,
    /// Its polygon, prepared.
    pub territory: &'a Territory,
    /// Standard deviation of the dwellings' distance to the centre, metres.
    pub spread_m: f64,
    /// The landlords of its département.
    pub landlords: &'a Landlords,
    /// The projection.
    pub l93: &'a Lambert93,
}

/// Counts over the generated dwellings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RplsStats {
    /// Dwellings (rows).
    pub dwellings: u64,
    /// Buildings.
    pub buildings: u64,
    /// Dwellings in collective buildings.
    pub collective: u64,
    /// Dwellings in a QPV.
    pub in_qpv: u64,
    /// Vacant dwellings.
    pub vacant: u64,
    /// Withdrawn (`vide`) dwellings.
    pub empty: u64,
    /// Dwellings of energy class F or G.
    pub energy_f_or_g: u64,
}

struct Operation<'a> {
    kind: Kind,
    qpv: Option<&'a str>,
    construct: i64,
    locat: i64,
    finan: &'static str,
    conv: u8,
    droit: u8,
    landlord: &'a str,
    street: Street,
    postcode: &'a str,
}

struct Building {
    op: usize,
    dwellings: u32,
    number: i64,
    indrep: &'static str,
    energy: u8,
    heating: Heating,
    surface_factor: f64,
}

/// Generates the commune's `expected` dwellings (rounded stochastically) and appends their rows
/// to `out`.
///
/// # Errors
/// When PROJ fails.
pub fn generate(
    ctx: &Context<'_>,
    rng: &mut Rng,
    expected: f64,
    out: &mut Vec<u8>,
    stats: &mut RplsStats,
) -> Result<(), SynthError> {
    let c = ctx.commune;
    let n = rng.round_stochastic(expected);
    if n == 0 {
        return Ok(());
    }
    let mut collective = rng.round_stochastic(n as f64 * COLLECTIVE_SHARE[c.dens_index()]);
    if collective < u64::from(COLLECTIVE_SIZE.0) {
        collective = 0;
    }
    let qpv_centres: Vec<Coord<f64>> = c.qpv.iter().map(|_| qpv_centre(ctx, rng)).collect();
    let mut ops: Vec<Operation<'_>> = Vec::new();
    let mut buildings: Vec<Building> = Vec::new();
    let mut positions: Vec<Coord<f64>> = Vec::new();

    let sizes = collective_sizes(rng, collective, c.dens_index());
    let mut next = 0;
    while next < sizes.len() {
        let count = (1 + geometric(rng, 0.45, 5)).min(sizes.len() - next);
        let op = operation(ctx, rng, Kind::Collective, &qpv_centres, &mut ops);
        let centre = op_centre(ctx, rng, &ops[op], &qpv_centres);
        let start = rng.range(1, 120);
        for (i, &size) in sizes[next..next + count].iter().enumerate() {
            let position = if i == 0 {
                centre
            } else {
                let angle = std::f64::consts::TAU * rng.f64();
                let dist = 30.0 + 70.0 * rng.f64();
                near(
                    ctx,
                    rng,
                    centre,
                    dist * angle.cos(),
                    dist * angle.sin(),
                    60.0,
                )
            };
            push_building(
                rng,
                &ops,
                op,
                size,
                start + 2 * i as i64,
                0.03,
                &mut buildings,
            );
            positions.push(position);
        }
        next += count;
    }
    let mut houses = n - collective;
    while houses > 0 {
        let count = (1 + geometric(rng, 0.83, 24)).min(houses as usize);
        let op = operation(ctx, rng, Kind::Individual, &qpv_centres, &mut ops);
        let centre = op_centre(ctx, rng, &ops[op], &qpv_centres);
        let start = rng.range(1, 60);
        let angle = std::f64::consts::TAU * rng.f64();
        for i in 0..count {
            let along = 16.0 * (i as f64 - (count as f64 - 1.0) / 2.0);
            let position = near(
                ctx,
                rng,
                centre,
                along * angle.cos(),
                along * angle.sin(),
                40.0,
            );
            push_building(rng, &ops, op, 1, start + 2 * i as i64, 0.01, &mut buildings);
            positions.push(position);
        }
        houses -= count as u64;
    }
    let xy = ctx
        .territory
        .project_checked(ctx.l93, rng, &positions, ctx.spread_m)?;
    write_rows(ctx, rng, &ops, &buildings, &xy, out, stats);
    Ok(())
}

fn qpv_centre(ctx: &Context<'_>, rng: &mut Rng) -> Coord<f64> {
    // Large estates rarely sit on the historic centre: prefer at least 0.4 spread away from it.
    let t = ctx.territory;
    let mut c = t.centre;
    for _ in 0..16 {
        c = t.sample_near(rng, t.centre, ctx.spread_m);
        if t.distance_m(c, t.centre) >= 0.4 * ctx.spread_m {
            break;
        }
    }
    c
}

fn operation<'a>(
    ctx: &Context<'a>,
    rng: &mut Rng,
    kind: Kind,
    qpv_centres: &[Coord<f64>],
    ops: &mut Vec<Operation<'a>>,
) -> usize {
    let c = ctx.commune;
    let share = qpv_share(qpv_centres.len()) * if kind == Kind::Individual { 0.3 } else { 1.0 };
    let qpv = (rng.chance(share) && !c.qpv.is_empty())
        .then(|| c.qpv[rng.below(c.qpv.len() as u64) as usize].as_str());
    let construct = dwelling::construction_year(rng, kind, qpv.is_some());
    let locat = dwelling::first_letting_year(rng, construct);
    let finan = dwelling::financing(rng, locat);
    let postcode = if c.postcodes.is_empty() {
        ""
    } else {
        c.postcodes[rng.below(c.postcodes.len() as u64) as usize].as_str()
    };
    ops.push(Operation {
        kind,
        qpv,
        construct,
        locat,
        finan,
        conv: dwelling::agreement(rng, finan),
        droit: dwelling::right(rng, locat),
        landlord: ctx.landlords.pick(rng, c.dens7),
        street: address::street(rng, kind),
        postcode,
    });
    ops.len() - 1
}

fn op_centre(
    ctx: &Context<'_>,
    rng: &mut Rng,
    op: &Operation<'_>,
    qpv_centres: &[Coord<f64>],
) -> Coord<f64> {
    let t = ctx.territory;
    match op.qpv {
        Some(code) => {
            let i = ctx.commune.qpv.iter().position(|q| q == code).unwrap_or(0);
            let centre = qpv_centres.get(i).copied().unwrap_or(t.centre);
            t.sample_near(rng, centre, QPV_SPREAD_M.min(ctx.spread_m))
        }
        None => {
            let spread = match op.kind {
                Kind::Collective => ctx.spread_m,
                Kind::Individual => 1.3 * ctx.spread_m,
            };
            t.sample_near(rng, t.centre, spread)
        }
    }
}

/// `centre` moved by (`east`, `north`) metres when that stays inside, else a draw around it.
fn near(
    ctx: &Context<'_>,
    rng: &mut Rng,
    centre: Coord<f64>,
    east: f64,
    north: f64,
    sigma: f64,
) -> Coord<f64> {
    let p = ctx.territory.offset(centre, east, north);
    if ctx.territory.accepts(p) {
        p
    } else {
        ctx.territory.sample_near(rng, centre, sigma)
    }
}

fn push_building(
    rng: &mut Rng,
    ops: &[Operation<'_>],
    op: usize,
    dwellings: u32,
    number: i64,
    p_repetition: f64,
    buildings: &mut Vec<Building>,
) {
    let o = &ops[op];
    buildings.push(Building {
        op,
        dwellings,
        number,
        indrep: address::repetition(rng, p_repetition),
        energy: dwelling::building_energy_class(rng, o.construct),
        heating: dwelling::heating(rng),
        surface_factor: dwelling::building_surface_factor(rng, o.kind, o.construct),
    });
}

fn write_rows(
    ctx: &Context<'_>,
    rng: &mut Rng,
    ops: &[Operation<'_>],
    buildings: &[Building],
    xy: &[super::projection::Decimetres],
    out: &mut Vec<u8>,
    stats: &mut RplsStats,
) {
    let c = ctx.commune;
    // Outside a QPV: `HZ` in a commune that has some, `CSZ` in one without.
    let outside_qpv = if c.qpv.is_empty() { "CSZ" } else { "HZ" };
    let (mut head, mut mid, mut tail) = (Vec::new(), Vec::new(), Vec::new());
    for (b, &position) in buildings.iter().zip(xy) {
        let o = &ops[b.op];
        // REG_CODE … TYPECONST_LIBELLE, then NBPIECE;SURFHAB per dwelling.
        head.clear();
        for field in [c.reg.as_str(), c.dep.as_str(), c.epci.as_str()] {
            push_text(&mut head, field);
            head.push(b';');
        }
        push_uint(&mut head, u64::from(o.droit));
        head.push(b';');
        for field in [c.code.as_str(), c.name.as_str(), o.postcode] {
            push_text(&mut head, field);
            head.push(b';');
        }
        push_int(&mut head, b.number);
        for field in [b.indrep, o.street.kind, o.street.name] {
            head.push(b';');
            push_text(&mut head, field);
        }
        head.push(b';');
        head.push(if o.qpv.is_some() { b'1' } else { b'2' });
        for field in [o.kind.code(), o.kind.label()] {
            head.push(b';');
            push_text(&mut head, field);
        }
        head.push(b';');
        // CONSTRUCT … CONV, then DPEENERGIE;DPESERRE per dwelling.
        mid.clear();
        push_int(&mut mid, o.construct);
        mid.push(b';');
        push_int(&mut mid, o.locat);
        mid.push(b';');
        push_text(&mut mid, o.finan);
        mid.push(b';');
        push_text(&mut mid, dwelling::financing_label(o.finan));
        mid.push(b';');
        push_uint(&mut mid, u64::from(o.conv));
        mid.push(b';');
        // EPSG … QUALITE_XY, then SYNTH_OCCUPATION per dwelling and SYNTH_BAILLEUR.
        tail.clear();
        tail.extend_from_slice(b"2154;");
        push_xy(&mut tail, position);
        tail.push(b';');
        push_text(&mut tail, o.qpv.unwrap_or(outside_qpv));
        tail.extend_from_slice(b";11;");
        stats.buildings += 1;
        for _ in 0..b.dwellings {
            let rooms = dwelling::rooms(rng, o.kind);
            let surface = dwelling::surface_tenths(rng, rooms, b.surface_factor);
            let (energy, ghg) = dwelling::dwelling_classes(rng, b.energy, b.heating);
            let occupancy =
                dwelling::occupancy(rng, c.zonage, o.construct, energy, o.qpv.is_some());
            out.extend_from_slice(&head);
            push_uint(out, u64::from(rooms));
            out.push(b';');
            super::output::push_tenths(out, surface);
            out.push(b';');
            out.extend_from_slice(&mid);
            out.push(CLASSES[usize::from(energy)]);
            out.push(b';');
            out.push(CLASSES[usize::from(ghg)]);
            out.push(b';');
            out.extend_from_slice(&tail);
            out.extend_from_slice(occupancy.code().as_bytes());
            out.push(b';');
            push_text(out, o.landlord);
            out.push(b'\n');
            stats.dwellings += 1;
            stats.collective += u64::from(o.kind == Kind::Collective);
            stats.in_qpv += u64::from(o.qpv.is_some());
            stats.vacant += u64::from(occupancy == Occupancy::Vacant);
            stats.empty += u64::from(occupancy == Occupancy::Empty);
            stats.energy_f_or_g += u64::from(energy >= 5);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_official_columns_in_order_then_synthetic_ones() {
        let columns: Vec<&str> = HEADER.trim_end().split(';').collect();
        let (official, added) = columns.split_at(columns.len() - SYNTHETIC_COLUMNS.len());
        assert_eq!(added, SYNTHETIC_COLUMNS);
        let positions: Vec<usize> = official
            .iter()
            .map(|c| {
                DIDO_2025_COLUMNS
                    .iter()
                    .position(|d| d == c)
                    .unwrap_or_else(|| panic!("{c} is not an official column"))
            })
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
        assert!(SYNTHETIC_COLUMNS.iter().all(|c| c.starts_with("SYNTH_")));
    }
}
