//! What every GymIT function shares, so that each function crate stays a thin layer of
//! domain rules and handlers: configuration, SDK clients, the one error type and its
//! problem+json responses, request/response helpers and the wrappers every function runs
//! in (`http::run`, `lambda::run_event`), the caller's identity and tokens, the pagination
//! cursor, DynamoDB helpers, retries, telemetry and metrics.
//!
//! Not for domain rules of any one service: those live in `functions/<service>`.

pub mod aws;
pub mod batch;
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
pub mod lambda;
pub mod metrics;
pub mod retry;
pub mod telemetry;
pub mod time;
pub mod user;
pub mod validate;

pub use error::{ApiError, FieldError};
pub use http::{Ctx, Request, Response};
