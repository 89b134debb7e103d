//! The session signing key: read from its file, or generated (mode 0600) on first start.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use bangui_shared::session::MIN_KEY_BYTES;

use super::AuthError;

/// Random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], AuthError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| AuthError::Random(e.to_string()))?;
    Ok(buf)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Loads the key (the file's text, trimmed), creating a random 256-bit one if the file is
/// missing. A key file readable by group or others is refused: it signs every session.
pub fn load_or_create(path: &Path) -> Result<Vec<u8>, AuthError> {
    match std::fs::metadata(path) {
        Ok(meta) => {
            if meta.permissions().mode() & 0o077 != 0 {
                return Err(AuthError::KeyFile {
                    path: path.to_owned(),
                    reason: "is readable by group or others; chmod 600 it".into(),
                });
            }
            let text = std::fs::read_to_string(path).map_err(|e| AuthError::KeyFile {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
            let key = text.trim().as_bytes().to_vec();
            if key.len() < MIN_KEY_BYTES {
                return Err(AuthError::KeyFile {
                    path: path.to_owned(),
                    reason: format!("holds fewer than {MIN_KEY_BYTES} characters"),
                });
            }
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = hex(&random_bytes::<32>()?);
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(|e| AuthError::KeyFile {
                    path: path.to_owned(),
                    reason: format!("cannot create: {e}"),
                })?;
            file.write_all(key.as_bytes())
                .and_then(|_| file.write_all(b"\n"))
                .and_then(|_| file.sync_all())
                .map_err(|e| AuthError::KeyFile {
                    path: path.to_owned(),
                    reason: e.to_string(),
                })?;
            tracing::info!(path = %path.display(), "generated a new session signing key");
            Ok(key.into_bytes())
        }
        Err(e) => Err(AuthError::KeyFile {
            path: path.to_owned(),
            reason: e.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("session.key");
        let first = load_or_create(&path).unwrap();
        assert_eq!(first.len(), 64);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(load_or_create(&path).unwrap(), first);
    }

    #[test]
    fn readable_or_short_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        std::fs::write(&path, "x".repeat(64)).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(load_or_create(&path).is_err());
        std::fs::write(&path, "short").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(load_or_create(&path).is_err());
    }
}
