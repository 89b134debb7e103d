//! The Spin component for the `server` router group. It serves `/api/v1/server/...`: fail2ban
//! server settings and log flushing.
//!
//! Only the group's policy lives here; the request flow is `bangui_edge`'s.

use bangui_edge::{Group, Policy};

/// No fleet views: reads go to the control agent unless `?host=` names another; changes without
/// `?host=` go to every agent.
static POLICY: Policy = Policy {
    group: Group::Server,
    app_level: false,
    rules: &[],
    inventory: false,
};

bangui_edge::component!(POLICY);
