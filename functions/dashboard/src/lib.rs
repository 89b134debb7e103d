//! The Spin component for the `dashboard` router group. It serves `/api/v1/dashboard/...`: server
//! status and ban charts.
//!
//! Only the group's policy lives here; the request flow is `bangui_edge`'s.

use bangui_edge::{view, Combine, FieldRule, Group, Merge, Policy, SortKey};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
#[cfg(target_arch = "wasm32")]
use spin_sdk::http_component;

/// Every dashboard read is a fleet view: counters are summed, the ban list is merged newest
/// first and re-paginated, per-country and per-jail counts are summed per country and per jail
/// (largest first), and trend buckets bucket by bucket (labels from the first agent).
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
            Merge::Sum(&[FieldRule::new("buckets", Combine::Zip)]),
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

// The export exists only in the wasm build: a host build (CI's `cargo build --workspace`,
// the policy test) compiles the handler but cannot link a `wasi:http` export into a `.so`.
#[cfg_attr(target_arch = "wasm32", http_component)]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    bangui_edge::serve(&POLICY, req, out).await;
}

#[cfg(test)]
mod tests {
    #[test]
    fn policy_fits_the_route_table() {
        super::POLICY.check().unwrap();
    }
}
