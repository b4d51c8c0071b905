//! The auth service: accounts, password hashing, access and refresh tokens, the login
//! lockout, and the HTTP API's Lambda authorizer. Layers: `handlers` → `domain` ← `store`.

pub mod handlers;
