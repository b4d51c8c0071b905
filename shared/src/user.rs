//! The `user` object of API.md, shared by the auth and user services (each keeps its own
//! copy of the data in its own table; this is only the shape clients see).

use serde::{Deserialize, Serialize};

use crate::role::Role;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub email: String,
    pub full_name: String,
    pub role: Role,
    pub is_approved: bool,
    pub is_banned: bool,
    pub is_active: bool,
    pub is_root_admin: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// What other users may see of a profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicUser {
    pub id: String,
    pub full_name: String,
    pub role: Role,
}

impl From<&User> for PublicUser {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.clone(),
            full_name: u.full_name.clone(),
            role: u.role,
        }
    }
}

/// A user event as the user service publishes it (`data: {user, version}`): the event, the
/// whole user, and the profile's version, by which a consumer ignores an event older than
/// what it holds (events are at least once and may arrive late).
#[derive(Debug, Clone)]
pub struct UserState {
    pub event: crate::events::Event,
    pub user: User,
    pub version: i64,
}

/// The user events of an SNS delivery whose type `wanted` accepts; one without a user and
/// a version is logged and skipped.
pub fn user_states(
    delivery: &crate::events::SnsEvent,
    wanted: impl Fn(&str) -> bool,
) -> Vec<UserState> {
    crate::events::sns_messages(delivery)
        .into_iter()
        .filter(|e| wanted(&e.event_type))
        .filter_map(|event| {
            let user = serde_json::from_value::<User>(event.data["user"].clone()).ok();
            match (user, event.data["version"].as_i64()) {
                (Some(user), Some(version)) => Some(UserState {
                    event,
                    user,
                    version,
                }),
                _ => {
                    tracing::warn!(event_id = %event.event_id, "user event without a user and version: skipped");
                    None
                }
            }
        })
        .collect()
}
