//! Helpers: a sandbox plus an agent with generous write limits, and file access in the
//! sandbox's config dir.

use std::path::PathBuf;

use bangui_tests::{Agent, Fail2ban};

/// A sandbox and a logged-in agent whose config-write limits do not get in the way.
pub fn start() -> (Fail2ban, Agent) {
    let f2b = Fail2ban::start();
    let agent = Agent::start_with(&f2b, |c| {
        c.extra_toml = "[limits]\njail = 1000\nconfig = 1000\n".into();
    });
    (f2b, agent)
}

pub fn path(f2b: &Fail2ban, rel: &str) -> PathBuf {
    f2b.config_dir().join(rel)
}

pub fn read(f2b: &Fail2ban, rel: &str) -> Option<String> {
    std::fs::read_to_string(path(f2b, rel)).ok()
}

/// `fail2ban-client get JAIL KEY`, trimmed.
pub fn get(f2b: &Fail2ban, jail: &str, key: &str) -> String {
    let (code, out) = f2b.client(&["get", jail, key]);
    assert_eq!(code, 0, "get {jail} {key}: {out}");
    out.trim().to_owned()
}

/// The running jails (`fail2ban-client status`).
pub fn jails(f2b: &Fail2ban) -> Vec<String> {
    let (code, out) = f2b.client(&["status"]);
    assert_eq!(code, 0, "status: {out}");
    out.lines()
        .find_map(|l| l.split("Jail list:").nth(1))
        .map(|l| {
            l.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}
