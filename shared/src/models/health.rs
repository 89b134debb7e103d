//! `GET /api/v1/health` and `GET /api/v1/dashboard/status`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// Everything works.
    Ok,
    /// fail2ban answers but another component does not.
    Degraded,
    /// fail2ban does not answer.
    Unavailable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fail2banState {
    Online,
    Offline,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentStatus {
    Ok,
    Error,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentHealth {
    pub name: String,
    pub status: ComponentStatus,
    /// What is wrong, when something is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthResponse {
    pub status: HealthStatus,
    pub fail2ban: Fail2banState,
    /// fail2ban's version, when it answers.
    pub version: Option<String>,
    pub components: Vec<ComponentHealth>,
    /// When the certificate of the agent's edge listener expires (RFC 3339); only in answers
    /// to the edge's inventory (`GET /api/v1/hosts`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_expires_at: Option<String>,
}

impl HealthResponse {
    /// Derives the overall status from the components; `fail2ban` is the one that decides
    /// between degraded and unavailable.
    pub fn from_components(version: Option<String>, components: Vec<ComponentHealth>) -> Self {
        let failing = |name: &str| {
            components
                .iter()
                .any(|c| c.name == name && c.status == ComponentStatus::Error)
        };
        let fail2ban = if failing("fail2ban") {
            Fail2banState::Offline
        } else {
            Fail2banState::Online
        };
        let status = if fail2ban == Fail2banState::Offline {
            HealthStatus::Unavailable
        } else if components
            .iter()
            .any(|c| c.status == ComponentStatus::Error)
        {
            HealthStatus::Degraded
        } else {
            HealthStatus::Ok
        };
        Self {
            status,
            fail2ban,
            version,
            components,
            certificate_expires_at: None,
        }
    }

    /// 200 when healthy, 503 otherwise (the body is the same shape either way).
    pub fn http_status(&self) -> u16 {
        if self.status == HealthStatus::Ok {
            200
        } else {
            503
        }
    }
}

/// Counters of the running fail2ban server, summed over its jails.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerStatus {
    pub online: bool,
    pub version: Option<String>,
    pub active_jails: u64,
    pub jails: Vec<String>,
    pub currently_banned: u64,
    pub total_banned: u64,
    pub currently_failed: u64,
    pub total_failed: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerStatusResponse {
    pub status: ServerStatus,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn component(name: &str, ok: bool) -> ComponentHealth {
        ComponentHealth {
            name: name.into(),
            status: if ok {
                ComponentStatus::Ok
            } else {
                ComponentStatus::Error
            },
            detail: None,
        }
    }

    #[test]
    fn overall_status_follows_components() {
        let all_ok = HealthResponse::from_components(
            Some("1.0.2".into()),
            vec![component("fail2ban", true), component("config", true)],
        );
        assert_eq!(
            (all_ok.status, all_ok.http_status()),
            (HealthStatus::Ok, 200)
        );

        let degraded = HealthResponse::from_components(
            None,
            vec![component("fail2ban", true), component("config", false)],
        );
        assert_eq!(
            (degraded.status, degraded.http_status()),
            (HealthStatus::Degraded, 503)
        );

        let down = HealthResponse::from_components(None, vec![component("fail2ban", false)]);
        assert_eq!(down.status, HealthStatus::Unavailable);
        assert_eq!(down.fail2ban, Fail2banState::Offline);
        assert_eq!(
            serde_json::to_value(&down).unwrap()["status"],
            "unavailable"
        );
    }
}
