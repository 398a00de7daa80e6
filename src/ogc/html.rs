//! Plain HTML pages for browsers (`f=html`): a title, the links, and a table or a JSON dump.

use serde_json::Value;

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn links(doc: &Value) -> String {
    let items: Vec<String> = doc["links"]
        .as_array()
        .map(|l| {
            l.iter()
                .map(|link| {
                    format!(
                        "<li><a href=\"{}\">{}</a> <small>({}, {})</small></li>",
                        escape(link["href"].as_str().unwrap_or("")),
                        escape(link["title"].as_str().unwrap_or("")),
                        escape(link["rel"].as_str().unwrap_or("")),
                        escape(link["type"].as_str().unwrap_or(""))
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    format!("<ul>{}</ul>", items.join(""))
}

/// A page for any JSON document: its title, its links, and the document.
pub fn page(title: &str, doc: &Value) -> String {
    let pretty = serde_json::to_string_pretty(doc).unwrap_or_default();
    wrap(
        title,
        &format!("{}<pre>{}</pre>", links(doc), escape(&pretty)),
    )
}

/// A page for a feature collection: the links and a table of the properties.
pub fn features(title: &str, doc: &Value) -> String {
    let features = doc["features"].as_array().cloned().unwrap_or_default();
    let mut columns: Vec<String> = Vec::new();
    for f in &features {
        if let Some(p) = f["properties"].as_object() {
            for k in p.keys() {
                if !columns.contains(k) {
                    columns.push(k.clone());
                }
            }
        }
    }
    let head: String = std::iter::once("<th>id</th>".to_owned())
        .chain(columns.iter().map(|c| format!("<th>{}</th>", escape(c))))
        .collect();
    let rows: String = features
        .iter()
        .map(|f| {
            let cells: String = columns
                .iter()
                .map(|c| {
                    let v = &f["properties"][c];
                    let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                    format!("<td>{}</td>", escape(&text))
                })
                .collect();
            format!("<tr><td>{}</td>{cells}</tr>", escape(&f["id"].to_string()))
        })
        .collect();
    let counts = format!(
        "<p>{} objets sur {}.</p>",
        doc["numberReturned"], doc["numberMatched"]
    );
    wrap(
        title,
        &format!(
            "{}{counts}<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>",
            links(doc)
        ),
    )
}

fn wrap(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>{t}</title>\
<style>body{{font:15px/1.45 system-ui,sans-serif;margin:1.5rem}}table{{border-collapse:collapse}}\
td,th{{border-bottom:1px solid #ddd;padding:.2rem .5rem;text-align:left}}pre{{background:#f6f6f6;padding:1rem;overflow:auto}}</style>\
</head><body><h1>{t}</h1>{body}</body></html>",
        t = escape(title)
    )
}
