//! The Spin component for the `auth` router group. It serves `/api/v1/auth/...`: login, session
//! check, logout.
//!
//! Only the group's policy lives here; the request flow is `bangui_edge`'s.

use bangui_edge::{Group, Policy};

/// Sessions are app-level state: every route goes to the control agent (whose token the edge
/// then verifies locally with the shared signing key).
static POLICY: Policy = Policy {
    group: Group::Auth,
    app_level: true,
    rules: &[],
    inventory: false,
};

bangui_edge::component!(POLICY);
