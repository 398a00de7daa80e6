//! Ratings: one per residence and partner organisation, written by its members, each change a
//! new revision kept in `rating_revisions` (who, when, what). A write names the revision it
//! read; when the rating has moved on since, the write is refused ([`QualifError::Conflict`])
//! and nothing is overwritten. The check and the write are one conditional statement
//! (`UPDATE … WHERE revision = ?`, `INSERT … ON CONFLICT DO NOTHING`), so two writers racing on
//! PostgreSQL cannot both win either.

use serde::{Deserialize, Serialize};

use super::accounts::Member;
use super::campaigns::Campaign;
use super::{text_field, QualifError, Scores, MAX_SCORE, MIN_SCORE};
use crate::db::{Conn, Val};

/// A rating as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rating {
    pub residence: String,
    pub org: i64,
    pub org_name: String,
    pub scores: Scores,
    pub comment: String,
    pub revision: i64,
    /// The member who wrote the revision.
    pub by: String,
    pub updated_at: String,
}

/// One revision of a rating.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Revision {
    pub org: i64,
    pub org_name: String,
    pub revision: i64,
    pub scores: Scores,
    pub comment: String,
    pub by: String,
    pub at: String,
}

/// What a rater sends.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatingInput {
    pub scores: std::collections::BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub comment: Option<String>,
    /// The revision the rater read (instead of `If-Match`).
    #[serde(default)]
    pub revision: Option<i64>,
}

/// The revision a write expects to replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// None given: the rating must not exist yet.
    New,
    /// The revision read, sent in the body (a stale one: 409).
    Body(i64),
    /// The revision read, sent in `If-Match` (a stale one: 412).
    IfMatch(i64),
}

/// The longest comment, in characters.
pub const MAX_COMMENT: usize = 4000;

