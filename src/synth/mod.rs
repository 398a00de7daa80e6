//! `bourg synth`: synthetic social housing (RPLS) and private long-term vacancy (LOVAC-like)
//! files, in the official layouts, calibrated on real public aggregates.
//!
//! The real geolocated RPLS (one row per social dwelling) and the per-building LOVAC are not
//! public. This generator writes files that look like them — same columns, plausible values,
//! points where people live — so Bourg can be developed and demonstrated without them. **No row
//! describes a real dwelling**; every landlord name ends in "(synthétique)".
//!
//! # Outputs
//! - [`RPLS_FILE`]: `;`-separated UTF-8, one row per dwelling, in the 2025 DiDo layout of the
//!   SDES file ([`DIDO_2025_COLUMNS`]): the official columns the generator fills, in their
//!   order, then two columns the real file does not have, [`SYNTHETIC_COLUMNS`]
//!   (`SYNTH_OCCUPATION`, `SYNTH_BAILLEUR`). Header: [`RPLS_HEADER`].
//! - [`VACANCY_FILE`]: one row per building with long-term vacant private dwellings,
//!   `DEPCOM;LIBCOM;X;Y;NB_LOGVAC;DUREE_VACANCE;ANNEE_CONSTRUCTION;TYPE_LOCAL`.
//!
//! CRS: X/Y are Lambert-93 (EPSG:2154) metres with one decimal, projected from WGS84 with GDAL's
//! OSR. Decimals use a point (`65.5`). Only metropolitan France is generated: Lambert-93 does not
//! cover the overseas départements (the real RPLS uses local projections there).
//!
//! # Determinism
//! Same inputs and seed (default [`DEFAULT_SEED`]) give byte-identical files: each commune draws
//! from its own xoshiro256** stream derived from (seed, INSEE code, purpose), communes are
//! written in code order, and nothing depends on time, threads or hash order. A commune's rows
//! do not depend on which other communes are generated: the rows of `--dep 62` are exactly the
//! Pas-de-Calais rows of `--france`.
//!
//! # Calibration (assumptions)
//! Social stock per commune ([`calibration`]): `pmun22 × rate(dens7) × zonage × QPV`, with rates
//! per inhabitant 0.095, 0.105, 0.085, 0.052, 0.042, 0.024, 0.016 for dens7 classes 1 to 7,
//! zonage factor 1.05 (A, B1), 1.0 (Abis, B2), 0.85 (C or not in the table), QPV factor 1 without
//! QPV, 1.3 + 0.05 per QPV (at most six counted) with. Communes under 100 inhabitants get none.
//! All weights are scaled by one factor (≈ 0.90) so metropolitan France totals 5.3 million; each
//! commune's expected count is rounded stochastically (a commune expecting 0.3 dwellings has one
//! with probability 0.3). The factor is always computed over the national file, so a `--dep`
//! run gives a département its share of the national total. Communes missing from the zonage,
//! QPV, LOVAC or programme tables are still generated, with the defaults above.
//!
//! Collective share of dwellings by dens7: 93, 86, 75, 63, 52, 38, 28 % (≈ 82 % nationally);
//! fewer than 8 collective dwellings in a commune become houses. Collective buildings: 8–150
//! dwellings, log-normal with median 40 (dens7 1) down to 10 (dens7 7); 1 to 6 buildings per
//! operation, 30–100 m apart. Houses: operations of 1 to 25 (mean ≈ 6) in a row 16 m apart.
//!
//! QPV: in a commune with n QPVs (2024 list), 30 + 5n % (at most 55 %) of collective operations
//! and 30 % of that for houses lie in one of them and carry its code; each QPV is a cluster
//! (σ = 250 m) around a point drawn away from the centre. Other operations are drawn around the
//! commune's centre: its ACV, else PVD, else ORT point (ANCT), else an interior point of its
//! polygon. The spread is a 2-D Gaussian whose σ grows with population (see
//! [`calibration::spread_m`]); houses spread 1.3 × further. Every point lies inside its COG 2025
//! commune polygon and at least 1 m from its boundary.
//!
//! Dwellings ([`dwelling`]; reference date 1 January 2025): construction years by period with
//! peaks 1955–1980 (QPV buildings more so, houses more recent); first letting = construction
//! (+0/1 year), or 5–80 years later for 12 % bought and improved; rooms 1–6 (mostly 2–4),
//! surface from rooms (31, 47, 65, 79, 92, 106 m²) ±6 % per building ±5 % per dwelling; energy
//! class by construction period, pre-1975 buildings rehabilitated with probability 0.25; GHG
//! class from the heating (fossil, electric, network). Occupancy: vacancy 2.4 % × zone (A 0.5,
//! B1 0.8, B2 1.3, C 1.6) × 1.3 before 1975 × 1.8 in F/G × 1.2 in a QPV; withdrawn (`vide`)
//! 0.8 % × 2 before 1975 × 2.5 in F/G.
//!
//! Code tables. **The codes and labels follow public code and analyses reading the SDES files
//! (sources in the README, "Fichiers RPLS réels"); they were not checked against the official
//! SDES dictionary — check before relying on them.**
//! - `TYPECONST_CODE` / `TYPECONST_LIBELLE`: `C` collectif, `I` individuel (`E` logement
//!   étudiant is not generated).
//! - `FINAN_CODE` / `FINAN_LIBELLE` ([`dwelling::financing_label`]): `10` PLA d'intégration
//!   (PLAI), `11` PLA loyer minoré / très social / insertion, `12` PLA ordinaire, `13` PLUS,
//!   `14` PLS, `16` PLI, `49` other financing, `50` HBM, `51` PLR/PSR, `52` HLM/O, `53` ILM,
//!   `54` ILN. Drawn from the first-letting year: before 1950 HBM; 1950–1977 HLM/O 70 %,
//!   PLR/PSR 12 %, ILM 12 %, ILN 6 %; 1978–1999 PLA ordinaire 80 %, `11` 8 %, `49` 12 %; from
//!   2000 PLUS 55 %, PLAI 27 %, PLS 15 %, PLI 3 %.
//! - `CONV`: `1` under an APL agreement, `2` not (PLI never; pre-1977 stock 80 %; `49` 60 %;
//!   other schemes 99 %).
//! - `DROIT_CODE`: `1` full ownership, `2` usufruct, `3` bail emphytéotique, `4` bail à
//!   réhabilitation, `5` bail à construction (95.5 / 1 / 2 / 1 / 0.5 %).
//! - `QPV_CODE`: `1` in a QPV, `2` outside; `PLG_QP24`: the QPV 2024 code (`QN06201M`), `HZ`
//!   outside the commune's QPVs, `CSZ` in a commune without any.
//! - `SYNTH_OCCUPATION` (not in the real file): `occupe`, `vacant` (offered, not let), `vide`
//!   (not offered: works, demolition, sale). `SYNTH_BAILLEUR` (not in the real file): a
//!   generic landlord name ending in "(synthétique)".
//!
//! Private vacancy ([`vacancy`]): per commune, the sum of `NB_LOGVAC` equals the LOVAC 2021
//! figure `round(nb_log_pp × pct_vacants_plus_2ans_pp / 100)` (half away from zero) when both
//! are published. Otherwise it is **imputed**: `nb_log_pp` (or, when unpublished too, the
//! population × the median private dwellings per inhabitant of the published communes of the
//! same dens7 class) × the median share of the published communes of the same dens7 class.
//! LOVAC rows of communes merged since 2021 match no COG 2025 code and are not used.
//!
//! Not modelled: the bassin minier's many individual social houses, student and elderly
//! residences, real street names, the correlation of vacancy with specific estates.

