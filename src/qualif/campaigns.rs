//! Campaigns: a territory (an EPCI, a commune, a programme perimeter or a list of communes),
//! its partner organisations and pilot, a grid of criteria, dates and a status.

use serde::{Deserialize, Serialize};

use super::accounts::{self, Org};
use super::{check_grid, text_field, Criterion, QualifError, Status};
use crate::analysis::territory::{self, Territory};
use crate::catalog::Catalog;
use crate::db::{Conn, Val};

/// A stored campaign.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Campaign {
    pub id: i64,
    pub name: String,
    /// What was asked: a code, or INSEE codes joined by `,`.
    pub territory: String,
    pub territory_name: String,
    pub territory_kind: String,
    /// The organisation that runs it (it manages the campaign and sees everything).
    pub pilot: Option<Org>,
    pub partners: Vec<Org>,
    pub criteria: Vec<Criterion>,
    /// `YYYY-MM-DD`.
    pub opens: Option<String>,
    pub closes: Option<String>,
    pub status: Status,
    /// The campaign this one is compared with.
    pub previous: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

/// A territory as a campaign names it: one code, or a list of INSEE codes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum TerritorySpec {
    Code(String),
    Communes(Vec<String>),
}

impl TerritorySpec {
    /// How it is stored.
    pub fn stored(&self) -> String {
        match self {
            TerritorySpec::Code(c) => c.trim().to_owned(),
            TerritorySpec::Communes(list) => {
                list.iter().map(|c| c.trim()).collect::<Vec<_>>().join(",")
            }
        }
    }
}

/// Resolves a stored territory against the loaded layers.
///
/// # Errors
/// [`QualifError::Invalid`] for an unknown code, naming it.
pub fn resolve(catalog: &Catalog, stored: &str) -> Result<Territory, QualifError> {
    if !stored.contains(',') {
        return territory::resolve(catalog, stored).ok_or_else(|| {
            QualifError::Invalid(format!(
                "unknown territory {stored:?}: give an EPCI SIREN, a commune INSEE code, a perimeter id (acv-…, pvd-…) or a list of INSEE codes"
            ))
        });
    }
    let codes: Vec<&str> = stored.split(',').map(str::trim).collect();
    if codes.len() > 2000 {
        return Err(QualifError::Invalid(format!(
            "{} communes: a campaign covers 2,000 at most",
            codes.len()
        )));
    }
    let communes = territory::layer_with(catalog, crate::config::Role::Communes)
        .ok_or_else(|| QualifError::Invalid("this server has no communes layer".into()))?;
    // One pass over the communes, not one per code.
    let wanted: std::collections::BTreeSet<&str> = codes.iter().copied().collect();
    let known: std::collections::HashMap<String, String> = communes
        .features()
        .filter_map(|f| {
            let code = territory::text(communes, f, "code");
            wanted
                .contains(code.as_str())
                .then(|| (code, territory::text(communes, f, "nom")))
        })
        .collect();
    let mut names = Vec::new();
    let mut set = std::collections::BTreeSet::new();
    for code in &codes {
        let name = known
            .get(*code)
            .ok_or_else(|| QualifError::Invalid(format!("unknown commune INSEE code {code:?}")))?;
        if set.insert((*code).to_owned()) {
            names.push(name.clone());
        }
    }
    let name = if names.len() <= 3 {
        names.join(", ")
    } else {
        format!(
            "{}, {} et {} autres communes",
            names[0],
            names[1],
            names.len() - 2
        )
    };
    Ok(Territory::of_communes(
        communes,
        territory::Kind::Ensemble,
        stored,
        name,
        set,
    ))
}

/// What a new campaign is made of (the JSON of `POST /api/campaigns`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCampaign {
    pub name: String,
    pub territory: TerritorySpec,
    #[serde(default)]
    pub partners: Vec<i64>,
    #[serde(default)]
    pub criteria: Option<Vec<Criterion>>,
    #[serde(default)]
    pub opens: Option<String>,
    #[serde(default)]
    pub closes: Option<String>,
    #[serde(default)]
    pub status: Option<Status>,
    /// The campaign to compare with; by default the latest earlier one on the same territory
    /// that is closed or published.
    #[serde(default)]
    pub previous: Option<i64>,
}

/// Changes to a campaign (`PATCH`): absent fields stay.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub status: Option<Status>,
    #[serde(default, with = "double_option")]
    pub opens: Option<Option<String>>,
    #[serde(default, with = "double_option")]
    pub closes: Option<Option<String>>,
    #[serde(default)]
    pub partners: Option<Vec<i64>>,
    #[serde(default)]
    pub criteria: Option<Vec<Criterion>>,
}

/// `null` (clear) told apart from absent (keep).
mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<String>>, D::Error> {
        Option::<String>::deserialize(d).map(Some)
    }
}

