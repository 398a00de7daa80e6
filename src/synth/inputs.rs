//! Reading the real aggregates the generator is calibrated on, through GDAL/OGR.
//!
//! The national tables live in `<data>/france/` gzip-compressed and are read through GDAL's
//! `/vsigzip/`; CSV type detection is off so INSEE codes keep their leading zeros. Polygons are
//! WGS84 longitude/latitude (RFC 7946 GeoJSON). A commune's polygon comes from the detailed demo
//! file (`<data>/communes_62_25_cog2025.geojson`) when that file has it, so the demo points fall
//! inside the polygons the demo map draws; otherwise from the simplified national file.
//! Attributes always come from the national file, the one set the national total is spread over.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use gdal::vector::LayerAccess;
use geo::{Coord, MultiPolygon};

use super::commune::{Commune, Lovac, Programme, Zonage};
use super::error::SynthError;
use super::reader::{bad, column_indexes, open, read_table};
use crate::layer::GdalMessage;

/// The input files, relative to the data folder (`layers/data` by default).
pub mod files {
    /// Simplified national commune polygons, COG 2025, with `epci`, `pmun22` and `dens7`.
    pub const NATIONAL_COMMUNES: &str = "france/communes_france_simplifiees_cog2025.geojson.gz";
    /// Département polygons, COG 2025, with their `region`.
    pub const DEPARTEMENTS: &str = "france/departements_france_cog2025.geojson.gz";
    /// Detailed commune polygons of the demo region (62, 25).
    pub const DEMO_COMMUNES: &str = "communes_62_25_cog2025.geojson";
    /// QPV 2024, one row per (commune, QPV).
    pub const QPV: &str = "france/qpv2024_communes.csv.gz";
    /// Postcodes of every COG 2026 entity.
    pub const POSTCODES: &str = "france/codes_postaux_cog2026.csv.gz";
    /// LOVAC 2021 commune aggregate.
    pub const LOVAC: &str = "france/lovac_vacance_longue_communes_2021.csv.gz";
    /// Zonage A/B/C per commune.
    pub const ZONAGE: &str = "france/zonage_abc_communes.csv.gz";
    /// ANCT points of the ACV, PVD and ORT communes.
    pub const PROGRAMMES: &str = "france/programmes_points.csv.gz";
}

/// Every metropolitan commune with its aggregates, and the polygons of the chosen ones.
#[derive(Debug)]
pub struct Inputs {
    /// All metropolitan communes of the national file, sorted by code.
    pub communes: Vec<Commune>,
    /// Polygons of the communes of the chosen départements, by code, with the file (relative
    /// to the data folder) each comes from.
    pub polygons: BTreeMap<String, (MultiPolygon<f64>, &'static str)>,
    /// The chosen départements, sorted.
    pub departements: BTreeSet<String>,
}

/// Which départements to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every metropolitan département.
    France,
    /// These départements (codes as given on the command line).
    Departements(Vec<String>),
}

/// A département code as typed, normalised: trimmed, upper case, one digit zero-padded (`1` → `01`).
pub fn normalise_departement(code: &str) -> String {
    let code = code.trim().to_ascii_uppercase();
    if code.len() == 1 && code.bytes().all(|b| b.is_ascii_digit()) {
        format!("0{code}")
    } else {
        code
    }
}

/// Reads every input of `data` for the chosen départements.
///
/// # Errors
/// A missing or unreadable file, a missing column, a value that is not what it should be, an
/// unknown or overseas département.
pub fn load(data: &Path, scope: &Scope) -> Result<Inputs, SynthError> {
    let national_path = data.join(files::NATIONAL_COMMUNES);
    let requested: Option<Vec<String>> = match scope {
        Scope::France => None,
        Scope::Departements(codes) if codes.is_empty() => return Err(SynthError::NoScope),
        Scope::Departements(codes) => {
            let codes: Vec<String> = codes.iter().map(|c| normalise_departement(c)).collect();
            if let Some(c) = codes.iter().find(|c| c.len() == 3 && c.starts_with("97")) {
                return Err(SynthError::Overseas { code: c.clone() });
            }
            Some(codes)
        }
    };
    let wanted = |dep: &str| {
        requested
            .as_ref()
            .is_none_or(|r| r.iter().any(|d| d == dep))
    };
    let national = read_communes(&national_path, |dep| dep.len() == 2 && wanted(dep))?;
    let metro_deps: BTreeSet<String> = national
        .iter()
        .filter(|c| c.dep.len() == 2)
        .map(|c| c.dep.clone())
        .collect();
    let departements = match &requested {
        None => metro_deps.clone(),
        Some(codes) => {
            for code in codes {
                if !metro_deps.contains(code) {
                    return Err(SynthError::UnknownDepartement {
                        code: code.clone(),
                        path: national_path.clone(),
                        known: abbreviate(&metro_deps),
                    });
                }
            }
            codes.iter().cloned().collect()
        }
    };
    let demo_path = data.join(files::DEMO_COMMUNES);
    let demo: HashMap<String, MultiPolygon<f64>> =
        read_communes(&demo_path, |dep| departements.contains(dep))?
            .into_iter()
            .filter_map(|c| c.polygon.map(|p| (c.code, p)))
            .collect();

    let regions = read_regions(&data.join(files::DEPARTEMENTS))?;
    let qpv = read_qpv(&data.join(files::QPV))?;
    let postcodes = read_postcodes(&data.join(files::POSTCODES))?;
    let lovac = read_lovac(&data.join(files::LOVAC))?;
    let zonage = read_zonage(&data.join(files::ZONAGE))?;
    let programmes = read_programmes(&data.join(files::PROGRAMMES))?;

    let mut communes = Vec::new();
    let mut polygons = BTreeMap::new();
    for raw in national.into_iter().filter(|c| c.dep.len() == 2) {
        if departements.contains(&raw.dep) {
            let polygon = match demo.get(&raw.code) {
                Some(p) => Some((p.clone(), files::DEMO_COMMUNES)),
                None => raw.polygon.map(|p| (p, files::NATIONAL_COMMUNES)),
            };
            if let Some(p) = polygon {
                polygons.insert(raw.code.clone(), p);
            }
        }
        communes.push(Commune {
            zonage: zonage.get(&raw.code).copied(),
            qpv: qpv.get(&raw.code).cloned().unwrap_or_default(),
            postcodes: postcodes.get(&raw.code).cloned().unwrap_or_default(),
            lovac: lovac.get(&raw.code).copied().unwrap_or_default(),
            programme: programmes.get(&raw.code).copied(),
            reg: regions.get(&raw.dep).cloned().unwrap_or_default(),
            code: raw.code,
            name: raw.name,
            dep: raw.dep,
            epci: raw.epci,
            population: raw.population,
            dens7: raw.dens7,
        });
    }
    communes.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(Inputs {
        communes,
        polygons,
        departements,
    })
}

