//! *Qualification du parc*: the partners of a territory — landlords, communes, the EPCI, the
//! State, associations — rate each social residence together on a grid of criteria, to bring out
//! the fragile ones and follow them from one campaign to the next (as around Lens-Liévin).
//!
//! - [`accounts`]: organisations, their members and personal tokens, sessions;
//! - [`campaigns`]: a territory, partners, a grid, dates and a status;
//! - [`ratings`]: one rating per residence and partner, every revision kept, stale writes refused;
//! - [`residences`]: the residences of a territory with an identifier that survives reloads;
//! - [`consolidate`]: per residence, the partners' means, their spread, the désaccord flag;
//! - [`rights`]: who sees and does what.
//!
//! Everything here speaks to the database through [`crate::db::Conn`] and knows nothing of HTTP.

pub mod accounts;
pub mod campaigns;
pub mod consolidate;
pub mod ratings;
pub mod residences;
pub mod rights;

use serde::{Deserialize, Serialize};

use crate::db::DbError;

/// What went wrong, in words for the person who asked.
#[derive(Debug, thiserror::Error)]
pub enum QualifError {
    /// The request is not valid (a score out of range, an unknown criterion, a bad date).
    #[error("{0}")]
    Invalid(String),
    /// No such campaign, residence or organisation (or not one the caller may see).
    #[error("{0}")]
    NotFound(String),
    /// No valid token or session.
    #[error("{0}")]
    Unauthenticated(String),
    /// Known, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// The rating changed since the revision the writer read (or it exists and no revision was
    /// given): the writer must read it again.
    #[error("{message}")]
    Conflict {
        message: String,
        /// The current revision.
        current: i64,
        /// Whether the stale revision came in `If-Match` (412) rather than the body (409).
        precondition: bool,
    },
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The kinds of organisation that take part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrgKind {
    Bailleur,
    Commune,
    Epci,
    Etat,
    Association,
}

impl OrgKind {
    /// Every kind.
    pub const ALL: [OrgKind; 5] = [
        OrgKind::Bailleur,
        OrgKind::Commune,
        OrgKind::Epci,
        OrgKind::Etat,
        OrgKind::Association,
    ];

    /// The code stored and sent.
    pub fn code(self) -> &'static str {
        match self {
            OrgKind::Bailleur => "bailleur",
            OrgKind::Commune => "commune",
            OrgKind::Epci => "epci",
            OrgKind::Etat => "etat",
            OrgKind::Association => "association",
        }
    }

    /// The kind of a code.
    ///
    /// # Errors
    /// An unknown code, with the list of known ones.
    pub fn parse(code: &str) -> Result<Self, QualifError> {
        let code = code.trim().to_lowercase().replace('é', "e");
        Self::ALL
            .into_iter()
            .find(|k| k.code() == code)
            .ok_or_else(|| {
                QualifError::Invalid(format!(
                    "unknown organisation kind {code:?}: use one of {}",
                    Self::ALL.map(Self::code).join(", ")
                ))
            })
    }
}

/// Where a campaign stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Being prepared: visible to its partners, not yet rated.
    Draft,
    /// Partners rate.
    Open,
    /// Rating is over; the partners see the consolidation.
    Closed,
    /// The consolidated results are public.
    Published,
}

impl Status {
    /// Every status, in order.
    pub const ALL: [Status; 4] = [
        Status::Draft,
        Status::Open,
        Status::Closed,
        Status::Published,
    ];

    /// The code stored and sent.
    pub fn code(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Open => "open",
            Status::Closed => "closed",
            Status::Published => "published",
        }
    }

    /// The status of a code.
    ///
    /// # Errors
    /// An unknown code.
    pub fn parse(code: &str) -> Result<Self, QualifError> {
        Self::ALL
            .into_iter()
            .find(|s| s.code() == code)
            .ok_or_else(|| {
                QualifError::Invalid(format!(
                    "unknown status {code:?}: use one of {}",
                    Self::ALL.map(Self::code).join(", ")
                ))
            })
    }
}