fn check_dates(opens: Option<&str>, closes: Option<&str>) -> Result<(), QualifError> {
    for d in [opens, closes].into_iter().flatten() {
        if !crate::clock::is_date(d) {
            return Err(QualifError::Invalid(format!(
                "date {d:?}: write it YYYY-MM-DD"
            )));
        }
    }
    if let (Some(o), Some(c)) = (opens, closes) {
        if o > c {
            return Err(QualifError::Invalid(format!(
                "the campaign closes ({c}) before it opens ({o})"
            )));
        }
    }
    Ok(())
}

fn check_partners(c: &mut dyn Conn, partners: &[i64]) -> Result<Vec<i64>, QualifError> {
    let mut out: Vec<i64> = partners.to_vec();
    out.sort_unstable();
    out.dedup();
    if out.len() > 500 {
        return Err(QualifError::Invalid(
            "a campaign has 500 partners at most".into(),
        ));
    }
    for id in &out {
        accounts::org(c, *id)
            .map_err(|_| QualifError::Invalid(format!("partner {id} is no known organisation")))?;
    }
    Ok(out)
}

/// Adds a campaign whose territory was resolved (`territory`), piloted by `pilot` (also made a
/// partner) or by the admin (`None`). Returns its id.
///
/// # Errors
/// An invalid name, grid, dates or partner; the database's.
pub fn add(
    c: &mut dyn Conn,
    new: &NewCampaign,
    territory: &Territory,
    pilot: Option<&Org>,
) -> Result<i64, QualifError> {
    let name = text_field("the campaign's name", &new.name, 200, true)?;
    let criteria = new.criteria.clone().unwrap_or_else(super::default_grid);
    check_grid(&criteria)?;
    check_dates(new.opens.as_deref(), new.closes.as_deref())?;
    let mut partners = new.partners.clone();
    if let Some(p) = pilot {
        partners.push(p.id);
    }
    let stored = new.territory.stored();
    c.transaction(|c| {
        let partners = check_partners(c, &partners)?;
        let previous = match new.previous {
            Some(p) => {
                get(c, p).map_err(|_| {
                    QualifError::Invalid(format!("previous campaign {p} does not exist"))
                })?;
                Some(p)
            }
            None => c
                .query_opt(
                    "SELECT id FROM campaigns WHERE territory = ? AND status IN ('closed', 'published') ORDER BY id DESC LIMIT 1",
                    &[Val::from(stored.as_str())],
                )?
                .and_then(|r| r[0].int()),
        };
        let now = crate::clock::now();
        let id = c
            .query_opt(
                "INSERT INTO campaigns (name, territory, territory_name, territory_kind, pilot_org_id, criteria, opens, closes, status, previous_id, created_at, updated_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                &[
                    Val::from(name.as_str()),
                    Val::from(stored.as_str()),
                    Val::from(territory.name.as_str()),
                    Val::from(kind_code(territory.kind)),
                    Val::from(pilot.map(|p| p.id)),
                    Val::from(serde_json::to_string(&criteria).unwrap_or_default()),
                    Val::from(new.opens.clone()),
                    Val::from(new.closes.clone()),
                    Val::from(new.status.unwrap_or(Status::Draft).code()),
                    Val::from(previous),
                    Val::from(now.as_str()),
                    Val::from(now.as_str()),
                ],
            )?
            .and_then(|r| r[0].int())
            .ok_or_else(|| QualifError::Invalid("the campaign was not created".into()))?;
        set_partners(c, id, &partners)?;
        Ok(id)
    })
}

fn kind_code(kind: territory::Kind) -> &'static str {
    use territory::Kind;
    match kind {
        Kind::Commune => "commune",
        Kind::Epci => "epci",
        Kind::Departement => "departement",
        Kind::Perimetre => "perimetre",
        Kind::Polygone => "polygone",
        Kind::Ensemble => "communes",
    }
}

fn set_partners(c: &mut dyn Conn, id: i64, partners: &[i64]) -> Result<(), QualifError> {
    c.execute(
        "DELETE FROM campaign_partners WHERE campaign_id = ?",
        &[Val::from(id)],
    )?;
    for org in partners {
        c.execute(
            "INSERT INTO campaign_partners (campaign_id, org_id) VALUES (?, ?)",
            &[Val::from(id), Val::from(*org)],
        )?;
    }
    Ok(())
}

const SELECT: &str = "SELECT c.id, c.name, c.territory, c.territory_name, c.territory_kind, c.criteria, c.opens, c.closes, c.status, c.previous_id, c.created_at, c.updated_at, o.id, o.name, o.kind \
     FROM campaigns c LEFT JOIN orgs o ON o.id = c.pilot_org_id";

fn partners_of(c: &mut dyn Conn, id: Option<i64>) -> Result<Vec<(i64, Org)>, QualifError> {
    let (sql, params) = match id {
        Some(id) => (
            "SELECT p.campaign_id, o.id, o.name, o.kind FROM campaign_partners p JOIN orgs o ON o.id = p.org_id WHERE p.campaign_id = ? ORDER BY o.name, o.id",
            vec![Val::from(id)],
        ),
        None => (
            "SELECT p.campaign_id, o.id, o.name, o.kind FROM campaign_partners p JOIN orgs o ON o.id = p.org_id ORDER BY o.name, o.id",
            vec![],
        ),
    };
    c.query(sql, &params)?
        .into_iter()
        .map(|r| {
            Ok((
                r[0].int().unwrap_or_default(),
                Org {
                    id: r[1].int().unwrap_or_default(),
                    name: r[2].string(),
                    kind: super::OrgKind::parse(r[3].text().unwrap_or_default())?,
                },
            ))
        })
        .collect()
}

