//! Spin variables: names, `{{ var }}` templates, application variables and the values each
//! component sees through `fermyon:spin/variables@2.0.0`.
//!
//! Rules follow Spin's `spin-expressions` and `spin-variables-env` crates:
//! - a name is lowercase ASCII letters, digits and single underscores, starts with a letter and
//!   ends with a letter or digit (`agent_url`, `session_signing_key`);
//! - a template is literal text with `{{ name }}` expressions naming *application* variables;
//! - an application variable's value comes from, in order: `--variable` (`name=value`,
//!   `name=@FILE` or a file of several, see [`crate::variable_sources`]), the
//!   environment variable `SPIN_VARIABLE_<NAME UPPERCASED>`, the manifest `default`. A variable
//!   without any value is an error at start-up when it is `required`.
//!
//! Values are resolved once at start-up (they cannot change while the host runs). Secret values
//! are never logged; nothing in this module logs values at all.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// An invalid variable name, template or unresolvable variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VariableError {
    /// The name breaks Spin's naming rules.
    #[error("invalid variable name: {0}")]
    InvalidName(String),
    /// The template is malformed or names an unknown application variable.
    #[error("invalid variable template: {0}")]
    InvalidTemplate(String),
    /// The component has no such variable.
    #[error("{0}")]
    Undefined(String),
    /// No value could be found for a required application variable.
    #[error("no provider resolved required variable(s): {0:?}")]
    Unresolved(Vec<String>),
}

/// Checks a variable name against Spin's rules (`spin_expressions::Key::validate`).
pub fn validate_name(key: &str) -> Result<(), VariableError> {
    let reason = if key.is_empty() {
        Some("must not be empty".to_string())
    } else if let Some(invalid) = key
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
    {
        Some(format!(
            "invalid character {invalid:?}. Variable names may contain only lower-case letters, numbers, and underscores."
        ))
    } else if !key.as_bytes()[0].is_ascii_lowercase() {
        Some("must start with a lowercase ASCII letter".to_string())
    } else if !key.as_bytes()[key.len() - 1].is_ascii_alphanumeric() {
        Some("must end with a lowercase ASCII letter or digit".to_string())
    } else if key.contains("__") {
        Some("must not contain multiple consecutive underscores".to_string())
    } else {
        None
    };
    match reason {
        Some(reason) => Err(VariableError::InvalidName(format!("{key:?}: {reason}"))),
        None => Ok(()),
    }
}

/// The environment variable that overrides application variable `name`.
pub fn env_name(name: &str) -> String {
    format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase())
}

/// A string with `{{ name }}` expressions (Spin's `spin_expressions::Template`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Lit(String),
    Expr(String),
}

impl Template {
    /// Splits `template` into literal text and expressions; an unmatched `{{` is an error.
    pub fn parse(template: &str) -> Result<Self, VariableError> {
        let mut parts = Vec::new();
        let mut rest = template;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix("{{") {
                let Some((expr, tail)) = after.split_once("}}") else {
                    return Err(VariableError::InvalidTemplate(
                        "unmatched '{{' in template".to_string(),
                    ));
                };
                parts.push(Part::Expr(expr.trim().to_string()));
                rest = tail;
            } else {
                let end = rest.find("{{").unwrap_or(rest.len());
                parts.push(Part::Lit(rest[..end].to_string()));
                rest = &rest[end..];
            }
        }
        Ok(Self { parts })
    }

    /// True when the template has no expressions.
    pub fn is_literal(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Lit(_)))
    }

    /// The variable names used by the template's expressions.
    pub fn expressions(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Expr(e) => Some(e.as_str()),
            Part::Lit(_) => None,
        })
    }

    /// Renders the template with the given application variable values.
    pub fn render(&self, values: &AppVariables) -> Result<String, VariableError> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Lit(lit) => out.push_str(lit),
                Part::Expr(name) => out.push_str(values.value(name)?),
            }
        }
        Ok(out)
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for part in &self.parts {
            match part {
                Part::Lit(lit) => f.write_str(lit)?,
                Part::Expr(expr) => write!(f, "{{{{ {expr} }}}}")?,
            }
        }
        Ok(())
    }
}

/// One `[variables]` entry of the manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VariableDecl {
    /// The manifest default, if any.
    pub default: Option<String>,
    /// Whether a value must be supplied from outside.
    pub required: bool,
    /// Whether the value is a secret (never logged).
    pub secret: bool,
}

