//! The component variables, parsed: the fleet, the signing key and the revalidation window.
//!
//! Read through a lookup function (Spin's `variables::get` in components, a map in tests), in the
//! manner of linkerd's `Strings` trait. A value that cannot be used is a deployment error: the
//! request is answered 500 with a message naming the variable.

use bangui_shared::ApiError;

use crate::hosts::Fleet;

/// Component variable names (lowercase, as Spin requires).
pub const AGENTS: &str = "agents";
pub const CONTROL_AGENT: &str = "control_agent";
pub const SESSION_SIGNING_KEY: &str = "session_signing_key";
pub const SESSION_REVALIDATE_SECONDS: &str = "session_revalidate_seconds";

/// The revalidation window when the variable is unset.
pub const DEFAULT_REVALIDATE_SECONDS: i64 = 60;

/// Everything a request needs from the variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub fleet: Fleet,
    /// The HS256 key (the variable's text, trimmed, as bytes — as the agent reads its key file).
    /// May be empty or short: only protected routes need it, and they answer 500 then.
    pub signing_key: Vec<u8>,
    /// Tokens issued longer ago than this are re-checked with the control agent.
    pub revalidate_after: i64,
}

impl Settings {
    /// Reads the variables through `get` (`None` = unset).
    ///
    /// # Errors
    ///
    /// A 500 `internal_error` naming the variable that cannot be used.
    pub fn load(get: impl Fn(&str) -> Option<String>) -> Result<Self, ApiError> {
        let misconfigured =
            |what: String| ApiError::internal(format!("edge misconfigured: {what}"));
        let fleet = Fleet::parse(
            &get(AGENTS).unwrap_or_default(),
            &get(CONTROL_AGENT).unwrap_or_default(),
        )
        .map_err(|e| misconfigured(e.0))?;
        let revalidate_after = match get(SESSION_REVALIDATE_SECONDS) {
            None => DEFAULT_REVALIDATE_SECONDS,
            Some(v) if v.trim().is_empty() => DEFAULT_REVALIDATE_SECONDS,
            Some(v) => v
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|s| *s >= 0)
                .ok_or_else(|| {
                    misconfigured(format!(
                        "{SESSION_REVALIDATE_SECONDS} is {v:?}, expected whole seconds >= 0"
                    ))
                })?,
        };
        Ok(Self {
            fleet,
            signing_key: get(SESSION_SIGNING_KEY)
                .unwrap_or_default()
                .trim()
                .as_bytes()
                .to_vec(),
            revalidate_after,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(vars: &[(&str, &str)]) -> Result<Settings, ApiError> {
        Settings::load(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn reads_every_variable_with_defaults() {
        let s = load(&[
            ("agents", "a=https://x:1,b=https://y:2"),
            ("control_agent", "b"),
            ("session_signing_key", " k \n"),
        ])
        .unwrap();
        assert_eq!(s.fleet.control().name.as_str(), "b");
        assert_eq!(s.signing_key, b"k");
        assert_eq!(s.revalidate_after, 60);
        let s = load(&[
            ("agents", "a=https://x:1"),
            ("session_revalidate_seconds", "0"),
        ])
        .unwrap();
        assert_eq!(s.revalidate_after, 0);
    }

    #[test]
    fn unusable_values_name_the_variable() {
        let e = load(&[]).unwrap_err();
        assert_eq!(e.status(), 500);
        assert!(e.detail.contains("agents"), "{}", e.detail);
        let e = load(&[
            ("agents", "a=https://x:1"),
            ("session_revalidate_seconds", "-1"),
        ])
        .unwrap_err();
        assert!(
            e.detail.contains("session_revalidate_seconds"),
            "{}",
            e.detail
        );
    }
}
