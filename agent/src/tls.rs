//! TLS for the listeners (rustls with ring): the user listener's optional HTTPS, and the edge
//! listener's mutual TLS against the fleet CA.

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("TLS certificate {path}: {reason}")]
    Cert { path: String, reason: String },
    #[error("TLS key {path}: {reason}")]
    Key { path: String, reason: String },
    #[error("TLS configuration: {0}")]
    Config(#[from] rustls::Error),
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<_, _>>())
        .map_err(|e| TlsError::Cert {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsError::Cert {
            path: path.display().to_string(),
            reason: "no certificate in the file".into(),
        });
    }
    Ok(certs)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| TlsError::Key {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

/// Builds an acceptor serving `cert` (PEM chain) with `key` (PEM private key).
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(read_certs(cert)?, read_key(key)?)?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// The edge listener's acceptor: client certificates are required and must chain to `ca`.
/// Certificates from another CA, or none, fail the handshake.
pub fn edge_acceptor(ca: &Path, cert: &Path, key: &Path) -> Result<TlsAcceptor, TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    for der in read_certs(ca)? {
        roots.add(der).map_err(|e| TlsError::Cert {
            path: ca.display().to_string(),
            reason: e.to_string(),
        })?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .map_err(|e| TlsError::Cert {
        path: ca.display().to_string(),
        reason: e.to_string(),
    })?;
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(read_certs(cert)?, read_key(key)?)?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// The SAN URIs of a verified client certificate (e.g. `spiffe://bangui/edge`).
pub fn peer_uris(der: &CertificateDer<'_>) -> Vec<String> {
    webpki::EndEntityCert::try_from(der)
        .map(|cert| cert.valid_uri_names().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// When the first certificate in `cert` (PEM) expires, as Unix seconds.
pub fn not_after(cert: &Path) -> Result<i64, TlsError> {
    let der = read_certs(cert)?.remove(0);
    x509_parser::parse_x509_certificate(&der)
        .map(|(_, c)| c.validity().not_after.timestamp())
        .map_err(|e| TlsError::Cert {
            path: cert.display().to_string(),
            reason: format!("cannot read the validity: {e}"),
        })
}