/// The variables declared secret among `given`, the names whose values were given on the
/// command line (`--variable name=value`), sorted. The command line is readable by every local
/// user (`ps`, `/proc/PID/cmdline`); the environment (`SPIN_VARIABLE_*`) only by the host's own
/// user, a file (`--variable name=@FILE`) by whom its mode allows.
pub fn secrets_on_command_line<'a>(
    decls: &BTreeMap<String, VariableDecl>,
    given: impl IntoIterator<Item = &'a str>,
) -> Vec<&'a str> {
    let mut names: Vec<&str> = given
        .into_iter()
        .filter(|name| decls.get(*name).is_some_and(|d| d.secret))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// Resolved application variables.
#[derive(Clone, Default)]
pub struct AppVariables {
    values: HashMap<String, Option<String>>,
    secret: HashMap<String, bool>,
}

/// The names of `values`, sorted: all that `Debug` shows of values that may be secrets.
pub(crate) fn names_only<V>(values: &HashMap<String, V>) -> Vec<&str> {
    let mut names: Vec<&str> = values.keys().map(String::as_str).collect();
    names.sort_unstable();
    names
}

impl fmt::Debug for AppVariables {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppVariables")
            .field("names", &names_only(&self.values))
            .finish()
    }
}

impl AppVariables {
    /// Resolves every declared variable from `overrides` (`--variable`), then `env`
    /// (`SPIN_VARIABLE_*` lookups), then the manifest default.
    ///
    /// Fails when a required variable has no value, listing every such name.
    pub fn resolve(
        decls: &BTreeMap<String, VariableDecl>,
        overrides: &HashMap<String, String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, VariableError> {
        let mut values = HashMap::new();
        let mut secret = HashMap::new();
        let mut missing = Vec::new();
        for (name, decl) in decls {
            validate_name(name)?;
            let value = overrides
                .get(name)
                .cloned()
                .or_else(|| env(&env_name(name)))
                .or_else(|| decl.default.clone());
            if value.is_none() {
                missing.push(name.clone());
            }
            values.insert(name.clone(), value);
            secret.insert(name.clone(), decl.secret);
        }
        if !missing.is_empty() {
            return Err(VariableError::Unresolved(missing));
        }
        Ok(Self { values, secret })
    }

    /// The value of application variable `name`.
    pub fn value(&self, name: &str) -> Result<&str, VariableError> {
        match self.values.get(name) {
            Some(Some(v)) => Ok(v),
            Some(None) => Err(VariableError::Unresolved(vec![name.to_string()])),
            None => Err(VariableError::InvalidTemplate(format!(
                "unknown variable {name:?}"
            ))),
        }
    }

    /// Whether `name` is declared.
    pub fn contains(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// Whether `name` is declared secret.
    pub fn is_secret(&self, name: &str) -> bool {
        self.secret.get(name).copied().unwrap_or(false)
    }

    /// Parses a template and checks that every expression names a declared variable.
    pub fn template(&self, text: &str) -> Result<Template, VariableError> {
        let template = Template::parse(text)?;
        if let Some(unknown) = template.expressions().find(|e| !self.contains(e)) {
            return Err(VariableError::InvalidTemplate(format!(
                "unknown variable {unknown:?}"
            )));
        }
        Ok(template)
    }
}

/// The variables one component can read, already rendered.
#[derive(Clone, Default)]
pub struct ComponentVariables {
    component_id: String,
    values: HashMap<String, String>,
}

impl fmt::Debug for ComponentVariables {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ComponentVariables")
            .field("component_id", &self.component_id)
            .field("names", &names_only(&self.values))
            .finish()
    }
}

impl ComponentVariables {
    /// Renders `[component.<id>.variables]` against the application variables.
    pub fn render(
        component_id: &str,
        templates: &BTreeMap<String, String>,
        app: &AppVariables,
    ) -> Result<Self, VariableError> {
        let mut values = HashMap::new();
        for (name, text) in templates {
            validate_name(name)?;
            let value = app.template(text)?.render(app)?;
            values.insert(name.clone(), value);
        }
        Ok(Self {
            component_id: component_id.to_string(),
            values,
        })
    }

