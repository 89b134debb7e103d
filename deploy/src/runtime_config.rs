//! The subset of Spin's runtime configuration file (`spin up --runtime-config-file FILE`) that
//! the dev host understands: `[[client_tls]]`.
//!
//! The keys and rules are Spin's own (`crates/factor-outbound-networking/src/runtime_config/
//! spin.rs`, identical in v3.x, v4.0.x and main for the keys below; `ca_use_platform_roots`
//! exists since Spin 4):
//!
//! ```toml
//! [[client_tls]]
//! component_ids = ["bans"]              # required, non-empty, kebab-case component ids
//! hosts = ["agent1.internal"]           # required, non-empty; host names only, no ports
//! ca_roots_file = "certs/ca.pem"        # optional PEM bundle, relative to this file
//! ca_use_webpki_roots = false           # optional
//! client_cert_file = "certs/edge.pem"   # optional PEM chain, together with ...
//! client_private_key_file = "certs/edge-key.pem"   # ... the PEM private key
//! ```
//!
//! Unknown keys are errors (Spin uses `deny_unknown_fields`). The first matching
//! (component, host) pair wins. Roots: explicit flags win; with neither flag set, Spin 4 uses the
//! platform roots unless `ca_roots_file` is given. The dev host has no platform verifier and
//! uses the bundled webpki roots wherever Spin would use platform roots.
//!
//! Any other top-level table (key-value stores, SQLite, variable providers, …) is refused with
//! an error: the dev host does not implement it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ClientConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde::Deserialize;

use crate::manifest::validate_kebab_id;

/// Why the runtime configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeConfigError {
    /// The file could not be read.
    #[error("cannot read runtime config {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed or has unknown keys.
    #[error("invalid runtime config {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A `[[client_tls]]` entry is invalid.
    #[error("invalid [[client_tls]] entry {index} in {path}: {message}")]
    ClientTls {
        /// The file.
        path: PathBuf,
        /// Zero-based position of the entry.
        index: usize,
        /// What is wrong.
        message: String,
    },
}

/// One `[[client_tls]]` table, exactly as Spin spells it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ClientTlsToml {
    /// Components this entry applies to.
    pub component_ids: Vec<String>,
    /// Host names (no ports) this entry applies to.
    pub hosts: Vec<String>,
    /// Use the platform's roots (Spin 4 only).
    pub ca_use_platform_roots: Option<bool>,
    /// Use the bundled webpki roots.
    pub ca_use_webpki_roots: Option<bool>,
    /// PEM file with extra CA roots, relative to the runtime-config file.
    pub ca_roots_file: Option<PathBuf>,
    /// PEM certificate chain presented to the server.
    pub client_cert_file: Option<PathBuf>,
    /// PEM private key of `client_cert_file`.
    pub client_private_key_file: Option<PathBuf>,
}

/// The parsed file, before any certificate is read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuntimeConfig {
    /// The file (for messages).
    pub file: PathBuf,
    /// Directory that relative paths are resolved against.
    pub base_dir: PathBuf,
    /// The `[[client_tls]]` entries in file order.
    pub client_tls: Vec<ClientTlsToml>,
}

