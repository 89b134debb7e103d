//! The fleet: the agents named by the `agents` variable, which of them is the control agent, and
//! which agents a request goes to.
//!
//! `agents` is a comma-separated `name=url` list (`web1=https://10.0.0.5:8651,web2=https://…`);
//! `control_agent` names the agent that holds app-level state (setup, sessions, map thresholds)
//! and defaults to the first agent. Parsing is pure and checked: a bad list is a deployment error
//! that names the offending entry.

use std::fmt;

use bangui_shared::routes::Route;
use bangui_shared::ApiError;

/// Longest accepted agent name.
pub const MAX_NAME_LEN: usize = 63;

/// The name of one agent in the fleet: 1–63 characters of `[A-Za-z0-9._-]`, starting with a
/// letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostName(String);

/// One agent: its name and the base URL of its edge listener (`https://host:port`, no path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    /// The agent's name, as used in `?host=` and in merged responses.
    pub name: HostName,
    /// `scheme://authority`, without a trailing slash.
    pub url: String,
}

/// The parsed fleet: at least one agent, names unique, one of them the control agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fleet {
    agents: Vec<Agent>,
    control: usize,
}

/// Why the `agents` / `control_agent` variables were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetError(pub String);

/// Where a request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// One agent; its response is returned as it is.
    One(&'a Agent),
    /// Every agent; a fleet view whose answers are merged.
    View,
    /// Every agent; a write whose per-host results are reported.
    Broadcast,
}

/// How the group policy classifies a route (see [`crate::policy`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// App-level state or a host-independent computation: the control agent.
    Control,
    /// A fleet view: every agent.
    View,
    /// Anything else: reads go to the control agent, state changes to every agent.
    Default,
}

// === impl HostName ===

