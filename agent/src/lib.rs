//! BanGUI agent: serves the BanGUI API v1 next to fail2ban.
//!
//! The agent owns everything privileged: fail2ban's socket, its config files and (later) its
//! database. The edge components and the dashboard reach fail2ban only through this API.
#![forbid(unsafe_code)]

pub mod config;
pub mod fail2ban;
pub mod handlers;
pub mod http;
pub mod state;

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::config::AgentConfig;
use crate::state::AppState;

/// Binds the configured listener; separate from [`serve`] so the caller can report the address.
pub async fn bind(config: &AgentConfig) -> std::io::Result<TcpListener> {
    TcpListener::bind(config.listen.address).await
}

/// Serves the API on `listener` until `shutdown` resolves.
pub async fn serve(config: AgentConfig, listener: TcpListener, shutdown: impl Future<Output = ()>) {
    let state = Arc::new(AppState::new(config));
    http::server::serve(listener, http::api(state.clone()), shutdown).await;
    state.fail2ban.close_idle().await;
}
