//! The Spin component for the `geo` router group. It serves `/api/v1/geo/...`: address lookup,
//! cache statistics, re-resolve.
//!
//! Only the group's policy lives here; the request flow is `bangui_edge`'s.

use bangui_edge::{view, Combine, FieldRule, Group, Merge, Policy};

/// Cache statistics are a fleet view (counters summed; the database info is the first
/// agent's); a lookup goes to the control agent unless
/// `?host=` names another; re-resolve without `?host=` runs on every agent.
static POLICY: Policy = Policy {
    group: Group::Geo,
    app_level: false,
    rules: &[view(
        "/api/v1/geo/stats",
        Merge::Sum(&[FieldRule::new("database", Combine::First)]),
    )],
    inventory: false,
};

bangui_edge::component!(POLICY);
