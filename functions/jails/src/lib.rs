//! The Spin component for the `jails` router group. It serves `/api/v1/jails...`: running jails and
//! their control commands.
//!
//! Only the group's policy lives here; the request flow is `bangui_edge`'s.

use bangui_edge::{view, Group, Merge, Policy, SortKey};

/// The jail list is a fleet view (merged by name, re-paginated); a single jail's reads go to the
/// control agent unless `?host=` names another; commands without `?host=` go to every agent.
static POLICY: Policy = Policy {
    group: Group::Jails,
    app_level: false,
    rules: &[view("/api/v1/jails", Merge::Page(SortKey::asc("name")))],
    inventory: false,
};

bangui_edge::component!(POLICY);
