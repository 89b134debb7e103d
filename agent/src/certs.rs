//! `bangui-agent certs init`: the fleet's certificates and the files that use them.
//!
//! One fleet CA signs the edge's client certificate (SAN URI = the edge role) and one server
//! certificate per agent. The same run writes the session signing key shared by the control
//! agent and the edge, a Spin `runtime-config.toml` whose `[[client_tls]]` makes the edge
//! components present the client certificate, and an `[edge]` config snippet per agent.

use std::fs::OpenOptions;
use std::io::Write;
use std::net::IpAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use chrono::{Datelike, Duration, Utc};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};

use crate::auth::keys;

#[derive(Debug, thiserror::Error)]
pub enum CertsError {
    #[error("{0} already exists; pass --force to replace the fleet's certificates")]
    Exists(PathBuf),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("invalid input: {0}")]
    Invalid(String),
    #[error(transparent)]
    Key(#[from] crate::auth::AuthError),
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct InitOptions {
    pub out: PathBuf,
    /// Agent names; each gets `agent-<name>.pem/.key` and `agent-<name>.toml`.
    pub agents: Vec<String>,
    /// DNS names and IPs the agents' server certificates are valid for.
    pub hosts: Vec<String>,
    /// Spin component ids that present the client certificate.
    pub component_ids: Vec<String>,
    pub edge_role: String,
    pub valid_days: i64,
    pub force: bool,
}

/// Files written, for the report printed to the admin.
#[derive(Debug, Default)]
pub struct Written(pub Vec<PathBuf>);

fn validity(params: &mut CertificateParams, days: i64) {
    let from = Utc::now() - Duration::days(1);
    let until = Utc::now() + Duration::days(days);
    params.not_before = rcgen::date_time_ymd(from.year(), from.month() as u8, from.day() as u8);
    params.not_after = rcgen::date_time_ymd(until.year(), until.month() as u8, until.day() as u8);
}

fn san(host: &str) -> Result<SanType, CertsError> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    let name = host
        .to_owned()
        .try_into()
        .map_err(|_| CertsError::Invalid(format!("{host:?} is not a DNS name or IP")))?;
    Ok(SanType::DnsName(name))
}

