//! BanGUI agent: serves the BanGUI API v1 next to fail2ban.
//!
//! The agent owns everything privileged: fail2ban's socket, its config files and (later) its
//! database. The edge components and the dashboard reach fail2ban only through this API.
#![forbid(unsafe_code)]

pub mod auth;
pub mod config;
pub mod fail2ban;
pub mod handlers;
pub mod http;
pub mod state;
pub mod store;
pub mod tls;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::config::AgentConfig;
use crate::state::AppState;

/// Binds the configured listener; separate from [`serve`] so the caller can report the address.
pub async fn bind(config: &AgentConfig) -> std::io::Result<TcpListener> {
    TcpListener::bind(config.listen.address).await
}

/// How often expired sessions, old login attempts and idle rate windows are dropped.
const PURGE_EVERY: Duration = Duration::from_secs(60);

/// Serves the API on `listener` until `shutdown` resolves.
pub async fn serve(
    state: Arc<AppState>,
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) {
    let housekeeping = {
        let state = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(PURGE_EVERY);
            loop {
                tick.tick().await;
                if let Err(e) = state.auth.purge().await {
                    tracing::warn!(error = %e, "session purge failed");
                }
            }
        })
    };
    http::server::serve(listener, http::api(state.clone()), tls, shutdown).await;
    housekeeping.abort();
    state.fail2ban().close_idle().await;
}
