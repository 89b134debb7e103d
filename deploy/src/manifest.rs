//! `spin.toml` (manifest version 2): the part the dev host runs.
//!
//! Parsed with Spin's field names and `deny_unknown_fields`, so a typo fails here as it would
//! in `spin up`. Fields Spin knows but the dev host does not implement (file glob patterns and
//! `exclude_files`, `key_value_stores`, `sqlite_databases`, `ai_models`, component `dependencies`, inline or
//! remote component sources, `static_response`, the WAGI executor, non-HTTP triggers) are
//! accepted by the parser and refused with a clear error when they are actually used.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::files::{FileMount, FilesError};

/// Why the manifest could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// The file could not be read.
    #[error("cannot read manifest {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed or does not fit the v2 schema.
    #[error("invalid manifest {path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The manifest uses a Spin feature the dev host does not implement.
    #[error("{path}: {what} is not supported by bangui-devhost (real Spin supports it)")]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// The feature.
        what: String,
    },
}

/// The manifest.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Must be 2.
    pub spin_manifest_version: u32,
    /// `[application]`.
    pub application: Application,
    /// `[variables]`: application variables.
    #[serde(default)]
    pub variables: BTreeMap<String, Variable>,
    /// `[[trigger.<type>]]` tables.
    #[serde(default, rename = "trigger")]
    pub triggers: BTreeMap<String, Vec<toml::Table>>,
    /// `[component.<id>]` tables.
    #[serde(default, rename = "component")]
    pub components: BTreeMap<String, Component>,
}

/// `[application]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Application {
    /// Application name.
    pub name: String,
    /// Version.
    #[serde(default)]
    pub version: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Authors.
    #[serde(default)]
    pub authors: Vec<String>,
    /// Compatibility targets (ignored).
    #[serde(default)]
    pub targets: Vec<toml::Value>,
    /// Trigger-global settings (ignored).
    #[serde(default)]
    pub trigger: BTreeMap<String, toml::Table>,
    /// Tool settings (ignored).
    #[serde(default)]
    pub tool: BTreeMap<String, toml::Table>,
}

/// One `[variables]` entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    /// Default value.
    pub default: Option<String>,
    /// Must be supplied from outside.
    #[serde(default)]
    pub required: bool,
    /// Never logged.
    #[serde(default)]
    pub secret: bool,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
}

/// `[component.<id>]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    /// Path of the `.wasm` file, relative to the manifest (remote sources are unsupported).
    pub source: toml::Value,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Component variables: templates over application variables.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// Environment variables for the component.
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// Files to mount: directory mappings only ([`crate::files`]).
    #[serde(default)]
    pub files: Vec<toml::Value>,
    /// Files to exclude from `files` (unsupported).
    #[serde(default)]
    pub exclude_files: Vec<String>,
    /// Deprecated Spin 1 spelling of `allowed_outbound_hosts` (unsupported).
    #[serde(default)]
    pub allowed_http_hosts: Vec<String>,
    /// Where the component may connect to.
    #[serde(default)]
    pub allowed_outbound_hosts: Vec<String>,
    /// Key-value stores (unsupported).
    #[serde(default)]
    pub key_value_stores: Vec<String>,
    /// SQLite databases (unsupported).
    #[serde(default)]
    pub sqlite_databases: Vec<String>,
    /// AI models (unsupported).
    #[serde(default)]
    pub ai_models: Vec<String>,
    /// Compatibility targets (ignored).
    #[serde(default)]
    pub targets: Option<Vec<toml::Value>>,
    /// `[component.<id>.build]` (ignored: build with cargo).
    #[serde(default)]
    pub build: Option<toml::Table>,
    /// Tool settings (ignored).
    #[serde(default)]
    pub tool: BTreeMap<String, toml::Table>,
    /// Dependency configuration inheritance (unsupported together with dependencies).
    #[serde(default)]
    pub dependencies_inherit_configuration: Option<bool>,
    /// Component dependencies (unsupported).
    #[serde(default)]
    pub dependencies: BTreeMap<String, toml::Value>,
    /// Build profiles (ignored).
    #[serde(default)]
    pub profile: BTreeMap<String, toml::Table>,
}

