//! Profile rules with no I/O: what an admin may change, and how each change reads.

use gymit_shared::{
    identity::{Caller, Role},
    user::User,
    ApiError,
};
use serde::{Deserialize, Serialize};

/// A stored profile: the API's user plus what only the service keeps. `version` counts
/// changes; it is the optimistic lock of every write and orders the events consumers see.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Profile {
    #[serde(flatten)]
    pub user: User,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ban_reason: Option<String>,
    #[serde(default)]
    pub version: u64,
}

/// An administrative change to an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Approve,
    Ban { reason: Option<String> },
    Unban,
    SetRole(Role),
    Deactivate,
}

impl Change {
    /// The event type that announces this change.
    pub fn event_type(&self) -> &'static str {
        match self {
            Change::Approve => "user.approved",
            Change::Ban { .. } => "user.banned",
            Change::Unban => "user.unbanned",
            Change::SetRole(_) => "user.role_changed",
            Change::Deactivate => "user.deactivated",
        }
    }

    /// Whether `admin` may make this change to `target` (API.md): nobody changes the root
    /// admin; an admin does not ban, delete or demote themselves.
    pub fn permitted(&self, admin: &Caller, target: &User) -> Result<(), ApiError> {
        if target.is_root_admin {
            return Err(ApiError::root_admin_protected());
        }
        let against_self = admin.user_id == target.id
            && matches!(
                self,
                Change::Ban { .. }
                    | Change::Deactivate
                    | Change::SetRole(Role::Member | Role::Trainer)
            );
        if against_self {
            return Err(ApiError::forbidden(
                "admins cannot ban, delete or demote themselves",
            ));
        }
        Ok(())
    }

    /// Applies the change (idempotent: applying it twice gives the same profile).
    pub fn apply(&self, profile: &mut Profile) {
        let user = &mut profile.user;
        match self {
            Change::Approve => user.is_approved = true,
            Change::Ban { reason } => {
                user.is_banned = true;
                profile.ban_reason = reason.clone();
            }
            Change::Unban => {
                user.is_banned = false;
                profile.ban_reason = None;
            }
            Change::SetRole(role) => user.role = *role,
            Change::Deactivate => user.is_active = false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, root: bool) -> User {
        User {
            id: id.into(),
            email: format!("{id}@example.com"),
            full_name: id.into(),
            role: Role::Admin,
            is_approved: true,
            is_banned: false,
            is_active: true,
            is_root_admin: root,
            created_at: "2026-11-24T10:00:00Z".into(),
            updated_at: "2026-11-24T10:00:00Z".into(),
        }
    }

    fn admin(id: &str) -> Caller {
        Caller {
            user_id: id.into(),
            email: String::new(),
            role: Role::Admin,
            approved: true,
        }
    }

    #[test]
    fn nobody_changes_the_root_admin() {
        for change in [
            Change::Approve,
            Change::Ban { reason: None },
            Change::SetRole(Role::Member),
            Change::Deactivate,
        ] {
            let err = change
                .permitted(&admin("a"), &user("root", true))
                .unwrap_err();
            assert_eq!(err.code, "root_admin_protected");
        }
    }

    #[test]
    fn admins_do_not_ban_delete_or_demote_themselves() {
        for change in [
            Change::Ban { reason: None },
            Change::Deactivate,
            Change::SetRole(Role::Trainer),
        ] {
            assert_eq!(
                change
                    .permitted(&admin("a"), &user("a", false))
                    .unwrap_err()
                    .code,
                "forbidden"
            );
        }
        assert!(Change::SetRole(Role::Admin)
            .permitted(&admin("a"), &user("a", false))
            .is_ok());
        assert!(Change::Ban { reason: None }
            .permitted(&admin("a"), &user("b", false))
            .is_ok());
    }

    #[test]
    fn unban_clears_the_reason() {
        let mut p = Profile {
            user: user("b", false),
            ban_reason: None,
            version: 1,
        };
        Change::Ban {
            reason: Some("spam".into()),
        }
        .apply(&mut p);
        assert!(p.user.is_banned);
        assert_eq!(p.ban_reason.as_deref(), Some("spam"));
        Change::Unban.apply(&mut p);
        assert!(!p.user.is_banned && p.ban_reason.is_none());
    }
}
