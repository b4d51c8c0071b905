//! What the import's tests share: a throwaway PostgreSQL and a monolith database to load.

#![allow(dead_code)]

pub mod dataset;
pub mod postgres;
