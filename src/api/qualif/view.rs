//! A campaign as one caller sees it: its residences with their ratings and consolidation,
//! filtered by the caller's rights, as JSON rows, progress and tile features.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::json;

use super::auth::database;
use crate::error::AppError;
use crate::qualif::campaigns::{self, Campaign};
use crate::qualif::consolidate::{self, round1};
use crate::qualif::ratings::{self, Rating};
use crate::qualif::rights::{self, Caller, View};
use crate::qualif::{Criterion, QualifError};
use crate::AppState;

/// What the database holds about a campaign, read once per request.
pub struct Gathered {
    pub campaign: Campaign,
    pub you: View,
    /// The caller's organisation.
    pub org: Option<i64>,
    pub ratings: Vec<Rating>,
    /// The previous campaign's grid, partners and ratings.
    pub previous: Option<(Vec<Criterion>, BTreeSet<i64>, Vec<Rating>)>,
}

/// Reads a campaign the caller may see (404 otherwise: an unpublished campaign does not show).
pub async fn gather(state: &AppState, caller: &Caller, id: i64) -> Result<Gathered, AppError> {
    let db = database(state)?;
    let caller = caller.clone();
    Ok(db
        .run(move |c| -> Result<Gathered, QualifError> {
            let campaign = campaigns::get(c, id)?;
            let you = rights::view(&caller, &campaign);
            if !you.visible {
                return Err(hidden(&caller, &campaign));
            }
            let ratings = ratings::of_campaign(c, id, None)?;
            let previous = match campaign.previous {
                Some(p) => {
                    let prev = campaigns::get(c, p)?;
                    let partners = prev.partners.iter().map(|o| o.id).collect();
                    Some((prev.criteria, partners, ratings::of_campaign(c, p, None)?))
                }
                None => None,
            };
            Ok(Gathered {
                org: caller.member().map(|m| m.org.id),
                campaign,
                you,
                ratings,
                previous,
            })
        })
        .await?)
}

/// Why a campaign the caller may not see does not show: a signed-in member of another
/// organisation is told (403); anybody else finds nothing (404).
pub fn hidden(caller: &Caller, campaign: &Campaign) -> QualifError {
    match caller.member() {
        Some(m) => QualifError::Forbidden(format!(
            "{} is not a partner of campaign {}",
            m.org.name, campaign.id
        )),
        None => QualifError::NotFound(format!("no campaign {}", campaign.id)),
    }
}

/// A rating as shown.
#[derive(Debug, Clone, Serialize)]
pub struct RatingOut {
    pub org: i64,
    pub org_name: String,
    pub scores: crate::qualif::Scores,
    pub comment: String,
    pub revision: i64,
    pub by: String,
    pub updated_at: String,
}

impl From<&Rating> for RatingOut {
    fn from(r: &Rating) -> Self {
        Self {
            org: r.org,
            org_name: r.org_name.clone(),
            scores: r.scores.clone(),
            comment: r.comment.clone(),
            revision: r.revision,
            by: r.by.clone(),
            updated_at: r.updated_at.clone(),
        }
    }
}

/// One residence of the campaign as the caller sees it. Consolidated fields are null when the
/// caller may not see them yet (never 0 or false in their place).
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub id: String,
    pub address: Option<String>,
    pub commune: String,
    pub commune_name: Option<String>,
    pub landlord: Option<String>,
    pub logements: Option<i64>,
    pub fragilite: Option<f64>,
    pub lon: f64,
    pub lat: f64,
    /// Partners that rated it.
    pub partners: usize,
    /// `a_noter` (no partner yet), `en_cours` (some), `notee` (every partner).
    pub etat: &'static str,
    pub means: Option<BTreeMap<String, Option<f64>>>,
    pub overall: Option<f64>,
    pub spread: Option<i64>,
    pub desaccord: Option<bool>,
    pub previous_overall: Option<f64>,
    pub change: Option<f64>,
    /// The caller's organisation's rating.
    pub mine: Option<RatingOut>,
    /// Every partner's rating, when the caller may see them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratings: Option<Vec<RatingOut>>,
}

