//! The `filter` parameter of `/items` (CQL2 text; the only encoding the server takes), read in
//! each `filter-crs`, bound to a schema with one property of each type, then evaluated against
//! features of each geometry family, some with null properties, as `/items` does.
#![no_main]

use std::sync::{Arc, OnceLock};

use bourg::config::PropType;
use bourg::layer::table::column_of;
use bourg::layer::{Feature, Property, Table, Value};
use bourg::ogc::cql2;
use bourg::ogc::crs::OgcCrs;
use geo::{line_string, point, polygon, Geometry};
use libfuzzer_sys::fuzz_target;

struct Fixture {
    schema: Vec<Property>,
    geometries: Vec<Geometry<f64>>,
    table: Table,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        bourg::init_gdal();
        let prop = |name: &str, ty| Property {
            name: name.into(),
            ty,
        };
        let schema = vec![
            prop("name", PropType::String),
            prop("n", PropType::Int),
            prop("f", PropType::Float),
            prop("ok", PropType::Bool),
        ];
        let geometries = vec![
            Geometry::Point(point!(x: 2.83, y: 50.43)),
            Geometry::LineString(line_string![(x: 2.0, y: 50.0), (x: 3.0, y: 51.0)]),
            Geometry::Polygon(polygon![
                (x: 6.0, y: 47.0), (x: 6.1, y: 47.0), (x: 6.1, y: 47.1), (x: 6.0, y: 47.0)
            ]),
        ];
        let columns = vec![
            column_of(
                PropType::String,
                [
                    Value::String("Lens".into()),
                    Value::Null,
                    Value::String("".into()),
                ],
            ),
            column_of(PropType::Int, [Value::Int(3), Value::Int(-7), Value::Null]),
            column_of(
                PropType::Float,
                [Value::Float(1.5), Value::Null, Value::Float(-0.0)],
            ),
            column_of(
                PropType::Bool,
                [Value::Bool(true), Value::Null, Value::Bool(false)],
            ),
        ];
        let table = Table::from_columns(3, columns.into_iter().map(Arc::new).collect())
            .expect("three rows in each column");
        Fixture {
            schema,
            geometries,
            table,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let f = fixture();
    for crs in OgcCrs::ALL {
        let Ok(expr) = cql2::parse(text, &f.schema, crs) else {
            continue;
        };
        let _ = expr.required_bbox();
        for (id, g) in f.geometries.iter().enumerate() {
            let _ = cql2::matches(&expr, &Feature::new(id as u32, g, &f.table));
        }
    }
});
