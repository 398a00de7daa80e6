//! The commune-level model: how many social dwellings and long-term vacant private dwellings
//! each commune gets, how many are collective or in a QPV, and how far from the centre they
//! spread. Every number is an assumption stated here and in the `synth` module docs.
//!
//! Social stock: `weight = pmun22 × rate(dens7) × zonage factor × QPV factor` for communes of at
//! least [`MIN_POPULATION`] inhabitants, then every weight is multiplied by one factor so that the
//! weights of all metropolitan communes sum to [`NATIONAL_SOCIAL_DWELLINGS`]. The factor is always
//! computed over the whole national file, so a `--dep` run gives each département its share of
//! the national total, exactly as a `--france` run does.
//!
//! Private vacancy: the published LOVAC 2021 figure when there is one; otherwise imputed from the
//! median share (and, when the stock is unpublished too, the median stock per inhabitant) of the
//! published communes of the same density class.

use super::commune::{Commune, Zonage};

/// Social dwellings in metropolitan France (RPLS order of magnitude at 1 January 2024–2025,
/// France entière ≈ 5.4 M of which ≈ 0.17 M overseas).
pub const NATIONAL_SOCIAL_DWELLINGS: f64 = 5_300_000.0;

/// Communes below this population get no social dwelling.
pub const MIN_POPULATION: u32 = 100;

/// Social dwellings per inhabitant before normalisation, by dens7 class 1..=7: highest in urban
/// centres, a few per hundred inhabitants in rural communes.
pub const RATE_PER_INHABITANT: [f64; 7] = [0.095, 0.105, 0.085, 0.052, 0.042, 0.024, 0.016];

/// Share of a commune's social dwellings in collective buildings, by dens7 class.
pub const COLLECTIVE_SHARE: [f64; 7] = [0.93, 0.86, 0.75, 0.63, 0.52, 0.38, 0.28];

/// Built-up density (inhabitants per km²) used to size the area where dwellings spread, by dens7.
pub const BUILT_DENSITY_PER_KM2: [f64; 7] = [4000.0, 2500.0, 1500.0, 1200.0, 1000.0, 700.0, 500.0];

/// Multiplier for the housing-market zone: tight markets have more social housing per
/// inhabitant, relaxed ones (C, and communes missing from the table) less.
pub fn zonage_factor(zonage: Option<Zonage>) -> f64 {
    match zonage {
        Some(Zonage::Abis) | Some(Zonage::B2) => 1.0,
        Some(Zonage::A) | Some(Zonage::B1) => 1.05,
        Some(Zonage::C) | None => 0.85,
    }
}

/// Multiplier for a commune with `n` QPVs: 1 without, 1.35 with one, up to 1.6 with six or more.
pub fn qpv_factor(n: usize) -> f64 {
    if n == 0 {
        1.0
    } else {
        1.3 + 0.05 * n.min(6) as f64
    }
}

/// Share of a commune's collective social dwellings placed in one of its QPVs: 35 % with one
/// QPV, +5 points per further QPV, at most 55 %. Individual houses: 30 % of that.
pub fn qpv_share(n: usize) -> f64 {
    if n == 0 {
        0.0
    } else {
        (0.30 + 0.05 * n as f64).min(0.55)
    }
}

/// The commune's social-stock weight before normalisation.
pub fn social_weight(c: &Commune) -> f64 {
    if c.population < MIN_POPULATION {
        return 0.0;
    }
    f64::from(c.population)
        * RATE_PER_INHABITANT[c.dens_index()]
        * zonage_factor(c.zonage)
        * qpv_factor(c.qpv.len())
}

/// The social-stock model normalised on the national commune set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SocialModel {
    factor: f64,
}

impl SocialModel {
    /// Normalises the weights of `communes` (all of metropolitan France) to the national total.
    pub fn calibrate(communes: &[Commune]) -> Self {
        let total: f64 = communes.iter().map(social_weight).sum();
        let factor = if total > 0.0 {
            NATIONAL_SOCIAL_DWELLINGS / total
        } else {
            0.0
        };
        Self { factor }
    }

    /// The normalisation factor (about 0.9: the rates above are nearly dwellings per inhabitant).
    pub fn factor(&self) -> f64 {
        self.factor
    }

    /// Expected social dwellings of a commune; the generator rounds it stochastically.
    pub fn expected(&self, c: &Commune) -> f64 {
        social_weight(c) * self.factor
    }
}

/// How far from their centre a commune's dwellings spread: the standard deviation, in metres,
/// of the 2-D Gaussian they are drawn from. 0.6 × the radius of a disc holding the population
/// at the class's built-up density, at least 100 m, at most 0.6 × the radius of a disc of the
/// commune's area.
pub fn spread_m(c: &Commune, area_m2: f64) -> f64 {
    let density = BUILT_DENSITY_PER_KM2[c.dens_index()] / 1e6;
    let urban_radius = (f64::from(c.population.max(1)) / (std::f64::consts::PI * density)).sqrt();
    let commune_radius = (area_m2.max(0.0) / std::f64::consts::PI).sqrt();
    (0.6 * urban_radius).clamp(100.0, (0.6 * commune_radius).max(100.0))
}

/// Where a commune's count of long-term vacant private dwellings comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VacancySource {
    /// The published LOVAC 2021 figure.
    Published,
    /// Published private stock × the median share of the density class.
    ImputedShare,
    /// Population × median stock per inhabitant × median share, both of the density class.
    ImputedStockAndShare,
}

