//! The schema of an uploaded GeoPackage, read from the SQLite file here before GDAL opens it.
//!
//! A GeoPackage is an SQLite database, and SQLite runs SQL written in the file when it is read:
//! a view (a layer, or one standing in for `gpkg_contents`, which GDAL queries as it opens the
//! file) can count to a billion; a generated column can compute `zeroblob(900000000)` for every
//! row (3.5 GB for ogrinfo on a one-row file); a virtual table runs a module. So the file must
//! hold none of these: only tables, indexes, triggers (which never run on a read) and the
//! R-tree virtual tables of spatial indexes. Views naming an attached database, and GDAL's
//! `VirtualOGR` module (which opens any path), are refused this way too; SQLite and GDAL 3.6
//! would also refuse them on their own.
//!
//! Layout (sqlite.org/fileformat2.html): a 100-byte header, then pages; `sqlite_schema` is the
//! table B-tree rooted at page 1, one row (type, name, tbl_name, rootpage, sql) per object.
//! SQLite creates an object from any row whose `sql` starts with `CREATE`, whatever its `type`
//! says, so the check reads the SQL, skipping comments and quotes as SQLite's tokenizer does.

use super::UploadError;

/// Checks that the database holds no view, no generated column and no virtual table but
/// R-trees.
///
/// # Errors
/// [`UploadError::Unreadable`] when the file is not an SQLite database this reader follows
/// (UTF-16 text included), [`UploadError::Refused`] for a view, a generated column or another
/// virtual table.
///
/// # Cost
/// Reads the schema's pages only.
pub fn check(db: &[u8]) -> Result<(), UploadError> {
    for sql in schema(db)? {
        if let Some(why) = runs_sql(&sql) {
            return Err(UploadError::Refused(format!(
                "the GeoPackage holds {why}, which would run SQL when read: send plain tables"
            )));
        }
    }
    Ok(())
}

fn invalid(what: &str) -> UploadError {
    UploadError::Unreadable(format!(
        "the file cannot be read: it is not a valid GeoPackage ({what})"
    ))
}

/// The file's pages.
struct Pages<'a> {
    db: &'a [u8],
    size: usize,
    usable: usize,
}

impl<'a> Pages<'a> {
    fn page(&self, n: u32) -> Result<&'a [u8], UploadError> {
        let start = (n as usize)
            .checked_sub(1)
            .and_then(|i| i.checked_mul(self.size))
            .ok_or_else(|| invalid("bad page number"))?;
        self.db
            .get(start..start + self.size)
            .ok_or_else(|| invalid("truncated"))
    }

    /// The payloads of the rows of the table B-tree rooted at `root`.
    fn rows(&self, root: u32, out: &mut Vec<Vec<u8>>) -> Result<(), UploadError> {
        let mut stack = vec![root];
        let mut visited = 0usize;
        while let Some(n) = stack.pop() {
            visited += 1;
            if visited > self.db.len() / self.size {
                return Err(invalid("a B-tree loop"));
            }
            let page = self.page(n)?;
            let at = if n == 1 { 100 } else { 0 };
            let header = page.get(at..at + 12).ok_or_else(|| invalid("truncated"))?;
            let cells = usize::from(u16::from_be_bytes([header[3], header[4]]));
            let (pointers, interior) = match header[0] {
                0x0D => (at + 8, false),
                0x05 => (at + 12, true),
                _ => return Err(invalid("not a table B-tree page")),
            };
            if interior {
                stack.push(u32::from_be_bytes([
                    header[8], header[9], header[10], header[11],
                ]));
            }
            for i in 0..cells {
                let p = page
                    .get(pointers + 2 * i..pointers + 2 * i + 2)
                    .ok_or_else(|| invalid("truncated"))?;
                let cell = page
                    .get(usize::from(u16::from_be_bytes([p[0], p[1]]))..)
                    .ok_or_else(|| invalid("bad cell"))?;
                if interior {
                    let child = cell.get(..4).ok_or_else(|| invalid("bad cell"))?;
                    stack.push(u32::from_be_bytes([child[0], child[1], child[2], child[3]]));
                } else {
                    out.push(self.payload(cell)?);
                }
            }
        }
        Ok(())
    }

    /// A leaf cell's payload, its overflow pages followed.
    fn payload(&self, cell: &[u8]) -> Result<Vec<u8>, UploadError> {
        let (len, a) = varint(cell)?;
        let (_rowid, b) = varint(&cell[a..])?;
        let len = usize::try_from(len).map_err(|_| invalid("bad cell"))?;
        if len > self.db.len() {
            return Err(invalid("bad cell"));
        }
        let u = self.usable;
        let x = u - 35;
        let local = if len <= x {
            len
        } else {
            let m = (u - 12) * 32 / 255 - 23;
            let k = m + (len - m) % (u - 4);
            if k <= x {
                k
            } else {
                m
            }
        };
        let body = &cell[a + b..];
        let mut out = body
            .get(..local)
            .ok_or_else(|| invalid("bad cell"))?
            .to_vec();
        let mut next = if local < len {
            let p = body
                .get(local..local + 4)
                .ok_or_else(|| invalid("bad cell"))?;
            u32::from_be_bytes([p[0], p[1], p[2], p[3]])
        } else {
            0
        };
        while out.len() < len {
            let page = self.page(next)?;
            next = u32::from_be_bytes([page[0], page[1], page[2], page[3]]);
            let take = (len - out.len()).min(u - 4);
            out.extend_from_slice(&page[4..4 + take]);
        }
        Ok(out)
    }
}

