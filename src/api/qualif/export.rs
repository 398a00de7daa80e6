//! The downloads of a campaign's residences, for the CALEOL and the partners: CSV (`;`, BOM),
//! XLSX (residences, the partners' ratings when the caller may see them, the method) and
//! GeoPackage. Comments come with the ratings once the campaign is published.

use super::view::{Gathered, Row};
use crate::catalog::Catalog;
use crate::export::{Cell, Column, Table, Type};
use crate::qualif::consolidate::DISAGREEMENT;
use crate::qualif::{Status, SCALE};

fn comments_shown(g: &Gathered) -> bool {
    g.you.sees_ratings && g.campaign.status == Status::Published
}

/// The residences as a table: one row each, the consolidated scores per criterion, and the
/// caller's organisation's own rating.
pub fn table(g: &Gathered, rows: &[Row]) -> Table {
    let mut columns = vec![
        Column::new("id", "identifiant", Type::Text).width(26.0),
        Column::new("commune_name", "commune", Type::Text).width(22.0),
        Column::new("commune", "code INSEE", Type::Text).width(11.0),
        Column::new("address", "adresse", Type::Text).width(32.0),
        Column::new("landlord", "bailleur", Type::Text).width(30.0),
        Column::new("logements", "logements", Type::Int),
        Column::new("fragilite", "indice de fragilité", Type::Float).format("0.0"),
        Column::new("partners", "partenaires ayant noté", Type::Int),
        Column::new("etat", "état", Type::Text).width(10.0),
    ];
    for c in &g.campaign.criteria {
        columns.push(
            Column::new(
                format!("m_{}", c.id),
                format!("moyenne – {}", c.label),
                Type::Float,
            )
            .format("0.0"),
        );
    }
    columns.extend([
        Column::new("overall", "note globale", Type::Float).format("0.0"),
        Column::new("spread", "écart entre partenaires", Type::Int),
        Column::new("desaccord", "désaccord", Type::Bool),
        Column::new(
            "previous_overall",
            "note de la campagne précédente",
            Type::Float,
        )
        .format("0.0"),
        Column::new("change", "évolution", Type::Float).format("+0.0;-0.0;0.0"),
    ]);
    let mine = g.org.is_some();
    if mine {
        for c in &g.campaign.criteria {
            columns.push(Column::new(
                format!("v_{}", c.id),
                format!("votre note – {}", c.label),
                Type::Int,
            ));
        }
        columns.push(Column::new("v_comment", "votre commentaire", Type::Text).width(40.0));
    }
    let comments = comments_shown(g);
    if comments {
        columns
            .push(Column::new("comments", "commentaires des partenaires", Type::Text).width(60.0));
    }
    columns.extend([
        Column::new("lon", "lon", Type::Float),
        Column::new("lat", "lat", Type::Float),
    ]);
    let text = |t: &Option<String>| Cell::from(t.clone());
    let out_rows = rows
        .iter()
        .map(|r| {
            let mut cells = vec![
                Cell::Text(r.id.clone()),
                text(&r.commune_name),
                Cell::Text(r.commune.clone()),
                text(&r.address),
                text(&r.landlord),
                Cell::from(r.logements),
                Cell::from(r.fragilite),
                Cell::Int(r.partners as i64),
                Cell::Text(
                    match r.etat {
                        "a_noter" => "à noter",
                        "en_cours" => "en cours",
                        _ => "notée",
                    }
                    .to_owned(),
                ),
            ];
            for c in &g.campaign.criteria {
                cells.push(Cell::from(
                    r.means
                        .as_ref()
                        .and_then(|m| m.get(&c.id).copied().flatten()),
                ));
            }
            cells.extend([
                Cell::from(r.overall),
                Cell::from(r.spread),
                Cell::from(r.desaccord),
                Cell::from(r.previous_overall),
                Cell::from(r.change),
            ]);
            if mine {
                for c in &g.campaign.criteria {
                    cells.push(Cell::from(
                        r.mine.as_ref().and_then(|m| m.scores.get(&c.id).copied()),
                    ));
                }
                cells.push(Cell::from(
                    r.mine
                        .as_ref()
                        .map(|m| m.comment.clone())
                        .filter(|c| !c.is_empty()),
                ));
            }
            if comments {
                let all: Vec<String> = r
                    .ratings
                    .iter()
                    .flatten()
                    .filter(|x| !x.comment.is_empty())
                    .map(|x| format!("{} : {}", x.org_name, x.comment))
                    .collect();
                cells.push(if all.is_empty() {
                    Cell::Null
                } else {
                    Cell::Text(all.join(" | "))
                });
            }
            cells.extend([Cell::Float(r.lon), Cell::Float(r.lat)]);
            cells
        })
        .collect();
    Table {
        name: "residences".into(),
        columns,
        rows: out_rows,
        points: rows.iter().map(|r| (r.lon, r.lat)).collect(),
    }
}