impl RuntimeConfig {
    /// Reads and parses `path`.
    pub fn load(path: &Path) -> Result<Self, RuntimeConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| RuntimeConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let base_dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Self::parse(&text, base_dir, path)
    }

    /// Parses the file's text; `path` is only used in error messages.
    pub fn parse(text: &str, base_dir: PathBuf, path: &Path) -> Result<Self, RuntimeConfigError> {
        let parse_err = |message: String| RuntimeConfigError::Parse {
            path: path.to_path_buf(),
            message,
        };
        let mut table: toml::Table = toml::from_str(text).map_err(|e| parse_err(e.to_string()))?;
        let client_tls = match table.remove("client_tls") {
            None => Vec::new(),
            Some(value) => value
                .try_into::<Vec<ClientTlsToml>>()
                .map_err(|e| parse_err(format!("[[client_tls]]: {e}")))?,
        };
        if let Some(key) = table.keys().next() {
            return Err(parse_err(format!(
                "`{key}` is not supported by bangui-devhost (only [[client_tls]] is); real Spin may accept it"
            )));
        }
        for (index, entry) in client_tls.iter().enumerate() {
            let err = |message: String| RuntimeConfigError::ClientTls {
                path: path.to_path_buf(),
                index,
                message,
            };
            if entry.component_ids.is_empty() {
                return Err(err("'component_ids' list may not be empty".into()));
            }
            for id in &entry.component_ids {
                validate_kebab_id(id).map_err(|e| err(format!("component id {id:?}: {e}")))?;
            }
            if entry.hosts.is_empty() {
                return Err(err("'hosts' list may not be empty".into()));
            }
            for host in &entry.hosts {
                validate_tls_host(host).map_err(err)?;
            }
            match (&entry.client_cert_file, &entry.client_private_key_file) {
                (Some(_), None) => {
                    return Err(err(
                        "client_cert_file specified without client_private_key_file".into(),
                    ))
                }
                (None, Some(_)) => {
                    return Err(err(
                        "client_private_key_file specified without client_cert_file".into(),
                    ))
                }
                _ => {}
            }
        }
        Ok(Self {
            file: path.to_path_buf(),
            base_dir,
            client_tls,
        })
    }

    /// Reads the certificates and builds one TLS client configuration per entry.
    pub fn build_tls(&self) -> Result<ClientTlsConfigs, RuntimeConfigError> {
        let mut configs = Vec::new();
        let mut by_component: HashMap<String, HashMap<String, usize>> = HashMap::new();
        for (index, entry) in self.client_tls.iter().enumerate() {
            let config =
                self.build_one(entry)
                    .map_err(|message| RuntimeConfigError::ClientTls {
                        path: self.file.clone(),
                        index,
                        message,
                    })?;
            configs.push(Arc::new(config));
            for component in &entry.component_ids {
                let hosts = by_component.entry(component.clone()).or_default();
                for host in &entry.hosts {
                    // First matching (component, host) pair wins.
                    hosts.entry(host.clone()).or_insert(index);
                }
            }
        }
        Ok(ClientTlsConfigs {
            configs,
            by_component,
            default: Arc::new(
                build_client_config(true, Vec::new(), None).map_err(|message| {
                    RuntimeConfigError::Parse {
                        path: self.file.clone(),
                        message,
                    }
                })?,
            ),
        })
    }

    fn build_one(&self, entry: &ClientTlsToml) -> Result<ClientConfig, String> {
        let (platform, webpki) = match (entry.ca_use_platform_roots, entry.ca_use_webpki_roots) {
            (Some(p), Some(w)) => (p, w),
            (Some(p), None) => (p, false),
            (None, Some(w)) => (false, w),
            (None, None) => (entry.ca_roots_file.is_none(), false),
        };
        let roots = match &entry.ca_roots_file {
            Some(file) => load_certs(&self.base_dir.join(file))?,
            None => Vec::new(),
        };
        if !platform && !webpki && roots.is_empty() {
            return Err("at least one of 'ca_use_platform_roots', 'ca_use_webpki_roots', or 'ca_roots_file' must be set".into());
        }
        let client_cert = match (&entry.client_cert_file, &entry.client_private_key_file) {
            (Some(cert), Some(key)) => Some((
                load_certs(&self.base_dir.join(cert))?,
                load_key(&self.base_dir.join(key))?,
            )),
            _ => None,
        };
        build_client_config(platform || webpki, roots, client_cert)
    }
}

/// Spin's `validate_host`: an authority without a port.
fn validate_tls_host(host: &str) -> Result<(), String> {
    let authority: http::uri::Authority = host
        .parse()
        .map_err(|e| format!("invalid TLS 'host' {host:?}: {e}"))?;
    if authority.port().is_some() {
        return Err(format!(
            "invalid TLS 'host' {host:?}; ports not currently supported"
        ));
    }
    Ok(())
}

fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| {
            format!(
                "failed to load certificate(s) from '{}': {e}",
                path.display()
            )
        })?;
    if certs.is_empty() {
        return Err(format!("no certificate found in '{}'", path.display()));
    }
    Ok(certs)
}

fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_file(path)
        .map_err(|e| format!("failed to load key from '{}': {e}", path.display()))
}

fn build_client_config(
    bundled_roots: bool,
    extra_roots: Vec<CertificateDer<'static>>,
    client_cert: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
) -> Result<ClientConfig, String> {
    let mut roots = rustls::RootCertStore::empty();
    if bundled_roots {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    for cert in extra_roots {
        roots
            .add(cert)
            .map_err(|e| format!("invalid CA certificate: {e}"))?;
    }
    let builder =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots);
    let mut config = match client_cert {
        Some((chain, key)) => builder
            .with_client_auth_cert(chain, key)
            .map_err(|e| format!("invalid client certificate or key: {e}"))?,
        None => builder.with_no_client_auth(),
    };
    // The outbound client speaks HTTP/1.1 only.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// TLS client configurations by (component, host), plus the default one.
#[derive(Debug, Clone)]
pub struct ClientTlsConfigs {
    configs: Vec<Arc<ClientConfig>>,
    by_component: HashMap<String, HashMap<String, usize>>,
    default: Arc<ClientConfig>,
}

/// Which TLS client configuration a request uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TlsChoice {
    /// The default: bundled webpki roots, no client certificate.
    Default,
    /// The `[[client_tls]]` entry at this index.
    Entry(usize),
}

