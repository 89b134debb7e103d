//! The Spin component for the `config` router group. It serves `/api/v1/config/...` (not jails,
//! filters or actions): global config, reload, restart, regex tester, log preview, map thresholds,
//! fail2ban log, service status.
//!
//! Only the group's policy lives here; the request flow is `bangui_edge`'s.

use bangui_edge::{control, Group, Method, Policy};

/// Map colour thresholds are app-level state and the regex tester and log preview compute the
/// same answer anywhere: those go to the control agent. Other reads go to the control agent
/// unless `?host=` names another; changes without `?host=` go to every agent.
static POLICY: Policy = Policy {
    group: Group::Config,
    app_level: false,
    rules: &[
        control(Method::Get, "/api/v1/config/map-color-thresholds"),
        control(Method::Put, "/api/v1/config/map-color-thresholds"),
        control(Method::Post, "/api/v1/config/regex-test"),
        control(Method::Post, "/api/v1/config/preview-log"),
    ],
    inventory: false,
};

bangui_edge::component!(POLICY);
