//! `/api/v1/jails`: running jails, their runtime settings, control commands and ignore lists.

use bangui_shared::models::jails::{
    BannedIp, BantimeEscalation, IdleRequest, IgnoreIpRequest, IgnoreListResponse,
    IgnoreSelfRequest, JailBannedIpsResponse, JailCounters, JailDetail, JailDetailResponse,
    JailListResponse, JailSummary,
};
use bangui_shared::models::CommandResponse;
use bangui_shared::pagination::PageRequest;
use bangui_shared::validate::{parse_ip_or_net, JailName};
use bangui_shared::{ApiError, ErrorCode};

use crate::fail2ban::codec::Value;
use crate::fail2ban::reply::{self, JailStatus};
use crate::fail2ban::{Command, Fail2banError, JailKey, ReloadTarget};
use crate::http::request::ApiRequest;
use crate::http::respond::Reply;
use crate::state::AppState;

fn counters(s: &JailStatus) -> JailCounters {
    JailCounters {
        currently_failed: s.currently_failed,
        total_failed: s.total_failed,
        currently_banned: s.currently_banned,
        total_banned: s.total_banned,
    }
}

pub async fn list(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let page = PageRequest::parse(req.query("page"), req.query("page_size"))?;
    let names = state.fail2ban().jail_names().await?;
    let total = names.len() as u64;
    let start = page.offset().min(names.len());
    let end = (start + page.page_size as usize).min(names.len());
    let shown = &names[start..end];

    const PER_JAIL: [JailKey; 3] = [JailKey::BanTime, JailKey::FindTime, JailKey::MaxRetry];
    let commands: Vec<Command> = shown
        .iter()
        .flat_map(|j| {
            std::iter::once(Command::JailStatusShort(j.clone()))
                .chain(PER_JAIL.iter().map(|k| Command::Get(j.clone(), *k)))
        })
        .collect();
    let replies = state.fail2ban().call_many(&commands).await?;
    let mut items = Vec::with_capacity(shown.len());
    let mut replies = replies.into_iter();
    for jail in shown {
        let group: Vec<_> = replies.by_ref().take(1 + PER_JAIL.len()).collect();
        let mut values = Vec::with_capacity(group.len());
        let mut vanished = false;
        for r in group {
            match r {
                Ok(v) => values.push(v),
                Err(e) if e.is_unknown_jail() => vanished = true,
                Err(e) => return Err(e.into()),
            }
        }
        if vanished {
            continue; // stopped between the listing and the query
        }
        let mut values = values.into_iter();
        let mut next = || values.next().unwrap_or(Value::None);
        let status = reply::jail_status(next())?;
        items.push(JailSummary {
            name: jail.to_string(),
            running: true,
            idle: state.is_idle(jail.as_str()),
            counters: counters(&status),
            ban_time: reply::int(next())?,
            find_time: reply::int(next())?,
            max_retry: reply::int(next())?,
        });
    }
    Reply::ok(&JailListResponse {
        items,
        pagination: page.pagination(total),
    })
}

/// Everything `GET /jails/{name}` reports, in the order the replies are read.
const DETAIL_KEYS: [JailKey; 23] = [
    JailKey::LogPath,
    JailKey::JournalMatch,
    JailKey::FailRegex,
    JailKey::IgnoreRegex,
    JailKey::PrefRegex,
    JailKey::DatePattern,
    JailKey::LogEncoding,
    JailKey::LogTimezone,
    JailKey::UseDns,
    JailKey::BanTime,
    JailKey::FindTime,
    JailKey::MaxRetry,
    JailKey::MaxMatches,
    JailKey::MaxLines,
    JailKey::Actions,
    JailKey::IgnoreSelf,
    JailKey::IgnoreCommand,
    JailKey::IgnoreIp,
    JailKey::BantimeIncrement,
    JailKey::BantimeFactor,
    JailKey::BantimeFormula,
    JailKey::BantimeMultipliers,
    JailKey::BantimeMaxTime,
];

