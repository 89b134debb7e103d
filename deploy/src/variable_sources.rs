//! `--variable` arguments, read the way Spin (3.5 and later) reads them:
//!
//! - `name=value`: the value itself;
//! - `name=@path`: the whole text of the file at `path`, as it is (a trailing newline included);
//! - `@path.json` or `@path.toml`: a file mapping variable names to string values.
//!
//! The file forms keep a secret off the command line, which every local user can read (`ps`,
//! `/proc/PID/cmdline`), and out of the environment: `bangui-agent certs init` writes the
//! session signing key to a file already. Files are read once, at start-up; for a name given
//! more than once, the last argument wins.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::variables::names_only;

/// One `--variable` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VariableSource {
    /// `name=value`.
    Literal {
        /// The variable.
        name: String,
        /// Its value.
        value: String,
    },
    /// `name=@path`: the file's text is the value.
    FileContent {
        /// The variable.
        name: String,
        /// The file holding its value.
        path: PathBuf,
    },
    /// `@path.json`: an object of names to strings.
    JsonFile(PathBuf),
    /// `@path.toml`: a table of names to strings.
    TomlFile(PathBuf),
}

/// A `--variable` argument that cannot be used. Messages name the argument or file, never a
/// value read from a file.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// Neither `name=…` nor `@file`.
    #[error("--variable {0:?}: expected NAME=VALUE, NAME=@FILE, @FILE.json or @FILE.toml")]
    Form(String),
    /// `@file` whose name ends in neither `.json` nor `.toml`.
    #[error("--variable @{}: a file of variables must end in .json or .toml", .0.display())]
    Extension(PathBuf),
    /// The file cannot be read (or is not UTF-8).
    #[error("cannot read variable file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A `.json` or `.toml` file that is not a flat map of names to strings.
    #[error("variable file {} is not a map of names to strings: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message (position and kind, not the file's text).
        message: String,
    },
}

impl FromStr for VariableSource {
    type Err = SourceError;

    fn from_str(arg: &str) -> Result<Self, SourceError> {
        if let Some(path) = arg.strip_prefix('@') {
            let path = PathBuf::from(path);
            return match path.extension().and_then(|e| e.to_str()) {
                Some("json") => Ok(Self::JsonFile(path)),
                Some("toml") => Ok(Self::TomlFile(path)),
                _ => Err(SourceError::Extension(path)),
            };
        }
        let (name, value) = arg
            .split_once('=')
            .ok_or_else(|| SourceError::Form(arg.to_owned()))?;
        let name = name.to_owned();
        Ok(match value.strip_prefix('@') {
            Some(path) => Self::FileContent {
                name,
                path: PathBuf::from(path),
            },
            None => Self::Literal {
                name,
                value: value.to_owned(),
            },
        })
    }
}

impl VariableSource {
    /// The name-value pairs this argument gives.
    fn read(&self) -> Result<Vec<(String, String)>, SourceError> {
        Ok(match self {
            Self::Literal { name, value } => vec![(name.clone(), value.clone())],
            Self::FileContent { name, path } => vec![(name.clone(), read_text(path)?)],
            Self::JsonFile(path) => {
                let map: HashMap<String, String> = serde_json::from_str(&read_text(path)?)
                    .map_err(|e| parse_error(path, e.to_string()))?;
                map.into_iter().collect()
            }
            Self::TomlFile(path) => {
                // `message()` leaves out the quoted source line, which may hold a secret.
                let map: HashMap<String, String> = toml::from_str(&read_text(path)?)
                    .map_err(|e| parse_error(path, e.message().to_owned()))?;
                map.into_iter().collect()
            }
        })
    }
}

fn read_text(path: &Path) -> Result<String, SourceError> {
    std::fs::read_to_string(path).map_err(|source| SourceError::Read {
        path: path.to_owned(),
        source,
    })
}

fn parse_error(path: &Path, message: String) -> SourceError {
    SourceError::Parse {
        path: path.to_owned(),
        message,
    }
}

/// Every `--variable` argument, read.
#[derive(Clone, Default)]
pub struct Overrides {
    values: HashMap<String, String>,
    literal: BTreeSet<String>,
}

