//! Evaluation of a bound filter against one feature, with three-valued logic (`None` = unknown).

use geo::Intersects;

use super::{CmpOp, Expr, GeomArg, Scalar};
use crate::layer::{Feature, Value};

/// Whether the feature is selected: the filter is true for it (unknown selects nothing).
pub fn matches(expr: &Expr, feature: &Feature<'_>) -> bool {
    eval(expr, feature) == Some(true)
}

#[derive(Debug, Clone, PartialEq)]
enum Val<'a> {
    Text(&'a str),
    Num(f64),
    Bool(bool),
}

fn value<'a>(s: &'a Scalar, f: &Feature<'a>) -> Option<Val<'a>> {
    match s {
        Scalar::Str(t) => Some(Val::Text(t)),
        Scalar::Num(n) => Some(Val::Num(*n)),
        Scalar::Bool(b) => Some(Val::Bool(*b)),
        Scalar::Property(i) => {
            if let Some(t) = f.text(*i) {
                return Some(Val::Text(t));
            }
            match f.get(*i)? {
                Value::Null | Value::String(_) => None,
                Value::Int(n) => Some(Val::Num(n as f64)),
                Value::Float(n) => Some(Val::Num(n)),
                Value::Bool(b) => Some(Val::Bool(b)),
            }
        }
    }
}

fn order(a: &Val<'_>, b: &Val<'_>) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Val::Text(x), Val::Text(y)) => Some(x.cmp(y)),
        (Val::Num(x), Val::Num(y)) => x.partial_cmp(y),
        (Val::Bool(x), Val::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn compare(a: &Val<'_>, op: CmpOp, b: &Val<'_>) -> Option<bool> {
    use std::cmp::Ordering::*;
    let o = order(a, b)?;
    Some(match op {
        CmpOp::Eq => o == Equal,
        CmpOp::Ne => o != Equal,
        CmpOp::Lt => o == Less,
        CmpOp::Le => o != Greater,
        CmpOp::Gt => o == Greater,
        CmpOp::Ge => o != Less,
    })
}

fn eval<'a>(e: &'a Expr, f: &Feature<'a>) -> Option<bool> {
    match e {
        Expr::Bool(b) => Some(*b),
        Expr::And(parts) => {
            let mut result = Some(true);
            for p in parts {
                match eval(p, f) {
                    Some(false) => return Some(false),
                    None => result = None,
                    Some(true) => {}
                }
            }
            result
        }
        Expr::Or(parts) => {
            let mut result = Some(false);
            for p in parts {
                match eval(p, f) {
                    Some(true) => return Some(true),
                    None => result = None,
                    Some(false) => {}
                }
            }
            result
        }
        Expr::Not(inner) => eval(inner, f).map(|b| !b),
        Expr::Compare(a, op, b) => compare(&value(a, f)?, *op, &value(b, f)?),
        Expr::Like {
            value: v,
            pattern,
            negated,
        } => match value(v, f)? {
            Val::Text(t) => Some(like(t, pattern) != *negated),
            _ => None,
        },
        Expr::Between {
            value: v,
            low,
            high,
            negated,
        } => {
            let v = value(v, f)?;
            let inside = compare(&v, CmpOp::Ge, &value(low, f)?)?
                && compare(&v, CmpOp::Le, &value(high, f)?)?;
            Some(inside != *negated)
        }
        Expr::In {
            value: v,
            list,
            negated,
        } => {
            let v = value(v, f)?;
            let mut unknown = false;
            for item in list {
                match value(item, f) {
                    Some(x) => {
                        if compare(&v, CmpOp::Eq, &x) == Some(true) {
                            return Some(!*negated);
                        }
                    }
                    None => unknown = true,
                }
            }
            if unknown {
                None
            } else {
                Some(*negated)
            }
        }
        Expr::IsNull { value: v, negated } => Some(value(v, f).is_none() != *negated),
        Expr::Intersects(a, b) => {
            let geometry = |g: &GeomArg| match g {
                GeomArg::Feature => f.wgs84.clone(),
                GeomArg::Literal(l) => l.clone(),
            };
            Some(geometry(a).intersects(&geometry(b)))
        }
    }
}

