//! What a run produced: counts, shares and sizes, printed by `bourg synth` and read by tests.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use super::rpls::RplsStats;
use super::vacancy::VacancyStats;

/// Totals of one département.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DepartementTotals {
    /// Communes generated.
    pub communes: u64,
    /// Social dwellings the model expects (before stochastic rounding).
    pub expected_dwellings: f64,
    /// Social dwellings written.
    pub dwellings: u64,
    /// Long-term vacant private dwellings written.
    pub vacant_private: u64,
    /// Communes whose vacancy count was imputed (LOVAC unpublished).
    pub imputed_vacancy_communes: u64,
}

/// The result of a run.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// The seed used.
    pub seed: u64,
    /// The national normalisation factor of the social-stock model.
    pub normalisation: f64,
    /// Social housing counts.
    pub rpls: RplsStats,
    /// Private vacancy counts.
    pub vacancy: VacancyStats,
    /// Per département.
    pub by_departement: BTreeMap<String, DepartementTotals>,
    /// Files written, with their sizes in bytes.
    pub files: Vec<(PathBuf, u64)>,
    /// Wall time.
    pub elapsed: Duration,
}

/// `part / whole` in %, 0 when `whole` is 0.
pub fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.rpls;
        let communes: u64 = self.by_departement.values().map(|d| d.communes).sum();
        let imputed: u64 = self
            .by_departement
            .values()
            .map(|d| d.imputed_vacancy_communes)
            .sum();
        writeln!(
            f,
            "{} départements, {communes} communes, seed {}, normalisation factor {:.4}",
            self.by_departement.len(),
            self.seed,
            self.normalisation
        )?;
        writeln!(
            f,
            "social housing: {} dwellings in {} buildings; collective {:.1} %, in a QPV {:.1} %, \
             vacant {:.2} %, withdrawn {:.2} %, energy class F or G {:.1} %",
            r.dwellings,
            r.buildings,
            percent(r.collective, r.dwellings),
            percent(r.in_qpv, r.dwellings),
            percent(r.vacant, r.dwellings),
            percent(r.empty, r.dwellings),
            percent(r.energy_f_or_g, r.dwellings),
        )?;
        writeln!(
            f,
            "private long-term vacancy: {} dwellings in {} buildings ({:.1} % flats); \
             {imputed} communes imputed",
            self.vacancy.dwellings,
            self.vacancy.buildings,
            percent(self.vacancy.flats, self.vacancy.dwellings),
        )?;
        if self.by_departement.len() <= 12 {
            for (dep, d) in &self.by_departement {
                writeln!(
                    f,
                    "  {dep}: {} social dwellings (model {:.0}), {} vacant private dwellings",
                    d.dwellings, d.expected_dwellings, d.vacant_private
                )?;
            }
        }
        for (path, bytes) in &self.files {
            writeln!(
                f,
                "wrote {} ({:.1} MB)",
                path.display(),
                *bytes as f64 / 1e6
            )?;
        }
        write!(f, "in {:.2} s", self.elapsed.as_secs_f64())
    }
}