mod address;
pub mod calibration;
mod commune;
pub mod dwelling;
mod error;
pub mod inputs;
mod landlord;
mod output;
mod place;
mod projection;
mod reader;
mod rng;
mod rpls;
mod summary;
mod vacancy;

use std::path::{Path, PathBuf};
use std::time::Instant;

pub use commune::{Commune, Lovac, Programme, Zonage};
pub use error::SynthError;
pub use inputs::{normalise_departement, Scope};
pub use rng::{Purpose, Rng};
pub use rpls::{RplsStats, DIDO_2025_COLUMNS, HEADER as RPLS_HEADER, SYNTHETIC_COLUMNS};
pub use summary::{DepartementTotals, Summary};
pub use vacancy::VacancyStats;

use calibration::{SocialModel, VacancyModel, VacancySource};
use landlord::Landlords;
use output::AtomicFile;
use place::Territory;
use projection::Lambert93;

/// The seed used when none is given.
pub const DEFAULT_SEED: u64 = 2026;
/// File name of the RPLS-like output.
pub const RPLS_FILE: &str = "rpls.csv";
/// File name of the vacancy output.
pub const VACANCY_FILE: &str = "vacance_batiments.csv";

/// What to generate and where.
#[derive(Debug, Clone)]
pub struct Options {
    /// Départements to generate.
    pub scope: Scope,
    /// Seed of every random draw.
    pub seed: u64,
    /// The data folder (`layers/data`): demo polygons, and the national tables in `france/`.
    pub data_dir: PathBuf,
    /// The output folder, created if missing.
    pub out_dir: PathBuf,
}