pub async fn detail(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let jail = req.jail()?;
    let mut commands = vec![Command::JailStatusShort(jail.clone())];
    commands.extend(DETAIL_KEYS.iter().map(|k| Command::Get(jail.clone(), *k)));
    commands.push(Command::Get(jail.clone(), JailKey::BantimeRndTime));
    commands.push(Command::Get(jail.clone(), JailKey::BantimeOverallJails));
    let replies = state.fail2ban().call_many(&commands).await?;
    let mut values = Vec::with_capacity(replies.len());
    for r in replies {
        values.push(r?);
    }
    let mut values = values.into_iter();
    let mut next = || values.next().unwrap_or(Value::None);

    let status = reply::jail_status(next())?;
    let log_paths = reply::strings(next())?;
    let journal_matches = reply::strings(next())?;
    let fail_regex = reply::strings(next())?;
    let ignore_regex = reply::strings(next())?;
    let pref_regex = reply::opt_string(next())?.filter(|s| !s.is_empty());
    let date_pattern = reply::date_pattern(next())?;
    let log_encoding = reply::opt_string(next())?;
    let log_timezone = reply::opt_string(next())?;
    let use_dns = reply::opt_string(next())?;
    let ban_time = reply::int(next())?;
    let find_time = reply::int(next())?;
    let max_retry = reply::int(next())?;
    let max_matches = reply::int(next())?;
    let max_lines = reply::int(next())?;
    let actions = reply::strings(next())?;
    let ignore_self = reply::boolean(next())?;
    let ignore_command = reply::opt_string(next())?.filter(|s| !s.is_empty());
    let ignore_list = reply::strings(next())?;
    let bantime_escalation = BantimeEscalation {
        increment: reply::opt_bool(next())?,
        factor: reply::opt_string(next())?,
        formula: reply::opt_string(next())?,
        multipliers: reply::opt_string(next())?,
        max_time: reply::opt_int(next())?,
        rnd_time: reply::opt_int(next())?,
        overall_jails: reply::opt_string(next())?,
    };
    let detail = JailDetail {
        name: jail.to_string(),
        running: true,
        idle: state.is_idle(jail.as_str()),
        counters: counters(&status),
        log_paths,
        journal_matches,
        fail_regex,
        ignore_regex,
        pref_regex,
        date_pattern,
        log_encoding,
        log_timezone,
        use_dns,
        ban_time,
        find_time,
        max_retry,
        max_matches,
        max_lines,
        actions,
        ignore_self,
        ignore_command,
        bantime_escalation,
    };
    Reply::ok(&JailDetailResponse {
        jail: detail,
        ignore_list,
    })
}

/// Reloads every jail (the whole configuration is tested first, so a broken one changes
/// nothing) and returns the running jails before and after. Waits for config edits in progress,
/// so a reload never reads files half-way through a change.
pub(super) async fn reload_all_jails(
    state: &AppState,
) -> Result<(Vec<JailName>, Vec<JailName>), ApiError> {
    let _config = super::jail_config::CONFIG_LOCK.lock().await;
    let before = state.fail2ban().jail_names().await?;
    state.reloader().reload(&ReloadTarget::All).await?;
    state.forget_idle(None);
    let after = state.fail2ban().jail_names().await?;
    Ok((before, after))
}

pub async fn reload_all(state: &AppState) -> Result<Reply, ApiError> {
    let (before, after) = reload_all_jails(state).await?;
    let stopped: Vec<&str> = before
        .iter()
        .filter(|j| !after.contains(j))
        .map(|j| j.as_str())
        .collect();
    let mut message = format!("All jails reloaded; {} running", after.len());
    if !stopped.is_empty() {
        // -t passed, so these are jails the configuration no longer enables.
        message += &format!(
            "; no longer enabled in the configuration: {}",
            stopped.join(", ")
        );
    }
    Reply::ok(&CommandResponse::ok(message).count(after.len() as u64))
}

pub async fn start(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let jail = req.jail()?;
    if state.fail2ban().is_running(&jail).await? {
        return Err(ApiError::jail_already_active(jail.as_str()));
    }
    state
        .reloader()
        .reload(&ReloadTarget::StartJail(jail.clone()))
        .await?;
    state.forget_idle(Some(jail.as_str()));
    if !state.fail2ban().is_running(&jail).await? {
        // fail2ban-client accepts the reload but skips jails the config leaves disabled.
        return Err(ApiError::operation_failed(format!(
            "Jail '{jail}' did not start: it is disabled in the fail2ban configuration \
             (enabled = false)"
        ))
        .with("jail", jail.as_str()));
    }
    Reply::ok(&CommandResponse::ok(format!("Jail '{jail}' started")).jail(jail.as_str()))
}

pub async fn stop(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let jail = req.jail()?;
    match state.fail2ban().call(Command::StopJail(jail.clone())).await {
        Ok(_) => {}
        Err(e) if e.is_unknown_jail() => {
            return Err(ApiError::jail_already_inactive(jail.as_str()))
        }
        Err(e) => return Err(e.into()),
    }
    state.forget_idle(Some(jail.as_str()));
    Reply::ok(&CommandResponse::ok(format!("Jail '{jail}' stopped")).jail(jail.as_str()))
}

pub async fn idle(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let jail = req.jail()?;
    let body: IdleRequest = req.json_or_default()?;
    let on = body.on.unwrap_or_else(|| !state.is_idle(jail.as_str()));
    let now = reply::boolean(
        state
            .fail2ban()
            .call(Command::SetIdle(jail.clone(), on))
            .await?,
    )?;
    state.set_idle(jail.as_str(), now);
    let word = if now { "on" } else { "off" };
    Reply::ok(
        &CommandResponse::ok(format!("Idle mode of jail '{jail}' is {word}"))
            .jail(jail.as_str())
            .enabled(now),
    )
}

pub async fn reload(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let jail = req.jail()?;
    if !state.fail2ban().is_running(&jail).await? {
        return Err(
            ApiError::jail_not_found(jail.as_str()).with("reason", "not running; start it instead")
        );
    }
    state
        .reloader()
        .reload(&ReloadTarget::Jail(jail.clone()))
        .await?;
    state.forget_idle(Some(jail.as_str()));
    let message = if state.fail2ban().is_running(&jail).await? {
        format!("Jail '{jail}' reloaded")
    } else {
        format!("Jail '{jail}' reloaded and stopped: the configuration no longer enables it")
    };
    Reply::ok(&CommandResponse::ok(message).jail(jail.as_str()))
}

