//! Consolidation: per residence, what the partners said together.
//!
//! - `partners`: how many partner organisations rated it;
//! - `means`: per criterion, the mean of the partners' scores (those who scored it);
//! - `overall`: the mean of the criterion means;
//! - `spread`: the largest gap between two partners on one criterion (max − min), known once
//!   two partners scored a same criterion;
//! - `desaccord`: the spread is [`DISAGREEMENT`] points or more — two partners see the residence
//!   differently enough to talk it over.
//!
//! Means are rounded to one decimal for display only; comparisons use the exact values.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::ratings::Rating;
use super::Criterion;

/// The spread from which partners disagree.
pub const DISAGREEMENT: i64 = 2;

/// What the partners said about one residence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Consolidated {
    pub partners: usize,
    pub means: BTreeMap<String, Option<f64>>,
    pub overall: Option<f64>,
    pub spread: Option<i64>,
    pub desaccord: bool,
}

/// One decimal.
pub fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// Consolidates the ratings of one residence, counting only those of `partners`.
pub fn residence<'a>(
    criteria: &[Criterion],
    partners: &BTreeSet<i64>,
    ratings: impl IntoIterator<Item = &'a Rating>,
) -> Consolidated {
    let ratings: Vec<&Rating> = ratings
        .into_iter()
        .filter(|r| partners.contains(&r.org))
        .collect();
    let mut means = BTreeMap::new();
    let mut spread: Option<i64> = None;
    let mut known = Vec::new();
    for c in criteria {
        let scores: Vec<i64> = ratings
            .iter()
            .filter_map(|r| r.scores.get(&c.id).copied())
            .collect();
        let mean =
            (!scores.is_empty()).then(|| scores.iter().sum::<i64>() as f64 / scores.len() as f64);
        if let Some(m) = mean {
            known.push(m);
        }
        if scores.len() >= 2 {
            let gap = scores.iter().max().unwrap_or(&0) - scores.iter().min().unwrap_or(&0);
            spread = Some(spread.map_or(gap, |s| s.max(gap)));
        }
        means.insert(c.id.clone(), mean.map(round1));
    }
    let overall =
        (!known.is_empty()).then(|| round1(known.iter().sum::<f64>() / known.len() as f64));
    Consolidated {
        partners: ratings.len(),
        means,
        overall,
        spread,
        desaccord: spread.is_some_and(|s| s >= DISAGREEMENT),
    }
}

/// Ratings grouped by residence id.
pub fn by_residence(ratings: &[Rating]) -> BTreeMap<&str, Vec<&Rating>> {
    let mut out: BTreeMap<&str, Vec<&Rating>> = BTreeMap::new();
    for r in ratings {
        out.entry(r.residence.as_str()).or_default().push(r);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rating(org: i64, scores: &[(&str, i64)]) -> Rating {
        Rating {
            residence: "r".into(),
            org,
            org_name: format!("org {org}"),
            scores: scores.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
            comment: String::new(),
            revision: 1,
            by: "x".into(),
            updated_at: String::new(),
        }
    }

    fn grid() -> Vec<Criterion> {
        ["a", "b", "c"]
            .map(|id| Criterion {
                id: id.into(),
                label: id.into(),
            })
            .to_vec()
    }

    #[test]
    fn means_spread_and_disagreement_by_hand() {
        let partners = BTreeSet::from([1, 2, 3]);
        let r = [
            rating(1, &[("a", 5), ("b", 4)]),
            rating(2, &[("a", 2), ("b", 4), ("c", 3)]),
            // Not a partner: ignored.
            rating(9, &[("a", 1), ("b", 1), ("c", 1)]),
        ];
        let c = residence(&grid(), &partners, &r);
        assert_eq!(c.partners, 2);
        assert_eq!(c.means["a"], Some(3.5));
        assert_eq!(c.means["b"], Some(4.0));
        assert_eq!(c.means["c"], Some(3.0));
        // (3.5 + 4 + 3) / 3 = 3.5
        assert_eq!(c.overall, Some(3.5));
        assert_eq!(c.spread, Some(3));
        assert!(c.desaccord);
    }

    #[test]
    fn one_partner_has_no_spread_and_nothing_is_unknown_as_zero() {
        let partners = BTreeSet::from([1, 2]);
        let c = residence(&grid(), &partners, &[rating(1, &[("a", 1)])]);
        assert_eq!(c.spread, None);
        assert!(!c.desaccord);
        assert_eq!(c.means["b"], None);
        assert_eq!(c.overall, Some(1.0));
        let none = residence(&grid(), &partners, &[]);
        assert_eq!((none.partners, none.overall, none.spread), (0, None, None));
        let close = residence(
            &grid(),
            &partners,
            &[rating(1, &[("a", 3)]), rating(2, &[("a", 4)])],
        );
        assert_eq!((close.spread, close.desaccord), (Some(1), false));
    }
}
