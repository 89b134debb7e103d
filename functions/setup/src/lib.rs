//! The Spin component for the `setup` router group. It serves `/api/v1/setup...`: first-run setup
//! (public).
//!
//! Only the group's policy lives here; the request flow is `bangui_edge`'s.

use bangui_edge::{Group, Policy};

/// Setup is app-level state: every route goes to the control agent. `?host=NAME` sets up
/// another agent.
static POLICY: Policy = Policy {
    group: Group::Setup,
    app_level: true,
    rules: &[],
    inventory: false,
};

bangui_edge::component!(POLICY);
