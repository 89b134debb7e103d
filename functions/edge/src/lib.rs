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