/// One routable `[[trigger.http]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRoute {
    /// The route as written.
    pub route: String,
    /// The component id.
    pub component: String,
}

/// What the host needs from a component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentSpec {
    /// The component id.
    pub id: String,
    /// Absolute or manifest-relative path of the `.wasm` file, resolved.
    pub source: PathBuf,
    /// Component variable templates.
    pub variables: BTreeMap<String, String>,
    /// Environment variables.
    pub environment: BTreeMap<String, String>,
    /// `allowed_outbound_hosts` entries (may hold templates).
    pub allowed_outbound_hosts: Vec<String>,
    /// Directories mounted read-only into the component (`files`).
    pub files: Vec<FileMount>,
}

/// Spin's `KebabId` rule: `-`-separated words, each starting with an ASCII letter, each all
/// lowercase or all uppercase, alphanumeric.
pub fn validate_kebab_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("empty".into());
    }
    if id.contains('_') {
        return Err("words must be separated with '-', not '_'".into());
    }
    for word in id.split('-') {
        let mut chars = word.chars();
        let Some(first) = chars.next() else {
            return Err("'-'-separated words must not be empty".into());
        };
        if !first.is_ascii_alphabetic() {
            return Err(format!(
                "'-'-separated words must start with an ASCII letter; got {first:?}"
            ));
        }
        let upper = first.is_ascii_uppercase();
        for ch in chars {
            if ch.is_ascii_digit() {
                continue;
            }
            if !ch.is_ascii_alphanumeric() {
                return Err(format!(
                    "'-'-separated words may only contain alphanumeric ASCII; got {ch:?}"
                ));
            }
            if ch.is_ascii_uppercase() != upper {
                return Err(format!(
                    "'-'-separated words must be all lowercase or all UPPERCASE; got {word:?}"
                ));
            }
        }
    }
    Ok(())
}

impl Manifest {
    /// Reads and parses `path`.
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses manifest text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ManifestError> {
        let invalid = |message: String| ManifestError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let manifest: Manifest = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        if manifest.spin_manifest_version != 2 {
            return Err(invalid(format!(
                "spin_manifest_version must be 2, got {}",
                manifest.spin_manifest_version
            )));
        }
        for (name, var) in &manifest.variables {
            crate::variables::validate_name(name).map_err(|e| invalid(e.to_string()))?;
            match (&var.default, var.required) {
                (Some(_), true) => {
                    return Err(invalid(format!(
                        "variable {name:?}: a variable with a default may not be required"
                    )))
                }
                (None, false) => {
                    return Err(invalid(format!(
                        "variable {name:?}: a variable without a default must be required"
                    )))
                }
                _ => {}
            }
        }
        for id in manifest.components.keys() {
            validate_kebab_id(id).map_err(|e| invalid(format!("component id {id:?}: {e}")))?;
        }
        Ok(manifest)
    }