impl ClientTlsConfigs {
    /// No `[[client_tls]]` entries.
    pub fn empty() -> Result<Self, String> {
        Ok(Self {
            configs: Vec::new(),
            by_component: HashMap::new(),
            default: Arc::new(build_client_config(true, Vec::new(), None)?),
        })
    }

    /// The configuration for `component` talking to `host` (exact host name, as Spin does).
    pub fn choose(&self, component: &str, host: &str) -> TlsChoice {
        self.by_component
            .get(component)
            .and_then(|hosts| hosts.get(host))
            .map_or(TlsChoice::Default, |i| TlsChoice::Entry(*i))
    }

    /// The rustls configuration for a choice.
    pub fn config(&self, choice: TlsChoice) -> Arc<ClientConfig> {
        match choice {
            TlsChoice::Default => self.default.clone(),
            TlsChoice::Entry(i) => self.configs[i].clone(),
        }
    }

    /// Number of `[[client_tls]]` entries.
    pub fn len(&self) -> usize {
        self.configs.len()
    }

    /// Whether there are no `[[client_tls]]` entries.
    pub fn is_empty(&self) -> bool {
        self.configs.is_empty()
    }

    /// Component ids named in `[[client_tls]]`.
    pub fn component_ids(&self) -> impl Iterator<Item = &str> {
        self.by_component.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<RuntimeConfig, RuntimeConfigError> {
        RuntimeConfig::parse(text, PathBuf::from("."), Path::new("rc.toml"))
    }

    #[test]
    fn spin_keys_parse() {
        let rc = parse(
            r#"
            [[client_tls]]
            component_ids = ["bans", "jails"]
            hosts = ["agent1.internal", "127.0.0.1"]
            ca_use_webpki_roots = false
            ca_roots_file = "certs/ca.pem"
            client_cert_file = "certs/edge.pem"
            client_private_key_file = "certs/edge-key.pem"
            "#,
        )
        .unwrap();
        assert_eq!(rc.client_tls.len(), 1);
        assert_eq!(rc.client_tls[0].component_ids, ["bans", "jails"]);
        assert_eq!(
            rc.client_tls[0].ca_roots_file.as_deref(),
            Some(Path::new("certs/ca.pem"))
        );
        assert!(parse("").unwrap().client_tls.is_empty());
    }

    #[test]
    fn wrong_keys_are_refused() {
        for text in [
            "[[client_tls]]\ncomponent_ids=[\"a\"]\nhosts=[\"h\"]\ncert_chain=\"x\"",
            "[[client_tls]]\ncomponent_ids=[\"a\"]\nhosts=[\"h\"]\nprivate_key=\"x\"",
            "[[client_tls]]\ncomponent_ids=[]\nhosts=[\"h\"]",
            "[[client_tls]]\ncomponent_ids=[\"a\"]\nhosts=[]",
            "[[client_tls]]\ncomponent_ids=[\"a\"]\nhosts=[\"h:8443\"]",
            "[[client_tls]]\ncomponent_ids=[\"a_b\"]\nhosts=[\"h\"]",
            "[[client_tls]]\ncomponent_ids=[\"a\"]\nhosts=[\"h\"]\nclient_cert_file=\"c.pem\"",
            "[key_value_store.default]\ntype=\"spin\"",
        ] {
            assert!(parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn first_matching_pair_wins_and_default_otherwise() {
        let rc = parse(
            r#"
            [[client_tls]]
            component_ids = ["a"]
            hosts = ["h"]
            ca_use_webpki_roots = true
            [[client_tls]]
            component_ids = ["a", "b"]
            hosts = ["h", "g"]
            ca_use_webpki_roots = true
            "#,
        )
        .unwrap();
        let tls = rc.build_tls().unwrap();
        assert_eq!(tls.choose("a", "h"), TlsChoice::Entry(0));
        assert_eq!(tls.choose("a", "g"), TlsChoice::Entry(1));
        assert_eq!(tls.choose("b", "h"), TlsChoice::Entry(1));
        assert_eq!(tls.choose("c", "h"), TlsChoice::Default);
        assert_eq!(tls.choose("a", "H"), TlsChoice::Default);
    }

    #[test]
    fn the_shipped_template_parses() {
        let rc = parse(include_str!("../runtime-config.toml")).unwrap();
        assert_eq!(rc.client_tls.len(), 1);
        assert!(rc.client_tls[0]
            .component_ids
            .iter()
            .any(|c| c == "jail-config"));
        assert_eq!(
            rc.client_tls[0].client_private_key_file.as_deref(),
            Some(Path::new("certs/edge.key"))
        );
    }

    #[test]
    fn no_roots_at_all_is_an_error() {
        let rc = parse(
            "[[client_tls]]\ncomponent_ids=[\"a\"]\nhosts=[\"h\"]\nca_use_webpki_roots=false",
        )
        .unwrap();
        assert!(rc.build_tls().is_err());
    }
}