/// One criterion of a grid, rated from [`MIN_SCORE`] to [`MAX_SCORE`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    /// Its key in scores: lowercase letters, digits and `_`.
    pub id: String,
    /// Its name in French.
    pub label: String,
}

/// The lowest score: very unfavourable.
pub const MIN_SCORE: i64 = 1;
/// The highest score: very favourable.
pub const MAX_SCORE: i64 = 5;

/// What each score means.
pub const SCALE: [&str; 5] = [
    "Très défavorable",
    "Défavorable",
    "Moyen",
    "Favorable",
    "Très favorable",
];

/// The default grid, as around Lens-Liévin.
pub fn default_grid() -> Vec<Criterion> {
    [
        ("cadre_de_vie", "Cadre de vie"),
        ("tranquillite", "Tranquillité"),
        ("etat_du_bati", "État du bâti"),
        ("services_transports", "Accès aux services et transports"),
        ("occupation_mixite", "Occupation et mixité"),
        ("attractivite_vacance", "Attractivité et vacance"),
    ]
    .into_iter()
    .map(|(id, label)| Criterion {
        id: id.to_owned(),
        label: label.to_owned(),
    })
    .collect()
}

/// Checks a grid: 1 to 20 criteria, ids unique, of `a-z0-9_`, at most 40 characters, labels
/// not blank and at most 120 characters.
///
/// # Errors
/// What is wrong, naming the criterion.
pub fn check_grid(grid: &[Criterion]) -> Result<(), QualifError> {
    if grid.is_empty() || grid.len() > 20 {
        return Err(QualifError::Invalid(format!(
            "a grid has 1 to 20 criteria, not {}",
            grid.len()
        )));
    }
    let mut seen = std::collections::BTreeSet::new();
    for c in grid {
        let ok_id = !c.id.is_empty()
            && c.id.len() <= 40
            && c.id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok_id {
            return Err(QualifError::Invalid(format!(
                "criterion id {:?}: use 1 to 40 lowercase letters, digits or _",
                c.id
            )));
        }
        if c.label.trim().is_empty() || c.label.chars().count() > 120 {
            return Err(QualifError::Invalid(format!(
                "criterion {:?} needs a label of 1 to 120 characters",
                c.id
            )));
        }
        if !seen.insert(c.id.as_str()) {
            return Err(QualifError::Invalid(format!(
                "criterion {:?} is listed twice",
                c.id
            )));
        }
    }
    Ok(())
}

/// Scores by criterion id.
pub type Scores = std::collections::BTreeMap<String, i64>;

/// A name or comment trimmed, at most `max` characters, not blank when `required`.
///
/// # Errors
/// Blank when required, or too long.
pub fn text_field(
    what: &str,
    text: &str,
    max: usize,
    required: bool,
) -> Result<String, QualifError> {
    let t = text.trim();
    if required && t.is_empty() {
        return Err(QualifError::Invalid(format!("{what} is empty")));
    }
    let n = t.chars().count();
    if n > max {
        return Err(QualifError::Invalid(format!(
            "{what} has {n} characters, more than {max}"
        )));
    }
    if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(QualifError::Invalid(format!(
            "{what} holds a control character"
        )));
    }
    Ok(t.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_grid_is_valid_and_has_six_criteria() {
        let g = default_grid();
        assert_eq!(g.len(), 6);
        check_grid(&g).unwrap();
        let mut twice = g.clone();
        twice.push(g[0].clone());
        assert!(check_grid(&twice).is_err());
        assert!(check_grid(&[Criterion {
            id: "Bad Id".into(),
            label: "x".into()
        }])
        .is_err());
        assert!(check_grid(&[]).is_err());
    }

    #[test]
    fn kinds_and_statuses_parse() {
        assert_eq!(OrgKind::parse("État").unwrap(), OrgKind::Etat);
        assert_eq!(OrgKind::parse("EPCI").unwrap(), OrgKind::Epci);
        assert!(OrgKind::parse("banque").is_err());
        assert_eq!(Status::parse("open").unwrap(), Status::Open);
        assert!(Status::parse("archived").is_err());
    }
}
