//! Recursive-descent parser of CQL2 text, binding names to the layer's schema as it goes.
//!
//! ```text
//! expr      := and ( OR and )*
//! and       := not ( AND not )*
//! not       := NOT not | primary
//! primary   := '(' expr ')' | TRUE | FALSE | S_INTERSECTS '(' geom ',' geom ')' | predicate
//! predicate := scalar ( cmp scalar | [NOT] LIKE string | [NOT] BETWEEN scalar AND scalar
//!                     | [NOT] IN '(' scalar (',' scalar)* ')' | IS [NOT] NULL )
//! geom      := geometry | <WKT literal> | BBOX '(' n ',' n ',' n ',' n ')'
//! ```

use geo::Geometry;

use super::lexer::{lex, Tok, Token};
use super::{CmpOp, Expr, FilterError, GeomArg, Scalar, MAX_DEPTH, MAX_LENGTH};
use crate::config::PropType;
use crate::layer::Property;
use crate::ogc::crs::{geometry_to_wgs84, OgcCrs};

/// Names that stand for the feature's geometry.
const GEOMETRY_NAMES: [&str; 3] = ["geometry", "geom", "the_geom"];
const WKT_TYPES: [&str; 7] = [
    "POINT",
    "LINESTRING",
    "POLYGON",
    "MULTIPOINT",
    "MULTILINESTRING",
    "MULTIPOLYGON",
    "GEOMETRYCOLLECTION",
];

/// Parses and binds a CQL2 text filter; geometry literals are read in `crs`.
///
/// # Errors
/// A syntax error, an unknown property, a type mismatch, a bad geometry, or a filter too long or
/// too deep — each with its position.
pub fn parse(input: &str, schema: &[Property], crs: OgcCrs) -> Result<Expr, FilterError> {
    let length = input.chars().count();
    if length > MAX_LENGTH {
        return Err(FilterError::at(
            MAX_LENGTH + 1,
            format!("the filter is {length} characters long, more than {MAX_LENGTH}"),
        ));
    }
    let tokens = lex(input)?;
    let mut p = Parser {
        input,
        tokens,
        i: 0,
        depth: 0,
        schema,
        crs,
        end: length + 1,
    };
    if p.tokens.is_empty() {
        return Err(FilterError::at(1, "the filter is empty"));
    }
    let expr = p.expr()?;
    if let Some(t) = p.peek() {
        return Err(FilterError::at(
            t.pos,
            format!("unexpected {}", describe(&t.tok)),
        ));
    }
    Ok(expr)
}

struct Parser<'a> {
    input: &'a str,
    tokens: Vec<Token>,
    i: usize,
    depth: usize,
    schema: &'a [Property],
    crs: OgcCrs,
    end: usize,
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Ident(s) => format!("{s:?}"),
        Tok::QuotedIdent(s) => format!("\"{s}\""),
        Tok::Str(s) => format!("string '{s}'"),
        Tok::Num(n) => format!("number {n}"),
        Tok::Op(o) => format!("'{o}'"),
        Tok::LParen => "'('".into(),
        Tok::RParen => "')'".into(),
        Tok::Comma => "','".into(),
    }
}

