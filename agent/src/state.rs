//! Shared state of the running agent: configuration and the fail2ban connections.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::config::AgentConfig;
use crate::fail2ban::{Client, Reloader};

#[derive(Debug)]
pub struct AppState {
    pub config: AgentConfig,
    pub fail2ban: Client,
    pub reloader: Reloader,
    /// Idle state of jails as last set through this agent: fail2ban 1.0 has no getter for it.
    idle: Mutex<HashMap<String, bool>>,
}

impl AppState {
    pub fn new(config: AgentConfig) -> Self {
        let f = &config.fail2ban;
        let fail2ban = Client::new(&f.socket, f.command_timeout(), f.max_idle_connections);
        let reloader = Reloader {
            client: f.client.clone(),
            config_dir: f.config_dir.clone(),
            socket: f.socket.clone(),
            timeout: f.reload_timeout(),
        };
        Self {
            config,
            fail2ban,
            reloader,
            idle: Mutex::new(HashMap::new()),
        }
    }

    pub fn is_idle(&self, jail: &str) -> bool {
        self.idle
            .lock()
            .map(|m| m.get(jail).copied().unwrap_or(false))
            .unwrap_or(false)
    }

    pub fn set_idle(&self, jail: &str, idle: bool) {
        if let Ok(mut m) = self.idle.lock() {
            if idle {
                m.insert(jail.to_owned(), true);
            } else {
                m.remove(jail);
            }
        }
    }

    /// A (re)load or stop starts jails fresh, not idle.
    pub fn forget_idle(&self, jail: Option<&str>) {
        if let Ok(mut m) = self.idle.lock() {
            match jail {
                Some(j) => {
                    m.remove(j);
                }
                None => m.clear(),
            }
        }
    }
}
