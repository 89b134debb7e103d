//! BanGUI agent: serves the BanGUI API v1 next to fail2ban.
//!
//! The agent owns everything privileged: fail2ban's socket, its config files and (later) its
//! database. The edge components and the dashboard reach fail2ban only through this API.
#![forbid(unsafe_code)]

pub mod auth;
pub mod blocklists;
pub mod certs;
pub mod config;
pub mod f2bconf;
pub mod fail2ban;
pub mod geo;
pub mod handlers;
pub mod history;
pub mod http;
pub mod regex;
pub mod state;
pub mod store;
pub mod tail;
pub mod tls;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::config::AgentConfig;
use crate::http::server::Transport;
use crate::state::AppState;

/// Binds the configured listener; separate from [`serve`] so the caller can report the address.
pub async fn bind(config: &AgentConfig) -> std::io::Result<TcpListener> {
    TcpListener::bind(config.listen.address).await
}

/// How often expired sessions, old login attempts and idle rate windows are dropped.
const PURGE_EVERY: Duration = Duration::from_secs(60);

/// A bound listener and how it speaks.
pub struct Listener {
    pub tcp: TcpListener,
    pub transport: Transport,
}

/// Serves the API on the user listener (and the edge listener, if any) until `shutdown`
/// resolves.
pub async fn serve(
    state: Arc<AppState>,
    user: Listener,
    edge: Option<Listener>,
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
    let history_sync = tokio::spawn(history::task::run(state.clone()));
    let blocklist_schedule = tokio::spawn(blocklists::scheduler::run(state.clone()));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let edge_task = edge.map(|listener| {
        let filter = http::api(state.clone());
        let stop = stopped(stop_rx.clone());
        tokio::spawn(http::server::serve(
            listener.tcp,
            filter,
            listener.transport,
            stop,
        ))
    });
    // Only the user listener serves the dashboard's files (`[ui] dir`); the edge has its own.
    let user_task = http::server::serve(
        user.tcp,
        http::ui::with_dashboard(state.clone()),
        user.transport,
        stopped(stop_rx),
    );
    tokio::pin!(user_task);
    tokio::select! {
        _ = shutdown => {},
        _ = &mut user_task => {},
    }
    let _ = stop_tx.send(true);
    user_task.await;
    if let Some(task) = edge_task {
        let _ = task.await;
    }
    housekeeping.abort();
    history_sync.abort();
    blocklist_schedule.abort();
    state.fail2ban().close_idle().await;
}
