//! The Spin component for the `filter_config` router group. It serves `/api/v1/config/filters...`:
//! filter definitions.
//!
//! Only the group's policy lives here; the request flow is `bangui_edge`'s.

use bangui_edge::{Group, Policy};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
#[cfg(target_arch = "wasm32")]
use spin_sdk::http_component;

/// No fleet views: reads go to the control agent unless `?host=` names another; changes without
/// `?host=` go to every agent.
static POLICY: Policy = Policy {
    group: Group::FilterConfig,
    app_level: false,
    rules: &[],
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