    /// The routable HTTP routes in manifest order, after checking that every trigger is an
    /// HTTP trigger the dev host can serve.
    pub fn http_routes(&self, path: &Path) -> Result<Vec<HttpRoute>, ManifestError> {
        let unsupported = |what: String| ManifestError::Unsupported {
            path: path.to_path_buf(),
            what,
        };
        let invalid = |message: String| ManifestError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let mut routes = Vec::new();
        for (kind, triggers) in &self.triggers {
            if kind != "http" {
                return Err(unsupported(format!("the {kind:?} trigger")));
            }
            for trigger in triggers {
                for key in trigger.keys() {
                    match key.as_str() {
                        "route" | "component" | "id" => {}
                        "executor" => {
                            let kind = trigger["executor"]
                                .get("type")
                                .and_then(|t| t.as_str())
                                .unwrap_or("");
                            if kind != "spin" && kind != "http" {
                                return Err(unsupported(format!("executor type {kind:?}")));
                            }
                        }
                        "static_response" => {
                            return Err(unsupported("static_response".to_string()))
                        }
                        other => {
                            return Err(invalid(format!("unknown HTTP trigger field {other:?}")))
                        }
                    }
                }
                let component = match trigger.get("component") {
                    Some(toml::Value::String(id)) => id.clone(),
                    Some(_) => return Err(unsupported("an inline component table".to_string())),
                    None => return Err(invalid("an HTTP trigger needs a component".to_string())),
                };
                if !self.components.contains_key(&component) {
                    return Err(invalid(format!(
                        "trigger references unknown component {component:?}"
                    )));
                }
                match trigger.get("route") {
                    Some(toml::Value::String(route)) => routes.push(HttpRoute {
                        route: route.clone(),
                        component,
                    }),
                    Some(toml::Value::Table(t)) => match t.get("private") {
                        Some(toml::Value::Boolean(true)) if t.len() == 1 => {}
                        _ => {
                            return Err(invalid(format!(
                                "route must be a string pattern or '{{ private = true }}': '{component}' has {t}"
                            )))
                        }
                    },
                    _ => return Err(invalid("an HTTP trigger needs a route".to_string())),
                }
            }
        }
        Ok(routes)
    }

