//! Bodies of `/api/v1/config/jails*`, `/api/v1/config/filters*` and `/api/v1/config/actions*`:
//! fail2ban's configuration files as the agent reads them (every value with the file and line
//! that set it) and the edits it writes to its own `.local` files.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Where a value comes from: a file relative to the config dir, its line and the section
/// (`DEFAULT` when the jail inherits it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueSource {
    pub file: String,
    pub line: u64,
    pub section: String,
}

/// One effective setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigSetting {
    pub key: String,
    /// The value after `%(...)s` interpolation; `None` when it cannot be interpolated.
    pub value: Option<String>,
    /// The value as written in the file.
    pub raw: String,
    /// `None` for values fail2ban adds itself.
    pub source: Option<ValueSource>,
}

/// A filter or action named by a jail, with its `[...]` parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigReference {
    pub name: String,
    pub params: BTreeMap<String, String>,
}

/// Where a jail, filter or action is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfigOrigin {
    /// A shipped `.conf` file (jail.conf, filter.d/x.conf): never modified by the agent.
    Shipped,
    /// A `.local` (or `jail.d`) file the agent does not own.
    Local,
    /// Only the agent's own `.local` file.
    Agent,
}

// === jails ===

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JailConfigSummary {
    pub name: String,
    pub enabled: bool,
    /// Running in fail2ban now.
    pub running: bool,
    pub filter: Option<String>,
    pub backend: Option<String>,
    pub origin: ConfigOrigin,
    /// Files with a `[name]` section, in the order fail2ban reads them.
    pub defined_in: Vec<String>,
    /// `jail.d/<name>.local` exists.
    pub has_agent_file: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JailConfigListResponse {
    pub items: Vec<JailConfigSummary>,
    pub total: u64,
}

/// Ban time increment settings (`bantime.*`) as configured.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BantimeIncrementConfig {
    pub increment: Option<bool>,
    pub factor: Option<String>,
    pub formula: Option<String>,
    pub multipliers: Option<String>,
    pub max_time: Option<String>,
    pub rnd_time: Option<String>,
    pub overall_jails: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JailConfigDetail {
    pub name: String,
    pub enabled: bool,
    pub running: bool,
    pub origin: ConfigOrigin,
    pub filter: Option<ConfigReference>,
    pub actions: Vec<ConfigReference>,
    pub log_paths: Vec<String>,
    pub backend: Option<String>,
    pub max_retry: Option<i64>,
    pub find_time: Option<String>,
    pub ban_time: Option<String>,
    pub bantime_increment: BantimeIncrementConfig,
    pub ignore_ip: Vec<String>,
    pub port: Option<String>,
    pub protocol: Option<String>,
    /// Every effective setting with its source.
    pub settings: Vec<ConfigSetting>,
    pub defined_in: Vec<String>,
    /// `jail.d/<name>.local`, the only file the agent writes for this jail.
    pub agent_file: String,
    pub has_agent_file: bool,
    /// A previous version exists (`GET .../rollback` restores it).
    pub can_rollback: bool,
    /// Why fail2ban would skip this jail, if it would.
    pub config_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JailConfigDetailResponse {
    pub jail: JailConfigDetail,
}

/// `PUT /config/jails/{name}` and the settings of `POST /config/jails`. Every field is
/// optional; `settings` sets any other jail key (`null` removes it from the agent's file).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JailConfigUpdate {
    pub enabled: Option<bool>,
    /// `name` or `name[param=value, ...]`.
    pub filter: Option<String>,
    /// One entry per action, `name` or `name[param=value, ...]`.
    pub actions: Option<Vec<String>>,
    pub log_paths: Option<Vec<String>>,
    pub backend: Option<String>,
    pub max_retry: Option<u32>,
    pub find_time: Option<String>,
    pub ban_time: Option<String>,
    pub ignore_ip: Option<Vec<String>>,
    pub port: Option<String>,
    pub protocol: Option<String>,
    pub bantime_increment: Option<BantimeIncrementConfig>,
    #[serde(default)]
    pub settings: BTreeMap<String, Option<String>>,
}

// `POST /config/jails` takes the fields of `JailConfigUpdate` plus `name`.

/// One file that takes part in a jail's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigFileEntry {
    /// Relative to the config dir.
    pub path: String,
    pub origin: ConfigOrigin,
    /// It has a `[jail]` section.
    pub defines_jail: bool,
    /// Keys it sets for the jail (its section and the DEFAULT values the jail uses).
    pub keys: Vec<String>,
    /// The agent may write it (only `jail.d/<name>.local`).
    pub writable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigFileListResponse {
    pub jail: String,
    pub files: Vec<ConfigFileEntry>,
    pub agent_file: String,
    pub has_previous_version: bool,
    pub has_committed_version: bool,
}

// === filters ===

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterSummary {
    pub name: String,
    pub origin: ConfigOrigin,
    /// `filter.d/<name>.conf` exists (shipped; cannot be deleted).
    pub shipped: bool,
    pub has_local: bool,
    /// Jails (enabled or not) whose `filter` names it.
    pub used_by: Vec<String>,
    /// Used by a running jail.
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterListResponse {
    pub items: Vec<FilterSummary>,
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterConfig {
    pub name: String,
    pub origin: ConfigOrigin,
    pub shipped: bool,
    pub has_local: bool,
    pub files: Vec<String>,
    pub includes_before: Vec<String>,
    pub includes_after: Vec<String>,
    pub failregex: Vec<String>,
    pub ignoreregex: Vec<String>,
    pub prefregex: Option<String>,
    pub datepattern: Option<String>,
    pub maxlines: Option<String>,
    pub journalmatch: Option<String>,
    /// `[Definition]` settings with sources.
    pub definition: Vec<ConfigSetting>,
    /// `[Init]` parameters with sources.
    pub init: Vec<ConfigSetting>,
    pub used_by: Vec<String>,
    pub active: bool,
}

/// `PUT /config/filters/{name}`: the given fields are written to `filter.d/<name>.local`
/// (`[Definition]`); an empty list or `null` in `definition`/`init` removes the override.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterUpdateRequest {
    pub failregex: Option<Vec<String>>,
    pub ignoreregex: Option<Vec<String>>,
    pub prefregex: Option<String>,
    pub datepattern: Option<String>,
    pub maxlines: Option<u32>,
    pub journalmatch: Option<String>,
    /// Other `[Definition]` keys.
    #[serde(default)]
    pub definition: BTreeMap<String, Option<String>>,
    /// `[Init]` parameters.
    #[serde(default)]
    pub init: BTreeMap<String, Option<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterCreateRequest {
    pub name: String,
    pub failregex: Vec<String>,
    #[serde(default)]
    pub ignoreregex: Vec<String>,
    pub prefregex: Option<String>,
    pub datepattern: Option<String>,
    pub maxlines: Option<u32>,
    pub journalmatch: Option<String>,
}

// === actions ===

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionSummary {
    pub name: String,
    pub origin: ConfigOrigin,
    pub shipped: bool,
    pub has_local: bool,
    pub used_by: Vec<String>,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionListResponse {
    pub items: Vec<ActionSummary>,
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionConfig {
    pub name: String,
    pub origin: ConfigOrigin,
    pub shipped: bool,
    pub has_local: bool,
    pub files: Vec<String>,
    pub includes_before: Vec<String>,
    pub includes_after: Vec<String>,
    /// `actionstart`, `actionban`, ... (`[Definition]`) with sources.
    pub commands: Vec<ConfigSetting>,
    /// `[Init]` parameters with sources.
    pub parameters: Vec<ConfigSetting>,
    pub used_by: Vec<String>,
    pub active: bool,
}

/// `PUT /config/actions/{name}`: `[Definition]` commands and `[Init]` parameters written to
/// `action.d/<name>.local`; `null` removes an override.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionUpdateRequest {
    #[serde(default)]
    pub commands: BTreeMap<String, Option<String>>,
    #[serde(default)]
    pub parameters: BTreeMap<String, Option<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionCreateRequest {
    pub name: String,
    #[serde(default)]
    pub commands: BTreeMap<String, String>,
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
}
