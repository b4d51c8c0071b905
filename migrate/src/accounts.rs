//! Legacy users as GymIT accounts (LEGACY.md "Accounts", "Profiles"): the auth record, the
//! profile and the tournament service's member, one of each per imported row. Pure: the
//! stack's root admin, when it already exists, is given.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use gymit_auth::domain::Account;
use gymit_shared::{identity::Role, time::rfc3339, user::User, validate};
use gymit_users::domain::Profile;

use crate::{ids::new_id, legacy::LegacyUser, report::Report, text::clean};

/// The profile version an imported account starts at, as `users-create` gives a new one.
pub const IMPORTED_VERSION: i64 = 1;

/// The stack's root admin as it already exists (bootstrapped), and the configured
/// `RootAdminEmail`.
#[derive(Debug, Clone, Default)]
pub struct RootAdmin {
    pub email: Option<String>,
    /// `(id, password hash)` of the existing root admin account with that email.
    pub existing: Option<(String, String)>,
}

/// One legacy user, as GymIT will hold it.
#[derive(Debug, Clone)]
pub struct ImportedAccount {
    pub legacy_id: i64,
    pub updated_at: DateTime<Utc>,
    pub account: Account,
    pub profile: Profile,
    /// The legacy root admin whose email is the stack's `RootAdminEmail`, when the stack's
    /// root admin already exists: that account takes the legacy password, nothing else is
    /// written for it.
    pub is_stack_root_admin: bool,
}

/// All accounts, and where each legacy user id now points (skipped duplicates point at the
/// account they duplicate).
#[derive(Debug, Clone, Default)]
pub struct Accounts {
    pub imported: Vec<ImportedAccount>,
    pub by_legacy_id: HashMap<i64, String>,
    /// The id of the root admin, as far as the import knows it.
    pub root_admin_id: Option<String>,
}

impl Accounts {
    pub fn full_name(&self, id: &str) -> Option<&str> {
        self.imported
            .iter()
            .find(|a| a.account.id == id)
            .map(|a| a.account.full_name.as_str())
    }
}

fn is_bcrypt(hash: &str) -> bool {
    ["$2a$", "$2b$", "$2y$"].iter().any(|p| hash.starts_with(p)) && hash.len() == 60
}

pub fn plan_accounts(users: &[LegacyUser], root: &RootAdmin, report: &mut Report) -> Accounts {
    const TABLE: &str = "users";
    let root_email = root.email.as_deref().map(validate::normalise_email);
    let mut out = Accounts {
        root_admin_id: root.existing.as_ref().map(|(id, _)| id.clone()),
        ..Default::default()
    };
    let mut by_email: HashMap<String, (i64, String)> = HashMap::new();
    let mut sorted: Vec<&LegacyUser> = users.iter().collect();
    sorted.sort_by_key(|u| u.id);
    report.rows(TABLE).read = users.len() as u64;
    for u in sorted {
        let email = validate::normalise_email(&u.email);
        if !validate::is_valid_email(&email) {
            report.skip(TABLE, u.id, "the email is not a valid address");
            continue;
        }
        if let Some((kept, kept_id)) = by_email.get(&email) {
            report.skip(
                TABLE,
                u.id,
                format!("duplicate email after normalisation: users:{kept} keeps it"),
            );
            out.by_legacy_id.insert(u.id, kept_id.clone());
            continue;
        }
        if !is_bcrypt(&u.password_hash) {
            report.skip(TABLE, u.id, "the password hash is not a bcrypt hash");
            continue;
        }
        let Some(mut role) = Role::parse(&u.role) else {
            report.skip(TABLE, u.id, format!("unknown role {:?}", u.role));
            continue;
        };
        let (mut full_name, cleaned) = clean(&u.full_name, 100);
        if let Some(why) = cleaned {
            report.change(TABLE, u.id, format!("full_name: {why}"));
        }
        if full_name.is_empty() {
            full_name = email.split('@').next().unwrap_or("member").to_string();
            report.change(TABLE, u.id, "full_name was empty: the email's local part");
        }
        let is_root_email = root_email.as_deref() == Some(email.as_str());
        let mut is_root_admin = false;
        let mut is_stack_root_admin = false;
        let mut id = new_id(TABLE, u.id);
        let mut approved = u.is_approved;
        if u.is_root_admin && is_root_email {
            is_root_admin = true;
            role = Role::Admin;
            approved = true;
            if let Some((existing, _)) = &root.existing {
                id = existing.clone();
                is_stack_root_admin = true;
                report.change(
                    TABLE,
                    u.id,
                    "the legacy root admin is the stack's root admin: it takes the legacy password",
                );
            }
            out.root_admin_id = Some(id.clone());
        } else if u.is_root_admin {
            role = Role::Admin;
            report.change(
                TABLE,
                u.id,
                "the legacy root admin is not the stack's RootAdminEmail: imported as an admin",
            );
        } else if is_root_email {
            report.skip(
                TABLE,
                u.id,
                "its email is the stack's RootAdminEmail, but it was not the legacy root admin",
            );
            continue;
        }
        let account = Account {
            id: id.clone(),
            email: email.clone(),
            full_name,
            password_hash: u.password_hash.clone(),
            role,
            is_approved: approved,
            is_banned: u.is_banned && !is_root_admin,
            is_active: u.is_active || is_root_admin,
            is_root_admin,
            created_at: rfc3339(u.created_at),
            updated_at: rfc3339(u.updated_at),
            tokens_valid_after_ms: 0,
            profile_version: IMPORTED_VERSION,
        };
        let profile = Profile {
            user: account.to_user(),
            ban_reason: None,
            version: IMPORTED_VERSION as u64,
        };
        by_email.insert(email, (u.id, id.clone()));
        out.by_legacy_id.insert(u.id, id);
        out.imported.push(ImportedAccount {
            legacy_id: u.id,
            updated_at: u.updated_at,
            account,
            profile,
            is_stack_root_admin,
        });
    }
    out
}

