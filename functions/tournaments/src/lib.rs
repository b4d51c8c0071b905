//! The tournament service: lifecycle, registration, the bracket engine, results and
//! standings. Layers: `handlers` → `domain` ← `store`.

pub mod handlers;
