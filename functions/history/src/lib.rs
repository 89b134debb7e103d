//! The Spin component for the `history` router group. It serves `/api/v1/history...`: ban history
//! and the archive.
//!
//! Only the group's policy lives here; the request flow is `bangui_edge`'s.

use bangui_edge::{view, Combine, FieldRule, Group, Merge, Policy, SortKey};

/// Every history read is a fleet view: lists merged newest first and re-paginated; an address's
/// timeline merged from every host that has one (events tagged and newest first, totals summed,
/// first/last seen over all hosts; hosts without the address show as 404 entries).
static POLICY: Policy = Policy {
    group: Group::History,
    app_level: false,
    rules: &[
        view("/api/v1/history", Merge::Page(SortKey::desc("banned_at"))),
        view(
            "/api/v1/history/archive",
            Merge::Page(SortKey::desc("banned_at")),
        ),
        view(
            "/api/v1/history/{ip}",
            Merge::Sum(&[
                FieldRule::new("events", Combine::Tag(Some(SortKey::desc("banned_at")))),
                FieldRule::new("first_seen", Combine::Min),
                FieldRule::new("last_seen", Combine::Max),
            ]),
        ),
    ],
    inventory: false,
};

bangui_edge::component!(POLICY);