/// The user as the member projection is fed it.
pub fn user_of(a: &ImportedAccount) -> &User {
    &a.profile.user
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const HASH: &str = "$2b$04$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    fn user(id: i64, email: &str) -> LegacyUser {
        let at = Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap();
        LegacyUser {
            id,
            email: email.into(),
            password_hash: HASH.into(),
            full_name: format!("User {id}"),
            role: "member".into(),
            is_active: true,
            is_approved: true,
            is_banned: false,
            is_root_admin: false,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn two_emails_that_normalise_to_one_keep_the_lowest_id() {
        let mut report = Report::default();
        let users = [user(9, " Anna@Gym.example"), user(3, "anna@gym.example")];
        let accounts = plan_accounts(&users, &RootAdmin::default(), &mut report);
        assert_eq!(accounts.imported.len(), 1);
        assert_eq!(accounts.imported[0].legacy_id, 3);
        assert_eq!(accounts.by_legacy_id[&9], new_id("users", 3));
        assert_eq!(report.skipped("users"), 1);
        assert_eq!(report.entries[0].legacy_id, 9);
    }

    #[test]
    fn the_legacy_root_admin_with_the_stacks_email_becomes_that_root_admin() {
        let mut report = Report::default();
        let mut root = user(1, "Boss@Gym.example");
        root.is_root_admin = true;
        root.role = "admin".into();
        let mut other_root = user(2, "old-boss@gym.example");
        other_root.is_root_admin = true;
        let stack = RootAdmin {
            email: Some("boss@gym.example".into()),
            existing: Some(("stack-root".into(), "$argon2id$…".into())),
        };
        let accounts = plan_accounts(&[root, other_root], &stack, &mut report);
        let a = &accounts.imported[0];
        assert!(a.is_stack_root_admin && a.account.is_root_admin);
        assert_eq!(a.account.id, "stack-root");
        assert_eq!(a.account.password_hash, HASH);
        let b = &accounts.imported[1];
        assert!(!b.account.is_root_admin);
        assert_eq!(b.account.role, Role::Admin);
        assert_eq!(accounts.root_admin_id.as_deref(), Some("stack-root"));
    }

    #[test]
    fn bans_and_flags_carry_over() {
        let mut report = Report::default();
        let mut banned = user(5, "banned@gym.example");
        banned.is_banned = true;
        banned.is_approved = false;
        let accounts = plan_accounts(&[banned], &RootAdmin::default(), &mut report);
        let a = &accounts.imported[0].account;
        assert!(a.is_banned && !a.is_approved && a.is_active);
        assert!(report.entries.is_empty());
    }
}
