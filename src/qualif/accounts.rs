//! Organisations, their members, and how a member proves who they are: a personal token (shown
//! once, stored as its SHA-256) or a session opened with it (the UI keeps the session in an
//! HttpOnly cookie; the database keeps only its SHA-256, so replicas share sessions).
//!
//! Tokens are 32 random bytes from the operating system: hashing them without salt or key
//! stretching is enough, as nobody can guess one to try against the hash.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{text_field, OrgKind, QualifError};
use crate::db::{Conn, Val};

/// An organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Org {
    pub id: i64,
    pub name: String,
    pub kind: OrgKind,
}

/// A member of an organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub id: i64,
    pub name: String,
    pub org: Org,
}

/// How long a session lasts, seconds (12 hours).
pub const SESSION_SECONDS: i64 = 12 * 3600;

/// The prefix of member tokens (tells them apart from the admin token in logs and leaks).
pub const TOKEN_PREFIX: &str = "bourg_";

fn random_hex(bytes: usize) -> Result<String, QualifError> {
    let mut buf = vec![0u8; bytes];
    getrandom::getrandom(&mut buf).map_err(|e| {
        QualifError::Db(crate::db::DbError::Query(format!(
            "no randomness from the operating system: {e}"
        )))
    })?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// The SHA-256 of a secret, in hex.
pub fn hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn org_of(row: &[Val]) -> Result<Org, QualifError> {
    Ok(Org {
        id: row[0].int().unwrap_or_default(),
        name: row[1].string(),
        kind: OrgKind::parse(row[2].text().unwrap_or_default())?,
    })
}

/// Adds an organisation.
///
/// # Errors
/// A blank or too long name; the database's.
pub fn add_org(c: &mut dyn Conn, name: &str, kind: OrgKind) -> Result<Org, QualifError> {
    let name = text_field("the organisation's name", name, 200, true)?;
    let row = c
        .query_opt(
            "INSERT INTO orgs (name, kind, created_at) VALUES (?, ?, ?) RETURNING id",
            &[
                Val::from(name.as_str()),
                Val::from(kind.code()),
                Val::from(crate::clock::now()),
            ],
        )?
        .ok_or_else(|| QualifError::Invalid("the organisation was not created".into()))?;
    Ok(Org {
        id: row[0].int().unwrap_or_default(),
        name,
        kind,
    })
}

/// Every organisation, by id.
pub fn orgs(c: &mut dyn Conn) -> Result<Vec<Org>, QualifError> {
    c.query("SELECT id, name, kind FROM orgs ORDER BY id", &[])?
        .iter()
        .map(|r| org_of(r))
        .collect()
}

/// One organisation.
///
/// # Errors
/// [`QualifError::NotFound`] when there is none with this id.
pub fn org(c: &mut dyn Conn, id: i64) -> Result<Org, QualifError> {
    let row = c
        .query_opt(
            "SELECT id, name, kind FROM orgs WHERE id = ?",
            &[Val::from(id)],
        )?
        .ok_or_else(|| QualifError::NotFound(format!("no organisation {id}")))?;
    org_of(&row)
}

/// Adds a member with a new personal token, returned here and never again.
///
/// # Errors
/// An unknown organisation, a blank name; the database's.
pub fn add_member(
    c: &mut dyn Conn,
    org_id: i64,
    name: &str,
) -> Result<(Member, String), QualifError> {
    let name = text_field("the member's name", name, 200, true)?;
    let org = org(c, org_id)?;
    let token = format!("{TOKEN_PREFIX}{}", random_hex(32)?);
    let row = c
        .query_opt(
            "INSERT INTO members (org_id, name, token_hash, created_at) VALUES (?, ?, ?, ?) RETURNING id",
            &[
                Val::from(org_id),
                Val::from(name.as_str()),
                Val::from(hash(&token)),
                Val::from(crate::clock::now()),
            ],
        )?
        .ok_or_else(|| QualifError::Invalid("the member was not created".into()))?;
    Ok((
        Member {
            id: row[0].int().unwrap_or_default(),
            name,
            org,
        },
        token,
    ))
}

/// Revokes a member's token and closes their sessions.
///
/// # Errors
/// [`QualifError::NotFound`] for an unknown or already revoked member.
pub fn revoke_member(c: &mut dyn Conn, member_id: i64) -> Result<(), QualifError> {
    c.transaction(|c| {
        let n = c.execute(
            "UPDATE members SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            &[Val::from(crate::clock::now()), Val::from(member_id)],
        )?;
        if n == 0 {
            return Err(QualifError::NotFound(format!(
                "no member {member_id} with a valid token"
            )));
        }
        c.execute(
            "DELETE FROM sessions WHERE member_id = ?",
            &[Val::from(member_id)],
        )?;
        Ok(())
    })
}

const MEMBER_SELECT: &str =
    "SELECT m.id, m.name, o.id, o.name, o.kind FROM members m JOIN orgs o ON o.id = m.org_id";

fn member_of(row: &[Val]) -> Result<Member, QualifError> {
    Ok(Member {
        id: row[0].int().unwrap_or_default(),
        name: row[1].string(),
        org: org_of(&row[2..])?,
    })
}

/// The member whose token this is, if the token is valid (not revoked).
pub fn member_by_token(c: &mut dyn Conn, token: &str) -> Result<Option<Member>, QualifError> {
    if !token.starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    c.query_opt(
        &format!("{MEMBER_SELECT} WHERE m.token_hash = ? AND m.revoked_at IS NULL"),
        &[Val::from(hash(token))],
    )?
    .map(|r| member_of(&r))
    .transpose()
}

/// Opens a session for a member; returns its secret (the cookie's value).
pub fn open_session(c: &mut dyn Conn, member: &Member) -> Result<String, QualifError> {
    let secret = random_hex(32)?;
    c.execute(
        "INSERT INTO sessions (id_hash, member_id, expires_at) VALUES (?, ?, ?)",
        &[
            Val::from(hash(&secret)),
            Val::from(member.id),
            Val::from(crate::clock::in_seconds(SESSION_SECONDS)),
        ],
    )?;
    // Expired sessions go as new ones come.
    c.execute(
        "DELETE FROM sessions WHERE expires_at < ?",
        &[Val::from(crate::clock::now())],
    )?;
    Ok(secret)
}

/// The member of a live session.
pub fn session_member(c: &mut dyn Conn, secret: &str) -> Result<Option<Member>, QualifError> {
    c.query_opt(
        &format!(
            "{MEMBER_SELECT} JOIN sessions s ON s.member_id = m.id \
             WHERE s.id_hash = ? AND s.expires_at > ? AND m.revoked_at IS NULL"
        ),
        &[Val::from(hash(secret)), Val::from(crate::clock::now())],
    )?
    .map(|r| member_of(&r))
    .transpose()
}

/// Closes a session (nothing happens for an unknown one).
pub fn close_session(c: &mut dyn Conn, secret: &str) -> Result<(), QualifError> {
    c.execute(
        "DELETE FROM sessions WHERE id_hash = ?",
        &[Val::from(hash(secret))],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn hashes_are_sha256_hex() {
        // echo -n abc | sha256sum
        assert_eq!(
            super::hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
