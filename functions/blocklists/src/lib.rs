//! The Spin component for the `blocklists` router group. It serves `/api/v1/blocklists...`:
//! blocklist sources, schedule, imports.
//!
//! Only the group's policy lives here; the request flow is `bangui_edge`'s.

use bangui_edge::{Group, Policy};

/// Each agent keeps its own sources and imports into its own fail2ban: reads go to the control
/// agent unless `?host=` names another; changes (and imports) without `?host=` go to every agent.
static POLICY: Policy = Policy {
    group: Group::Blocklists,
    app_level: false,
    rules: &[],
    inventory: false,
};

bangui_edge::component!(POLICY);
