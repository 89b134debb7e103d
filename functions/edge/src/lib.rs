//! The BanGUI edge machinery: everything the Spin components share, so that each component is a
//! few lines of group policy (see `functions/<group>/src/lib.rs`).
//!
//! A request goes through [`handler::handle`]: route match, session check ([`session`],
//! [`revalidate`]), CSRF ([`csrf`]), target choice ([`hosts`], [`policy`]), forwarding to one
//! agent ([`forward`]) or to several at once ([`fanout`]) with their answers merged
//! ([`merge`]), and one response builder ([`respond`]). Only [`spin`] touches the Spin SDK at
//! run time; everything else is plain data and is unit-tested on the host
//! (`cargo test -p bangui-edge`).
#![forbid(unsafe_code)]

pub mod config;
pub mod csrf;
pub mod fanout;
pub mod forward;
pub mod handler;
pub mod hosts;
pub mod inventory;
pub mod merge;
pub mod policy;
pub mod request;
pub mod respond;
pub mod revalidate;
pub mod session;
pub mod spin;

pub use bangui_shared::routes::{Group, Method};
pub use policy::{control, view, Combine, FieldRule, Merge, Policy, Rule, Scope, SortKey};
pub use spin::serve;

#[doc(hidden)]
pub use spin_sdk::http::{IncomingRequest, ResponseOutparam};
#[doc(hidden)]
pub use spin_sdk::http_component;

/// A component: `bangui_edge::component!(POLICY);` after the group's `static POLICY: Policy`.
///
/// Expands to the `wasi:http` handler serving the policy and a test that the policy fits the
/// route table. The export exists only in the wasm build: a host build (CI's
/// `cargo build --workspace`, the policy test) compiles the handler but cannot link a
/// `wasi:http` export into a `.so`.
#[macro_export]
macro_rules! component {
    ($policy:ident) => {
        #[cfg_attr(target_arch = "wasm32", $crate::http_component)]
        #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
        async fn handle(req: $crate::IncomingRequest, out: $crate::ResponseOutparam) {
            $crate::serve(&$policy, req, out).await;
        }

        #[cfg(test)]
        mod component_policy {
            #[test]
            fn policy_fits_the_route_table() {
                super::$policy.check().unwrap();
            }
        }
    };
}
