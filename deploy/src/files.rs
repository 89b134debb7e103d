//! A component's `files`: directories of the app mounted read-only into its WASI file system,
//! as Spin's `files = [{ source = "dir", destination = "/" }]` does.
//!
//! Only directory mappings are implemented (Spin's glob-string form would need a copy of the
//! matched files; the manifest is refused with a clear message instead). Sources are relative
//! to the manifest's directory and may not leave it — neither with `..` nor through a symlink.
//! Unlike Spin, a missing source directory is not fatal: the component starts without the
//! mount (and says so in the log), so an app whose UI is not built yet still serves its API.

use std::path::{Component, Path, PathBuf};

/// One `{ source, destination }` entry, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMount {
    /// The host directory (manifest directory joined with the entry's relative source).
    pub source: PathBuf,
    /// The absolute guest path it is mounted at.
    pub destination: String,
}

/// Why a `files` entry cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilesError {
    /// A form Spin accepts but the dev host does not implement.
    #[error("{0} is not supported by bangui-devhost (real Spin supports it)")]
    Unsupported(String),
    /// A malformed or unsafe entry.
    #[error("{0}")]
    Invalid(String),
}

/// A mount that exists on disk, ready to preopen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preopen {
    /// The canonical host directory.
    pub host: PathBuf,
    /// The guest path.
    pub guest: String,
}

impl FileMount {
    /// Parses one `files` entry; `app_dir` is the manifest's directory.
    pub fn parse(entry: &toml::Value, app_dir: &Path) -> Result<Self, FilesError> {
        let table = match entry {
            toml::Value::String(pattern) => {
                return Err(FilesError::Unsupported(format!(
                    "the file pattern {pattern:?} (use a directory mapping: {{ source = \"dir\", destination = \"/\" }})"
                )))
            }
            toml::Value::Table(t) => t,
            other => {
                return Err(FilesError::Invalid(format!(
                    "a files entry must be a string or {{ source, destination }}, not {other}"
                )))
            }
        };
        if let Some(key) = table.keys().find(|k| *k != "source" && *k != "destination") {
            return Err(FilesError::Invalid(format!("unknown files field {key:?}")));
        }
        let field = |name: &str| {
            table.get(name).and_then(|v| v.as_str()).ok_or_else(|| {
                FilesError::Invalid(format!("a files mapping needs a string {name:?}"))
            })
        };
        let (source, destination) = (field("source")?, field("destination")?);
        let inside = Path::new(source)
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
        if source.is_empty() || !inside {
            return Err(FilesError::Invalid(format!(
                "files source {source:?} must be a relative path inside the app directory"
            )));
        }
        if !destination.starts_with('/') || destination.split('/').any(|s| s == "..") {
            return Err(FilesError::Invalid(format!(
                "files destination {destination:?} must be an absolute guest path without '..'"
            )));
        }
        Ok(Self {
            source: app_dir.join(source),
            destination: destination.to_owned(),
        })
    }

    /// The directory to preopen: `Ok(None)` when the source does not exist (yet), an error when
    /// it is not a directory or resolves (through symlinks) outside `app_dir`.
    pub fn preopen(&self, app_dir: &Path) -> Result<Option<Preopen>, FilesError> {
        let host = match self.source.canonicalize() {
            Ok(p) => p,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(FilesError::Invalid(format!(
                    "files source {}: {e}",
                    self.source.display()
                )))
            }
        };
        let root = app_dir.canonicalize().map_err(|e| {
            FilesError::Invalid(format!("app directory {}: {e}", app_dir.display()))
        })?;
        if !host.starts_with(&root) {
            return Err(FilesError::Invalid(format!(
                "files source {} resolves to {}, outside the app directory",
                self.source.display(),
                host.display()
            )));
        }
        if !host.is_dir() {
            return Err(FilesError::Unsupported(format!(
                "files source {} is a file (only directories are mounted)",
                self.source.display()
            )));
        }
        Ok(Some(Preopen {
            host,
            guest: self.destination.clone(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(text: &str) -> toml::Value {
        toml::from_str::<toml::Table>(&format!("files = [{text}]")).unwrap()["files"][0].clone()
    }

    #[test]
    fn parses_directory_mappings() {
        let m = FileMount::parse(
            &entry(r#"{ source = "web/dist", destination = "/" }"#),
            Path::new("/app"),
        )
        .unwrap();
        assert_eq!(m.source, Path::new("/app/web/dist"));
        assert_eq!(m.destination, "/");
    }

    #[test]
    fn refuses_what_it_cannot_or_must_not_mount() {
        let app = Path::new("/app");
        assert!(matches!(
            FileMount::parse(&entry(r#""static/**/*""#), app),
            Err(FilesError::Unsupported(_))
        ));
        for bad in [
            r#"{ source = "../etc", destination = "/" }"#,
            r#"{ source = "/etc", destination = "/" }"#,
            r#"{ source = "a/../../b", destination = "/" }"#,
            r#"{ source = "", destination = "/" }"#,
            r#"{ source = "dist", destination = "relative" }"#,
            r#"{ source = "dist", destination = "/a/../.." }"#,
            r#"{ source = "dist" }"#,
            r#"{ source = "dist", destination = "/", mode = "rw" }"#,
            "1",
        ] {
            assert!(
                matches!(
                    FileMount::parse(&entry(bad), app),
                    Err(FilesError::Invalid(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn preopens_existing_directories_inside_the_app_only() {
        let app = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir(app.path().join("dist")).unwrap();
        std::fs::write(app.path().join("file"), "x").unwrap();
        std::os::unix::fs::symlink(outside.path(), app.path().join("escape")).unwrap();
        let mount = |source: &str| FileMount {
            source: app.path().join(source),
            destination: "/".into(),
        };
        let p = mount("dist").preopen(app.path()).unwrap().unwrap();
        assert_eq!(p.host, app.path().join("dist").canonicalize().unwrap());
        assert_eq!(mount("missing").preopen(app.path()), Ok(None));
        assert!(mount("escape").preopen(app.path()).is_err());
        assert!(mount("file").preopen(app.path()).is_err());
    }
}
