//! The user service: profiles and the administration of accounts.
//! Layers: `handlers` → `domain` ← `store`.

pub mod handlers;
