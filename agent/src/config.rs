//! The agent's configuration file (TOML). Every key has a default; unknown keys are refused so a
//! typo never silently falls back to a default. Validation here does no I/O.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// Errors reading or validating the configuration file; each names what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("invalid config: {0}")]
    Invalid(String),
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AgentConfig {
    pub listen: ListenConfig,
    pub fail2ban: Fail2banConfig,
    pub server: ServerConfig,
    pub state: StateConfig,
    pub auth: AuthConfig,
    pub limits: LimitsConfig,
    pub edge: EdgeConfig,
    pub history: HistoryConfig,
    pub geo: GeoConfig,
    pub ui: UiConfig,
    /// `[blocklists]`: downloads of blocklist sources.
    pub blocklists: crate::blocklists::BlocklistsConfig,
}

/// The web dashboard in agent-only mode: the built files (`functions/ui/web/dist`) served on
/// the user listener for every non-API `GET`/`HEAD`. Unset = no dashboard (API only).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct UiConfig {
    /// The build output directory (absolute).
    pub dir: Option<PathBuf>,
}

/// The edge listener: HTTPS with required client certificates from the fleet CA. Requests on it
/// are authenticated by the certificate (which must carry `role_uri`), not by a session.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct EdgeConfig {
    /// Address of the edge listener; unset = no edge listener.
    pub address: Option<SocketAddr>,
    /// PEM of the fleet CA that signs edge client certificates.
    pub ca: Option<PathBuf>,
    /// This agent's server certificate chain (PEM), signed by the fleet CA.
    pub cert: Option<PathBuf>,
    /// Its private key (PEM).
    pub key: Option<PathBuf>,
    /// SAN URI a client certificate must carry to act as the edge.
    pub role_uri: String,
}

impl Default for EdgeConfig {
    fn default() -> Self {
        Self {
            address: None,
            ca: None,
            cert: None,
            key: None,
            role_uri: "spiffe://bangui/edge".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ListenConfig {
    /// Address of the user listener (browsers, API clients).
    pub address: SocketAddr,
    /// Largest accepted request body in bytes.
    pub max_body_bytes: u64,
    /// PEM certificate chain: with `tls_key`, the listener speaks HTTPS.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for `tls_cert`.
    pub tls_key: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct StateConfig {
    /// Directory of the agent's own database and generated keys (created 0700).
    pub dir: PathBuf,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// HS256 key for session tokens (at least 32 bytes of text). Generated with mode 0600 on
    /// first start when missing; default `<state.dir>/session.key`. The edge needs the same key.
    pub signing_key_file: Option<PathBuf>,
    /// Mark the session cookie `Secure`. Turn off only for plain-HTTP use on one machine.
    pub cookie_secure: bool,
    /// Direct peers whose `X-Forwarded-For` is believed (reverse proxies), as IPs or CIDRs.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// Request limits per client address. Login: `login_attempts` per `login_window_secs`, plus a
/// growing delay after each consecutive failure. Writes: per bucket, per `window_secs`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    pub login_attempts: u32,
    pub login_window_secs: u64,
    pub window_secs: u64,
    pub ban: u32,
    pub unban: u32,
    pub jail: u32,
    pub config: u32,
    pub import: u32,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Fail2banConfig {
    /// fail2ban's control socket.
    pub socket: PathBuf,
    /// fail2ban's configuration directory (passed to `fail2ban-client -c`).
    pub config_dir: PathBuf,
    /// The `fail2ban-client` binary, used for (re)loading jails: that needs the whole
    /// interpolated config stream, which only fail2ban's own reader builds today.
    pub client: PathBuf,
    /// Deadline for one socket command.
    pub command_timeout_secs: u64,
    /// Deadline for a `fail2ban-client reload`.
    pub reload_timeout_secs: u64,
    /// Socket connections open at once (kept for reuse when idle). fail2ban serves one command
    /// at a time anyway; more connections only queue inside it.
    pub max_connections: usize,
    /// How `POST /config/restart` starts fail2ban after stopping it over the socket (argv, no
    /// shell). Default: `[client, "-c", config_dir, "-s", socket, "start"]`.
    pub start_command: Option<Vec<String>>,
    /// A command that restarts fail2ban by itself, the way the host runs it (e.g.
    /// `["systemctl", "restart", "fail2ban"]`); when set, restart runs only this.
    pub restart_command: Option<Vec<String>>,
    /// fail2ban's pid file; default: `pidfile` of fail2ban.conf/.local `[Definition]`.
    pub pid_file: Option<PathBuf>,
    /// How long a restart waits for fail2ban to answer again.
    pub restart_timeout_secs: u64,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Directories in which fail2ban's log target may be set to a file.
    pub log_dirs: Vec<PathBuf>,
}

impl Default for ListenConfig {
    fn default() -> Self {
        Self {
            address: SocketAddr::from(([127, 0, 0, 1], 8650)),
            max_body_bytes: 1024 * 1024,
            tls_cert: None,
            tls_key: None,
        }
    }
}

impl Default for StateConfig {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("/var/lib/bangui-agent"),
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            signing_key_file: None,
            cookie_secure: true,
            trusted_proxies: Vec::new(),
        }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            login_attempts: 5,
            login_window_secs: 60,
            window_secs: 60,
            ban: 60,
            unban: 60,
            jail: 30,
            config: 20,
            import: 3,
        }
    }
}

impl AuthConfig {
    pub fn signing_key_path(&self, state: &StateConfig) -> PathBuf {
        self.signing_key_file
            .clone()
            .unwrap_or_else(|| state.dir.join("session.key"))
    }
}

impl Default for Fail2banConfig {
    fn default() -> Self {
        Self {
            socket: PathBuf::from("/var/run/fail2ban/fail2ban.sock"),
            config_dir: PathBuf::from("/etc/fail2ban"),
            client: PathBuf::from("fail2ban-client"),
            command_timeout_secs: 10,
            reload_timeout_secs: 60,
            max_connections: 4,
            start_command: None,
            restart_command: None,
            pid_file: None,
            restart_timeout_secs: 10,
        }
    }
}

/// The ban archive synced from fail2ban's database.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct HistoryConfig {
    /// fail2ban's database; default: setup's `database_path`, else fail2ban's `get dbfile`.
    pub fail2ban_db: Option<PathBuf>,
    /// Seconds between syncs (requests also start one when the last is older than 10 s).
    pub sync_interval_secs: u64,
    /// Archived bans older than this are deleted.
    pub retention_days: u64,
    /// How long one read of fail2ban's database waits for fail2ban's write lock.
    pub busy_timeout_ms: u64,
}

/// The local geo database.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct GeoConfig {
    /// A MaxMind DB file; default: `geo-whois-asn-country.mmdb` in the state directory,
    /// `/usr/share/bangui/` or `../geo/` beside the binary, whichever exists.
    pub database: Option<PathBuf>,
}