fn abbreviate(codes: &BTreeSet<String>) -> String {
    let shown: Vec<&str> = codes.iter().take(8).map(String::as_str).collect();
    let last = codes.iter().last().map(String::as_str).unwrap_or_default();
    if codes.len() > shown.len() + 1 {
        format!("{}, … {last}", shown.join(", "))
    } else {
        codes.iter().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// A commune of a polygon file, before the tables are joined.
struct RawCommune {
    code: String,
    name: String,
    dep: String,
    epci: String,
    population: u32,
    dens7: u8,
    polygon: Option<MultiPolygon<f64>>,
}

/// Reads a commune GeoJSON (`code`, `nom`, `dep`, `epci`, `pmun22`, `dens7`), keeping the polygon
/// of the communes whose département `with_polygon` accepts.
fn read_communes(
    path: &Path,
    with_polygon: impl Fn(&str) -> bool,
) -> Result<Vec<RawCommune>, SynthError> {
    let dataset = open(path)?;
    let mut layer = dataset.layer(0).map_err(|e| SynthError::Open {
        path: path.to_owned(),
        source: GdalMessage::from(&e),
    })?;
    let columns = ["code", "nom", "dep", "epci", "pmun22", "dens7"];
    let [code_i, nom_i, dep_i, epci_i, pop_i, dens_i] = column_indexes(&layer, path, columns)?;
    let mut out = Vec::new();
    for (n, feature) in layer.features().enumerate() {
        let text = |i| crate::layer::field_text(&feature, i);
        let (code, dep) = (text(code_i), text(dep_i));
        if code.is_empty() {
            return Err(bad(path, n + 1, "code", "", "an INSEE code"));
        }
        let population = feature.field_as_integer64(pop_i).ok().flatten();
        let population = population
            .and_then(|p| u32::try_from(p).ok())
            .ok_or_else(|| bad(path, n + 1, "pmun22", &text(pop_i), "a population"))?;
        let dens7 = feature
            .field_as_integer64(dens_i)
            .ok()
            .flatten()
            .and_then(|d| u8::try_from(d).ok())
            .filter(|d| (1..=7).contains(d))
            .ok_or_else(|| bad(path, n + 1, "dens7", &text(dens_i), "a class 1 to 7"))?;
        let polygon = if with_polygon(&dep) {
            Some(multipolygon(path, &code, feature.geometry())?)
        } else {
            None
        };
        out.push(RawCommune {
            name: text(nom_i),
            epci: text(epci_i),
            code,
            dep,
            population,
            dens7,
            polygon,
        });
    }
    Ok(out)
}

fn multipolygon(
    path: &Path,
    code: &str,
    geometry: Option<&gdal::vector::Geometry>,
) -> Result<MultiPolygon<f64>, SynthError> {
    let bad_geometry = |reason: String| SynthError::BadGeometry {
        path: path.to_owned(),
        code: code.to_owned(),
        reason,
    };
    let geometry = geometry.ok_or_else(|| bad_geometry("no geometry".into()))?;
    match geometry.to_geo() {
        Ok(geo::Geometry::Polygon(p)) => Ok(MultiPolygon::new(vec![p])),
        Ok(geo::Geometry::MultiPolygon(mp)) => Ok(mp),
        Ok(_) => Err(bad_geometry("not a polygon".into())),
        Err(e) => Err(bad_geometry(crate::gdal_message(&e))),
    }
}

/// Region code by département code.
fn read_regions(path: &Path) -> Result<HashMap<String, String>, SynthError> {
    let mut out = HashMap::new();
    read_table(path, ["dep", "region"], |_, [dep, region]| {
        if let (Some(dep), Some(region)) = (dep, region) {
            out.insert(dep, region);
        }
        Ok(())
    })?;
    Ok(out)
}

fn read_qpv(path: &Path) -> Result<HashMap<String, Vec<String>>, SynthError> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    read_table(path, ["insee_com", "code_qp"], |_, [com, qp]| {
        if let (Some(com), Some(qp)) = (com, qp) {
            out.entry(com).or_default().push(qp);
        }
        Ok(())
    })?;
    for codes in out.values_mut() {
        codes.sort();
        codes.dedup();
    }
    Ok(out)
}

/// Postcodes by INSEE code; a current commune's row wins over a delegated commune sharing its code.
fn read_postcodes(path: &Path) -> Result<HashMap<String, Vec<String>>, SynthError> {
    let mut out: HashMap<String, (bool, Vec<String>)> = HashMap::new();
    read_table(
        path,
        ["code_insee", "type", "codes_postaux"],
        |_, [code, kind, codes]| {
            let (Some(code), Some(codes)) = (code, codes) else {
                return Ok(());
            };
            let current = kind.as_deref() == Some("commune-actuelle");
            let list: Vec<String> = codes.split('|').map(str::to_owned).collect();
            match out.get(&code) {
                Some((true, _)) => {}
                Some((false, _)) if !current => {}
                _ => {
                    out.insert(code, (current, list));
                }
            }
            Ok(())
        },
    )?;
    Ok(out.into_iter().map(|(k, (_, v))| (k, v)).collect())
}

fn read_lovac(path: &Path) -> Result<HashMap<String, Lovac>, SynthError> {
    let mut out = HashMap::new();
    let columns = ["insee_com", "nb_log_pp", "pct_vacants_plus_2ans_pp"];
    read_table(path, columns, |row, [code, stock, pct]| {
        let Some(code) = code else { return Ok(()) };
        let private_dwellings = match stock {
            None => None,
            Some(s) => Some(
                s.trim()
                    .parse::<u32>()
                    .map_err(|_| bad(path, row, columns[1], &s, "a number of dwellings"))?,
            ),
        };
        let pct_vacant_over_2_years = match pct {
            None => None,
            Some(s) => Some(
                s.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|p| (0.0..=100.0).contains(p))
                    .ok_or_else(|| bad(path, row, columns[2], &s, "a percentage"))?,
            ),
        };
        out.insert(
            code,
            Lovac {
                private_dwellings,
                pct_vacant_over_2_years,
            },
        );
        Ok(())
    })?;
    Ok(out)
}