/// The partners' ratings, one row per residence and partner (for a caller who sees them).
fn ratings_table(g: &Gathered, rows: &[Row]) -> Table {
    let mut columns = vec![
        Column::new("id", "résidence", Type::Text).width(26.0),
        Column::new("commune_name", "commune", Type::Text).width(22.0),
        Column::new("org", "partenaire", Type::Text).width(30.0),
    ];
    for c in &g.campaign.criteria {
        columns.push(Column::new(c.id.clone(), c.label.clone(), Type::Int));
    }
    let comments = comments_shown(g);
    if comments {
        columns.push(Column::new("comment", "commentaire", Type::Text).width(50.0));
    }
    columns.extend([
        Column::new("revision", "révision", Type::Int),
        Column::new("by", "par", Type::Text),
        Column::new("updated_at", "le", Type::Text).width(24.0),
    ]);
    let mut out = Vec::new();
    let mut points = Vec::new();
    for r in rows {
        for x in r.ratings.iter().flatten() {
            let mut cells = vec![
                Cell::Text(r.id.clone()),
                Cell::from(r.commune_name.clone()),
                Cell::Text(x.org_name.clone()),
            ];
            for c in &g.campaign.criteria {
                cells.push(Cell::from(x.scores.get(&c.id).copied()));
            }
            if comments {
                cells.push(Cell::Text(x.comment.clone()));
            }
            cells.extend([
                Cell::Int(x.revision),
                Cell::Text(x.by.clone()),
                Cell::Text(x.updated_at.clone()),
            ]);
            out.push(cells);
            points.push((r.lon, r.lat));
        }
    }
    Table {
        name: "Notes".into(),
        columns,
        rows: out,
        points,
    }
}

/// The workbook: « Résidences », « Notes » (when the caller sees the partners' ratings) and
/// « Méthode ».
pub fn xlsx(
    catalog: &Catalog,
    g: &Gathered,
    rows: &[Row],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let mut t = table(g, rows);
    t.name = "Résidences".into();
    crate::export::xlsx_sheet(&mut book, &t)?;
    if g.you.sees_ratings {
        crate::export::xlsx_sheet(&mut book, &ratings_table(g, rows))?;
    }
    let c = &g.campaign;
    let s = |t: &str| t.to_owned();
    let mut lines = vec![
        vec![format!("#Qualification du parc — {}", c.name)],
        vec![
            s("Territoire"),
            format!("{} ({})", c.territory_name, c.territory),
        ],
        vec![
            s("Statut"),
            s(match c.status {
                Status::Draft => "brouillon",
                Status::Open => "ouverte",
                Status::Closed => "close",
                Status::Published => "publiée",
            }),
        ],
        vec![
            s("Dates"),
            format!(
                "{} → {}",
                c.opens.clone().unwrap_or_else(|| s("?")),
                c.closes.clone().unwrap_or_else(|| s("?"))
            ),
        ],
        vec![
            s("Partenaires"),
            c.partners
                .iter()
                .map(|o| o.name.clone())
                .collect::<Vec<_>>()
                .join(", "),
        ],
        vec![s("Exporté le"), crate::clock::now()],
        vec![],
        vec![s("#Grille"), s("chaque critère de 1 à 5")],
    ];
    for cr in &c.criteria {
        lines.push(vec![cr.label.clone(), cr.id.clone()]);
    }
    lines.push(vec![]);
    lines.push(vec![s("#Échelle")]);
    for (i, w) in SCALE.iter().enumerate() {
        lines.push(vec![(i + 1).to_string(), (*w).to_owned()]);
    }
    lines.extend([
        vec![],
        vec![s("#Consolidation")],
        vec![
            s("moyenne"),
            s("par critère, moyenne des partenaires qui l'ont noté"),
        ],
        vec![s("note globale"), s("moyenne des moyennes par critère")],
        vec![
            s("écart"),
            s("le plus grand écart entre deux partenaires sur un même critère"),
        ],
        vec![
            s("désaccord"),
            format!("écart de {DISAGREEMENT} points ou plus"),
        ],
        vec![
            s("indice de fragilité"),
            s("calculé par Bourg à partir des données (0 à 100 : vacance, DPE, âge, QPV)"),
        ],
        vec![
            s("identifiant"),
            s("code INSEE de la commune et coordonnées Lambert-93 au mètre (DEPCOM-X-Y)"),
        ],
        vec![],
        vec![s("#Source"), s("Date"), s("Producteur")],
    ]);
    if let Some(layer) =
        crate::analysis::territory::layer_with(catalog, crate::config::Role::Residences)
    {
        let a = &layer.config.attribution;
        let producer = if layer.config.synthetic {
            format!("{} — données synthétiques", a.producer)
        } else {
            a.producer.clone()
        };
        lines.push(vec![layer.config.title.clone(), a.date.clone(), producer]);
    }
    crate::export::xlsx_text_sheet(&mut book, "Méthode", &[28.0, 60.0, 50.0], &lines)?;
    book.save_to_buffer()
}