/// Medians of the published LOVAC 2021 communes, per density class, for imputation.
#[derive(Debug, Clone, PartialEq)]
pub struct VacancyModel {
    /// Median share (%) of private dwellings vacant for more than 2 years, by dens7.
    pub median_pct: [f64; 7],
    /// Median private dwellings per inhabitant, by dens7.
    pub median_stock_per_inhabitant: [f64; 7],
}

impl VacancyModel {
    /// Medians over the communes of `communes` whose LOVAC share and stock are both published;
    /// a class without any falls back to the median over all classes.
    pub fn calibrate(communes: &[Commune]) -> Self {
        let mut pct: [Vec<f64>; 7] = Default::default();
        let mut stock: [Vec<f64>; 7] = Default::default();
        for c in communes {
            if let (Some(s), Some(p)) = (c.lovac.private_dwellings, c.lovac.pct_vacant_over_2_years)
            {
                pct[c.dens_index()].push(p);
                if c.population > 0 {
                    stock[c.dens_index()].push(f64::from(s) / f64::from(c.population));
                }
            }
        }
        let all_pct = median(pct.iter().flatten().copied().collect()).unwrap_or(0.0);
        let all_stock = median(stock.iter().flatten().copied().collect()).unwrap_or(0.0);
        Self {
            median_pct: pct.map(|v| median(v).unwrap_or(all_pct)),
            median_stock_per_inhabitant: stock.map(|v| median(v).unwrap_or(all_stock)),
        }
    }

    /// The commune's count of private dwellings vacant for more than 2 years, and its source.
    pub fn target(&self, c: &Commune) -> (u64, VacancySource) {
        if let Some(n) = c.lovac.published_count() {
            return (n, VacancySource::Published);
        }
        let i = c.dens_index();
        let (stock, source) = match c.lovac.private_dwellings {
            Some(s) => (f64::from(s), VacancySource::ImputedShare),
            None => (
                f64::from(c.population) * self.median_stock_per_inhabitant[i],
                VacancySource::ImputedStockAndShare,
            ),
        };
        let count = (stock * self.median_pct[i] / 100.0).round().max(0.0) as u64;
        (count, source)
    }
}

/// The median of a list (mean of the two middle values for an even count); `None` when empty.
fn median(mut values: Vec<f64>) -> Option<f64> {
    values.retain(|v| v.is_finite());
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 0 {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

#[cfg(test)]
mod tests {
    use super::super::commune::Lovac;
    use super::*;

    fn commune(code: &str, population: u32, dens7: u8) -> Commune {
        Commune {
            code: code.into(),
            name: code.into(),
            dep: code[..2].into(),
            reg: String::new(),
            epci: String::new(),
            population,
            dens7,
            zonage: Some(Zonage::C),
            qpv: Vec::new(),
            postcodes: Vec::new(),
            lovac: Lovac::default(),
            programme: None,
        }
    }

    #[test]
    fn medians_by_hand() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(vec![]), None);
    }

    #[test]
    fn normalisation_reaches_the_national_total() {
        let communes: Vec<Commune> = (0..50)
            .map(|i| commune(&format!("01{i:03}"), 50 + 300 * i, (i % 7 + 1) as u8))
            .collect();
        let model = SocialModel::calibrate(&communes);
        let total: f64 = communes.iter().map(|c| model.expected(c)).sum();
        assert!((total - NATIONAL_SOCIAL_DWELLINGS).abs() < 1e-6 * NATIONAL_SOCIAL_DWELLINGS);
        assert_eq!(
            model.expected(&commune("01999", 99, 1)),
            0.0,
            "below the threshold"
        );
    }

    #[test]
    fn more_qpv_and_tighter_markets_mean_more_social_housing() {
        let mut a = commune("62001", 10_000, 2);
        let base = social_weight(&a);
        a.qpv = vec!["QN06201M".into()];
        assert!(social_weight(&a) > base);
        a.zonage = Some(Zonage::B1);
        assert!(social_weight(&a) > base * qpv_factor(1));
    }

    #[test]
    fn vacancy_uses_published_figures_then_class_medians() {
        let mut published = commune("25001", 1000, 5);
        published.lovac = Lovac {
            private_dwellings: Some(400),
            pct_vacant_over_2_years: Some(5.0),
        };
        let mut other = commune("25002", 2000, 5);
        other.lovac = Lovac {
            private_dwellings: Some(1000),
            pct_vacant_over_2_years: Some(3.0),
        };
        let mut stock_only = commune("25003", 500, 5);
        stock_only.lovac.private_dwellings = Some(300);
        let nothing = commune("25004", 800, 5);
        let all = vec![
            published.clone(),
            other,
            stock_only.clone(),
            nothing.clone(),
        ];
        let model = VacancyModel::calibrate(&all);
        assert_eq!(model.median_pct[4], 4.0);
        assert_eq!(model.median_stock_per_inhabitant[4], 0.45);
        assert_eq!(model.target(&published), (20, VacancySource::Published));
        assert_eq!(model.target(&stock_only), (12, VacancySource::ImputedShare));
        // 800 × 0.45 × 4 % = 14.4
        assert_eq!(
            model.target(&nothing),
            (14, VacancySource::ImputedStockAndShare)
        );
        // A class without published communes falls back to the overall medians.
        assert_eq!(model.median_pct[0], 4.0);
    }

    #[test]
    fn spread_grows_with_population_within_the_commune() {
        let small = commune("25001", 500, 6);
        let big = commune("25056", 118_000, 1);
        let area = 60e6;
        assert!(spread_m(&small, area) < spread_m(&big, area));
        assert!(spread_m(&big, area) <= 0.6 * (area / std::f64::consts::PI).sqrt() + 1e-9);
        assert_eq!(spread_m(&small, 1.0), 100.0);
    }
}
