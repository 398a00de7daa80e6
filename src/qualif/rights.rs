//! Who sees and does what in a campaign.
//!
//! | who | sees the campaign | rates | others' ratings and comments | consolidation | manages |
//! |---|---|---|---|---|---|
//! | admin token | always | never (no organisation) | always | always | yes |
//! | member of the pilot organisation | always | while open | always | always | yes |
//! | member of a partner organisation | always | while open | once published | from closed on | no |
//! | anyone else, signed in or not | once published | no | no | once published | no |
//!
//! A member always sees its own organisation's ratings.

use serde::Serialize;

use super::accounts::Member;
use super::campaigns::Campaign;
use super::Status;

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Anonymous,
    Member(Member),
    /// The holder of the server's admin token.
    Admin,
}

impl Caller {
    /// The member, if one is asking.
    pub fn member(&self) -> Option<&Member> {
        match self {
            Caller::Member(m) => Some(m),
            _ => None,
        }
    }
}

/// What a caller may do with a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct View {
    /// The campaign shows at all.
    #[serde(skip)]
    pub visible: bool,
    /// The caller's organisation is a partner.
    pub partner: bool,
    /// The caller's organisation pilots it.
    pub pilot: bool,
    pub can_rate: bool,
    pub can_manage: bool,
    /// Other organisations' ratings and comments.
    pub sees_ratings: bool,
    /// Means, spreads, désaccords.
    pub sees_consolidation: bool,
}

/// What `caller` may do with `campaign`.
pub fn view(caller: &Caller, campaign: &Campaign) -> View {
    let published = campaign.status == Status::Published;
    let public = View {
        visible: published,
        partner: false,
        pilot: false,
        can_rate: false,
        can_manage: false,
        sees_ratings: false,
        sees_consolidation: published,
    };
    match caller {
        Caller::Anonymous => public,
        Caller::Admin => View {
            visible: true,
            can_manage: true,
            sees_ratings: true,
            sees_consolidation: true,
            ..public
        },
        Caller::Member(m) => {
            let org = m.org.id;
            let partner = campaign.partners.iter().any(|p| p.id == org);
            let pilot = campaign.pilot.as_ref().is_some_and(|p| p.id == org);
            if !partner && !pilot {
                return public;
            }
            let open = campaign.status == Status::Open;
            View {
                visible: true,
                partner,
                pilot,
                can_rate: partner && open,
                can_manage: pilot,
                sees_ratings: pilot || published,
                sees_consolidation: pilot
                    || matches!(campaign.status, Status::Closed | Status::Published),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qualif::accounts::Org;
    use crate::qualif::OrgKind;

    fn org(id: i64) -> Org {
        Org {
            id,
            name: format!("o{id}"),
            kind: OrgKind::Bailleur,
        }
    }

    fn member(org_id: i64) -> Caller {
        Caller::Member(Member {
            id: 10 + org_id,
            name: "m".into(),
            org: org(org_id),
        })
    }

    fn campaign(status: Status) -> Campaign {
        Campaign {
            id: 1,
            name: "c".into(),
            territory: "x".into(),
            territory_name: "x".into(),
            territory_kind: "epci".into(),
            pilot: Some(org(1)),
            partners: vec![org(1), org(2)],
            criteria: crate::qualif::default_grid(),
            opens: None,
            closes: None,
            status,
            previous: None,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    #[test]
    fn each_role_in_each_status() {
        for status in Status::ALL {
            let c = campaign(status);
            let published = status == Status::Published;
            let open = status == Status::Open;
            let anon = view(&Caller::Anonymous, &c);
            let other = view(&member(3), &c);
            assert_eq!(anon, other);
            assert_eq!(anon.visible, published);
            assert!(!anon.sees_ratings && !anon.can_rate && !anon.can_manage);
            let partner = view(&member(2), &c);
            assert!(partner.visible && partner.partner && !partner.can_manage);
            assert_eq!(partner.can_rate, open);
            assert_eq!(partner.sees_ratings, published);
            let pilot = view(&member(1), &c);
            assert!(pilot.visible && pilot.can_manage && pilot.sees_ratings);
            assert_eq!(pilot.can_rate, open);
            let admin = view(&Caller::Admin, &c);
            assert!(admin.visible && admin.can_manage && !admin.can_rate);
        }
    }
}