    /// What `variables::get(name)` returns, with Spin's error messages.
    pub fn get(&self, name: &str) -> Result<String, VariableError> {
        validate_name(name)?;
        if self.values.is_empty() {
            return Err(VariableError::Undefined(format!(
                "no variable for component {:?}",
                self.component_id
            )));
        }
        self.values.get(name).cloned().ok_or_else(|| {
            VariableError::Undefined(format!("no variable for {:?}.{name:?}", self.component_id))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decls(items: &[(&str, Option<&str>, bool)]) -> BTreeMap<String, VariableDecl> {
        items
            .iter()
            .map(|(n, d, secret)| {
                (
                    n.to_string(),
                    VariableDecl {
                        default: d.map(str::to_string),
                        required: d.is_none(),
                        secret: *secret,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn names_follow_spin_rules() {
        for good in [
            "a",
            "abc",
            "a1b2c3",
            "a_1",
            "a_1_b_3",
            "session_signing_key",
        ] {
            validate_name(good).expect(good);
        }
        for bad in ["", "aX", "1bc", "_x", "x.y", "x_", "a__b", "x-y"] {
            validate_name(bad).expect_err(bad);
        }
    }

    #[test]
    fn template_parts_and_display() {
        let t = Template::parse("https://{{ host }}:{{port}}/x").unwrap();
        assert!(!t.is_literal());
        assert_eq!(t.expressions().collect::<Vec<_>>(), ["host", "port"]);
        assert_eq!(t.to_string(), "https://{{ host }}:{{ port }}/x");
        assert!(Template::parse("plain").unwrap().is_literal());
        assert!(Template::parse("").unwrap().is_literal());
        Template::parse("{{ a }} {{ b").unwrap_err();
    }

    #[test]
    fn override_beats_env_beats_default() {
        let d = decls(&[
            ("a", Some("da"), false),
            ("b", Some("db"), false),
            ("c", Some("dc"), false),
        ]);
        let overrides = HashMap::from([("a".to_string(), "oa".to_string())]);
        let env = |k: &str| match k {
            "SPIN_VARIABLE_A" => Some("ea".to_string()),
            "SPIN_VARIABLE_B" => Some("eb".to_string()),
            _ => None,
        };
        let vars = AppVariables::resolve(&d, &overrides, env).unwrap();
        assert_eq!(vars.value("a").unwrap(), "oa");
        assert_eq!(vars.value("b").unwrap(), "eb");
        assert_eq!(vars.value("c").unwrap(), "dc");
    }

    #[test]
    fn secrets_given_on_the_command_line_are_named() {
        let d = decls(&[
            ("key", None, true),
            ("b", None, true),
            ("plain", None, false),
        ]);
        assert_eq!(
            secrets_on_command_line(&d, ["plain", "key", "b", "x", "key"]),
            ["b", "key"]
        );
        assert!(secrets_on_command_line(&d, []).is_empty());
    }

    #[test]
    fn required_without_value_is_an_error() {
        let d = decls(&[("key", None, true), ("other", None, false)]);
        let err = AppVariables::resolve(&d, &HashMap::new(), |_| None).unwrap_err();
        assert_eq!(
            err,
            VariableError::Unresolved(vec!["key".into(), "other".into()])
        );
        let ok = AppVariables::resolve(&d, &HashMap::new(), |_| Some("v".into())).unwrap();
        assert!(ok.is_secret("key"));
        assert!(!ok.is_secret("other"));
        assert!(
            !format!("{ok:?}").contains("\"v\""),
            "Debug must not show values"
        );
    }

    #[test]
    fn component_variables_render_and_errors() {
        let d = decls(&[("host", Some("agent.internal"), false)]);
        let app = AppVariables::resolve(&d, &HashMap::new(), |_| None).unwrap();
        let templates = BTreeMap::from([
            ("url".to_string(), "https://{{ host }}:8443".to_string()),
            ("plain".to_string(), "x".to_string()),
        ]);
        let cv = ComponentVariables::render("edge", &templates, &app).unwrap();
        assert_eq!(cv.get("url").unwrap(), "https://agent.internal:8443");
        assert_eq!(cv.get("plain").unwrap(), "x");
        assert!(matches!(cv.get("nope"), Err(VariableError::Undefined(_))));
        assert!(matches!(cv.get("Bad"), Err(VariableError::InvalidName(_))));
        let unknown = BTreeMap::from([("u".to_string(), "{{ missing }}".to_string())]);
        assert!(matches!(
            ComponentVariables::render("edge", &unknown, &app),
            Err(VariableError::InvalidTemplate(_))
        ));
        let empty = ComponentVariables::render("edge", &BTreeMap::new(), &app).unwrap();
        assert_eq!(
            empty.get("x").unwrap_err().to_string(),
            "no variable for component \"edge\""
        );
    }
}