/// SQL `LIKE`: `%` any run of characters, `_` one character, `\` escapes the next one.
fn like(text: &str, pattern: &str) -> bool {
    let t: Vec<char> = text.chars().collect();
    let mut p: Vec<(char, bool)> = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                p.push((n, true));
            }
        } else {
            p.push((c, false));
        }
    }
    // Dynamic programming over (pattern prefix, text prefix): O(|p|·|t|), no backtracking blow-up.
    let mut row = vec![false; t.len() + 1];
    row[0] = true;
    for &(pc, escaped) in &p {
        let mut next = vec![false; t.len() + 1];
        if pc == '%' && !escaped {
            let mut seen = false;
            for j in 0..=t.len() {
                seen |= row[j];
                next[j] = seen;
            }
        } else {
            for j in 1..=t.len() {
                next[j] = row[j - 1] && ((pc == '_' && !escaped) || t[j - 1] == pc);
            }
        }
        row = next;
    }
    row[t.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PropType;
    use crate::layer::table::{column_of, Table};
    use crate::layer::Property;
    use crate::ogc::cql2::parse;
    use crate::ogc::crs::OgcCrs;
    use std::sync::Arc;

    /// A one-feature geometry and table.
    struct One(geo::Geometry<f64>, Table);

    fn feature(nom: Option<&str>, pop: Option<i64>, lon: f64, lat: f64) -> One {
        let g = geo::Geometry::Point(geo::Point::new(lon, lat));
        let mut table = Table::with_rows(1);
        let nom = nom.map_or(Value::Null, |n| Value::String(n.into()));
        table.push(Arc::new(column_of(PropType::String, [nom])));
        let pop = pop.map_or(Value::Null, Value::Int);
        table.push(Arc::new(column_of(PropType::Int, [pop])));
        One(g, table)
    }

    fn sel(filter: &str, one: &One) -> bool {
        let f = Feature::new(0, &one.0, &one.1);
        let schema = vec![
            Property {
                name: "nom".into(),
                ty: PropType::String,
            },
            Property {
                name: "pop".into(),
                ty: PropType::Int,
            },
        ];
        matches(&parse(filter, &schema, OgcCrs::Crs84).unwrap(), &f)
    }

    #[test]
    fn like_patterns() {
        assert!(like("Liévin", "Li%"));
        assert!(like("Liévin", "L_évin"));
        assert!(!like("Lens", "Li%"));
        assert!(like("100%", "100\\%"));
        assert!(!like("1000", "100\\%"));
        assert!(like("", "%"));
        assert!(like(&"a".repeat(200), &"%a".repeat(50)));
    }

    #[test]
    fn three_valued_logic() {
        let lens = feature(Some("Lens"), Some(32_000), 2.83, 50.43);
        let unknown = feature(None, None, 2.83, 50.43);
        assert!(sel("pop > 30000 AND nom = 'Lens'", &lens));
        assert!(!sel("pop > 30000", &unknown));
        assert!(!sel("NOT pop > 30000", &unknown), "NOT unknown is unknown");
        assert!(sel("pop IS NULL", &unknown));
        assert!(sel("pop > 1 OR TRUE", &unknown));
        assert!(sel("nom IN ('Arras', 'Lens')", &lens));
        assert!(sel("nom NOT IN ('Arras')", &lens));
        assert!(sel("pop BETWEEN 30000 AND 33000", &lens));
        assert!(sel("pop NOT BETWEEN 1 AND 2", &lens));
        assert!(sel(
            "S_INTERSECTS(geometry, BBOX(2.8, 50.4, 2.9, 50.5))",
            &lens
        ));
        assert!(!sel("S_INTERSECTS(geometry, POINT(3 47))", &lens));
    }
}