impl HostName {
    /// Checks the name's characters and length.
    pub fn new(name: &str) -> Result<Self, FleetError> {
        let ok_start = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
        let ok_chars = name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !ok_start || !ok_chars || name.len() > MAX_NAME_LEN {
            return Err(FleetError(format!(
                "agent name {name:?} is not 1-{MAX_NAME_LEN} characters of [A-Za-z0-9._-] \
                 starting with a letter or digit"
            )));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HostName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// === impl Agent ===

impl Agent {
    /// The URL's authority (`host:port`).
    pub fn authority(&self) -> &str {
        self.url.split_once("://").map_or("", |(_, a)| a)
    }

    /// `true` for an `https://` agent.
    pub fn is_https(&self) -> bool {
        self.url.starts_with("https://")
    }
}

// === impl Fleet ===

impl Fleet {
    /// Parses the `agents` and `control_agent` variables.
    ///
    /// # Errors
    ///
    /// An empty list, a malformed entry, a duplicate name, a URL that is not
    /// `http(s)://authority`, or a control agent that is not in the list.
    pub fn parse(agents: &str, control_agent: &str) -> Result<Self, FleetError> {
        let mut list: Vec<Agent> = Vec::new();
        for entry in agents.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let Some((name, url)) = entry.split_once('=') else {
                return Err(FleetError(format!(
                    "agents entry {entry:?} is not name=url"
                )));
            };
            let name = HostName::new(name.trim())?;
            let url = parse_url(url.trim())?;
            if list.iter().any(|a| a.name == name) {
                return Err(FleetError(format!("agent {name} is listed twice")));
            }
            list.push(Agent { name, url });
        }
        if list.is_empty() {
            return Err(FleetError(
                "the agents variable lists no agent (expected name=url,name=url)".into(),
            ));
        }
        let control_agent = control_agent.trim();
        let control = if control_agent.is_empty() {
            0
        } else {
            list.iter()
                .position(|a| a.name.as_str() == control_agent)
                .ok_or_else(|| {
                    FleetError(format!(
                        "control_agent {control_agent:?} is not one of the agents ({})",
                        names(&list)
                    ))
                })?
        };
        Ok(Self {
            agents: list,
            control,
        })
    }

    /// Every agent, in the order of the `agents` variable.
    pub fn agents(&self) -> &[Agent] {
        &self.agents
    }

    /// The agent holding app-level state.
    pub fn control(&self) -> &Agent {
        &self.agents[self.control]
    }

    /// `true` for the control agent.
    pub fn is_control(&self, agent: &Agent) -> bool {
        self.control().name == agent.name
    }

    /// The agent named `name`.
    ///
    /// # Errors
    ///
    /// A 400 `invalid_input` (field `host`) naming the known agents.
    pub fn agent(&self, name: &str) -> Result<&Agent, ApiError> {
        self.agents
            .iter()
            .find(|a| a.name.as_str() == name)
            .ok_or_else(|| {
                ApiError::invalid_field(
                    "host",
                    format!(
                        "unknown host {name:?}: this edge knows {}",
                        names(&self.agents)
                    ),
                )
                .with("host", name)
            })
    }

    /// Picks the target of a request: `?host=` names one agent; otherwise the route's reach
    /// decides. A fleet of one agent always answers as that agent, so a one-host fleet looks
    /// exactly like agent-only mode.
    ///
    /// # Errors
    ///
    /// A 400 for an unknown host.
    pub fn target(
        &self,
        route: &Route,
        reach: Reach,
        host: Option<&str>,
    ) -> Result<Target<'_>, ApiError> {
        if let Some(name) = host {
            return self.agent(name).map(Target::One);
        }
        if self.agents.len() == 1 {
            return Ok(Target::One(self.control()));
        }
        Ok(match reach {
            Reach::Control => Target::One(self.control()),
            Reach::View => Target::View,
            Reach::Default if bangui_shared::access::changes_state(route) => Target::Broadcast,
            Reach::Default => Target::One(self.control()),
        })
    }
}

impl fmt::Display for FleetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn names(list: &[Agent]) -> String {
    list.iter()
        .map(|a| a.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `http(s)://authority` with an optional trailing `/`; anything else is refused.
fn parse_url(url: &str) -> Result<String, FleetError> {
    let bad = |why: &str| FleetError(format!("agent URL {url:?} {why}"));
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| bad("has no scheme (expected https://host:port)"))?;
    if scheme != "https" && scheme != "http" {
        return Err(bad("must use https (or http for a plain test agent)"));
    }
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.is_empty()
        || authority
            .chars()
            .any(|c| matches!(c, '/' | '?' | '#' | '@') || c.is_whitespace())
    {
        return Err(bad(
            "must be scheme://host[:port] without path, query or user",
        ));
    }
    Ok(format!("{scheme}://{authority}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bangui_shared::routes::{find, Method};

    fn fleet() -> Fleet {
        Fleet::parse(
            "web1=https://localhost:8651, web2=https://localhost:8652/",
            "",
        )
        .unwrap()
    }

    #[test]
    fn parses_names_urls_and_defaults_control_to_the_first() {
        let f = fleet();
        assert_eq!(f.agents().len(), 2);
        assert_eq!(f.control().name.as_str(), "web1");
        assert_eq!(f.agents()[1].url, "https://localhost:8652");
        assert_eq!(f.agents()[1].authority(), "localhost:8652");
        let f = Fleet::parse("a=https://x:1,b=http://y:2", "b").unwrap();
        assert_eq!(f.control().name.as_str(), "b");
        assert!(!f.control().is_https());
    }

    #[test]
    fn bad_lists_are_refused_with_the_reason() {
        for (agents, control, needle) in [
            ("", "", "lists no agent"),
            ("web1", "", "not name=url"),
            ("web1=ftp://x", "", "https"),
            ("web1=https://x/api", "", "without path"),
            ("web1=https://x,web1=https://y", "", "twice"),
            ("-x=https://x", "", "starting with"),
            ("web1=https://x", "web9", "not one of the agents (web1)"),
        ] {
            let err = Fleet::parse(agents, control).unwrap_err();
            assert!(err.0.contains(needle), "{agents:?}: {err}");
        }
    }

    #[test]
    fn targets_follow_host_reach_and_method() {
        let f = fleet();
        let list = find(Method::Get, "/api/v1/jails").unwrap();
        let ban = find(Method::Post, "/api/v1/bans").unwrap();
        let rollback = find(Method::Get, "/api/v1/config/jails/{name}/rollback").unwrap();
        let web2 = &f.agents()[1];
        assert_eq!(
            f.target(list, Reach::View, Some("web2")),
            Ok(Target::One(web2))
        );
        assert_eq!(f.target(list, Reach::View, None), Ok(Target::View));
        assert_eq!(
            f.target(list, Reach::Default, None),
            Ok(Target::One(f.control()))
        );
        assert_eq!(f.target(ban, Reach::Default, None), Ok(Target::Broadcast));
        assert_eq!(
            f.target(rollback, Reach::Default, None),
            Ok(Target::Broadcast)
        );
        assert_eq!(
            f.target(ban, Reach::Control, None),
            Ok(Target::One(f.control()))
        );
        let err = f.target(list, Reach::View, Some("nope")).unwrap_err();
        assert_eq!(err.status(), 400);
        assert!(err.detail.contains("web1, web2"), "{}", err.detail);
    }

    #[test]
    fn a_fleet_of_one_always_targets_its_agent() {
        let f = Fleet::parse("solo=https://localhost:8651", "solo").unwrap();
        let list = find(Method::Get, "/api/v1/jails").unwrap();
        let ban = find(Method::Post, "/api/v1/bans").unwrap();
        assert_eq!(
            f.target(list, Reach::View, None),
            Ok(Target::One(f.control()))
        );
        assert_eq!(
            f.target(ban, Reach::Default, None),
            Ok(Target::One(f.control()))
        );
    }
}