async fn ignore_state(state: &AppState, jail: &JailName) -> Result<(Vec<String>, bool), ApiError> {
    let replies = state
        .fail2ban()
        .call_many(&[
            Command::Get(jail.clone(), JailKey::IgnoreIp),
            Command::Get(jail.clone(), JailKey::IgnoreSelf),
        ])
        .await?;
    let mut replies = replies.into_iter();
    let list = reply::strings(replies.next().unwrap_or(Ok(Value::None))?)?;
    let ignore_self = reply::boolean(replies.next().unwrap_or(Ok(Value::None))?)?;
    Ok((list, ignore_self))
}

pub async fn ignore_list(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let jail = req.jail()?;
    let (ignore_list, ignore_self) = ignore_state(state, &jail).await?;
    Reply::ok(&IgnoreListResponse {
        jail: jail.to_string(),
        ignore_list,
        ignore_self,
    })
}

/// Adds or removes an ignore entry; fail2ban answers with the whole list, so an unchanged
/// length means the entry was already there (add) or was not there (remove).
async fn change_ignore(
    state: &AppState,
    req: &ApiRequest,
    add: bool,
) -> Result<(JailName, String, Vec<String>), ApiError> {
    let jail = req.jail()?;
    // The jail first: an unknown jail is a 404 whatever the body says.
    let (before, _) = ignore_state(state, &jail).await?;
    let body: IgnoreIpRequest = req.json()?;
    let entry = parse_ip_or_net(&body.ip)?.to_string();
    let command = if add {
        Command::AddIgnoreIp(jail.clone(), entry.clone())
    } else {
        Command::DelIgnoreIp(jail.clone(), entry.clone())
    };
    let after = match state.fail2ban().call(command).await {
        Ok(v) => reply::strings(v)?,
        // fail2ban's delignoreip raises ValueError for an entry that is not in the list.
        Err(Fail2banError::Exception { class, .. }) if !add && class == "ValueError" => {
            before.clone()
        }
        Err(e) => return Err(e.into()),
    };
    if after.len() == before.len() {
        let detail = if add {
            format!("{entry} is already in the ignore list of jail '{jail}'")
        } else {
            format!("{entry} is not in the ignore list of jail '{jail}'")
        };
        return Err(ApiError::new(ErrorCode::Conflict, detail)
            .with("jail", jail.as_str())
            .with("ip", entry.as_str()));
    }
    Ok((jail, entry, after))
}

pub async fn add_ignore(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let (jail, entry, after) = change_ignore(state, req, true).await?;
    Reply::created(
        &CommandResponse::ok(format!("{entry} added to the ignore list of jail '{jail}'"))
            .jail(jail.as_str())
            .ip(entry)
            .count(after.len() as u64),
    )
}

pub async fn remove_ignore(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let (jail, entry, after) = change_ignore(state, req, false).await?;
    Reply::ok(
        &CommandResponse::ok(format!(
            "{entry} removed from the ignore list of jail '{jail}'"
        ))
        .jail(jail.as_str())
        .ip(entry)
        .count(after.len() as u64),
    )
}

pub async fn ignore_self(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let jail = req.jail()?;
    let body: IgnoreSelfRequest = req.json_or_default()?;
    let enabled = match body.enabled {
        Some(on) => on,
        None => !ignore_state(state, &jail).await?.1,
    };
    let now = reply::boolean(
        state
            .fail2ban()
            .call(Command::SetIgnoreSelf(jail.clone(), enabled))
            .await?,
    )?;
    let word = if now { "on" } else { "off" };
    Reply::ok(
        &CommandResponse::ok(format!("ignoreself of jail '{jail}' is {word}"))
            .jail(jail.as_str())
            .enabled(now),
    )
}

pub async fn banned(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let jail = req.jail()?;
    let page = PageRequest::parse(req.query("page"), req.query("page_size"))?;
    let search = req.query("search").map(str::trim).filter(|s| !s.is_empty());
    let entries = state
        .fail2ban()
        .ban_list(&jail)
        .await
        .map_err(|e| match e {
            e if e.is_unknown_jail() => ApiError::jail_not_found(jail.as_str()),
            e => ApiError::from(e),
        })?;
    let items: Vec<BannedIp> = entries
        .into_iter()
        .filter(|e| search.is_none_or(|s| e.ip.contains(s)))
        .map(|e| BannedIp {
            permanent: e.ban_seconds < 0,
            ip: e.ip,
            banned_at: e.banned_at,
            expires_at: e.expires_at,
            ban_seconds: e.ban_seconds,
        })
        .collect();
    let page = page.slice(items);
    Reply::ok(&JailBannedIpsResponse {
        jail: jail.to_string(),
        items: page.items,
        pagination: page.pagination,
    })
}
