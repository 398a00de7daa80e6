//! Unit tests of layer-file validation.
use super::*;

const MINIMAL: &str = r#"
title = "T"
synthetic = false
[source]
path = "data/a.geojson"
[attribution]
producer = "P"
date = "2024"
"#;

fn parse_str(text: &str) -> Result<LayerConfig, ConfigError> {
    parse(Path::new("layers/demo.toml"), text)
}

#[test]
fn minimal_layer_gets_defaults_and_resolved_path() {
    let c = parse_str(MINIMAL).unwrap();
    assert_eq!(c.id, "demo");
    assert_eq!(c.min_zoom, 0);
    assert_eq!(c.max_zoom, 14);
    assert_eq!(c.source.path, Path::new("layers/data/a.geojson"));
    assert_eq!(c.attribution.licence, "Licence Ouverte 2.0");
    assert!(!c.synthetic);
}

#[test]
fn unknown_key_names_file_and_key() {
    let err = parse_str(&MINIMAL.replace("title", "titel")).unwrap_err();
    let text = format!("{err}: {}", std::error::Error::source(&err).unwrap());
    assert!(text.starts_with("layers/demo.toml"), "{text}");
    assert!(text.contains("titel"), "{text}");
}

#[test]
fn unknown_source_key_is_an_error() {
    let err = parse_str(&MINIMAL.replace("[source]", "[source]\nformat = \"csv\"")).unwrap_err();
    assert!(std::error::Error::source(&err)
        .unwrap()
        .to_string()
        .contains("format"));
}

#[test]
fn zoom_out_of_range_names_the_key() {
    let err = parse_str(&format!("max_zoom = 30\n{MINIMAL}")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "layers/demo.toml: max_zoom: 30 is not a zoom level in 0..=24"
    );
    let err = parse_str(&format!("min_zoom = 9\nmax_zoom = 3\n{MINIMAL}")).unwrap_err();
    assert!(err.to_string().contains("min_zoom: 9 is above max_zoom 3"));
}

#[test]
fn bad_property_type_is_an_error() {
    let err = parse_str(&format!("{MINIMAL}\n[properties]\na = \"integer\"")).unwrap_err();
    assert!(matches!(err, ConfigError::Parse { .. }));
}

#[test]
fn xy_without_crs_is_an_error() {
    let text = MINIMAL.replace("a.geojson\"", "a.csv\"\nx = \"X\"\ny = \"Y\"");
    let err = parse_str(&text).unwrap_err();
    assert!(err.to_string().contains("source.crs: is required"), "{err}");
}

#[test]
fn x_without_y_is_an_error() {
    let text = MINIMAL.replace("a.geojson\"", "a.csv\"\nx = \"X\"");
    assert!(parse_str(&text)
        .unwrap_err()
        .to_string()
        .contains("source.y"));
}

#[test]
fn delimiter_only_for_csv() {
    let text = MINIMAL.replace("a.geojson\"", "a.geojson\"\ndelimiter = \";\"");
    let err = parse_str(&text).unwrap_err();
    assert!(err.to_string().contains("applies only to CSV"), "{err}");
}

#[test]
fn csv_options_are_validated() {
    let text = MINIMAL.replace(
        "a.geojson\"",
        "a.csv\"\nx = \"X\"\ny = \"Y\"\ncrs = \"EPSG:2154\"\ndelimiter = \";\"\nencoding = \"iso-8859-1\"",
    );
    let c = parse_str(&text).unwrap();
    assert_eq!(c.source.delimiter, Some(';'));
    assert_eq!(c.source.encoding, Encoding::Latin1);
    let bad = text.replace("iso-8859-1", "cp1252");
    assert!(parse_str(&bad)
        .unwrap_err()
        .to_string()
        .contains("encoding"));
}

#[test]
fn unknown_crs_is_an_error() {
    let text = MINIMAL.replace("a.geojson\"", "a.geojson\"\ncrs = \"EPSG:999999\"");
    let err = parse_str(&text).unwrap_err();
    assert!(
        err.to_string().starts_with("layers/demo.toml: source.crs:"),
        "{err}"
    );
    assert!(err.to_string().contains("EPSG:999999"), "{err}");
}

#[test]
fn bad_layer_id_is_an_error() {
    let err = parse(Path::new("layers/a b.toml"), MINIMAL).unwrap_err();
    assert!(err.to_string().contains("layer id"));
}

#[test]
fn join_on_must_be_a_kept_property() {
    let text = format!(
        "{MINIMAL}\n[properties]\ncode = \"string\"\n[[join]]\npath = \"t.csv\"\nkey = \"k\"\non = \"nope\"\n[join.properties]\nv = \"int\"\n"
    );
    let err = parse_str(&text).unwrap_err();
    assert!(err.to_string().contains("join[0].on"), "{err}");
    let ok = text.replace("\"nope\"", "\"code\"");
    let c = parse_str(&ok).unwrap();
    assert_eq!(c.joins.len(), 1);
    assert_eq!(c.joins[0].source.path, Path::new("layers/t.csv"));
}