fn read_zonage(path: &Path) -> Result<HashMap<String, Zonage>, SynthError> {
    let mut out = HashMap::new();
    read_table(path, ["insee_com", "zonage_abc"], |row, [code, zone]| {
        if let (Some(code), Some(zone)) = (code, zone) {
            let z = Zonage::parse(&zone)
                .ok_or_else(|| bad(path, row, "zonage_abc", &zone, "Abis, A, B1, B2 or C"))?;
            out.insert(code, z);
        }
        Ok(())
    })?;
    Ok(out)
}

/// The ANCT point of each programme commune; ACV wins over PVD, PVD over ORT.
fn read_programmes(path: &Path) -> Result<HashMap<String, (Programme, Coord<f64>)>, SynthError> {
    let mut out: HashMap<String, (Programme, Coord<f64>)> = HashMap::new();
    let columns = ["insee_com", "programme", "lon", "lat"];
    read_table(path, columns, |row, [code, programme, lon, lat]| {
        let Some(code) = code else { return Ok(()) };
        let text = programme.unwrap_or_default();
        let programme = Programme::parse(&text)
            .ok_or_else(|| bad(path, row, "programme", &text, "acv, pvd or ort"))?;
        let number = |v: Option<String>, column: &str| {
            let v = v.unwrap_or_default();
            v.trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| bad(path, row, column, &v, "a coordinate"))
        };
        let point = Coord {
            x: number(lon, "lon")?,
            y: number(lat, "lat")?,
        };
        if out.get(&code).is_none_or(|(p, _)| programme < *p) {
            out.insert(code, (programme, point));
        }
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn departement_codes_are_normalised() {
        assert_eq!(normalise_departement(" 1"), "01");
        assert_eq!(normalise_departement("2a"), "2A");
        assert_eq!(normalise_departement("62"), "62");
    }

    #[test]
    fn known_codes_are_abbreviated() {
        let codes: BTreeSet<String> = (1..=20).map(|i| format!("{i:02}")).collect();
        assert_eq!(abbreviate(&codes), "01, 02, 03, 04, 05, 06, 07, 08, … 20");
        let few: BTreeSet<String> = ["25".to_owned(), "62".to_owned()].into();
        assert_eq!(abbreviate(&few), "25, 62");
    }
}
