//! Profile rules with no I/O.

use gymit_shared::user::User;
use serde::{Deserialize, Serialize};

/// A stored profile: the API's user plus what only admins see.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Profile {
    #[serde(flatten)]
    pub user: User,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ban_reason: Option<String>,
}
