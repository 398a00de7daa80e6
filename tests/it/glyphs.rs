//! Glyph PBFs decoded with a reader written here from MapLibre's `glyphs.proto` (prost derive,
//! not the code that wrote them): the glyphs of French text, their SDF bitmaps of
//! `(width + 6) × (height + 6)`, font stacks taking each glyph from their first font that has
//! it, the errors, `/fonts.json`, and the style naming only fonts that are served.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use prost::Message;

use crate::support::{fixture, get_json, send, LayerDir};

/// glyphs.proto (github.com/maplibre/maplibre-gl-js, src/style/glyphs.proto), by hand.
#[derive(Clone, PartialEq, prost::Message)]
struct Glyphs {
    #[prost(message, repeated, tag = "1")]
    stacks: Vec<Fontstack>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Fontstack {
    #[prost(string, required, tag = "1")]
    name: String,
    #[prost(string, required, tag = "2")]
    range: String,
    #[prost(message, repeated, tag = "3")]
    glyphs: Vec<Glyph>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Glyph {
    #[prost(uint32, required, tag = "1")]
    id: u32,
    #[prost(bytes = "vec", optional, tag = "2")]
    bitmap: Option<Vec<u8>>,
    #[prost(uint32, required, tag = "3")]
    width: u32,
    #[prost(uint32, required, tag = "4")]
    height: u32,
    #[prost(sint32, required, tag = "5")]
    left: i32,
    #[prost(sint32, required, tag = "6")]
    top: i32,
    #[prost(uint32, required, tag = "7")]
    advance: u32,
}

fn app() -> Router {
    let dir = LayerDir::new();
    std::fs::copy(fixture("wgs84.geojson"), dir.path().join("a.geojson")).expect("copy");
    dir.layer("a", "path = \"a.geojson\"", "name = \"string\"");
    crate::support::app(dir.load().expect("loads"))
}

async fn stack(app: &Router, fonts: &str, start: u32) -> Fontstack {
    let uri = format!(
        "/fonts/{}/{start}-{}.pbf",
        fonts.replace(' ', "%20"),
        start + 255
    );
    let (status, headers, body) = send(
        app,
        Request::get(&uri).body(Body::empty()).expect("request"),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{uri}: {}",
        String::from_utf8_lossy(&body)
    );
    assert_eq!(headers[header::CONTENT_TYPE], "application/x-protobuf");
    let mut glyphs = Glyphs::decode(&body[..]).expect("a glyphs message");
    assert_eq!(glyphs.stacks.len(), 1);
    let stack = glyphs.stacks.remove(0);
    assert_eq!(stack.range, format!("{start}-{}", start + 255));
    stack
}

#[tokio::test]
async fn french_glyphs_have_sdf_bitmaps_with_a_three_pixel_border() {
    let app = app();
    let latin = stack(&app, "Noto Sans Regular", 0).await;
    let extended = stack(&app, "Noto Sans Regular", 256).await;
    let wanted: Vec<char> = ('A'..='Z')
        .chain(['é', 'à', 'è', 'ç', 'ô', 'Œ', 'œ'])
        .collect();
    for c in wanted {
        let id = c as u32;
        let glyph = latin
            .glyphs
            .iter()
            .chain(&extended.glyphs)
            .find(|g| g.id == id)
            .unwrap_or_else(|| panic!("no glyph for {c}"));
        assert!(glyph.width > 0 && glyph.height > 0, "{c}");
        let bitmap = glyph.bitmap.as_deref().expect("a bitmap");
        assert_eq!(
            bitmap.len() as u32,
            (glyph.width + 6) * (glyph.height + 6),
            "{c}"
        );
        // Inside the outline is bright, the border is dark: a distance field, not a blank.
        assert!(
            bitmap.iter().any(|&v| v > 191) && bitmap.iter().any(|&v| v < 64),
            "{c}"
        );
        assert!(glyph.advance > 0, "{c}");
    }
    // A space advances with nothing to draw.
    let space = latin
        .glyphs
        .iter()
        .find(|g| g.id == ' ' as u32)
        .expect("space");
    assert!(space.advance > 0 && space.width == 0, "{space:?}");
    assert!(
        latin.glyphs.iter().all(|g| g.id < 256)
            && extended.glyphs.iter().all(|g| (256..512).contains(&g.id))
    );
}

/// In the General Punctuation range Noto Sans has some glyphs and DejaVu Sans more: the stack
/// takes Noto's where it has them, DejaVu's for the rest.
#[tokio::test]
async fn a_font_stack_takes_each_glyph_from_its_first_font_that_has_it() {
    let app = app();
    let start = 0x2000;
    let noto = stack(&app, "Noto Sans Regular", start).await;
    let dejavu = stack(&app, "DejaVu Sans Book", start).await;
    let both = stack(&app, "Noto Sans Regular,DejaVu Sans Book", start).await;
    assert!(
        both.name.contains("Noto Sans Regular") && both.name.contains("DejaVu Sans Book"),
        "{}",
        both.name
    );
    let only_dejavu: Vec<&Glyph> = dejavu
        .glyphs
        .iter()
        .filter(|d| noto.glyphs.iter().all(|n| n.id != d.id))
        .collect();
    assert!(
        !noto.glyphs.is_empty() && !only_dejavu.is_empty(),
        "the range tells the fonts apart"
    );
    assert_eq!(both.glyphs.len(), noto.glyphs.len() + only_dejavu.len());
    for g in &both.glyphs {
        let from = noto
            .glyphs
            .iter()
            .find(|n| n.id == g.id)
            .or_else(|| dejavu.glyphs.iter().find(|d| d.id == g.id));
        assert_eq!(Some(g), from, "U+{:04X}", g.id);
    }
    // In the other order, DejaVu's glyphs win.
    let reversed = stack(&app, "DejaVu Sans Book,Noto Sans Regular", start).await;
    let common = noto
        .glyphs
        .iter()
        .find(|n| dejavu.glyphs.iter().any(|d| d.id == n.id))
        .expect("a common glyph");
    let taken = reversed
        .glyphs
        .iter()
        .find(|g| g.id == common.id)
        .expect("taken");
    assert_eq!(
        Some(taken),
        dejavu.glyphs.iter().find(|d| d.id == common.id)
    );
}

#[tokio::test]
async fn bad_ranges_are_400_and_unknown_fonts_404() {
    let app = app();
    for (uri, status, says) in [
        ("/fonts/Noto%20Sans%20Regular/1-256.pbf", 400, "1-256"),
        ("/fonts/Noto%20Sans%20Regular/0-511.pbf", 400, "0-511"),
        ("/fonts/Noto%20Sans%20Regular/0-255", 400, ".pbf"),
        ("/fonts/Noto%20Sans%20Regular/a-b.pbf", 400, "a-b"),
        (
            "/fonts/Noto%20Sans%20Regular/1114112-1114367.pbf",
            400,
            "1114112",
        ),
        ("/fonts/Arial%20Regular/0-255.pbf", 404, "Arial Regular"),
        (
            "/fonts/Noto%20Sans%20Regular,Comic%20Sans/0-255.pbf",
            404,
            "Comic Sans",
        ),
        ("/fonts/%2C/0-255.pbf", 400, "no font"),
    ] {
        let (got, body) = get_json(&app, uri).await;
        assert_eq!(got.as_u16(), status, "{uri}: {body}");
        assert!(
            body["description"]
                .as_str()
                .expect("description")
                .contains(says),
            "{uri}: {body}"
        );
    }
}

#[tokio::test]
async fn the_style_names_served_glyphs_and_fonts() {
    let dir = LayerDir::new();
    std::fs::copy(fixture("wgs84.geojson"), dir.path().join("a.geojson")).expect("copy");
    dir.layer(
        "a",
        "path = \"a.geojson\"",
        "name = \"string\"\n\n[style]\nlabel = \"name\"",
    );
    let app = crate::support::app(dir.load().expect("loads"));
    let (_, fonts) = get_json(&app, "/fonts.json").await;
    assert!(
        fonts["Noto Sans Regular"]["glyphs"]
            .as_u64()
            .expect("count")
            > 1000,
        "{fonts}"
    );
    let (_, style) = get_json(&app, "/style.json").await;
    let glyphs = style["glyphs"].as_str().expect("glyphs");
    assert!(
        glyphs.ends_with("/fonts/{fontstack}/{range}.pbf"),
        "{glyphs}"
    );
    let symbols: Vec<&serde_json::Value> = style["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .filter(|l| l["type"] == "symbol")
        .collect();
    assert!(!symbols.is_empty());
    for layer in symbols {
        let stack: Vec<&str> = layer["layout"]["text-font"]
            .as_array()
            .expect("text-font")
            .iter()
            .map(|f| f.as_str().expect("name"))
            .collect();
        for font in &stack {
            assert!(fonts.get(font).is_some(), "{font} is not served");
        }
        let path = glyphs
            .split_once("/fonts/")
            .map(|(_, p)| format!("/fonts/{p}"))
            .expect("path")
            .replace("{fontstack}", &stack.join(",").replace(' ', "%20"))
            .replace("{range}", "0-255");
        let (status, _, _) = send(
            &app,
            Request::get(&path).body(Body::empty()).expect("request"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
}
