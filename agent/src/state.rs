//! Shared state of the running agent: configuration, auth, and the link to fail2ban.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use crate::auth::{Auth, AuthError};
use crate::blocklists::Blocklists;
use crate::config::AgentConfig;
use crate::fail2ban::{Client, Reloader};
use crate::history::History;

#[derive(Debug)]
pub struct AppState {
    pub config: AgentConfig,
    pub auth: Auth,
    /// The ban archive and the geo database.
    pub history: History,
    /// Blocklist downloads and the one-import-per-source claims.
    pub blocklists: Blocklists,
    /// Replaced when setup names another fail2ban socket.
    link: RwLock<Arc<Link>>,
    /// Idle state of jails as last set through this agent: fail2ban 1.0 has no getter for it.
    idle: Mutex<HashMap<String, bool>>,
    /// When the certificate the edge listener presents expires (Unix seconds), if there is one.
    pub edge_cert_expires_at: Option<i64>,
}

#[derive(Debug)]
struct Link {
    client: Arc<Client>,
    reloader: Reloader,
}

impl Link {
    fn new(config: &AgentConfig, socket: &Path) -> Self {
        let f = &config.fail2ban;
        Self {
            client: Arc::new(Client::new(socket, f.command_timeout(), f.max_connections)),
            reloader: Reloader {
                client: f.client.clone(),
                config_dir: f.config_dir.clone(),
                socket: socket.to_owned(),
                timeout: f.reload_timeout(),
            },
        }
    }
}

impl AppState {
    /// Opens the agent's state (database, signing key). The fail2ban socket saved by setup, if
    /// any, wins over the configured one.
    pub fn open(config: AgentConfig) -> Result<Self, AuthError> {
        let auth = Auth::open(&config)?;
        let socket = auth
            .setup_record()
            .and_then(|r| r.fail2ban_socket)
            .map(PathBuf::from)
            .unwrap_or_else(|| config.fail2ban.socket.clone());
        let link = Link::new(&config, &socket);
        let history = History::open(&config)?;
        let blocklists = Blocklists::new(&config.blocklists);
        // An unreadable certificate fails the edge listener's start with the reason.
        let edge_cert_expires_at = config
            .edge
            .cert
            .as_deref()
            .and_then(|c| crate::tls::not_after(c).ok());
        Ok(Self {
            edge_cert_expires_at,
            config,
            auth,
            history,
            blocklists,
            link: RwLock::new(Arc::new(link)),
            idle: Mutex::new(HashMap::new()),
        })
    }

    fn link(&self) -> Arc<Link> {
        match self.link.read() {
            Ok(l) => l.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The fail2ban socket client.
    pub fn fail2ban(&self) -> Arc<Client> {
        self.link().client.clone()
    }

    /// Runs `fail2ban-client reload` against the same socket.
    pub fn reloader(&self) -> Reloader {
        self.link().reloader.clone()
    }

    /// Points the agent at another fail2ban socket (setup).
    pub fn use_socket(&self, socket: &Path) {
        let link = Arc::new(Link::new(&self.config, socket));
        match self.link.write() {
            Ok(mut l) => *l = link,
            Err(poisoned) => *poisoned.into_inner() = link,
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
