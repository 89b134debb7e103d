//! The Spin component for the `bans` router group. It serves `/api/v1/bans...`: active bans, ban,
//! unban.
//!
//! Only the group's policy lives here; the request flow is `bangui_edge`'s.

use bangui_edge::{view, Combine, FieldRule, Group, Merge, Policy, SortKey};

/// `GET /bans/active` is a fleet view (bans tagged with their host, newest first, totals
/// summed); ban and unban without `?host=` go to every agent.
static POLICY: Policy = Policy {
    group: Group::Bans,
    app_level: false,
    rules: &[view(
        "/api/v1/bans/active",
        Merge::Sum(&[FieldRule::new(
            "items",
            Combine::Tag(Some(SortKey::desc("banned_at"))),
        )]),
    )],
    inventory: false,
};

bangui_edge::component!(POLICY);
