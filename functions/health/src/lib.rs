//! The Spin component for the `health` router group. It serves `/api/v1/health` (public) and the
//! fleet extra `GET /api/v1/hosts`.
//!
//! Only the group's policy lives here; the request flow is `bangui_edge`'s.

use bangui_edge::{view, Group, Merge, Policy};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
#[cfg(target_arch = "wasm32")]
use spin_sdk::http_component;

/// Health is a fleet view: every agent is asked and the worst status wins (200 only when all
/// are `ok`). This component also lists the fleet at `/api/v1/hosts`.
static POLICY: Policy = Policy {
    group: Group::Health,
    app_level: false,
    rules: &[view("/api/v1/health", Merge::Health)],
    inventory: true,
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