fn uri(text: &str) -> Result<SanType, CertsError> {
    let ia5 = text
        .to_owned()
        .try_into()
        .map_err(|_| CertsError::Invalid(format!("{text:?} is not a valid URI")))?;
    Ok(SanType::URI(ia5))
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Writes a file; keys get mode 0600. Refuses to replace files unless `force`.
fn write(
    path: &Path,
    text: &str,
    secret: bool,
    force: bool,
    written: &mut Written,
) -> Result<(), CertsError> {
    if path.exists() && !force {
        return Err(CertsError::Exists(path.to_owned()));
    }
    let err = |source| CertsError::Write {
        path: path.to_owned(),
        source,
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(if secret { 0o600 } else { 0o644 })
        .open(path)
        .map_err(err)?;
    file.write_all(text.as_bytes()).map_err(err)?;
    file.sync_all().map_err(err)?;
    written.0.push(path.to_owned());
    Ok(())
}

fn toml_str(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

pub fn init(opts: &InitOptions) -> Result<Written, CertsError> {
    if opts.agents.is_empty() || !opts.agents.iter().all(|a| valid_name(a)) {
        return Err(CertsError::Invalid(
            "agent names: one or more of letters, digits, '-' and '_'".into(),
        ));
    }
    if opts.component_ids.is_empty() || opts.hosts.is_empty() {
        return Err(CertsError::Invalid(
            "need at least one host and one component id".into(),
        ));
    }
    std::fs::create_dir_all(&opts.out).map_err(|source| CertsError::Write {
        path: opts.out.clone(),
        source,
    })?;
    let out = |name: &str| opts.out.join(name);
    if out("ca.pem").exists() && !opts.force {
        return Err(CertsError::Exists(out("ca.pem")));
    }
    let mut written = Written::default();

    // The fleet CA: only ever signs the certificates below.
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "BanGUI fleet CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    validity(&mut ca_params, opts.valid_days * 3);
    let ca_key = KeyPair::generate()?;
    let ca_key_pem = ca_key.serialize_pem();
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key)?;
    write(&out("ca.pem"), &ca.pem(), false, opts.force, &mut written)?;
    write(&out("ca.key"), &ca_key_pem, true, opts.force, &mut written)?;

    // The edge's client certificate: the role travels as a SAN URI.
    let mut edge = CertificateParams::new(Vec::<String>::new())?;
    edge.distinguished_name
        .push(DnType::CommonName, "BanGUI edge");
    edge.subject_alt_names = vec![uri(&opts.edge_role)?];
    edge.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    edge.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    validity(&mut edge, opts.valid_days);
    let edge_key = KeyPair::generate()?;
    let edge_cert = edge.signed_by(&edge_key, &ca)?;
    write(
        &out("edge.pem"),
        &edge_cert.pem(),
        false,
        opts.force,
        &mut written,
    )?;
    write(
        &out("edge.key"),
        &edge_key.serialize_pem(),
        true,
        opts.force,
        &mut written,
    )?;

    // The session signing key the control agent and the edge share.
    let session_key = keys::hex(&keys::random_bytes::<32>()?);
    write(
        &out("session.key"),
        &format!("{session_key}\n"),
        true,
        opts.force,
        &mut written,
    )?;

    for name in &opts.agents {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params
            .distinguished_name
            .push(DnType::CommonName, format!("BanGUI agent {name}"));
        params.subject_alt_names = opts
            .hosts
            .iter()
            .map(|h| san(h))
            .chain(std::iter::once(uri(&format!(
                "spiffe://bangui/agent/{name}"
            ))))
            .collect::<Result<_, _>>()?;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        validity(&mut params, opts.valid_days);
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &ca)?;
        let (pem, key_file) = (format!("agent-{name}.pem"), format!("agent-{name}.key"));
        write(&out(&pem), &cert.pem(), false, opts.force, &mut written)?;
        write(
            &out(&key_file),
            &key.serialize_pem(),
            true,
            opts.force,
            &mut written,
        )?;
        let snippet = format!(
            "# Edge listener of agent {name} (add to its agent.toml; pick the port).\n\
             [edge]\naddress = \"0.0.0.0:8651\"\nca = {}\ncert = {}\nkey = {}\nrole_uri = {}\n\n\
             # The control agent signs sessions with the key the edge verifies them with.\n\
             [auth]\nsigning_key_file = {}\n",
            toml_str(&out("ca.pem").display().to_string()),
            toml_str(&out(&pem).display().to_string()),
            toml_str(&out(&key_file).display().to_string()),
            toml_str(&opts.edge_role),
            toml_str(&out("session.key").display().to_string()),
        );
        write(
            &out(&format!("agent-{name}.toml")),
            &snippet,
            false,
            opts.force,
            &mut written,
        )?;
    }

    // Spin reads these paths relative to the runtime-config file, so they are bare names.
    let ids: Vec<String> = opts.component_ids.iter().map(|i| toml_str(i)).collect();
    let hosts: Vec<String> = opts
        .hosts
        .iter()
        .filter(|h| h.parse::<IpAddr>().is_err())
        .map(|h| toml_str(h))
        .collect();
    let runtime = format!(
        "# Spin runtime config: the edge components present the edge certificate to the agents\n\
         # and trust only the fleet CA. Use with `spin up --runtime-config-file <this file>`.\n\
         [[client_tls]]\ncomponent_ids = [{}]\nhosts = [{}]\nca_use_webpki_roots = false\n\
         ca_roots_file = \"ca.pem\"\nclient_cert_file = \"edge.pem\"\nclient_private_key_file = \"edge.key\"\n",
        ids.join(", "),
        hosts.join(", "),
    );
    write(
        &out("runtime-config.toml"),
        &runtime,
        false,
        opts.force,
        &mut written,
    )?;
    Ok(written)
}

/// The ids of a Spin manifest's components that may reach other hosts (a non-empty
/// `allowed_outbound_hosts`): only those get the edge's client certificate.
pub fn component_ids(spin_toml: &str) -> Result<Vec<String>, CertsError> {
    let doc: toml::Table = spin_toml
        .parse()
        .map_err(|e| CertsError::Invalid(format!("spin.toml: {e}")))?;
    let ids: Vec<String> = doc
        .get("component")
        .and_then(|c| c.as_table())
        .map(|t| {
            t.iter()
                .filter(|(_, c)| {
                    c.get("allowed_outbound_hosts")
                        .and_then(|h| h.as_array())
                        .is_some_and(|h| !h.is_empty())
                })
                .map(|(id, _)| id.clone())
                .collect()
        })
        .unwrap_or_default();
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::CertificateDer;

    fn options(out: PathBuf) -> InitOptions {
        InitOptions {
            out,
            agents: vec!["web1".into(), "web2".into()],
            hosts: vec!["localhost".into(), "127.0.0.1".into()],
            component_ids: vec!["jails".into(), "jail-config".into()],
            edge_role: "spiffe://bangui/edge".into(),
            valid_days: 365,
            force: false,
        }
    }

    #[test]
    fn init_writes_a_consistent_fleet_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let opts = options(dir.path().join("fleet"));
        let written = init(&opts).unwrap();
        assert!(written.0.len() >= 12);
        let read = |n: &str| std::fs::read_to_string(opts.out.join(n)).unwrap();
        // The edge cert carries the role; agent certs carry their own identity.
        let edge = CertificateDer::from_pem_slice(read("edge.pem").as_bytes()).unwrap();
        assert_eq!(crate::tls::peer_uris(&edge), ["spiffe://bangui/edge"]);
        let web1 = CertificateDer::from_pem_slice(read("agent-web1.pem").as_bytes()).unwrap();
        assert_eq!(crate::tls::peer_uris(&web1), ["spiffe://bangui/agent/web1"]);
        // The expiry the agent reports to the edge's inventory: `valid_days` from today.
        let expires = crate::tls::not_after(&opts.out.join("agent-web1.pem")).unwrap();
        let days = (expires - Utc::now().timestamp()) / 86_400;
        assert!(
            (opts.valid_days - 1..=opts.valid_days).contains(&days),
            "{days}"
        );
        // Keys are private.
        use std::os::unix::fs::PermissionsExt;
        for key in ["ca.key", "edge.key", "agent-web2.key", "session.key"] {
            let mode = std::fs::metadata(opts.out.join(key))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{key}");
        }
        let runtime = read("runtime-config.toml");
        assert!(
            runtime.contains("component_ids = [\"jails\", \"jail-config\"]"),
            "{runtime}"
        );
        assert!(runtime.contains("hosts = [\"localhost\"]"), "{runtime}");
        assert!(read("agent-web2.toml").contains("agent-web2.pem"));
        assert!(matches!(init(&opts), Err(CertsError::Exists(_))));
        let forced = InitOptions {
            force: true,
            ..opts
        };
        assert!(init(&forced).is_ok());
    }

    #[test]
    fn component_ids_are_the_manifests_components_that_reach_out() {
        let ids = component_ids(
            "spin_manifest_version = 2\n\
             [component.jails]\nsource = \"a.wasm\"\nallowed_outbound_hosts = [\"https://a:1\"]\n\
             [component.jail-config]\nsource = \"b.wasm\"\nallowed_outbound_hosts = [\"https://a:1\"]\n\
             [component.ui]\nsource = \"c.wasm\"\n\
             [component.quiet]\nsource = \"d.wasm\"\nallowed_outbound_hosts = []\n",
        )
        .unwrap();
        assert_eq!(ids, ["jail-config", "jails"]);
    }
}
