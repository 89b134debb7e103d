//! `/api/v1/bans`: active bans over all jails, ban, unban, unban everything.

use bangui_shared::models::bans::{
    ActiveBan, ActiveBanListResponse, BanRequest, UnbanAllResponse, UnbanRequest,
};
use bangui_shared::models::CommandResponse;
use bangui_shared::validate::{parse_ip, JailName};
use bangui_shared::ApiError;

use crate::fail2ban::{reply, Command, Fail2banError};
use crate::http::request::ApiRequest;
use crate::http::respond::Reply;
use crate::state::AppState;

pub async fn active(state: &AppState) -> Result<Reply, ApiError> {
    let client = state.fail2ban();
    let jails = client.jail_names().await?;
    let mut items: Vec<ActiveBan> = client
        .ban_lists(&jails)
        .await?
        .into_iter()
        .flat_map(|(jail, entries)| {
            entries.into_iter().map(move |e| ActiveBan {
                permanent: e.ban_seconds < 0,
                ip: e.ip,
                jail: jail.to_string(),
                banned_at: e.banned_at,
                expires_at: e.expires_at,
                ban_seconds: e.ban_seconds,
            })
        })
        .collect();
    // Newest first; ties in a stable, readable order.
    items.sort_by(|a, b| {
        b.banned_at
            .cmp(&a.banned_at)
            .then_with(|| a.jail.cmp(&b.jail))
            .then_with(|| a.ip.cmp(&b.ip))
    });
    let total = items.len() as u64;
    Reply::ok(&ActiveBanListResponse { items, total })
}

/// A jail named in a request body: a name that cannot exist is a bad value (400).
pub fn body_jail(name: &str) -> Result<JailName, ApiError> {
    name.parse()
}

pub async fn ban(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let body: BanRequest = req.json()?;
    let ip = parse_ip(&body.ip)?;
    let jail = body_jail(&body.jail)?;
    let count = reply::int(
        state
            .fail2ban()
            .call(Command::BanIp(jail.clone(), vec![ip]))
            .await?,
    )?;
    if count == 0 {
        return Err(ApiError::new(
            bangui_shared::ErrorCode::Conflict,
            format!("{ip} is already banned in jail '{jail}'"),
        )
        .with("ip", ip.to_string())
        .with("jail", jail.as_str()));
    }
    Reply::created(
        &CommandResponse::ok(format!("{ip} banned in jail '{jail}'"))
            .jail(jail.as_str())
            .ip(ip.to_string())
            .count(count as u64),
    )
}

pub async fn unban(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let body: UnbanRequest = req.json()?;
    let ip = parse_ip(&body.ip)?;
    let jail = match (&body.jail, body.unban_all) {
        (Some(name), false) => Some(body_jail(name)?),
        _ => None,
    };
    let Some(jail) = jail else {
        let count = reply::int(
            state
                .fail2ban()
                .call(Command::UnbanEverywhere(vec![ip]))
                .await?,
        )?;
        if count == 0 {
            return Err(not_banned(&ip.to_string(), None));
        }
        return Reply::ok(
            &CommandResponse::ok(format!("{ip} unbanned in {count} jail(s)"))
                .ip(ip.to_string())
                .count(count as u64),
        );
    };
    match state
        .fail2ban()
        .call(Command::UnbanIp(jail.clone(), vec![ip]))
        .await
    {
        Ok(v) => {
            let count = reply::int(v)?;
            Reply::ok(
                &CommandResponse::ok(format!("{ip} unbanned in jail '{jail}'"))
                    .jail(jail.as_str())
                    .ip(ip.to_string())
                    .count(count as u64),
            )
        }
        Err(Fail2banError::Exception { class, message, .. })
            if class == "ValueError" && message.starts_with("not banned") =>
        {
            Err(not_banned(&ip.to_string(), Some(&jail)))
        }
        Err(e) => Err(e.into()),
    }
}

fn not_banned(ip: &str, jail: Option<&JailName>) -> ApiError {
    let detail = match jail {
        Some(j) => format!("{ip} is not banned in jail '{j}'"),
        None => format!("{ip} is not banned in any jail"),
    };
    let err = ApiError::new(bangui_shared::ErrorCode::Conflict, detail).with("ip", ip);
    match jail {
        Some(j) => err.with("jail", j.as_str()),
        None => err,
    }
}

pub async fn unban_all(state: &AppState) -> Result<Reply, ApiError> {
    let count = reply::int(state.fail2ban().call(Command::UnbanAll).await?)?.max(0) as u64;
    Reply::ok(&UnbanAllResponse {
        message: format!("{count} ban(s) lifted in all jails"),
        count,
    })
}
