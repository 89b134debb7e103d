//! A sandbox plus an agent whose config-write limit does not get in the way.

use bangui_tests::{Agent, Fail2ban};

pub const REGEX_TEST: &str = "/api/v1/config/regex-test";
pub const PREVIEW_LOG: &str = "/api/v1/config/preview-log";

pub fn start_with(f2b: &Fail2ban) -> Agent {
    Agent::start_with(f2b, |c| {
        c.extra_toml = "[limits]\nconfig = 10000\n".into();
    })
}

pub fn start() -> (Fail2ban, Agent) {
    let f2b = Fail2ban::start();
    let agent = start_with(&f2b);
    (f2b, agent)
}