impl Default for HistoryConfig {
    fn default() -> Self {
        Self {
            fail2ban_db: None,
            sync_interval_secs: 300,
            retention_days: 365,
            busy_timeout_ms: 1000,
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            log_dirs: vec![PathBuf::from("/var/log")],
        }
    }
}

impl Fail2banConfig {
    pub fn command_timeout(&self) -> Duration {
        Duration::from_secs(self.command_timeout_secs)
    }

    pub fn reload_timeout(&self) -> Duration {
        Duration::from_secs(self.reload_timeout_secs)
    }

    pub fn restart_timeout(&self) -> Duration {
        Duration::from_secs(self.restart_timeout_secs)
    }
}

impl AgentConfig {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse_str(&text).map_err(|e| match e {
            ConfigError::Parse { source, .. } => ConfigError::Parse {
                path: path.to_owned(),
                source,
            },
            other => other,
        })
    }

    /// Parses and validates config text (no I/O).
    pub fn parse_str(text: &str) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(text).map_err(|source| ConfigError::Parse {
            path: PathBuf::new(),
            source,
        })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.listen.tls_cert.is_some() != self.listen.tls_key.is_some() {
            return Err(ConfigError::Invalid(
                "listen.tls_cert and listen.tls_key go together: set both or neither".into(),
            ));
        }
        let e = &self.edge;
        if e.address.is_some() && (e.ca.is_none() || e.cert.is_none() || e.key.is_none()) {
            return Err(ConfigError::Invalid(
                "edge.address needs edge.ca, edge.cert and edge.key (run `bangui-agent certs init`)"
                    .into(),
            ));
        }
        if !self.state.dir.is_absolute() {
            return Err(ConfigError::Invalid(format!(
                "state.dir {} must be an absolute path",
                self.state.dir.display()
            )));
        }
        let l = &self.limits;
        if l.login_attempts == 0 || l.login_window_secs == 0 || l.window_secs == 0 {
            return Err(ConfigError::Invalid(
                "limits.login_attempts, login_window_secs and window_secs must be at least 1"
                    .into(),
            ));
        }
        if self.fail2ban.command_timeout_secs == 0 || self.fail2ban.reload_timeout_secs == 0 {
            return Err(ConfigError::Invalid(
                "fail2ban.command_timeout_secs and reload_timeout_secs must be at least 1".into(),
            ));
        }
        let f = &self.fail2ban;
        if f.restart_timeout_secs == 0 {
            return Err(ConfigError::Invalid(
                "fail2ban.restart_timeout_secs must be at least 1".into(),
            ));
        }
        for (key, argv) in [
            ("start_command", &f.start_command),
            ("restart_command", &f.restart_command),
        ] {
            if argv
                .as_ref()
                .is_some_and(|a| a.first().is_none_or(|p| p.trim().is_empty()))
            {
                return Err(ConfigError::Invalid(format!(
                    "fail2ban.{key} needs a program as its first element"
                )));
            }
        }
        if self.listen.max_body_bytes == 0 {
            return Err(ConfigError::Invalid(
                "listen.max_body_bytes must be > 0".into(),
            ));
        }
        let h = &self.history;
        if h.sync_interval_secs == 0 || h.retention_days == 0 || h.busy_timeout_ms == 0 {
            return Err(ConfigError::Invalid(
                "history.sync_interval_secs, retention_days and busy_timeout_ms must be at least 1"
                    .into(),
            ));
        }
        if let Some(dir) = self.ui.dir.as_ref().filter(|d| !d.is_absolute()) {
            return Err(ConfigError::Invalid(format!(
                "ui.dir {} must be an absolute path",
                dir.display()
            )));
        }
        self.blocklists.validate().map_err(ConfigError::Invalid)?;
        for dir in &self.server.log_dirs {
            if !dir.is_absolute() {
                return Err(ConfigError::Invalid(format!(
                    "server.log_dirs entry {} must be an absolute path",
                    dir.display()
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_defaults() {
        assert_eq!(AgentConfig::parse_str("").unwrap(), AgentConfig::default());
    }

    #[test]
    fn keys_override_defaults() {
        let c = AgentConfig::parse_str(
            "[listen]\naddress = \"127.0.0.1:0\"\n[fail2ban]\nsocket = \"/tmp/x.sock\"\ncommand_timeout_secs = 2\n",
        )
        .unwrap();
        assert_eq!(c.listen.address.port(), 0);
        assert_eq!(c.fail2ban.socket, PathBuf::from("/tmp/x.sock"));
        assert_eq!(c.fail2ban.command_timeout(), Duration::from_secs(2));
        assert_eq!(c.fail2ban.config_dir, PathBuf::from("/etc/fail2ban"));
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = AgentConfig::parse_str("[listen]\nadress = \"127.0.0.1:1\"\n").unwrap_err();
        assert!(err.to_string().contains("adress"), "{err}");
    }

    #[test]
    fn tls_needs_cert_and_key() {
        let err = AgentConfig::parse_str("[listen]\ntls_cert = \"/x.pem\"\n").unwrap_err();
        assert!(err.to_string().contains("tls_key"), "{err}");
        assert!(AgentConfig::parse_str(
            "[listen]\naddress = \"0.0.0.0:8650\"\ntls_cert = \"/c.pem\"\ntls_key = \"/k.pem\"\n"
        )
        .is_ok());
    }

    #[test]
    fn limits_and_proxies_parse() {
        let c = AgentConfig::parse_str(
            "[limits]\nban = 5\n[auth]\ntrusted_proxies = [\"10.0.0.0/8\", \"::1/128\"]\ncookie_secure = false\n",
        )
        .unwrap();
        assert_eq!(c.limits.ban, 5);
        assert_eq!(c.limits.login_attempts, 5);
        assert_eq!(c.auth.trusted_proxies.len(), 2);
        assert!(!c.auth.cookie_secure);
        assert_eq!(
            c.auth.signing_key_path(&c.state),
            PathBuf::from("/var/lib/bangui-agent/session.key")
        );
    }

    #[test]
    fn history_and_geo_sections_parse_and_validate() {
        let c = AgentConfig::parse_str(
            "[history]\nretention_days = 30\n[geo]\ndatabase = \"/srv/geo.mmdb\"\n",
        )
        .unwrap();
        assert_eq!(c.history.retention_days, 30);
        assert_eq!(c.history.sync_interval_secs, 300);
        assert_eq!(c.geo.database, Some(PathBuf::from("/srv/geo.mmdb")));
        assert!(AgentConfig::parse_str("[history]\nsync_interval_secs = 0\n").is_err());
    }

    #[test]
    fn service_commands_parse_and_must_name_a_program() {
        let c = AgentConfig::parse_str(
            "[fail2ban]\nrestart_command = [\"systemctl\", \"restart\", \"fail2ban\"]\npid_file = \"/run/f2b.pid\"\n",
        )
        .unwrap();
        assert_eq!(
            c.fail2ban.restart_command.as_deref().unwrap()[0],
            "systemctl"
        );
        assert_eq!(c.fail2ban.restart_timeout(), Duration::from_secs(10));
        assert!(AgentConfig::parse_str("[fail2ban]\nstart_command = []\n").is_err());
        assert!(AgentConfig::parse_str("[fail2ban]\nrestart_timeout_secs = 0\n").is_err());
    }

    #[test]
    fn ui_dir_is_optional_and_absolute() {
        assert_eq!(AgentConfig::default().ui.dir, None);
        let c = AgentConfig::parse_str("[ui]\ndir = \"/srv/ui/dist\"\n").unwrap();
        assert_eq!(c.ui.dir, Some(PathBuf::from("/srv/ui/dist")));
        assert!(AgentConfig::parse_str("[ui]\ndir = \"dist\"\n").is_err());
    }

    #[test]
    fn relative_log_dirs_are_refused() {
        assert!(AgentConfig::parse_str("[server]\nlog_dirs = [\"var/log\"]\n").is_err());
    }
}
