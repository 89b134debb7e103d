//! The BanGUI API v1 contract, shared by the agent, the edge components and the tests.
//!
//! This crate does no I/O and reads no clock: every function is pure, so it builds for the host
//! and for `wasm32-wasip2` alike. Callers pass in "now" where a time is needed.
#![forbid(unsafe_code)]

pub mod accept_encoding;
pub mod access;
pub mod edge_headers;
pub mod error;
pub mod models;
pub mod pagination;
pub mod routes;
pub mod session;
pub mod static_files;
pub mod timerange;
pub mod validate;

pub use error::{ApiError, ErrorBody, ErrorCode};
