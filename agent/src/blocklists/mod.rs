//! Blocklists: sources of public IP lists, fetched behind an SSRF guard, parsed, checked
//! against ignore lists and banned in batches into a fail2ban jail, now or on a schedule.

pub mod fetch;
pub mod guard;
pub mod import;
pub mod jail;
pub mod parse;
pub mod scheduler;
pub mod settings;
pub mod sources;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

pub use settings::BlocklistsConfig;

use fetch::Fetcher;

/// The running blocklist machinery of an agent.
#[derive(Debug)]
pub struct Blocklists {
    pub fetcher: Fetcher,
    /// Sources being imported right now: one import per source at a time.
    running: Arc<Mutex<HashSet<i64>>>,
    /// Woken when the schedule changes.
    pub schedule_changed: Notify,
}

/// Held while a source is imported; frees the source when dropped (also on panic or cancel).
#[derive(Debug)]
pub struct RunGuard {
    id: i64,
    running: Arc<Mutex<HashSet<i64>>>,
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        if let Ok(mut set) = self.running.lock() {
            set.remove(&self.id);
        }
    }
}

impl Blocklists {
    pub fn new(config: &BlocklistsConfig) -> Self {
        Self {
            fetcher: Fetcher::new(config),
            running: Arc::new(Mutex::new(HashSet::new())),
            schedule_changed: Notify::new(),
        }
    }

    /// Claims source `id` for an import; `None` while another import of it runs.
    pub fn try_start(&self, id: i64) -> Option<RunGuard> {
        let mut set = self.running.lock().unwrap_or_else(|p| p.into_inner());
        set.insert(id).then(|| RunGuard {
            id,
            running: self.running.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_import_per_source() {
        let b = Blocklists::new(&BlocklistsConfig::default());
        let first = b.try_start(1).unwrap();
        assert!(b.try_start(1).is_none());
        assert!(b.try_start(2).is_some());
        drop(first);
        assert!(b.try_start(1).is_some());
    }
}
