//! What every GymIT function shares, so that each function crate stays a thin layer of
//! domain rules and handlers: configuration, SDK clients, the one error type and its
//! problem+json responses, request/response helpers and the wrappers every function runs
//! in (`http::run`, `lambda::run_event`), the caller's identity and tokens, the pagination
//! cursor, DynamoDB helpers, retries and the circuit breaker, telemetry and metrics.
//!
//! Not for domain rules of any one service: those live in `functions/<service>`.
//!
//! # Which module may import which
//!
//! The modules form layers; a module imports only modules of a layer above its own, never
//! one of its own layer or below, so there is no cycle.
//! `tests/layers.rs` reads the sources and fails on an import that breaks this.
//!
//! 0. `trace`, importing no other module: every SDK client records its calls there.
//! 1. Leaves, importing no other module but `trace`: `error`, `time`, `telemetry`,
//!    `retry`, `aws` (→ `trace`), `role`.
//! 2. Reading the environment and small tools: `config` (→ `aws`), `ids`, `metrics`
//!    (→ `time`), `cursor`, `dynamo`, `validate`.
//! 3. Tokens: `jwt` (→ `config`, `role`, `ids`, `time`, `error`). It loads its own keys
//!    (`KeySet::from_env`); `config` knows nothing of tokens. The circuit breaker:
//!    `breaker` (→ `metrics`, `error`). What the edge (CloudFront) adds: `edge`
//!    (→ `error`): the origin-verify check and cacheable public reads.
//! 4. Wrappers a function runs in: `http` (→ `edge`), `lambda`, `batch`. The secrets a
//!    function holds: `keys` (→ `jwt`, `cursor`, `config`).
//! 5. The caller: `identity` (→ `jwt`, `http`, `role`; re-exports `Role`).
//! 6. What builds on all of that: `events`, `health`.
//! 7. `user` (→ `events`, `role`).

pub mod aws;
pub mod batch;
pub mod breaker;
pub mod config;
pub mod cursor;
pub mod dynamo;
pub mod edge;
pub mod error;
pub mod events;
pub mod health;
pub mod http;
pub mod identity;
pub mod ids;
pub mod jwt;
pub mod keys;
pub mod lambda;
pub mod metrics;
pub mod retry;
pub mod role;
pub mod telemetry;
pub mod time;
pub mod trace;
pub mod user;
pub mod validate;

pub use error::{ApiError, FieldError};
pub use http::{Ctx, Request, Response};