impl Gathered {
    /// The residences of the territory, each with what the caller may see.
    ///
    /// # Errors
    /// The territory or the residences layer cannot be resolved.
    pub fn rows(&self, state: &AppState) -> Result<Vec<Row>, QualifError> {
        let found = state
            .analysis
            .residences(&state.catalog(), &self.campaign.territory)?;
        let partners: BTreeSet<i64> = self.campaign.partners.iter().map(|o| o.id).collect();
        let by = consolidate::by_residence(&self.ratings);
        let previous: BTreeMap<&str, Option<f64>> = match &self.previous {
            Some((grid, partners, ratings)) => consolidate::by_residence(ratings)
                .into_iter()
                .map(|(id, rs)| (id, consolidate::residence(grid, partners, rs).overall))
                .collect(),
            None => BTreeMap::new(),
        };
        let see = self.you.sees_consolidation;
        Ok(found
            .iter()
            .cloned()
            .map(|r| {
                let theirs: &[&Rating] = by.get(r.id.as_str()).map_or(&[], Vec::as_slice);
                let c = consolidate::residence(
                    &self.campaign.criteria,
                    &partners,
                    theirs.iter().copied(),
                );
                let etat = if c.partners == 0 {
                    "a_noter"
                } else if c.partners >= partners.len() {
                    "notee"
                } else {
                    "en_cours"
                };
                let prev = previous.get(r.id.as_str()).copied().flatten();
                let overall = see.then_some(c.overall).flatten();
                Row {
                    mine: self
                        .org
                        .and_then(|o| theirs.iter().find(|x| x.org == o))
                        .map(|x| RatingOut::from(*x)),
                    ratings: self.you.sees_ratings.then(|| {
                        theirs
                            .iter()
                            .filter(|x| partners.contains(&x.org))
                            .map(|x| RatingOut::from(*x))
                            .collect()
                    }),
                    id: r.id,
                    address: r.address,
                    commune: r.commune,
                    commune_name: r.commune_name,
                    landlord: r.landlord,
                    logements: r.dwellings,
                    fragilite: r.fragility,
                    lon: r.lon,
                    lat: r.lat,
                    partners: c.partners,
                    etat,
                    means: see.then_some(c.means),
                    overall,
                    spread: see.then_some(c.spread).flatten(),
                    desaccord: see.then_some(c.desaccord),
                    previous_overall: see.then_some(prev).flatten(),
                    change: match (overall, prev) {
                        (Some(now), Some(before)) if see => Some(round1(now - before)),
                        _ => None,
                    },
                }
            })
            .collect())
    }
}

/// The filters of the residence list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    /// Partners disagree.
    Desaccord,
    /// Not yet rated by the caller's organisation (by anyone, for a caller without one).
    ANoter,
    /// Rated by the caller's organisation.
    MonOrg,
}

impl Filter {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "desaccord" => Some(Self::Desaccord),
            "a_noter" => Some(Self::ANoter),
            "mon_org" => Some(Self::MonOrg),
            _ => None,
        }
    }

    /// Whether a row passes, for a caller with an organisation (`has_org`) or without.
    pub fn keeps(self, r: &Row, has_org: bool) -> bool {
        match self {
            Self::Desaccord => r.desaccord == Some(true),
            Self::ANoter if has_org => r.mine.is_none(),
            Self::ANoter => r.partners == 0,
            Self::MonOrg => r.mine.is_some(),
        }
    }
}

/// The campaign's progress: residences rated by at least one partner, by all, and per partner.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    pub residences: usize,
    pub rated: usize,
    pub complete: usize,
    pub partners: Vec<PartnerProgress>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PartnerProgress {
    pub org: i64,
    pub name: String,
    pub rated: usize,
    pub to_rate: usize,
}

pub fn progress(g: &Gathered, rows: &[Row]) -> Progress {
    let ids: BTreeSet<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let partners = g
        .campaign
        .partners
        .iter()
        .map(|o| {
            let rated = g
                .ratings
                .iter()
                .filter(|r| r.org == o.id && ids.contains(r.residence.as_str()))
                .count();
            PartnerProgress {
                org: o.id,
                name: o.name.clone(),
                rated,
                to_rate: rows.len() - rated,
            }
        })
        .collect();
    Progress {
        residences: rows.len(),
        rated: rows.iter().filter(|r| r.partners > 0).count(),
        complete: rows.iter().filter(|r| r.etat == "notee").count(),
        partners,
    }
}

/// A campaign as JSON, with what the caller may do and, when computed, its progress.
pub fn campaign_json(c: &Campaign, you: &View, progress: Option<&Progress>) -> serde_json::Value {
    json!({
        "id": c.id,
        "name": c.name,
        "status": c.status,
        "territory": {"code": c.territory, "name": c.territory_name, "kind": c.territory_kind},
        "pilot": c.pilot,
        "partners": c.partners,
        "criteria": c.criteria,
        "opens": c.opens,
        "closes": c.closes,
        "previous": c.previous,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "you": you,
        "progress": progress,
    })
}

/// The residences as one tile layer `residences`.
pub fn tile(rows: &[Row], tile: crate::tile::TileCoord) -> Vec<u8> {
    use crate::layer::Value;
    let area = tile.bbox_wgs84(64.0, crate::config::EXTENT);
    let points = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| area.contains(geo::Coord { x: r.lon, y: r.lat }))
        .map(|(i, r)| {
            let opt = |v: Option<f64>| v.map_or(Value::Null, Value::Float);
            let props: Vec<(&str, Value)> = vec![
                ("id", Value::String(r.id.as_str().into())),
                ("partners", Value::Int(r.partners as i64)),
                ("etat", Value::String(r.etat.into())),
                ("overall", opt(r.overall)),
                ("spread", r.spread.map_or(Value::Null, Value::Int)),
                ("desaccord", r.desaccord.map_or(Value::Null, Value::Bool)),
                ("fragilite", opt(r.fragilite)),
                ("mine", Value::Bool(r.mine.is_some())),
                (
                    "commune_name",
                    r.commune_name
                        .as_deref()
                        .map_or(Value::Null, |s| Value::String(s.into())),
                ),
            ];
            (i as u64, geo::Coord { x: r.lon, y: r.lat }, props)
        });
    crate::tile::render_points("residences", tile, 64, points)
}