impl fmt::Debug for Overrides {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Overrides")
            .field("names", &names_only(&self.values))
            .field("literal", &self.literal)
            .finish()
    }
}

impl Overrides {
    /// Reads `sources` in order; a later one wins for a name given twice.
    ///
    /// # Errors
    ///
    /// The first file that cannot be read or parsed.
    pub fn read(sources: &[VariableSource]) -> Result<Self, SourceError> {
        let mut overrides = Self::default();
        for source in sources {
            if let VariableSource::Literal { name, .. } = source {
                overrides.literal.insert(name.clone());
            }
            overrides.values.extend(source.read()?);
        }
        Ok(overrides)
    }

    /// Name to value.
    pub fn values(&self) -> &HashMap<String, String> {
        &self.values
    }

    /// The names given as `name=value`, sorted: their values are on the command line.
    pub fn literal_names(&self) -> impl Iterator<Item = &str> {
        self.literal.iter().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(arg: &str) -> VariableSource {
        arg.parse().unwrap()
    }

    #[test]
    fn arguments_take_spins_four_forms() {
        assert_eq!(
            parse("region=eu=west"),
            VariableSource::Literal {
                name: "region".into(),
                value: "eu=west".into()
            }
        );
        assert_eq!(
            parse("key=@/etc/bangui/session.key"),
            VariableSource::FileContent {
                name: "key".into(),
                path: "/etc/bangui/session.key".into()
            }
        );
        assert_eq!(
            parse("@vars.json"),
            VariableSource::JsonFile("vars.json".into())
        );
        assert_eq!(
            parse("@vars.toml"),
            VariableSource::TomlFile("vars.toml".into())
        );
        assert_eq!(
            parse("empty="),
            VariableSource::Literal {
                name: "empty".into(),
                value: String::new()
            }
        );
    }

    #[test]
    fn other_arguments_are_refused_with_the_forms() {
        for arg in ["no-equals", "@vars", "@vars.yaml"] {
            let err = arg.parse::<VariableSource>().unwrap_err().to_string();
            assert!(
                err.contains("NAME=@FILE") || err.contains(".json or .toml"),
                "{arg}: {err}"
            );
        }
    }

    #[test]
    fn files_give_their_values_and_the_last_argument_wins() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("session.key");
        std::fs::write(&key, "k3y-from-file\n").unwrap();
        let json = dir.path().join("vars.json");
        std::fs::write(&json, r#"{"region": "eu", "greeting": "hi"}"#).unwrap();
        let toml = dir.path().join("vars.toml");
        std::fs::write(&toml, "region = \"us\"\n").unwrap();
        let sources = [
            parse("greeting=literal"),
            parse(&format!("@{}", json.display())),
            parse(&format!("@{}", toml.display())),
            parse(&format!("api_token=@{}", key.display())),
            parse("plain=1"),
        ];
        let o = Overrides::read(&sources).unwrap();
        assert_eq!(o.values()["api_token"], "k3y-from-file\n");
        assert_eq!(o.values()["greeting"], "hi");
        assert_eq!(o.values()["region"], "us");
        assert_eq!(o.values()["plain"], "1");
        // `greeting` was on the command line, even though a file later replaced it.
        assert_eq!(o.literal_names().collect::<Vec<_>>(), ["greeting", "plain"]);
        let shown = format!("{o:?}");
        assert!(!shown.contains("k3y"), "{shown}");
    }

    #[test]
    fn unreadable_or_malformed_files_are_named_without_their_content() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.key");
        let err = Overrides::read(&[parse(&format!("k=@{}", missing.display()))])
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing.key"), "{err}");

        let toml = dir.path().join("bad.toml");
        std::fs::write(&toml, "api_token = \"s3cret\" junk\n").unwrap();
        let err = Overrides::read(&[parse(&format!("@{}", toml.display()))])
            .unwrap_err()
            .to_string();
        assert!(err.contains("bad.toml"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");

        let json = dir.path().join("nested.json");
        std::fs::write(&json, r#"{"a": {"b": "c"}}"#).unwrap();
        let err = Overrides::read(&[parse(&format!("@{}", json.display()))])
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a map of names to strings"), "{err}");
    }
}