#[test]
fn tile_settings_are_validated() {
    let base = format!("{MINIMAL}\n[properties]\nn = \"int\"\nname = \"string\"\n[tiles]\n");
    let c = parse_str(&format!("{base}aggregate_below = 10\nsums = [\"n\"]")).unwrap();
    let agg = c.tiles.aggregate.unwrap();
    assert_eq!((agg.below_zoom, agg.cell_size), (10, 128));
    assert_eq!(c.tiles.buffer, 64);
    for (extra, key) in [
        ("buffer = -1", "tiles.buffer"),
        ("tolerance = -2.0", "tiles.tolerance"),
        ("max_bytes = 10", "tiles.max_bytes"),
        ("aggregate_below = 10\ncell_size = 100", "tiles.cell_size"),
        ("aggregate_below = 10\nsums = [\"name\"]", "tiles.sums"),
        ("aggregate_below = 10\nsums = [\"nope\"]", "tiles.sums"),
        ("sums = [\"n\"]", "tiles.aggregate_below"),
        ("aggregate_below = 40", "tiles.aggregate_below"),
    ] {
        let err = parse_str(&format!("{base}{extra}"))
            .unwrap_err()
            .to_string();
        assert!(err.contains(key), "{extra}: {err}");
    }
    assert!(matches!(
        parse_str(&format!("{base}bufer = 3")),
        Err(ConfigError::Parse { .. })
    ));
}

