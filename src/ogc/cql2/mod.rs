//! CQL2 text filters (OGC API – Features Part 3, CQL2 1.0): comparisons, `AND`/`OR`/`NOT`,
//! `LIKE`, `IN`, `BETWEEN`, `IS NULL` and `S_INTERSECTS` with a WKT geometry or `BBOX(…)`.
//!
//! A filter is parsed once per request, bound to a layer's schema (unknown properties and type
//! mismatches are errors naming their position), then evaluated per feature with SQL's
//! three-valued logic: a comparison with a null is unknown, and only true selects a feature.
//! Parsing is bounded: at most [`MAX_LENGTH`] characters and [`MAX_DEPTH`] levels of nesting.
//! Geometry literals are read in the filter CRS and evaluated in WGS84.

mod eval;
mod lexer;
mod parser;

use std::fmt;

pub use eval::matches;
pub use parser::parse;

use crate::bbox::BboxWgs84;

/// Longest accepted filter, in characters.
pub const MAX_LENGTH: usize = 8192;
/// Deepest accepted nesting of parentheses and `NOT`.
pub const MAX_DEPTH: usize = 32;

/// Why a filter is rejected, with the 1-based character position where it went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    /// Character position (1-based) in the filter text.
    pub position: usize,
    /// What is wrong there.
    pub message: String,
}

impl FilterError {
    pub(crate) fn at(position: usize, message: impl Into<String>) -> Self {
        Self {
            position,
            message: message.into(),
        }
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "filter: {} at position {}", self.message, self.position)
    }
}

impl std::error::Error for FilterError {}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A value in a filter: a property of the layer (by schema index) or a literal.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Property(usize),
    Str(String),
    Num(f64),
    Bool(bool),
}

/// A geometry argument of a spatial function.
#[derive(Debug, Clone, PartialEq)]
pub enum GeomArg {
    /// The feature's geometry.
    Feature,
    /// A literal, already in WGS84.
    Literal(geo::Geometry<f64>),
}

/// A bound filter expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Bool(bool),
    Compare(Scalar, CmpOp, Scalar),
    Like {
        value: Scalar,
        pattern: String,
        negated: bool,
    },
    Between {
        value: Scalar,
        low: Scalar,
        high: Scalar,
        negated: bool,
    },
    In {
        value: Scalar,
        list: Vec<Scalar>,
        negated: bool,
    },
    IsNull {
        value: Scalar,
        negated: bool,
    },
    Intersects(GeomArg, GeomArg),
}

impl Expr {
    /// A WGS84 box every selected feature must meet, when the filter implies one (an
    /// `S_INTERSECTS` with a literal at the top, or under a top-level `AND`). Lets the R-tree
    /// pick candidates instead of scanning every feature.
    pub fn required_bbox(&self) -> Option<BboxWgs84> {
        use geo::BoundingRect;
        match self {
            Expr::Intersects(GeomArg::Feature, GeomArg::Literal(g))
            | Expr::Intersects(GeomArg::Literal(g), GeomArg::Feature) => {
                g.bounding_rect().map(BboxWgs84::from_rect)
            }
            Expr::And(parts) => parts.iter().find_map(Expr::required_bbox),
            _ => None,
        }
    }
}