/// A scalar with the type it has when known (literals, properties).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Number,
    Boolean,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.i)
    }

    fn position(&self) -> usize {
        self.peek().map_or(self.end, |t| t.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.i).cloned();
        self.i += 1;
        t
    }

    fn is_keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token { tok: Tok::Ident(s), .. }) if s.eq_ignore_ascii_case(word))
    }

    fn eat_keyword(&mut self, word: &str) -> bool {
        if self.is_keyword(word) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, want: &Tok, what: &str) -> Result<Token, FilterError> {
        match self.next() {
            Some(t) if &t.tok == want => Ok(t),
            Some(t) => Err(FilterError::at(
                t.pos,
                format!("expected {what}, found {}", describe(&t.tok)),
            )),
            None => Err(FilterError::at(
                self.end,
                format!("expected {what}, found the end"),
            )),
        }
    }

    fn enter(&mut self) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(FilterError::at(
                self.position(),
                format!("the filter nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    fn expr(&mut self) -> Result<Expr, FilterError> {
        self.enter()?;
        let mut parts = vec![self.and()?];
        while self.eat_keyword("OR") {
            parts.push(self.and()?);
        }
        self.depth -= 1;
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let mut parts = vec![self.not()?];
        while self.eat_keyword("AND") {
            parts.push(self.not()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::And(parts)
        })
    }

    fn not(&mut self) -> Result<Expr, FilterError> {
        if self.eat_keyword("NOT") {
            self.enter()?;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, FilterError> {
        let Some(token) = self.peek().cloned() else {
            return Err(FilterError::at(
                self.end,
                "expected a condition, found the end",
            ));
        };
        match &token.tok {
            Tok::LParen => {
                self.i += 1;
                let e = self.expr()?;
                self.expect(&Tok::RParen, "')'")?;
                Ok(e)
            }
            Tok::Ident(s) if s.eq_ignore_ascii_case("S_INTERSECTS") => {
                self.i += 1;
                self.expect(&Tok::LParen, "'(' after S_INTERSECTS")?;
                let a = self.geom()?;
                self.expect(&Tok::Comma, "',' between the two geometries")?;
                let b = self.geom()?;
                self.expect(&Tok::RParen, "')'")?;
                Ok(Expr::Intersects(a, b))
            }
            Tok::Ident(s)
                if (s.eq_ignore_ascii_case("TRUE") || s.eq_ignore_ascii_case("FALSE"))
                    && !self.followed_by_operator() =>
            {
                self.i += 1;
                Ok(Expr::Bool(s.eq_ignore_ascii_case("TRUE")))
            }
            _ => self.predicate(),
        }
    }

    fn followed_by_operator(&self) -> bool {
        match self.tokens.get(self.i + 1) {
            Some(Token {
                tok: Tok::Op(_), ..
            }) => true,
            Some(Token {
                tok: Tok::Ident(s), ..
            }) => ["LIKE", "BETWEEN", "IN", "IS", "NOT"]
                .iter()
                .any(|k| s.eq_ignore_ascii_case(k)),
            _ => false,
        }
    }

    fn predicate(&mut self) -> Result<Expr, FilterError> {
        let (value, kind, pos) = self.scalar()?;
        let negated = self.eat_keyword("NOT");
        let op_pos = self.position();
        if self.eat_keyword("LIKE") {
            self.require(kind, Kind::Text, pos, "LIKE")?;
            let Some(Token {
                tok: Tok::Str(pattern),
                ..
            }) = self.next()
            else {
                return Err(FilterError::at(
                    op_pos,
                    "LIKE needs a quoted pattern such as 'Li%'",
                ));
            };
            return Ok(Expr::Like {
                value,
                pattern,
                negated,
            });
        }
        if self.eat_keyword("BETWEEN") {
            let (low, k1, p1) = self.scalar()?;
            if !self.eat_keyword("AND") {
                return Err(FilterError::at(
                    self.position(),
                    "BETWEEN needs AND between its bounds",
                ));
            }
            let (high, k2, p2) = self.scalar()?;
            self.compatible(kind, k1, p1)?;
            self.compatible(kind, k2, p2)?;
            return Ok(Expr::Between {
                value,
                low,
                high,
                negated,
            });
        }
        if self.eat_keyword("IN") {
            self.expect(&Tok::LParen, "'(' after IN")?;
            let mut list = Vec::new();
            loop {
                let (item, k, p) = self.scalar()?;
                self.compatible(kind, k, p)?;
                list.push(item);
                if self.peek().map(|t| &t.tok) == Some(&Tok::Comma) {
                    self.i += 1;
                } else {
                    break;
                }
            }
            self.expect(&Tok::RParen, "')' or ',' in the IN list")?;
            return Ok(Expr::In {
                value,
                list,
                negated,
            });
        }
        if negated {
            return Err(FilterError::at(
                op_pos,
                "expected LIKE, BETWEEN or IN after NOT",
            ));
        }
        if self.eat_keyword("IS") {
            let negated = self.eat_keyword("NOT");
            if !self.eat_keyword("NULL") {
                return Err(FilterError::at(self.position(), "expected NULL after IS"));
            }
            return Ok(Expr::IsNull { value, negated });
        }
        let op = match self.next() {
            Some(Token { tok: Tok::Op(o), .. }) => match o {
                "=" => CmpOp::Eq,
                "<>" => CmpOp::Ne,
                "<" => CmpOp::Lt,
                "<=" => CmpOp::Le,
                ">" => CmpOp::Gt,
                _ => CmpOp::Ge,
            },
            Some(t) => {
                return Err(FilterError::at(
                    t.pos,
                    format!("expected a comparison (=, <>, <, <=, >, >=), LIKE, BETWEEN, IN or IS NULL, found {}", describe(&t.tok)),
                ))
            }
            None => return Err(FilterError::at(self.end, "expected a comparison, found the end")),
        };
        let (right, k, p) = self.scalar()?;
        self.compatible(kind, k, p)?;
        if kind == Kind::Boolean && !matches!(op, CmpOp::Eq | CmpOp::Ne) {
            return Err(FilterError::at(
                op_pos,
                "booleans compare only with = and <>",
            ));
        }
        Ok(Expr::Compare(value, op, right))
    }

    fn require(&self, got: Kind, want: Kind, pos: usize, what: &str) -> Result<(), FilterError> {
        if got != want {
            return Err(FilterError::at(
                pos,
                format!("{what} applies to text, not to a {}", kind_name(got)),
            ));
        }
        Ok(())
    }

    fn compatible(&self, a: Kind, b: Kind, pos: usize) -> Result<(), FilterError> {
        if a != b {
            return Err(FilterError::at(
                pos,
                format!("cannot compare a {} with a {}", kind_name(a), kind_name(b)),
            ));
        }
        Ok(())
    }

    fn scalar(&mut self) -> Result<(Scalar, Kind, usize), FilterError> {
        let Some(t) = self.next() else {
            return Err(FilterError::at(
                self.end,
                "expected a property or a value, found the end",
            ));
        };
        let pos = t.pos;
        match t.tok {
            Tok::Str(s) => Ok((Scalar::Str(s), Kind::Text, pos)),
            Tok::Num(n) => Ok((Scalar::Num(n), Kind::Number, pos)),
            Tok::Ident(ref s) if s.eq_ignore_ascii_case("TRUE") => {
                Ok((Scalar::Bool(true), Kind::Boolean, pos))
            }
            Tok::Ident(ref s) if s.eq_ignore_ascii_case("FALSE") => {
                Ok((Scalar::Bool(false), Kind::Boolean, pos))
            }
            Tok::Ident(name) | Tok::QuotedIdent(name) => {
                let Some(i) = self.schema.iter().position(|p| p.name == name) else {
                    let known: Vec<&str> = self.schema.iter().map(|p| p.name.as_str()).collect();
                    return Err(FilterError::at(
                        pos,
                        format!(
                            "unknown property {name:?} (queryables: {})",
                            known.join(", ")
                        ),
                    ));
                };
                let kind = match self.schema[i].ty {
                    PropType::String => Kind::Text,
                    PropType::Int | PropType::Float => Kind::Number,
                    PropType::Bool => Kind::Boolean,
                };
                Ok((Scalar::Property(i), kind, pos))
            }
            other => Err(FilterError::at(
                pos,
                format!("expected a property or a value, found {}", describe(&other)),
            )),
        }
    }

    fn geom(&mut self) -> Result<GeomArg, FilterError> {
        let Some(t) = self.next() else {
            return Err(FilterError::at(
                self.end,
                "expected a geometry, found the end",
            ));
        };
        let name = match &t.tok {
            Tok::Ident(s) | Tok::QuotedIdent(s) => s.clone(),
            other => {
                return Err(FilterError::at(
                    t.pos,
                    format!("expected a geometry, found {}", describe(other)),
                ))
            }
        };
        if GEOMETRY_NAMES.iter().any(|g| g.eq_ignore_ascii_case(&name)) {
            return Ok(GeomArg::Feature);
        }
        let upper = name.to_ascii_uppercase();
        let mut geometry = if upper == "BBOX" {
            self.bbox_literal(t.pos)?
        } else if WKT_TYPES.contains(&upper.as_str()) {
            self.wkt_literal(&t)?
        } else {
            return Err(FilterError::at(
                t.pos,
                format!(
                    "expected the geometry property, a WKT geometry or BBOX(…), found {name:?}"
                ),
            ));
        };
        geometry_to_wgs84(&mut geometry, self.crs).map_err(|e| FilterError::at(t.pos, e))?;
        Ok(GeomArg::Literal(geometry))
    }

    fn bbox_literal(&mut self, pos: usize) -> Result<Geometry<f64>, FilterError> {
        self.expect(&Tok::LParen, "'(' after BBOX")?;
        let mut v = Vec::new();
        loop {
            match self.next() {
                Some(Token {
                    tok: Tok::Num(n), ..
                }) => v.push(n),
                Some(t) => {
                    return Err(FilterError::at(
                        t.pos,
                        format!("expected a number in BBOX, found {}", describe(&t.tok)),
                    ))
                }
                None => return Err(FilterError::at(self.end, "BBOX is not closed")),
            }
            match self.next() {
                Some(Token {
                    tok: Tok::Comma, ..
                }) => continue,
                Some(Token {
                    tok: Tok::RParen, ..
                }) => break,
                Some(t) => {
                    return Err(FilterError::at(
                        t.pos,
                        format!("expected ',' or ')' in BBOX, found {}", describe(&t.tok)),
                    ))
                }
                None => return Err(FilterError::at(self.end, "BBOX is not closed")),
            }
        }
        let (a, b, c, d) = match v[..] {
            [a, b, c, d] | [a, b, _, c, d, _] => (a, b, c, d),
            _ => {
                return Err(FilterError::at(
                    pos,
                    format!("BBOX needs 4 numbers, found {}", v.len()),
                ))
            }
        };
        if a > c || b > d {
            return Err(FilterError::at(
                pos,
                "BBOX corners are inverted (expected minx, miny, maxx, maxy)",
            ));
        }
        Ok(Geometry::Polygon(
            geo::Rect::new((a, b), (c, d)).to_polygon(),
        ))
    }

    fn wkt_literal(&mut self, first: &Token) -> Result<Geometry<f64>, FilterError> {
        // The literal runs to the parenthesis that closes the one opening it (or is EMPTY).
        let mut depth = 0usize;
        let mut end = first.end;
        loop {
            let Some(t) = self.next() else {
                return Err(FilterError::at(first.pos, "the WKT geometry is not closed"));
            };
            end = t.end.max(end);
            match t.tok {
                Tok::LParen => depth += 1,
                Tok::RParen => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        break;
                    }
                }
                Tok::Ident(ref s)
                    if depth == 0
                        && (s.eq_ignore_ascii_case("Z")
                            || s.eq_ignore_ascii_case("M")
                            || s.eq_ignore_ascii_case("ZM")) => {}
                _ if depth == 0 => {
                    return Err(FilterError::at(
                        t.pos,
                        "expected '(' after the geometry type",
                    ));
                }
                _ => {}
            }
        }
        let wkt = &self.input[first.start..end];
        let g = gdal::vector::Geometry::from_wkt(wkt).map_err(|e| {
            FilterError::at(
                first.pos,
                format!("invalid WKT geometry: {}", crate::gdal_message(&e)),
            )
        })?;
        g.to_geo().map_err(|e| {
            FilterError::at(
                first.pos,
                format!("unsupported WKT geometry: {}", crate::gdal_message(&e)),
            )
        })
    }
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Text => "text",
        Kind::Number => "number",
        Kind::Boolean => "boolean",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn schema() -> Vec<Property> {
        [
            ("nom", PropType::String),
            ("pop", PropType::Int),
            ("part", PropType::Float),
            ("acv", PropType::Bool),
        ]
        .into_iter()
        .map(|(n, t)| Property {
            name: n.into(),
            ty: t,
        })
        .collect()
    }

    fn ok(s: &str) -> Expr {
        parse(s, &schema(), OgcCrs::Crs84).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn err(s: &str) -> FilterError {
        parse(s, &schema(), OgcCrs::Crs84).expect_err(s)
    }

    #[test]
    fn parses_every_operator() {
        assert_eq!(
            ok("pop > 1000"),
            Expr::Compare(Scalar::Property(1), CmpOp::Gt, Scalar::Num(1000.0))
        );
        assert!(matches!(
            ok("nom LIKE 'L%' AND NOT acv = true OR part BETWEEN 1 AND 2"),
            Expr::Or(_)
        ));
        assert!(matches!(
            ok("nom NOT IN ('Lens', 'Arras')"),
            Expr::In { negated: true, .. }
        ));
        assert!(matches!(
            ok("part IS NOT NULL"),
            Expr::IsNull { negated: true, .. }
        ));
        assert!(matches!(
            ok("S_INTERSECTS(geometry, POINT(2.83 50.43))"),
            Expr::Intersects(GeomArg::Feature, GeomArg::Literal(_))
        ));
        assert!(matches!(
            ok("s_intersects(geometry, bbox(2.7,50.3,2.9,50.5))"),
            Expr::Intersects(..)
        ));
        assert!(matches!(
            ok("S_INTERSECTS(POLYGON((2.7 50.3, 2.9 50.3, 2.9 50.5, 2.7 50.3)), geometry) and pop < 5"),
            Expr::And(_)
        ));
        assert_eq!(ok("((pop = 1))"), ok("pop = 1"));
        assert_eq!(ok("TRUE"), Expr::Bool(true));
    }

    #[test]
    fn errors_name_what_and_where() {
        let e = err("pop > 'abc'");
        assert_eq!(e.position, 7);
        assert!(e.message.contains("cannot compare a number with a text"));
        let e = err("population > 3");
        assert_eq!(e.position, 1);
        assert!(e.message.contains("unknown property \"population\""));
        assert_eq!(err("pop >").position, 6);
        assert!(err("nom LIKE 3").message.contains("pattern"));
        assert!(err("pop LIKE 'x'").message.contains("applies to text"));
        assert!(err("S_INTERSECTS(geometry, POINT(2.83))")
            .message
            .contains("invalid WKT"));
        assert!(err("pop = 1 pop").message.contains("unexpected"));
        assert!(err("").message.contains("empty"));
        assert!(err("acv > true").message.contains("booleans"));
    }

    #[test]
    fn bounded_length_and_depth() {
        let deep = format!("{}pop = 1{}", "(".repeat(40), ")".repeat(40));
        assert!(err(&deep).message.contains("deeper than 32"));
        let nots = format!("{}pop = 1", "NOT ".repeat(40));
        assert!(err(&nots).message.contains("deeper than 32"));
        let long = format!("nom = '{}'", "x".repeat(9000));
        assert!(err(&long).message.contains("more than 8192"));
        let fine = format!("{}pop = 1{}", "(".repeat(20), ")".repeat(20));
        ok(&fine);
    }

    #[test]
    fn lambert93_literal_is_read_in_the_filter_crs() {
        let e = parse(
            "S_INTERSECTS(geometry, POINT(700000 6600000))",
            &schema(),
            OgcCrs::Epsg2154,
        )
        .unwrap();
        let Expr::Intersects(_, GeomArg::Literal(Geometry::Point(p))) = e else {
            panic!("{e:?}")
        };
        assert!((p.x() - 3.0).abs() < 1e-9 && (p.y() - 46.5).abs() < 1e-9);
    }

    proptest! {
        #[test]
        fn never_panics(s in ".{0,80}") {
            let _ = parse(&s, &schema(), OgcCrs::Crs84);
        }

        #[test]
        fn never_panics_on_filter_like_text(parts in prop::collection::vec(prop_oneof![
            Just("pop"), Just("nom"), Just("AND"), Just("OR"), Just("NOT"), Just("("), Just(")"),
            Just("="), Just("<"), Just("'x'"), Just("3"), Just("LIKE"), Just("IN"), Just(","),
            Just("BETWEEN"), Just("IS"), Just("NULL"), Just("S_INTERSECTS"), Just("geometry"),
            Just("POINT"), Just("BBOX"), Just("1 2"),
        ], 0..20)) {
            let _ = parse(&parts.join(" "), &schema(), OgcCrs::Crs84);
        }
    }
}
