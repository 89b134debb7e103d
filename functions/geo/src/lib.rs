//! The Spin component for the `geo` router group. It serves `/api/v1/geo/...`: address lookup,
//! cache statistics, re-resolve.
//!
//! Only the group's policy lives here; the request flow is `bangui_edge`'s.

use bangui_edge::{view, Combine, FieldRule, Group, Merge, Policy};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
#[cfg(target_arch = "wasm32")]
use spin_sdk::http_component;

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
