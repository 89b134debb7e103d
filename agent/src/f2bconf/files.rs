//! The files the agent owns: `jail.d/<name>.local`, `filter.d/<name>.local` and
//! `action.d/<name>.local`. Names are checked, every path is resolved and must stay inside the
//! config dir, writes go through a temp file + fsync + rename (a crash leaves the old or the new
//! file, never a torn one), and each write first saves the version it replaces so it can be
//! rolled back. The last version that fail2ban accepted is kept too (`good`).
//!
//! Versions live in the agent's state dir (`<state>/config-versions/<kind>/`), not in the config
//! dir, so fail2ban never reads them.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The three kinds of files the agent edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Jail,
    Filter,
    Action,
}

impl Kind {
    /// The sub-directory of the config dir.
    pub fn dir(self) -> &'static str {
        match self {
            Self::Jail => "jail.d",
            Self::Filter => "filter.d",
            Self::Action => "action.d",
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            Self::Jail => "jail",
            Self::Filter => "filter",
            Self::Action => "action",
        }
    }
}

/// Which stored version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// The content before the last write.
    Previous,
    /// The content fail2ban last accepted (after a successful commit).
    Good,
}

impl Version {
    fn suffix(self) -> &'static str {
        match self {
            Self::Previous => "prev",
            Self::Good => "good",
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FilesError {
    #[error("invalid {kind} name {name:?}: {why}")]
    BadName {
        kind: &'static str,
        name: String,
        why: &'static str,
    },
    #[error("{path} is outside the config dir {dir}")]
    Outside { path: PathBuf, dir: PathBuf },
    #[error(
        "{path} is a symbolic link or not a regular file; the agent does not write through it"
    )]
    NotRegular { path: PathBuf },
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The longest name accepted.
pub const MAX_NAME_LEN: usize = 64;

/// Checks a jail, filter or action name: 1–64 characters of `[A-Za-z0-9._@-]`, not starting with
/// `.` or `-`, without `..`: no path separators, no hidden files, no traversal.
pub fn check_name(kind: Kind, name: &str) -> Result<(), FilesError> {
    let bad = |why| FilesError::BadName {
        kind: kind.noun(),
        name: name.chars().take(80).collect(),
        why,
    };
    if name.is_empty() {
        return Err(bad("it is empty"));
    }
    if name.chars().count() > MAX_NAME_LEN {
        return Err(bad("it is longer than 64 characters"));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-'))
    {
        return Err(bad("only letters, digits and . _ @ - are allowed"));
    }
    if name.starts_with(['.', '-']) {
        return Err(bad("it must not start with '.' or '-'"));
    }
    if name.contains("..") {
        return Err(bad("it must not contain '..'"));
    }
    Ok(())
}

/// The agent's view of the config dir and of its stored versions.
#[derive(Debug, Clone)]
pub struct ConfigFiles {
    dir: PathBuf,
    versions: PathBuf,
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> FilesError {
    let path = path.to_owned();
    move |source| FilesError::Io {
        action,
        path,
        source,
    }
}

impl ConfigFiles {
    pub fn new(config_dir: &Path, state_dir: &Path) -> Self {
        Self {
            dir: config_dir.to_owned(),
            versions: state_dir.join("config-versions"),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `<dir>/<kind>/<name>.local`, checked to resolve inside the config dir.
    pub fn local_path(&self, kind: Kind, name: &str) -> Result<PathBuf, FilesError> {
        check_name(kind, name)?;
        let sub = self.dir.join(kind.dir());
        let root = fs::canonicalize(&self.dir).map_err(io("resolve", &self.dir))?;
        if !sub.exists() {
            fs::create_dir_all(&sub).map_err(io("create", &sub))?;
        }
        let sub_real = fs::canonicalize(&sub).map_err(io("resolve", &sub))?;
        let path = sub_real.join(format!("{name}.local"));
        if !sub_real.starts_with(&root) || path.parent() != Some(sub_real.as_path()) {
            return Err(FilesError::Outside {
                path,
                dir: self.dir.clone(),
            });
        }
        if let Ok(meta) = fs::symlink_metadata(&path) {
            if !meta.file_type().is_file() {
                return Err(FilesError::NotRegular { path });
            }
        }
        Ok(path)
    }

    /// `<dir>/<kind>/<name>.conf`: the shipped file (never written).
    pub fn conf_path(&self, kind: Kind, name: &str) -> Result<PathBuf, FilesError> {
        check_name(kind, name)?;
        Ok(self.dir.join(kind.dir()).join(format!("{name}.conf")))
    }

    /// The agent file's text, `None` when it does not exist.
    pub fn read_local(&self, kind: Kind, name: &str) -> Result<Option<String>, FilesError> {
        let path = self.local_path(kind, name)?;
        read_opt(&path)
    }

    /// Writes the agent file atomically, saving the replaced version as `Previous`.
    pub fn write_local(&self, kind: Kind, name: &str, text: &str) -> Result<(), FilesError> {
        let path = self.local_path(kind, name)?;
        let old = read_opt(&path)?;
        self.store_version(kind, name, Version::Previous, old.as_deref())?;
        atomic_write(&path, text)
    }

    /// Deletes the agent file, saving it as `Previous`; false when there was none.
    pub fn delete_local(&self, kind: Kind, name: &str) -> Result<bool, FilesError> {
        let path = self.local_path(kind, name)?;
        let Some(old) = read_opt(&path)? else {
            return Ok(false);
        };
        self.store_version(kind, name, Version::Previous, Some(&old))?;
        fs::remove_file(&path).map_err(io("remove", &path))?;
        sync_dir(&path)?;
        Ok(true)
    }

    /// Puts back exactly the given content (`None` removes the file), without touching the
    /// stored versions: used to undo a write that fail2ban refused.
    pub fn restore_exact(
        &self,
        kind: Kind,
        name: &str,
        text: Option<&str>,
    ) -> Result<(), FilesError> {
        let path = self.local_path(kind, name)?;
        match text {
            Some(t) => atomic_write(&path, t),
            None => match fs::remove_file(&path) {
                Ok(()) => sync_dir(&path),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(io("remove", &path)(e)),
            },
        }
    }

    /// A stored version: `None` when there is none, `Some(None)` when the file did not exist.
    pub fn version(
        &self,
        kind: Kind,
        name: &str,
        v: Version,
    ) -> Result<Option<Option<String>>, FilesError> {
        check_name(kind, name)?;
        let base = self.version_path(kind, name, v);
        if let Some(text) = read_opt(&base)? {
            return Ok(Some(Some(text)));
        }
        if self.absent_marker(kind, name, v).exists() {
            return Ok(Some(None));
        }
        Ok(None)
    }

    /// Saves a version (`None`: the file did not exist).
    pub fn store_version(
        &self,
        kind: Kind,
        name: &str,
        v: Version,
        text: Option<&str>,
    ) -> Result<(), FilesError> {
        check_name(kind, name)?;
        let base = self.version_path(kind, name, v);
        let marker = self.absent_marker(kind, name, v);
        if let Some(parent) = base.parent() {
            fs::create_dir_all(parent).map_err(io("create", parent))?;
        }
        match text {
            Some(t) => {
                atomic_write(&base, t)?;
                let _ = fs::remove_file(&marker);
            }
            None => {
                atomic_write(&marker, "")?;
                let _ = fs::remove_file(&base);
            }
        }
        Ok(())
    }

    fn version_path(&self, kind: Kind, name: &str, v: Version) -> PathBuf {
        self.versions
            .join(kind.dir())
            .join(format!("{name}.local.{}", v.suffix()))
    }

    fn absent_marker(&self, kind: Kind, name: &str, v: Version) -> PathBuf {
        self.versions
            .join(kind.dir())
            .join(format!("{name}.local.{}-absent", v.suffix()))
    }

    /// Path relative to the config dir, for messages and bodies.
    pub fn relative(&self, path: &Path) -> String {
        let root = fs::canonicalize(&self.dir).unwrap_or_else(|_| self.dir.clone());
        path.strip_prefix(&root)
            .or_else(|_| path.strip_prefix(&self.dir))
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| path.display().to_string())
    }
}

fn read_opt(path: &Path) -> Result<Option<String>, FilesError> {
    match fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io("read", path)(e)),
    }
}

/// Temp file in the same directory (hidden, so fail2ban's `*.local` globs skip it), written,
/// fsynced, renamed over the target, then the directory fsynced.
pub fn atomic_write(path: &Path, text: &str) -> Result<(), FilesError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{file_name}.tmp-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    let result = (|| {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(io("create", &tmp))?;
        f.write_all(text.as_bytes()).map_err(io("write", &tmp))?;
        f.sync_all().map_err(io("sync", &tmp))?;
        drop(f);
        set_mode(&tmp)?;
        fs::rename(&tmp, path).map_err(io("rename into place", path))?;
        sync_dir(path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn set_mode(path: &Path) -> Result<(), FilesError> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o644)).map_err(io("chmod", path))
}

fn sync_dir(path: &Path) -> Result<(), FilesError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io("sync", dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        for bad in [
            "",
            "../x",
            "a/b",
            ".hidden",
            "-x",
            "a..b",
            &"a".repeat(300),
            "a b",
            "é",
        ] {
            assert!(check_name(Kind::Jail, bad).is_err(), "{bad}");
        }
        for good in ["sshd", "nginx-http-auth", "a.b_c@d", &"a".repeat(64)] {
            assert!(check_name(Kind::Filter, good).is_ok(), "{good}");
        }
    }

    #[test]
    fn write_keeps_the_previous_version_and_is_confined() {
        let cfg = tempfile::tempdir().unwrap();
        let state = tempfile::tempdir().unwrap();
        let files = ConfigFiles::new(cfg.path(), state.path());
        assert_eq!(
            files.version(Kind::Jail, "a", Version::Previous).unwrap(),
            None
        );
        files.write_local(Kind::Jail, "a", "[a]\nx = 1\n").unwrap();
        assert_eq!(
            files.version(Kind::Jail, "a", Version::Previous).unwrap(),
            Some(None)
        );
        files.write_local(Kind::Jail, "a", "[a]\nx = 2\n").unwrap();
        assert_eq!(
            files.version(Kind::Jail, "a", Version::Previous).unwrap(),
            Some(Some("[a]\nx = 1\n".into()))
        );
        assert_eq!(
            files.read_local(Kind::Jail, "a").unwrap().unwrap(),
            "[a]\nx = 2\n"
        );
        // No temp files are left behind.
        let names: Vec<_> = fs::read_dir(cfg.path().join("jail.d"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["a.local"]);
        assert!(files.local_path(Kind::Jail, "../x").is_err());
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_intact() {
        let cfg = tempfile::tempdir().unwrap();
        let path = cfg.path().join("x.local");
        fs::write(&path, "old").unwrap();
        // A directory where the rename must go makes the write fail after the temp file.
        let target = cfg.path().join("dir.local");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("keep"), "x").unwrap();
        assert!(atomic_write(&target, "new").is_err());
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        atomic_write(&path, "new").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        let leftovers: Vec<_> = fs::read_dir(cfg.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn symlinks_are_not_written_through() {
        let cfg = tempfile::tempdir().unwrap();
        let state = tempfile::tempdir().unwrap();
        fs::create_dir(cfg.path().join("filter.d")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", cfg.path().join("filter.d/evil.local")).unwrap();
        let files = ConfigFiles::new(cfg.path(), state.path());
        assert!(matches!(
            files.write_local(Kind::Filter, "evil", "x"),
            Err(FilesError::NotRegular { .. })
        ));
    }
}
