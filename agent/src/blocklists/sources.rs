//! Checking the fields of a source before they are saved (no I/O; the URL's host is checked
//! separately, see [`super::import::check_source_url`]).

use bangui_shared::models::blocklists::{
    BlocklistSource, BlocklistSourceCreate, BlocklistSourceUpdate, BLOCKLIST_JAIL, MAX_MAX_ENTRIES,
    MAX_NAME_CHARS,
};
use bangui_shared::validate::JailName;
use bangui_shared::ApiError;

use crate::store::blocklists::SourceFields;

fn check_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::invalid_field(
            "name",
            format!("name must be 1-{MAX_NAME_CHARS} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(ApiError::invalid_field(
            "name",
            "name must not contain control characters",
        ));
    }
    Ok(name.to_owned())
}

fn check_jail(jail: &str) -> Result<String, ApiError> {
    jail.parse::<JailName>()
        .map(|j| j.to_string())
        .map_err(|e| ApiError::invalid_field("jail", e.detail))
}

fn check_max(max: u32) -> Result<u32, ApiError> {
    if (1..=MAX_MAX_ENTRIES).contains(&max) {
        Ok(max)
    } else {
        Err(ApiError::invalid_field(
            "max_entries",
            format!("max_entries must be 1-{MAX_MAX_ENTRIES}"),
        ))
    }
}

/// The fields of a new source; `url` is the already checked URL.
pub fn from_create(
    body: &BlocklistSourceCreate,
    url: String,
    default_max: u32,
) -> Result<SourceFields, ApiError> {
    Ok(SourceFields {
        name: check_name(&body.name)?,
        url,
        enabled: body.enabled,
        format: body.format,
        jail: check_jail(body.jail.as_deref().unwrap_or(BLOCKLIST_JAIL))?,
        max_entries: check_max(body.max_entries.unwrap_or(default_max))?,
        unban_removed: body.unban_removed,
    })
}

/// Checks the fields an update sets (`url` already checked when present).
pub fn check_update(body: &BlocklistSourceUpdate) -> Result<(), ApiError> {
    if let Some(n) = &body.name {
        check_name(n)?;
    }
    if let Some(j) = &body.jail {
        check_jail(j)?;
    }
    if let Some(m) = body.max_entries {
        check_max(m)?;
    }
    Ok(())
}

/// `current` with the fields of a checked update applied.
pub fn apply_update(
    current: &BlocklistSource,
    body: &BlocklistSourceUpdate,
    url: Option<String>,
) -> SourceFields {
    SourceFields {
        name: body
            .name
            .as_deref()
            .map(|n| n.trim().to_owned())
            .unwrap_or_else(|| current.name.clone()),
        url: url.unwrap_or_else(|| current.url.clone()),
        enabled: body.enabled.unwrap_or(current.enabled),
        format: body.format.unwrap_or(current.format),
        jail: body.jail.clone().unwrap_or_else(|| current.jail.clone()),
        max_entries: body.max_entries.unwrap_or(current.max_entries),
        unban_removed: body.unban_removed.unwrap_or(current.unban_removed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create(name: &str) -> BlocklistSourceCreate {
        serde_json::from_value(serde_json::json!({"name": name, "url": "https://x/"})).unwrap()
    }

    #[test]
    fn create_checks_fields() {
        let f = from_create(&create(" a "), "https://x/".into(), 7).unwrap();
        assert_eq!(f.name, "a");
        assert_eq!(f.jail, BLOCKLIST_JAIL);
        assert_eq!(f.max_entries, 7);
        assert!(from_create(&create(""), "u".into(), 7).is_err());
        assert!(from_create(&create(&"x".repeat(101)), "u".into(), 7).is_err());
        assert!(from_create(&create("a\u{7}"), "u".into(), 7).is_err());
        let mut bad = create("a");
        bad.jail = Some("../etc".into());
        assert_eq!(from_create(&bad, "u".into(), 7).unwrap_err().status(), 400);
        let mut bad = create("a");
        bad.max_entries = Some(0);
        assert!(from_create(&bad, "u".into(), 7).is_err());
    }
}
