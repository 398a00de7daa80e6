//! What a site is, in French: its label, its address, and numbers written the French way
//! (decimal comma, a narrow no-break space between thousands). Pure functions, no layer access.

/// A number in French with `decimals` decimals: `1 234,5`. Thousands are separated by a narrow
/// no-break space (U+202F), as the Imprimerie nationale writes them.
pub fn number_fr(v: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, v.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('\u{202f}');
        }
        grouped.push(ch);
    }
    let sign = if v < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped},{frac}")
    }
}

/// A count and its noun, singular below 2 as French wants it (`1 an`, `0 logement`, `3 ans`).
pub fn count_fr(n: i64, singular: &str, plural: &str) -> String {
    let word = if n.abs() < 2 { singular } else { plural };
    format!("{} {word}", number_fr(n as f64, 0))
}

/// A building with long-term vacant private dwellings: « 12 logements vacants depuis 3 ans ».
/// An unknown count or duration is said so, never written 0.
pub fn vacancy(dwellings: Option<i64>, years: Option<i64>) -> String {
    let what = match dwellings {
        Some(n) => count_fr(n, "logement vacant", "logements vacants"),
        None => "Logements vacants (nombre inconnu)".to_owned(),
    };
    match years {
        Some(y) => format!("{what} depuis {}", count_fr(y, "an", "ans")),
        None => format!("{what}, durée de vacance inconnue"),
    }
}

/// A brownfield: « Friche « name » (statut) » when it has a name, else its Cartofriches id.
pub fn brownfield(name: Option<&str>, site_id: &str, status: Option<&str>) -> String {
    let what = match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => format!("Friche « {n} »"),
        None if !site_id.is_empty() => format!("Friche {site_id}"),
        None => "Friche".to_owned(),
    };
    match status.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => format!("{what} ({s})"),
        None => what,
    }
}

/// A social residence: « Résidence 12 bis rue des Lilas — Landlord ».
pub fn residence(address: Option<&str>, landlord: Option<&str>) -> String {
    let mut out = match address {
        Some(a) => format!("Résidence {a}"),
        None => "Résidence sociale (adresse inconnue)".to_owned(),
    };
    if let Some(l) = landlord.map(str::trim).filter(|l| !l.is_empty()) {
        out.push_str(" — ");
        out.push_str(l);
    }
    out
}

/// An address from its parts (`NUMVOIE INDREP TYPVOIE NOMVOIE`), blanks dropped; `None` when
/// every part is blank.
pub fn address<'a>(parts: impl IntoIterator<Item = Option<&'a str>>) -> Option<String> {
    let joined = parts
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (!joined.is_empty()).then_some(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vacancy_labels_agree_in_number() {
        assert_eq!(vacancy(Some(1), Some(1)), "1 logement vacant depuis 1 an");
        assert_eq!(
            vacancy(Some(12), Some(3)),
            "12 logements vacants depuis 3 ans"
        );
        assert_eq!(vacancy(Some(2), Some(1)), "2 logements vacants depuis 1 an");
        assert_eq!(
            vacancy(Some(1), None),
            "1 logement vacant, durée de vacance inconnue"
        );
        assert_eq!(
            vacancy(None, Some(4)),
            "Logements vacants (nombre inconnu) depuis 4 ans"
        );
        assert_eq!(
            vacancy(Some(1200), Some(10)),
            "1\u{202f}200 logements vacants depuis 10 ans"
        );
    }

    #[test]
    fn brownfield_labels_use_the_name_when_there_is_one() {
        assert_eq!(
            brownfield(
                Some("Chaudronnerie Bracq"),
                "62498_5371",
                Some("friche potentielle")
            ),
            "Friche « Chaudronnerie Bracq » (friche potentielle)"
        );
        assert_eq!(
            brownfield(None, "62498_5371", Some("friche sans projet")),
            "Friche 62498_5371 (friche sans projet)"
        );
        assert_eq!(brownfield(Some("  "), "1", None), "Friche 1");
        assert_eq!(brownfield(None, "", None), "Friche");
    }

    #[test]
    fn addresses_and_residences() {
        assert_eq!(
            address([Some("12"), Some("B"), Some("RUE"), Some("DES LILAS")]).as_deref(),
            Some("12 B RUE DES LILAS")
        );
        assert_eq!(
            address([Some("3"), None, Some(" AV "), Some("FOCH")]).as_deref(),
            Some("3 AV FOCH")
        );
        assert_eq!(address([None, Some(""), Some(" ")]), None);
        assert_eq!(
            residence(Some("3 AV FOCH"), Some("Pas-de-Calais Habitat")),
            "Résidence 3 AV FOCH — Pas-de-Calais Habitat"
        );
        assert_eq!(
            residence(None, None),
            "Résidence sociale (adresse inconnue)"
        );
    }

    #[test]
    fn french_numbers() {
        assert_eq!(number_fr(12.5, 1), "12,5");
        assert_eq!(number_fr(1234567.0, 0), "1\u{202f}234\u{202f}567");
        assert_eq!(number_fr(999.0, 0), "999");
        assert_eq!(number_fr(1000.0, 2), "1\u{202f}000,00");
        assert_eq!(number_fr(-4.26, 1), "-4,3");
        assert_eq!(number_fr(-0.01, 0), "0");
        assert_eq!(count_fr(0, "an", "ans"), "0 an");
    }
}
