//! Typed queries built on the socket client: each sends the commands it needs (pipelined when
//! there are several) and parses the replies.

use bangui_shared::validate::JailName;

use super::client::Client;
use super::codec::Value;
use super::command::Command;
use super::error::Fail2banError;
use super::reply::{self, BanEntry, JailStatus};

impl Client {
    pub async fn version(&self) -> Result<String, Fail2banError> {
        reply::string(self.call(Command::Version).await?)
    }

    /// Names of the running jails, sorted as fail2ban sorts them.
    pub async fn jail_names(&self) -> Result<Vec<JailName>, Fail2banError> {
        let names = reply::jail_list(self.call(Command::Status).await?)?;
        // fail2ban only runs jails with valid names; skip anything we would refuse to address.
        Ok(names.iter().filter_map(|n| n.parse().ok()).collect())
    }

    /// True when the jail is running.
    pub async fn is_running(&self, jail: &JailName) -> Result<bool, Fail2banError> {
        Ok(self.jail_names().await?.contains(jail))
    }

    /// Counters of several jails in one round trip. A jail that vanished meanwhile is left out.
    pub async fn jail_statuses(
        &self,
        jails: &[JailName],
    ) -> Result<Vec<(JailName, JailStatus)>, Fail2banError> {
        let commands: Vec<Command> = jails
            .iter()
            .map(|j| Command::JailStatusShort(j.clone()))
            .collect();
        let replies = self.call_many(&commands).await?;
        collect_per_jail(jails, replies, reply::jail_status)
    }

    /// Active bans of several jails in one round trip, each ordered by end of ban.
    pub async fn ban_lists(
        &self,
        jails: &[JailName],
    ) -> Result<Vec<(JailName, Vec<BanEntry>)>, Fail2banError> {
        let commands: Vec<Command> = jails
            .iter()
            .map(|j| Command::BanListWithTime(j.clone()))
            .collect();
        let replies = self.call_many(&commands).await?;
        collect_per_jail(jails, replies, reply::ban_entries)
    }

    /// Active bans of one jail; an unknown jail is an error.
    pub async fn ban_list(&self, jail: &JailName) -> Result<Vec<BanEntry>, Fail2banError> {
        reply::ban_entries(self.call(Command::BanListWithTime(jail.clone())).await?)
    }
}

/// Pairs per-jail replies with their jails, dropping jails that stopped between the listing and
/// the query; any other error fails the whole query.
fn collect_per_jail<T>(
    jails: &[JailName],
    replies: Vec<Result<Value, Fail2banError>>,
    parse: impl Fn(Value) -> Result<T, Fail2banError>,
) -> Result<Vec<(JailName, T)>, Fail2banError> {
    let mut out = Vec::with_capacity(jails.len());
    for (jail, result) in jails.iter().zip(replies) {
        match result {
            Ok(value) => out.push((jail.clone(), parse(value)?)),
            Err(e) if e.is_unknown_jail() => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}
