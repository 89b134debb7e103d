//! `[blocklists]` of the agent's config file: how lists are fetched and which private hosts
//! may serve them.

use std::time::Duration;

use ipnet::IpNet;
use serde::Deserialize;

use bangui_shared::models::blocklists::{DEFAULT_MAX_ENTRIES, MAX_MAX_ENTRIES};

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct BlocklistsConfig {
    /// Networks a list may be fetched from although they are loopback, private, link-local…
    /// (private mirrors), e.g. `["10.1.2.3/32"]`. Empty: only public addresses.
    pub allow_networks: Vec<IpNet>,
    /// Host names whose addresses may be private (private mirrors), e.g. `["lists.internal"]`.
    pub allow_hosts: Vec<String>,
    /// Deadline for the TCP (and TLS) connection to a list's server.
    pub connect_timeout_secs: u64,
    /// Deadline between two reads of the body.
    pub read_timeout_secs: u64,
    /// Deadline for a whole download.
    pub total_timeout_secs: u64,
    /// Larger bodies are refused.
    pub max_body_bytes: u64,
    /// Extra attempts after a failed download (timeouts, 429, 5xx), with doubling waits.
    pub retries: u32,
    /// The first wait before a retry.
    pub retry_backoff_ms: u64,
    /// `max_entries` of sources created without one.
    pub default_max_entries: u32,
    /// Addresses never banned by an import, in addition to each jail's own ignore list.
    pub ignore: Vec<IpNet>,
}

impl Default for BlocklistsConfig {
    fn default() -> Self {
        Self {
            allow_networks: Vec::new(),
            allow_hosts: Vec::new(),
            connect_timeout_secs: 10,
            read_timeout_secs: 30,
            total_timeout_secs: 300,
            max_body_bytes: 32 * 1024 * 1024,
            retries: 2,
            retry_backoff_ms: 500,
            default_max_entries: DEFAULT_MAX_ENTRIES,
            ignore: Vec::new(),
        }
    }
}

impl BlocklistsConfig {
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout_secs)
    }

    pub fn read_timeout(&self) -> Duration {
        Duration::from_secs(self.read_timeout_secs)
    }

    pub fn total_timeout(&self) -> Duration {
        Duration::from_secs(self.total_timeout_secs)
    }

    /// Checks the values (no I/O); the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        if self.connect_timeout_secs == 0 || self.read_timeout_secs == 0 {
            return Err(
                "blocklists.connect_timeout_secs and read_timeout_secs must be at least 1".into(),
            );
        }
        if self.total_timeout_secs < self.connect_timeout_secs {
            return Err("blocklists.total_timeout_secs must be >= connect_timeout_secs".into());
        }
        if self.max_body_bytes == 0 {
            return Err("blocklists.max_body_bytes must be > 0".into());
        }
        if self.retries > 10 {
            return Err("blocklists.retries must be at most 10".into());
        }
        if !(1..=MAX_MAX_ENTRIES).contains(&self.default_max_entries) {
            return Err(format!(
                "blocklists.default_max_entries must be 1-{MAX_MAX_ENTRIES}"
            ));
        }
        if let Some(h) = self
            .allow_hosts
            .iter()
            .find(|h| h.is_empty() || h.contains(|c: char| c.is_whitespace() || c == '/'))
        {
            return Err(format!(
                "blocklists.allow_hosts entry {h:?} is not a host name"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert!(BlocklistsConfig::default().validate().is_ok());
        let bad = BlocklistsConfig {
            max_body_bytes: 0,
            ..Default::default()
        };
        assert!(bad.validate().unwrap_err().contains("max_body_bytes"));
    }
}
