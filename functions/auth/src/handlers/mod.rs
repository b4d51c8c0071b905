//! One module per route; each exposes `handle(state, request, ctx)`.

pub mod healthz;