/// An SQLite variable-length integer and the bytes it took.
fn varint(bytes: &[u8]) -> Result<(u64, usize), UploadError> {
    let mut value = 0u64;
    for (i, &b) in bytes.iter().enumerate().take(9) {
        if i == 8 {
            return Ok(((value << 8) | u64::from(b), 9));
        }
        value = (value << 7) | u64::from(b & 0x7F);
        if b & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    Err(invalid("truncated"))
}

/// The text of column `column` of a record, if it is text.
fn text_column(record: &[u8], column: usize) -> Result<Option<String>, UploadError> {
    let (header_len, mut at) = varint(record)?;
    let header_len = usize::try_from(header_len).map_err(|_| invalid("bad record"))?;
    let mut offset = header_len;
    for i in 0.. {
        if at >= header_len {
            return Ok(None);
        }
        let (serial, n) = varint(
            record
                .get(at..header_len)
                .ok_or_else(|| invalid("bad record"))?,
        )?;
        at += n;
        let size = match serial {
            0 | 8 | 9 => 0,
            1..=4 => serial as usize,
            5 => 6,
            6 | 7 => 8,
            10 | 11 => return Err(invalid("bad record")),
            s => usize::try_from((s - 12) / 2).map_err(|_| invalid("bad record"))?,
        };
        if i == column {
            if serial < 13 || serial % 2 == 0 {
                return Ok(None);
            }
            let end = offset
                .checked_add(size)
                .ok_or_else(|| invalid("bad record"))?;
            let bytes = record
                .get(offset..end)
                .ok_or_else(|| invalid("bad record"))?;
            return Ok(Some(String::from_utf8_lossy(bytes).into_owned()));
        }
        offset = offset.saturating_add(size);
    }
    Ok(None)
}

/// The `sql` of every row of `sqlite_schema`.
fn schema(db: &[u8]) -> Result<Vec<String>, UploadError> {
    if db.len() < 100 || &db[..16] != b"SQLite format 3\0" {
        return Err(invalid("no SQLite header"));
    }
    let size = match u16::from_be_bytes([db[16], db[17]]) {
        1 => 65_536,
        s if s >= 512 && s.is_power_of_two() => usize::from(s),
        _ => return Err(invalid("bad page size")),
    };
    let usable = size - usize::from(db[20]);
    if usable < 480 {
        return Err(invalid("bad page size"));
    }
    if !matches!(u32::from_be_bytes([db[56], db[57], db[58], db[59]]), 0 | 1) {
        return Err(invalid("text is not UTF-8"));
    }
    let pages = Pages { db, size, usable };
    let mut rows = Vec::new();
    pages.rows(1, &mut rows)?;
    rows.iter()
        .map(|r| text_column(r, 4))
        .filter_map(Result::transpose)
        .collect()
}

/// A token of SQL, as far as the check needs: words in upper case (quoted identifiers kept
/// apart, so `"view"` is no keyword), other characters one by one; comments and string
/// literals dropped.
#[derive(Debug, PartialEq, Eq)]
enum Token {
    Word(String),
    Quoted(String),
    Char(char),
}

fn tokens(sql: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = sql.chars().peekable();
    let until = |chars: &mut std::iter::Peekable<std::str::Chars>, end: char| {
        let mut text = String::new();
        while let Some(c) = chars.next() {
            if c == end {
                // A doubled closing quote is the quote itself.
                if end != ']' && chars.peek() == Some(&end) {
                    chars.next();
                } else {
                    break;
                }
            }
            text.push(c);
        }
        text
    };
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '-' if chars.peek() == Some(&'-') => {
                chars.by_ref().find(|&c| c == '\n');
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut star = false;
                for c in chars.by_ref() {
                    if star && c == '/' {
                        break;
                    }
                    star = c == '*';
                }
            }
            '\'' => {
                until(&mut chars, '\'');
            }
            '"' | '`' => out.push(Token::Quoted(until(&mut chars, c))),
            '[' => out.push(Token::Quoted(until(&mut chars, ']'))),
            c if c.is_alphanumeric() || c == '_' || c == '$' => {
                let mut word = c.to_string();
                while let Some(&c) = chars.peek() {
                    if !(c.is_alphanumeric() || c == '_' || c == '$') {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                out.push(Token::Word(word));
            }
            c => out.push(Token::Char(c)),
        }
    }
    out
}

/// The keyword a token is, if it is one, in upper case.
fn word(t: Option<&Token>) -> Option<String> {
    match t {
        Some(Token::Word(w)) => Some(w.to_ascii_uppercase()),
        _ => None,
    }
}

/// Whether a token is one of these keywords.
fn is(t: &Token, keywords: &[&str]) -> bool {
    matches!(t, Token::Word(w) if keywords.iter().any(|k| w.eq_ignore_ascii_case(k)))
}

/// What in a schema row would run SQL when read, described for the client.
fn runs_sql(sql: &str) -> Option<String> {
    let tokens = tokens(sql);
    if tokens.is_empty() {
        // No object: SQLite keeps such rows for automatic indexes.
        return None;
    }
    let named = |t: Option<&Token>| match t {
        Some(Token::Word(w) | Token::Quoted(w)) => w.clone(),
        _ => String::new(),
    };
    let mut t = tokens
        .iter()
        .skip_while(|t| is(t, &["CREATE", "TEMP", "TEMPORARY"]));
    let kind = word(t.next());
    let after_kind: Vec<&Token> = t.collect();
    let name = || {
        let mut rest = after_kind
            .iter()
            .skip_while(|t| is(t, &["TABLE", "IF", "NOT", "EXISTS"]));
        named(rest.next().copied())
    };
    match kind.as_deref() {
        Some("VIEW") => Some(format!("a view ({:?})", name())),
        Some("VIRTUAL") => {
            let module = after_kind
                .iter()
                .position(|t| is(t, &["USING"]))
                .and_then(|i| after_kind.get(i + 1).copied());
            if module.is_some_and(|m| is(m, &["RTREE", "RTREE_I32"])) {
                None
            } else {
                Some(format!(
                    "a virtual table ({:?}, module {})",
                    name(),
                    named(module)
                ))
            }
        }
        Some("TABLE") => {
            let computed = after_kind.iter().any(|t| is(t, &["GENERATED", "SELECT"]))
                || after_kind
                    .windows(2)
                    .any(|w| is(w[0], &["AS"]) && w[1] == &Token::Char('('));
            computed.then(|| format!("a generated column (table {:?})", name()))
        }
        Some("INDEX" | "UNIQUE" | "TRIGGER") => None,
        _ => Some(format!("a schema entry it cannot classify ({:?})", name())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_generated_columns_and_foreign_virtual_tables_run_sql() {
        for sql in [
            "CREATE VIEW v AS SELECT 1",
            "create /* x */ view v as select 1",
            "CREATE TEMP VIEW v AS SELECT 1",
            "CREATE VIRTUAL TABLE secret USING VirtualOGR('/etc/passwd')",
            "CREATE VIRTUAL TABLE t USING fts5(a)",
            "CREATE TABLE t (a INTEGER, b BLOB AS (zeroblob(900000000)))",
            "CREATE TABLE t (a, b GENERATED ALWAYS AS (a * 2) STORED)",
            "CREATE TABLE t AS SELECT 1",
            "CREATE SOMETHING t",
        ] {
            assert!(runs_sql(sql).is_some(), "{sql}");
        }
    }

    #[test]
    fn what_geopackages_hold_runs_nothing() {
        for sql in [
            "CREATE TABLE \"in\" ( \"fid\" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, \"geom\" POLYGON, \"as\" TEXT)",
            "CREATE TABLE t (a TEXT DEFAULT 'view AS (select)', b CHECK (CAST(a AS INTEGER) > 0))",
            "CREATE TABLE [as] (\"generated\" TEXT, `select` INT) -- AS (",
            "CREATE VIRTUAL TABLE \"rtree_in_geom\" USING rtree(id, minx, maxx, miny, maxy)",
            "CREATE TRIGGER \"trigger_insert_feature_count_in\" AFTER INSERT ON \"in\" BEGIN UPDATE gpkg_ogr_contents SET feature_count = feature_count + 1; END",
            "CREATE UNIQUE INDEX i ON t(a)",
        ] {
            assert_eq!(runs_sql(sql), None, "{sql}");
        }
    }

    #[test]
    fn varints_follow_the_format() {
        assert_eq!(varint(&[0x05]).unwrap(), (5, 1));
        assert_eq!(varint(&[0x81, 0x00]).unwrap(), (128, 2));
        assert_eq!(varint(&[0xFF; 9]).unwrap(), (u64::MAX, 9));
        assert!(varint(&[0x80, 0x80]).is_err());
    }

    /// Databases written by Python's sqlite3: the schema read here is SQLite's own
    /// (`SELECT sql FROM sqlite_schema`), across interior pages and overflow pages.
    #[test]
    fn the_schema_read_is_sqlites() {
        let dir = tempfile::tempdir().unwrap();
        for (page_size, tables, column) in [(4096, 3, 10), (512, 200, 10), (1024, 5, 3000)] {
            let path = dir.path().join(format!("{page_size}-{tables}.db"));
            let script = format!(
                "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nc.execute('PRAGMA page_size={page_size}')\nfor i in range({tables}):\n    c.execute('CREATE TABLE t%d (a%s TEXT)' % (i, 'x' * {column}))\nc.commit()\nfor (sql,) in c.execute('SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid'):\n    print(sql)"
            );
            let out = std::process::Command::new("python3")
                .args(["-c", &script])
                .arg(&path)
                .output()
                .unwrap();
            assert!(out.status.success());
            let want: Vec<String> = String::from_utf8(out.stdout)
                .unwrap()
                .lines()
                .map(str::to_owned)
                .collect();
            let mut got = schema(&std::fs::read(&path).unwrap()).unwrap();
            got.sort_by_key(|s| want.iter().position(|w| w == s).unwrap_or(usize::MAX));
            assert_eq!(got, want, "page size {page_size}");
            check(&std::fs::read(&path).unwrap()).unwrap();
        }
    }

    #[test]
    fn garbage_is_unreadable_not_a_panic() {
        let mut header = b"SQLite format 3\0".to_vec();
        header.extend([0x10, 0x00]); // 4096
        header.resize(100, 0);
        for db in [
            Vec::new(),
            b"SQLite format 3\0".to_vec(),
            header.clone(),
            [header.clone(), vec![0x0D; 4096]].concat(),
            [header.clone(), vec![0x05; 8192]].concat(),
        ] {
            assert!(
                matches!(check(&db), Err(UploadError::Unreadable(_))),
                "{} bytes",
                db.len()
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(
            page in proptest::collection::vec(proptest::num::u8::ANY, 0..1200),
            size in proptest::sample::select(vec![0u16, 1, 512, 1024, 700]),
        ) {
            let mut db = b"SQLite format 3\0".to_vec();
            db.extend(size.to_be_bytes());
            db.resize(100, 0);
            db.extend(page);
            let _ = check(&db);
        }

        #[test]
        fn tokens_never_panic(sql in "\\PC{0,80}") {
            let _ = runs_sql(&sql);
        }
    }
}