/// Generates both files.
///
/// # Errors
/// An unknown or overseas département, a missing or malformed input, an output folder or file
/// that cannot be written. Nothing is left under the final file names on error.
///
/// # Runtime
/// About 0.7 s to read the national commune file, then linear in the dwellings generated
/// (5.3 million for `--france`, see the README for measured times).
pub fn run(options: &Options) -> Result<Summary, SynthError> {
    crate::init_gdal();
    let started = Instant::now();
    let inputs = inputs::load(&options.data_dir, &options.scope)?;
    let social = SocialModel::calibrate(&inputs.communes);
    let vacancy_model = VacancyModel::calibrate(&inputs.communes);
    let l93 = Lambert93::new()?;
    let out = &options.out_dir;
    std::fs::create_dir_all(out).map_err(|source| SynthError::Write {
        path: out.clone(),
        source,
    })?;
    let mut rpls_file = AtomicFile::create(&out.join(RPLS_FILE))?;
    let mut vacancy_file = AtomicFile::create(&out.join(VACANCY_FILE))?;
    rpls_file.write(rpls::HEADER.as_bytes())?;
    vacancy_file.write(vacancy::HEADER.as_bytes())?;

    let mut summary = Summary {
        seed: options.seed,
        normalisation: social.factor(),
        ..Summary::default()
    };
    let mut landlords: Option<(String, Landlords)> = None;
    let (mut rows, mut vacancy_rows) = (Vec::with_capacity(1 << 20), Vec::with_capacity(1 << 16));
    for commune in &inputs.communes {
        if !inputs.departements.contains(&commune.dep) {
            continue;
        }
        let Some((polygon, file)) = inputs.polygons.get(&commune.code) else {
            continue;
        };
        let territory = Territory::new(polygon.clone(), commune.programme.map(|(_, p)| p))
            .map_err(|reason| SynthError::BadGeometry {
                path: options.data_dir.join(file),
                code: commune.code.clone(),
                reason,
            })?;
        if landlords
            .as_ref()
            .is_none_or(|(dep, _)| *dep != commune.dep)
        {
            landlords = Some((commune.dep.clone(), Landlords::of(&commune.dep)));
        }
        let Some((_, dep_landlords)) = landlords.as_ref() else {
            continue;
        };
        let ctx = rpls::Context {
            commune,
            spread_m: calibration::spread_m(commune, territory.area_m2),
            territory: &territory,
            landlords: dep_landlords,
            l93: &l93,
        };
        let expected = social.expected(commune);
        let (target, source) = vacancy_model.target(commune);
        let totals = summary
            .by_departement
            .entry(commune.dep.clone())
            .or_default();
        let before = (summary.rpls.dwellings, summary.vacancy.dwellings);
        rows.clear();
        let mut rng = Rng::stream(options.seed, &commune.code, Purpose::Rpls);
        rpls::generate(&ctx, &mut rng, expected, &mut rows, &mut summary.rpls)?;
        rpls_file.write(&rows)?;
        vacancy_rows.clear();
        let mut rng = Rng::stream(options.seed, &commune.code, Purpose::Vacancy);
        vacancy::generate(
            &ctx,
            &mut rng,
            target,
            &mut vacancy_rows,
            &mut summary.vacancy,
        )?;
        vacancy_file.write(&vacancy_rows)?;
        totals.communes += 1;
        totals.expected_dwellings += expected;
        totals.dwellings += summary.rpls.dwellings - before.0;
        totals.vacant_private += summary.vacancy.dwellings - before.1;
        if source != VacancySource::Published {
            totals.imputed_vacancy_communes += 1;
        }
    }
    summary.files = vec![
        (out.join(RPLS_FILE), rpls_file.commit()?),
        (out.join(VACANCY_FILE), vacancy_file.commit()?),
    ];
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// The data folder used by default, relative to the working directory.
pub fn default_data_dir() -> &'static Path {
    Path::new("layers/data")
}
