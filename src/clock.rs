//! Time as the database and the API write it: UTC RFC 3339 with milliseconds.

/// Now, e.g. `2026-11-30T09:15:02.123Z`.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Now plus `seconds`, in the same form.
pub fn in_seconds(seconds: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(seconds))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Whether `text` is a calendar date `YYYY-MM-DD`.
pub fn is_date(text: &str) -> bool {
    text.len() == 10 && chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_sort_as_text() {
        let a = super::now();
        let b = super::in_seconds(60);
        assert!(a < b, "{a} {b}");
        assert!(a.ends_with('Z') && a.len() == 24, "{a}");
        assert!(super::is_date("2026-02-28"));
        assert!(!super::is_date("2026-02-30"));
        assert!(!super::is_date("2026-2-3"));
    }
}
