//! The Spin component for the `bans` router group. It serves `/api/v1/bans...`: active bans, ban,
//! unban.
//!
//! Only the group's policy lives here; the request flow is `bangui_edge`'s.

use bangui_edge::{view, Combine, FieldRule, Group, Merge, Policy, SortKey};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
#[cfg(target_arch = "wasm32")]
use spin_sdk::http_component;

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
