//! Headers only the edge sets on its requests to agents. The edge builds every outbound request
//! from scratch, so a client cannot pass them through it; agents read them only from requests
//! on the edge listener (mutual TLS, the edge's certificate).

/// The verified session's store key, for the agent's audit log.
pub const SESSION: &str = "x-bangui-session";

/// Set by `GET /api/v1/hosts` on its health requests: the agent adds the expiry of its edge
/// certificate, which the edge cannot see through `wasi:http`.
pub const INVENTORY: &str = "x-bangui-inventory";