/// Checks scores against a grid: known criteria, integers from 1 to 5, at least one.
///
/// # Errors
/// The first wrong score, named.
pub fn check_scores(
    campaign: &Campaign,
    scores: &std::collections::BTreeMap<String, serde_json::Value>,
) -> Result<Scores, QualifError> {
    if scores.is_empty() {
        return Err(QualifError::Invalid(
            "scores is empty: rate at least one criterion".into(),
        ));
    }
    let mut out = Scores::new();
    for (k, v) in scores {
        if !campaign.criteria.iter().any(|c| &c.id == k) {
            return Err(QualifError::Invalid(format!(
                "unknown criterion {k:?}: this campaign's are {}",
                campaign
                    .criteria
                    .iter()
                    .map(|c| c.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        match v.as_i64() {
            Some(s) if (MIN_SCORE..=MAX_SCORE).contains(&s) => {
                out.insert(k.clone(), s);
            }
            _ => {
                return Err(QualifError::Invalid(format!(
                    "score of {k:?} is {v}: give a whole number from {MIN_SCORE} to {MAX_SCORE}"
                )))
            }
        }
    }
    Ok(out)
}

/// What a successful write did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Written {
    pub revision: i64,
    pub created: bool,
    pub updated_at: String,
}

/// Writes a member's rating of a residence for its organisation (checks on rights, the
/// residence and the scores are the caller's).
///
/// # Errors
/// [`QualifError::Conflict`] when the expected revision is not the current one.
pub fn put(
    c: &mut dyn Conn,
    campaign: i64,
    residence: &str,
    member: &Member,
    scores: &Scores,
    comment: &str,
    expect: Expect,
) -> Result<Written, QualifError> {
    let comment = text_field("the comment", comment, MAX_COMMENT, false)?;
    let scores_json = serde_json::to_string(scores).unwrap_or_default();
    let now = crate::clock::now();
    let key = [
        Val::from(campaign),
        Val::from(residence),
        Val::from(member.org.id),
    ];
    c.transaction(|c| {
        let current = |c: &mut dyn Conn| -> Result<i64, QualifError> {
            Ok(c.query_opt(
                "SELECT revision FROM ratings WHERE campaign_id = ? AND residence_id = ? AND org_id = ?",
                &key,
            )?
            .and_then(|r| r[0].int())
            .unwrap_or(0))
        };
        let conflict = |current: i64, precondition: bool| {
            let message = if current == 0 {
                "this rating does not exist yet: write it without a revision".to_owned()
            } else {
                format!(
                    "this rating was changed meanwhile (now at revision {current}): read it again before writing"
                )
            };
            QualifError::Conflict {
                message,
                current,
                precondition,
            }
        };
        let (revision, created) = match expect {
            Expect::New => {
                let n = c.execute(
                    "INSERT INTO ratings (campaign_id, residence_id, org_id, scores, comment, revision, member_id, updated_at) \
                     VALUES (?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT DO NOTHING",
                    &[
                        key[0].clone(),
                        key[1].clone(),
                        key[2].clone(),
                        Val::from(scores_json.as_str()),
                        Val::from(comment.as_str()),
                        Val::from(member.id),
                        Val::from(now.as_str()),
                    ],
                )?;
                if n == 0 {
                    let cur = current(c)?;
                    return Err(QualifError::Conflict {
                        message: format!(
                            "this rating already exists (revision {cur}): send the revision you read (If-Match) to change it"
                        ),
                        current: cur,
                        precondition: false,
                    });
                }
                (1, true)
            }
            Expect::Body(read) | Expect::IfMatch(read) => {
                let precondition = matches!(expect, Expect::IfMatch(_));
                let n = c.execute(
                    "UPDATE ratings SET scores = ?, comment = ?, revision = revision + 1, member_id = ?, updated_at = ? \
                     WHERE campaign_id = ? AND residence_id = ? AND org_id = ? AND revision = ?",
                    &[
                        Val::from(scores_json.as_str()),
                        Val::from(comment.as_str()),
                        Val::from(member.id),
                        Val::from(now.as_str()),
                        key[0].clone(),
                        key[1].clone(),
                        key[2].clone(),
                        Val::from(read),
                    ],
                )?;
                if n == 0 {
                    return Err(conflict(current(c)?, precondition));
                }
                (read + 1, false)
            }
        };
        c.execute(
            "INSERT INTO rating_revisions (campaign_id, residence_id, org_id, revision, scores, comment, member_id, at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            &[
                key[0].clone(),
                key[1].clone(),
                key[2].clone(),
                Val::from(revision),
                Val::from(scores_json.as_str()),
                Val::from(comment.as_str()),
                Val::from(member.id),
                Val::from(now.as_str()),
            ],
        )?;
        Ok(Written {
            revision,
            created,
            updated_at: now.clone(),
        })
    })
}

fn scores_of(v: &Val) -> Result<Scores, QualifError> {
    serde_json::from_str(v.text().unwrap_or("{}")).map_err(|e| {
        QualifError::Db(crate::db::DbError::Query(format!(
            "stored scores are not valid JSON: {e}"
        )))
    })
}

/// Every rating of a campaign (of one residence when given), by residence then organisation.
pub fn of_campaign(
    c: &mut dyn Conn,
    campaign: i64,
    residence: Option<&str>,
) -> Result<Vec<Rating>, QualifError> {
    let mut sql = "SELECT r.residence_id, r.org_id, o.name, r.scores, r.comment, r.revision, m.name, r.updated_at \
         FROM ratings r JOIN orgs o ON o.id = r.org_id JOIN members m ON m.id = r.member_id WHERE r.campaign_id = ?"
        .to_owned();
    let mut params = vec![Val::from(campaign)];
    if let Some(r) = residence {
        sql.push_str(" AND r.residence_id = ?");
        params.push(Val::from(r));
    }
    sql.push_str(" ORDER BY r.residence_id, r.org_id");
    c.query(&sql, &params)?
        .iter()
        .map(|r| {
            Ok(Rating {
                residence: r[0].string(),
                org: r[1].int().unwrap_or_default(),
                org_name: r[2].string(),
                scores: scores_of(&r[3])?,
                comment: r[4].string(),
                revision: r[5].int().unwrap_or_default(),
                by: r[6].string(),
                updated_at: r[7].string(),
            })
        })
        .collect()
}

/// The revisions of a residence's ratings (of one organisation when given), oldest first.
pub fn history(
    c: &mut dyn Conn,
    campaign: i64,
    residence: &str,
    org: Option<i64>,
) -> Result<Vec<Revision>, QualifError> {
    let mut sql = "SELECT h.org_id, o.name, h.revision, h.scores, h.comment, m.name, h.at \
         FROM rating_revisions h JOIN orgs o ON o.id = h.org_id JOIN members m ON m.id = h.member_id \
         WHERE h.campaign_id = ? AND h.residence_id = ?"
        .to_owned();
    let mut params = vec![Val::from(campaign), Val::from(residence)];
    if let Some(o) = org {
        sql.push_str(" AND h.org_id = ?");
        params.push(Val::from(o));
    }
    sql.push_str(" ORDER BY h.org_id, h.revision");
    c.query(&sql, &params)?
        .iter()
        .map(|r| {
            Ok(Revision {
                org: r[0].int().unwrap_or_default(),
                org_name: r[1].string(),
                revision: r[2].int().unwrap_or_default(),
                scores: scores_of(&r[3])?,
                comment: r[4].string(),
                by: r[5].string(),
                at: r[6].string(),
            })
        })
        .collect()
}