    /// The components used by routes, with everything the host needs, checking that no
    /// unsupported feature is used.
    pub fn component_specs(&self, path: &Path) -> Result<Vec<ComponentSpec>, ManifestError> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let unsupported = |id: &str, what: &str| ManifestError::Unsupported {
            path: path.to_path_buf(),
            what: format!("component {id:?}: {what}"),
        };
        let mut specs = Vec::new();
        for (id, c) in &self.components {
            let files = c
                .files
                .iter()
                .map(|entry| FileMount::parse(entry, dir))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| match e {
                    FilesError::Unsupported(what) => unsupported(id, &what),
                    FilesError::Invalid(message) => ManifestError::Invalid {
                        path: path.to_path_buf(),
                        message: format!("component {id:?}: {message}"),
                    },
                })?;
            if !c.exclude_files.is_empty() {
                return Err(unsupported(id, "exclude_files"));
            }
            if !c.key_value_stores.is_empty() {
                return Err(unsupported(id, "key_value_stores"));
            }
            if !c.sqlite_databases.is_empty() {
                return Err(unsupported(id, "sqlite_databases"));
            }
            if !c.ai_models.is_empty() {
                return Err(unsupported(id, "ai_models"));
            }
            if !c.dependencies.is_empty() {
                return Err(unsupported(id, "dependencies"));
            }
            if !c.allowed_http_hosts.is_empty() {
                return Err(unsupported(
                    id,
                    "allowed_http_hosts (use allowed_outbound_hosts)",
                ));
            }
            let source = match &c.source {
                toml::Value::String(s) => dir.join(s),
                _ => return Err(unsupported(id, "a non-file source")),
            };
            for name in c.variables.keys() {
                crate::variables::validate_name(name).map_err(|e| ManifestError::Invalid {
                    path: path.to_path_buf(),
                    message: format!("component {id:?}: {e}"),
                })?;
            }
            specs.push(ComponentSpec {
                id: id.clone(),
                source,
                variables: c.variables.clone(),
                environment: c.environment.clone(),
                allowed_outbound_hosts: c.allowed_outbound_hosts.clone(),
                files,
            });
        }
        Ok(specs)
    }

    /// The `[variables]` declarations for [`crate::variables::AppVariables::resolve`].
    pub fn variable_decls(&self) -> BTreeMap<String, crate::variables::VariableDecl> {
        self.variables
            .iter()
            .map(|(name, v)| {
                (
                    name.clone(),
                    crate::variables::VariableDecl {
                        default: v.default.clone(),
                        required: v.required,
                        secret: v.secret,
                    },
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
spin_manifest_version = 2

[application]
name = "bangui-edge"
version = "0.1.0"

[variables]
agents = { default = "" }
session_signing_key = { required = true, secret = true }

[[trigger.http]]
route = "/api/v1/bans/..."
component = "bans"

[[trigger.http]]
route = { private = true }
component = "bans"

[component.bans]
source = "target/wasm32-wasip2/release/bans.wasm"
allowed_outbound_hosts = ["https://{{ agent_host }}"]
[component.bans.variables]
agents = "{{ agents }}"
[component.bans.build]
command = "cargo build --target wasm32-wasip2 --release"
"#;

    #[test]
    fn parses_the_subset() {
        let path = Path::new("/app/spin.toml");
        let m = Manifest::parse(GOOD, path).unwrap();
        let routes = m.http_routes(path).unwrap();
        assert_eq!(
            routes,
            [HttpRoute {
                route: "/api/v1/bans/...".into(),
                component: "bans".into()
            }]
        );
        let specs = m.component_specs(path).unwrap();
        assert_eq!(
            specs[0].source,
            Path::new("/app/target/wasm32-wasip2/release/bans.wasm")
        );
        assert!(m.variable_decls()["session_signing_key"].secret);
        assert!(specs[0].files.is_empty());
        let text = GOOD.replace(
            "[component.bans.variables]",
            "files = [{ source = \"web/dist\", destination = \"/\" }]\n[component.bans.variables]",
        );
        let specs = Manifest::parse(&text, path)
            .unwrap()
            .component_specs(path)
            .unwrap();
        assert_eq!(
            specs[0].files,
            [FileMount {
                source: "/app/web/dist".into(),
                destination: "/".into()
            }]
        );
    }

    #[test]
    fn rejects_what_spin_rejects() {
        let path = Path::new("spin.toml");
        for (from, to) in [
            ("spin_manifest_version = 2", "spin_manifest_version = 1"),
            ("name = \"bangui-edge\"", "name = \"x\"\nbogus = 1"),
            ("agents = { default = \"\" }", "Agents = { default = \"\" }"),
            ("agents = { default = \"\" }", "agents = { }"),
            ("[component.bans]", "[component.bans]\nunknown_field = 1"),
        ] {
            let text = GOOD.replace(from, to);
            assert!(Manifest::parse(&text, path).is_err(), "{to}");
        }
    }

    #[test]
    fn unsupported_features_are_refused_when_used() {
        let path = Path::new("spin.toml");
        let specs_with = |line: &str| {
            let text = GOOD.replace(
                "[component.bans.variables]",
                &format!("{line}\n[component.bans.variables]"),
            );
            Manifest::parse(&text, path).unwrap().component_specs(path)
        };
        assert!(matches!(
            specs_with("key_value_stores = [\"default\"]"),
            Err(ManifestError::Unsupported { .. })
        ));
        assert!(matches!(
            specs_with("files = [\"static/**\"]"),
            Err(ManifestError::Unsupported { .. })
        ));
        assert!(matches!(
            specs_with("files = [{ source = \"../up\", destination = \"/\" }]"),
            Err(ManifestError::Invalid { .. })
        ));
        let text = GOOD.replace(
            "component = \"bans\"\n\n[[trigger.http]]",
            "component = \"nope\"\n\n[[trigger.http]]",
        );
        let m = Manifest::parse(&text, path).unwrap();
        assert!(m.http_routes(path).is_err());
    }

    #[test]
    fn kebab_ids() {
        for good in ["bans", "jail-config", "api-v1", "a1", "ABC-def"] {
            validate_kebab_id(good).expect(good);
        }
        for bad in ["", "jail_config", "-a", "a-", "a--b", "1a", "a-1b", "aB"] {
            assert!(validate_kebab_id(bad).is_err(), "{bad}");
        }
    }
}