fn campaign_of(r: &[Val], partners: Vec<Org>) -> Result<Campaign, QualifError> {
    let pilot = match r[12].int() {
        Some(id) => Some(Org {
            id,
            name: r[13].string(),
            kind: super::OrgKind::parse(r[14].text().unwrap_or_default())?,
        }),
        None => None,
    };
    Ok(Campaign {
        id: r[0].int().unwrap_or_default(),
        name: r[1].string(),
        territory: r[2].string(),
        territory_name: r[3].string(),
        territory_kind: r[4].string(),
        criteria: serde_json::from_str(r[5].text().unwrap_or("[]")).map_err(|e| {
            QualifError::Db(crate::db::DbError::Query(format!(
                "a stored grid is not valid JSON: {e}"
            )))
        })?,
        opens: r[6].text().map(str::to_owned),
        closes: r[7].text().map(str::to_owned),
        status: Status::parse(r[8].text().unwrap_or_default())?,
        previous: r[9].int(),
        created_at: r[10].string(),
        updated_at: r[11].string(),
        pilot,
        partners,
    })
}

/// One campaign.
///
/// # Errors
/// [`QualifError::NotFound`].
pub fn get(c: &mut dyn Conn, id: i64) -> Result<Campaign, QualifError> {
    let row = c
        .query_opt(&format!("{SELECT} WHERE c.id = ?"), &[Val::from(id)])?
        .ok_or_else(|| QualifError::NotFound(format!("no campaign {id}")))?;
    let partners = partners_of(c, Some(id))?
        .into_iter()
        .map(|(_, o)| o)
        .collect();
    campaign_of(&row, partners)
}

/// Every campaign, newest first.
pub fn list(c: &mut dyn Conn) -> Result<Vec<Campaign>, QualifError> {
    let rows = c.query(&format!("{SELECT} ORDER BY c.id DESC"), &[])?;
    let mut partners: std::collections::HashMap<i64, Vec<Org>> = Default::default();
    for (id, org) in partners_of(c, None)? {
        partners.entry(id).or_default().push(org);
    }
    rows.iter()
        .map(|r| {
            let id = r[0].int().unwrap_or_default();
            campaign_of(r, partners.remove(&id).unwrap_or_default())
        })
        .collect()
}

/// Applies a patch and returns the campaign as it now is. The grid changes only while the
/// campaign is a draft; a campaign with ratings does not go back to draft.
///
/// # Errors
/// Invalid values; the database's.
pub fn update(c: &mut dyn Conn, id: i64, patch: &CampaignPatch) -> Result<Campaign, QualifError> {
    c.transaction(|c| {
        let mut campaign = get(c, id)?;
        if let Some(name) = &patch.name {
            campaign.name = text_field("the campaign's name", name, 200, true)?;
        }
        if let Some(o) = &patch.opens {
            campaign.opens = o.clone();
        }
        if let Some(cl) = &patch.closes {
            campaign.closes = cl.clone();
        }
        check_dates(campaign.opens.as_deref(), campaign.closes.as_deref())?;
        let rated = c
            .query_opt(
                "SELECT COUNT(*) FROM ratings WHERE campaign_id = ?",
                &[Val::from(id)],
            )?
            .and_then(|r| r[0].int())
            .unwrap_or(0);
        if let Some(grid) = &patch.criteria {
            if campaign.status != Status::Draft || rated > 0 {
                return Err(QualifError::Invalid(
                    "the grid can only change while the campaign is a draft without ratings".into(),
                ));
            }
            check_grid(grid)?;
            campaign.criteria = grid.clone();
        }
        if let Some(s) = patch.status {
            if s == Status::Draft && campaign.status != Status::Draft && rated > 0 {
                return Err(QualifError::Invalid(
                    "a campaign with ratings cannot go back to draft".into(),
                ));
            }
            campaign.status = s;
        }
        if let Some(p) = &patch.partners {
            let mut p = p.clone();
            if let Some(pilot) = &campaign.pilot {
                p.push(pilot.id);
            }
            let p = check_partners(c, &p)?;
            set_partners(c, id, &p)?;
        }
        c.execute(
            "UPDATE campaigns SET name = ?, opens = ?, closes = ?, criteria = ?, status = ?, updated_at = ? WHERE id = ?",
            &[
                Val::from(campaign.name.as_str()),
                Val::from(campaign.opens.clone()),
                Val::from(campaign.closes.clone()),
                Val::from(serde_json::to_string(&campaign.criteria).unwrap_or_default()),
                Val::from(campaign.status.code()),
                Val::from(crate::clock::now()),
                Val::from(id),
            ],
        )?;
        get(c, id)
    })
}