#[test]
fn group_and_totals_are_validated() {
    let csv = MINIMAL.replace(
        "a.geojson\"",
        "a.csv\"\nx = \"X\"\ny = \"Y\"\ncrs = \"EPSG:2154\"",
    );
    let group = "[group]\nby = [\"X\"]\ncount = \"n\"\n[group.count_if]\nv = { column = \"OCC\", values = [\"vacant\"] }\n";
    let c = parse_str(&format!("{csv}\n[properties]\nDEP = \"string\"\n{group}")).unwrap();
    let g = c.group.unwrap();
    assert_eq!(
        g.properties(),
        vec![("n".into(), PropType::Int), ("v".into(), PropType::Int)]
    );
    assert_eq!(g.columns(), vec!["X".to_owned(), "OCC".to_owned()]);
    // Grouping needs rows with coordinates.
    let err = parse_str(&format!("{MINIMAL}\n{group}"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("group: applies to tables"), "{err}");
    // A count named like a kept property.
    let err = parse_str(&format!("{csv}\n[properties]\nn = \"string\"\n{group}"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("\"n\" is defined twice"), "{err}");
    let totals = "[totals]\nlayer = \"rpls\"\nkey = \"DEPCOM\"\non = \"code\"\nsums = [\"n\"]\n";
    let c = parse_str(&format!(
        "{MINIMAL}\n[properties]\ncode = \"string\"\n{totals}"
    ))
    .unwrap();
    assert_eq!(c.totals.unwrap().layer, "rpls");
    let err = parse_str(&format!(
        "{MINIMAL}\n[properties]\nnom = \"string\"\n{totals}"
    ))
    .unwrap_err()
    .to_string();
    assert!(err.contains("totals.on"), "{err}");
    let err = parse_str(&format!(
        "{MINIMAL}\n[properties]\ncode = \"string\"\n{}",
        totals.replace("rpls", "demo")
    ))
    .unwrap_err()
    .to_string();
    assert!(err.contains("cannot total itself"), "{err}");
}

#[test]
fn join_prefix_avoids_clashes() {
    let join = "[[join]]\npath = \"t.csv\"\nkey = \"k\"\non = \"code\"\n[join.properties]\ncode = \"int\"\n";
    let base = format!("{MINIMAL}\n[properties]\ncode = \"string\"\n");
    assert!(parse_str(&format!("{base}{join}"))
        .unwrap_err()
        .to_string()
        .contains("set join.prefix"));
    let c = parse_str(&format!(
        "{base}{}",
        join.replace("on = \"code\"", "on = \"code\"\nprefix = \"t_\"")
    ))
    .unwrap();
    assert_eq!(c.joins[0].property_names(), vec!["t_code".to_owned()]);
    assert_eq!(c.property_type("t_code"), Some(PropType::Int));
}

#[test]
fn join_property_clash_is_an_error() {
    let text = format!(
        "{MINIMAL}\n[properties]\ncode = \"string\"\n[[join]]\npath = \"t.csv\"\nkey = \"k\"\non = \"code\"\n[join.properties]\ncode = \"int\"\n"
    );
    assert!(parse_str(&text)
        .unwrap_err()
        .to_string()
        .contains("already a property"));
}

/// A grouped point layer with cells and a role, to label.
fn words_layer(words: &str) -> Result<LayerConfig, ConfigError> {
    let csv = MINIMAL.replace(
        "a.geojson\"",
        "a.csv\"\nx = \"X\"\ny = \"Y\"\ncrs = \"EPSG:2154\"",
    );
    parse_str(&format!(
        "noun = [\"résidence\", \"résidences\"]\n{csv}\n[properties]\nDEPCOM = \"string\"\nCONSTRUCT = \"int\"\nacv = \"bool\"\n\
         [group]\nby = [\"X\"]\ncount = \"logements\"\n[group.count_by]\nDPE = {{ prefix = \"dpe_\", values = [\"A\"] }}\n\
         [tiles]\naggregate_below = 12\nsums = [\"logements\"]\nstats = [\"fragilite\"]\n\
         [analysis]\nrole = \"residences\"\n{words}"
    ))
}

#[test]
fn labels_formats_and_values_are_read() {
    let c = words_layer(
        "[labels]\nDEPCOM = \"Commune\"\ndpe_A = \"DPE A\"\nfrag_age = \"Fragilité – âge\"\ncount = \"Résidences regroupées\"\nfragilite_mean = \"Fragilité moyenne\"\nfragilite_max = \"Fragilité maximale\"\n\
         [formats]\nCONSTRUCT = \"year\"\nfragilite_max = \"score\"\nDEPCOM = \"code\"\n\
         [values.DEPCOM]\n\"62498\" = \"Lens\"\n",
    )
    .unwrap();
    let w = &c.words;
    assert_eq!(w.labels["DEPCOM"], "Commune");
    assert_eq!(w.labels.len(), 6);
    assert_eq!(w.formats["CONSTRUCT"], Format::Year);
    assert_eq!(w.formats["fragilite_max"], Format::Score);
    assert_eq!(w.values["DEPCOM"]["62498"], "Lens");
    let noun = w.noun.as_ref().unwrap();
    assert_eq!(
        (noun.one.as_str(), noun.many.as_str()),
        ("résidence", "résidences")
    );
    // Every name a feature or a cell carries is listed once: kept, grouped, added by the role,
    // and the cells' count, mean and maximum.
    let names: Vec<String> = c.property_names().into_iter().map(|(n, _)| n).collect();
    for n in [
        "DEPCOM",
        "logements",
        "dpe_A",
        "fragilite",
        "frag_qpv",
        "count",
        "fragilite_max",
    ] {
        assert_eq!(
            names.iter().filter(|x| *x == n).count(),
            1,
            "{n} in {names:?}"
        );
    }
}

#[test]
fn a_label_of_an_unknown_property_names_file_and_key() {
    let err = words_layer("[labels]\nNB_LOGVAC = \"Logements vacants\"\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "layers/demo.toml: labels.NB_LOGVAC: is not a property of this layer"
    );
    // A cell's maximum exists only for its stats, a count only with cells.
    let err = words_layer("[labels]\nlogements_max = \"x\"\n").unwrap_err();
    assert!(err.to_string().contains("labels.logements_max"), "{err}");
    let err = parse_str(&format!("{MINIMAL}\n[labels]\ncount = \"n\"\n")).unwrap_err();
    assert!(err.to_string().contains("labels.count"), "{err}");
    let err = words_layer("[formats]\nCONSTRUIT = \"year\"\n").unwrap_err();
    assert!(err.to_string().contains("formats.CONSTRUIT"), "{err}");
    let err = words_layer("[values.TYPE]\nC = \"Collectif\"\n").unwrap_err();
    assert!(err.to_string().contains("values.TYPE"), "{err}");
}

#[test]
fn words_are_validated() {
    let cases = [
        (
            "[labels]\nDEPCOM = \" \"\n",
            "labels.DEPCOM: must not be empty",
        ),
        (
            "[formats]\nDEPCOM = \"year\"\n",
            "formats.DEPCOM: \"year\" does not apply to a string property",
        ),
        (
            "[formats]\nCONSTRUCT = \"date\"\n",
            "formats.CONSTRUCT: \"date\" does not apply to a int property",
        ),
        (
            "[values.acv]\ntrue = \"oui\"\n",
            "values.acv: a bool property reads oui/non already",
        ),
        (
            "[values.fragilite]\n\"1\" = \"un\"\n",
            "values.fragilite: applies to text or int, not float",
        ),
        (
            "[values]\nDEPCOM = {}\n",
            "values.DEPCOM: needs at least one value",
        ),
        (
            "[values.DEPCOM]\n\"62498\" = \"\"\n",
            "values.DEPCOM.62498: must not be empty",
        ),
    ];
    for (words, message) in cases {
        let err = words_layer(words).unwrap_err().to_string();
        assert!(err.ends_with(message), "{words}: {err}");
    }
    // A format that is not one of the list, an unknown table key, a noun of one word.
    for bad in [
        "[formats]\nCONSTRUCT = \"annee\"\n",
        "[labels.DEPCOM]\ntext = \"Commune\"\n",
    ] {
        assert!(
            matches!(words_layer(bad), Err(ConfigError::Parse { .. })),
            "{bad}"
        );
    }
    let one_word = MINIMAL.replace("title", "noun = [\"résidence\"]\ntitle");
    assert!(matches!(
        parse_str(&one_word),
        Err(ConfigError::Parse { .. })
    ));
    let empty = MINIMAL.replace("title", "noun = [\"résidence\", \"\"]\ntitle");
    assert!(parse_str(&empty).unwrap_err().to_string().contains("noun:"));
}
