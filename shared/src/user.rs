//! The `user` object of API.md, shared by the auth and user services (each keeps its own
//! copy of the data in its own table; this is only the shape clients see).

use serde::{Deserialize, Serialize};

use crate::identity::Role;

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
