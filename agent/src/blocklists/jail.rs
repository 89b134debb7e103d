//! The jail imports ban into. `blocklist-import` is created on first use as a real jail: the
//! agent's `jail.d/blocklist-import.local`, no filter (it never reads a log) and the host's
//! default ban action, validated and started through the same path as `/config/jails`.

use bangui_shared::models::blocklists::BLOCKLIST_JAIL;
use bangui_shared::{ApiError, ErrorCode};

use crate::handlers::jail_config::{apply, is_configured, write_jail, CONFIG_LOCK};
use crate::state::AppState;

/// The keys of the agent's `blocklist-import` jail. `banaction` is not set, so the jail uses
/// the host's default action; the empty filter and `/dev/null` make it read nothing.
fn jail_keys() -> Vec<(String, Option<String>)> {
    [
        ("enabled", "true"),
        ("filter", ""),
        ("backend", "polling"),
        ("logpath", "/dev/null"),
        ("bantime", "86400"),
        ("maxretry", "1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), Some(v.to_owned())))
    .collect()
}

/// Makes sure `jail` runs. The default blocklist jail is created (or enabled) when needed;
/// another jail must already run (a source cannot create arbitrary jails).
pub async fn ensure(state: &AppState, jail: &str) -> Result<(), ApiError> {
    let running =
        |names: Vec<bangui_shared::validate::JailName>| names.iter().any(|j| j.as_str() == jail);
    if running(state.fail2ban().jail_names().await?) {
        return Ok(());
    }
    if jail != BLOCKLIST_JAIL {
        return Err(ApiError::new(
            ErrorCode::JailNotFound,
            format!("jail '{jail}' is not running; start it or use '{BLOCKLIST_JAIL}'"),
        )
        .with("jail", jail));
    }
    let _guard = CONFIG_LOCK.lock().await;
    // Another request may have created it while this one waited for the lock.
    if running(state.fail2ban().jail_names().await?) {
        return Ok(());
    }
    // A jail the admin configured (but left disabled) keeps its settings; it is only enabled.
    let exists = is_configured(state, jail).await?;
    let keys = if exists {
        vec![("enabled".to_owned(), Some("true".to_owned()))]
    } else {
        jail_keys()
    };
    write_jail(state, jail, keys, !exists).await?;
    apply(state, jail).await?;
    tracing::info!(jail, "blocklist jail started");
    Ok(())
}
