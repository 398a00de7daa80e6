//! `[style]`: how a layer looks on the map and in its legend — its theme (the UI groups layers by
//! it), colour, default visibility, labels, and either choropleth classes or categories.
//!
//! ```toml
//! [style]
//! theme = "vacance"             # parc_social | vacance | programmes | friches | contexte
//! color = "#de2d26"
//! visible = true
//! label = "nom"                 # a property drawn as text (from label_min_zoom)
//! [style.choropleth]            # steps: colors[i] from breaks[i-1] up to breaks[i]
//! property = "pct_vacants_plus_2ans_pp"
//! unit = "%"
//! breaks = [3, 6, 9, 12]
//! colors = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"]
//! [style.categories]            # a colour per value of a text property
//! property = "zonage_abc"
//! values = { A = "#7b3294", B1 = "#c2a5cf", B2 = "#a6dba0", C = "#008837" }
//! ```

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::{ConfigError, PropType};

/// The themes of the layer panel, in display order.
pub const THEMES: [(&str, &str); 5] = [
    ("parc_social", "Parc social"),
    ("vacance", "Vacance"),
    ("programmes", "Programmes ACV / PVD / ORT"),
    ("friches", "Friches"),
    ("contexte", "Contexte"),
];

/// Choropleth classes on a numeric property.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Choropleth {
    /// The property.
    pub property: String,
    /// Unit shown in the legend.
    #[serde(default)]
    pub unit: String,
    /// Ascending class limits; `colors` has one more entry.
    pub breaks: Vec<f64>,
    /// One colour per class.
    pub colors: Vec<String>,
}

/// A colour per value of a text property.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Categories {
    /// The property.
    pub property: String,
    /// Colour of each value, in legend order.
    pub values: IndexMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStyle {
    theme: Option<String>,
    color: Option<String>,
    visible: Option<bool>,
    label: Option<String>,
    label_min_zoom: Option<u8>,
    choropleth: Option<Choropleth>,
    categories: Option<Categories>,
}

/// Validated `[style]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StyleConfig {
    /// Theme id (one of [`THEMES`]).
    pub theme: String,
    /// Main colour (`#rrggbb`).
    pub color: String,
    /// Shown when the map opens.
    pub visible: bool,
    /// Property drawn as text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Zoom from which labels show.
    pub label_min_zoom: u8,
    /// Choropleth classes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub choropleth: Option<Choropleth>,
    /// Categories.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub categories: Option<Categories>,
}

impl Default for StyleConfig {
    fn default() -> Self {
        Self {
            theme: "contexte".into(),
            color: "#1f77b4".into(),
            visible: false,
            label: None,
            label_min_zoom: 9,
            choropleth: None,
            categories: None,
        }
    }
}

pub(super) fn is_colour(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|ch| ch.is_ascii_hexdigit())
}

pub(super) fn style(
    raw: RawStyle,
    invalid: impl Fn(&str, String) -> ConfigError,
    property_type: impl Fn(&str) -> Option<PropType>,
) -> Result<StyleConfig, ConfigError> {
    let mut s = StyleConfig::default();
    if let Some(theme) = raw.theme {
        if !THEMES.iter().any(|(id, _)| *id == theme) {
            let ids: Vec<&str> = THEMES.iter().map(|(id, _)| *id).collect();
            return Err(invalid(
                "style.theme",
                format!("{theme:?} is not one of {}", ids.join(", ")),
            ));
        }
        s.theme = theme;
    }
    if let Some(c) = raw.color {
        if !is_colour(&c) {
            return Err(invalid(
                "style.color",
                format!("{c:?} is not a #rrggbb colour"),
            ));
        }
        s.color = c;
    }
    s.visible = raw.visible.unwrap_or(false);
    if let Some(label) = raw.label {
        if property_type(&label).is_none() {
            return Err(invalid(
                "style.label",
                format!("{label:?} is not a property of this layer"),
            ));
        }
        s.label = Some(label);
    }
    if let Some(z) = raw.label_min_zoom {
        if z > super::MAX_ZOOM {
            return Err(invalid(
                "style.label_min_zoom",
                format!("{z} is above {}", super::MAX_ZOOM),
            ));
        }
        s.label_min_zoom = z;
    }
    if raw.choropleth.is_some() && raw.categories.is_some() {
        return Err(invalid(
            "style",
            "choropleth and categories exclude each other".into(),
        ));
    }
    if let Some(c) = raw.choropleth {
        match property_type(&c.property) {
            Some(PropType::Int | PropType::Float) => {}
            _ => {
                return Err(invalid(
                    "style.choropleth.property",
                    format!("{:?} is not a numeric property", c.property),
                ))
            }
        }
        if c.colors.len() != c.breaks.len() + 1 {
            return Err(invalid(
                "style.choropleth.colors",
                format!(
                    "needs {} colours for {} breaks",
                    c.breaks.len() + 1,
                    c.breaks.len()
                ),
            ));
        }
        if c.breaks.windows(2).any(|w| w[0] >= w[1]) || c.breaks.iter().any(|b| !b.is_finite()) {
            return Err(invalid(
                "style.choropleth.breaks",
                "must be finite and strictly ascending".into(),
            ));
        }
        if let Some(bad) = c.colors.iter().find(|c| !is_colour(c)) {
            return Err(invalid(
                "style.choropleth.colors",
                format!("{bad:?} is not a #rrggbb colour"),
            ));
        }
        s.choropleth = Some(c);
    }
    if let Some(c) = raw.categories {
        if property_type(&c.property) != Some(PropType::String) {
            return Err(invalid(
                "style.categories.property",
                format!("{:?} is not a text property", c.property),
            ));
        }
        if let Some(bad) = c.values.values().find(|c| !is_colour(c)) {
            return Err(invalid(
                "style.categories.values",
                format!("{bad:?} is not a #rrggbb colour"),
            ));
        }
        s.categories = Some(c);
    }
    Ok(s)
}
