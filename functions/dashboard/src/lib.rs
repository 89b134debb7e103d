//! The Spin component for the `dashboard` router group. It serves `/api/v1/dashboard/...`: server
//! status and ban charts.
//!
//! Only the group's policy lives here; the request flow is `bangui_edge`'s.

use bangui_edge::{view, Combine, FieldRule, Group, Merge, Policy, SortKey};

/// Every dashboard read is a fleet view: counters are summed, the ban list is merged newest
/// first and re-paginated, per-country and per-jail counts are summed per country and per jail
/// (largest first), and trend buckets by their start (labels from the first agent).
static POLICY: Policy = Policy {
    group: Group::Dashboard,
    app_level: false,
    rules: &[
        view("/api/v1/dashboard/status", Merge::Sum(&[])),
        view(
            "/api/v1/dashboard/bans",
            Merge::Page(SortKey::desc("banned_at")),
        ),
        view(
            "/api/v1/dashboard/bans/by-country",
            Merge::Sum(&[FieldRule::new(
                "items",
                Combine::ByKey("country_code", Some(SortKey::desc("count"))),
            )]),
        ),
        view(
            "/api/v1/dashboard/bans/trend",
            Merge::Sum(&[FieldRule::new("buckets", Combine::Series("timestamp"))]),
        ),
        view(
            "/api/v1/dashboard/bans/by-jail",
            Merge::Sum(&[FieldRule::new(
                "jails",
                Combine::ByKey("jail", Some(SortKey::desc("count"))),
            )]),
        ),
    ],
    inventory: false,
};

bangui_edge::component!(POLICY);
