//! Typed fail2ban commands and their wire form (the argument list fail2ban's transmitter reads).

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;

use bangui_shared::validate::JailName;

use super::codec::Value;

/// A per-jail setting readable with `get <jail> <key>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JailKey {
    BanTime,
    FindTime,
    MaxRetry,
    MaxMatches,
    MaxLines,
    IgnoreIp,
    IgnoreSelf,
    IgnoreCommand,
    LogPath,
    LogEncoding,
    JournalMatch,
    PrefRegex,
    FailRegex,
    IgnoreRegex,
    Actions,
    UseDns,
    DatePattern,
    LogTimezone,
    BantimeIncrement,
    BantimeFactor,
    BantimeFormula,
    BantimeMultipliers,
    BantimeMaxTime,
    BantimeRndTime,
    BantimeOverallJails,
}

impl JailKey {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BanTime => "bantime",
            Self::FindTime => "findtime",
            Self::MaxRetry => "maxretry",
            Self::MaxMatches => "maxmatches",
            Self::MaxLines => "maxlines",
            Self::IgnoreIp => "ignoreip",
            Self::IgnoreSelf => "ignoreself",
            Self::IgnoreCommand => "ignorecommand",
            Self::LogPath => "logpath",
            Self::LogEncoding => "logencoding",
            Self::JournalMatch => "journalmatch",
            Self::PrefRegex => "prefregex",
            Self::FailRegex => "failregex",
            Self::IgnoreRegex => "ignoreregex",
            Self::Actions => "actions",
            Self::UseDns => "usedns",
            Self::DatePattern => "datepattern",
            Self::LogTimezone => "logtimezone",
            Self::BantimeIncrement => "bantime.increment",
            Self::BantimeFactor => "bantime.factor",
            Self::BantimeFormula => "bantime.formula",
            Self::BantimeMultipliers => "bantime.multipliers",
            Self::BantimeMaxTime => "bantime.maxtime",
            Self::BantimeRndTime => "bantime.rndtime",
            Self::BantimeOverallJails => "bantime.overalljails",
        }
    }
}

/// A server-wide setting, readable with `get <key>` and writable with `set <key> <value>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKey {
    LogLevel,
    LogTarget,
    SyslogSocket,
    DbFile,
    DbPurgeAge,
    DbMaxMatches,
}

impl ServerKey {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::LogLevel => "loglevel",
            Self::LogTarget => "logtarget",
            Self::SyslogSocket => "syslogsocket",
            Self::DbFile => "dbfile",
            Self::DbPurgeAge => "dbpurgeage",
            Self::DbMaxMatches => "dbmaxmatches",
        }
    }
}

/// One command for fail2ban's socket.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Ping,
    Version,
    /// Server status: the jail list.
    Status,
    /// `status <jail>`: counters, file list and banned IP list.
    JailStatus(JailName),
    /// `status <jail> short`: counters only (no banned IP list).
    JailStatusShort(JailName),
    Get(JailName, JailKey),
    /// `get <jail> banip --with-time`: active bans with start, duration and end.
    BanListWithTime(JailName),
    BanIp(JailName, Vec<IpAddr>),
    /// `set <jail> unbanip --report-absent ...`: errors when an address was not banned.
    UnbanIp(JailName, Vec<IpAddr>),
    /// `set <jail> banip ...` with addresses or networks (blocklist entries); see [`net_text`].
    BanNets(JailName, Vec<IpNet>),
    /// `set <jail> unbanip --report-absent ...` with addresses or networks. Careful: fail2ban
    /// reads a network that is not itself banned as "every banned address inside it".
    UnbanNets(JailName, Vec<IpNet>),
    /// `unban <ip>...` in every jail; answers how many bans were lifted.
    UnbanEverywhere(Vec<IpAddr>),
    /// `unban --all`: lifts every ban in every jail.
    UnbanAll,
    StopJail(JailName),
    SetIdle(JailName, bool),
    /// `set <jail> addignoreip <ip|cidr>`.
    AddIgnoreIp(JailName, String),
    /// `set <jail> delignoreip <ip|cidr>`.
    DelIgnoreIp(JailName, String),
    SetIgnoreSelf(JailName, bool),
    GetServer(ServerKey),
    SetServer(ServerKey, String),
    FlushLogs,
    /// `stop`: the whole server shuts down after answering.
    Stop,
}

fn s(text: &str) -> Value {
    Value::Str(text.to_owned())
}

fn ips(list: &[IpAddr]) -> impl Iterator<Item = Value> + '_ {
    list.iter().map(|ip| Value::Str(ip.to_string()))
}

/// A ban target as fail2ban writes it: a host network (`/32`, `/128`) as a plain address
/// (fail2ban keeps `192.0.2.7/32` apart from `192.0.2.7`), any other network as `addr/prefix`
/// with the host bits cleared, the form `get <jail> banned` reports.
pub fn net_text(net: &IpNet) -> String {
    if net.prefix_len() == net.max_prefix_len() {
        net.addr().to_string()
    } else {
        net.trunc().to_string()
    }
}

/// Reads back an entry of a banned list (or [`net_text`]'s output): an address becomes a host
/// network. `None` for anything else (fail2ban accepts any string as a ban id).
pub fn parse_net_text(text: &str) -> Option<IpNet> {
    match text.parse::<IpAddr>() {
        Ok(ip) => Some(IpNet::from(ip)),
        Err(_) => text.parse::<IpNet>().ok().map(|n| n.trunc()),
    }
}

fn nets(list: &[IpNet]) -> impl Iterator<Item = Value> + '_ {
    list.iter().map(|net| Value::Str(net_text(net)))
}

fn on_off(on: bool) -> Value {
    s(if on { "on" } else { "off" })
}

fn bool_word(on: bool) -> Value {
    s(if on { "true" } else { "false" })
}

fn unban_words(j: &JailName) -> impl Iterator<Item = Value> {
    [s("set"), s(j.as_str()), s("unbanip"), s("--report-absent")].into_iter()
}

impl Command {
    /// The argument list sent over the socket.
    pub fn args(&self) -> Vec<Value> {
        match self {
            Self::Ping => vec![s("ping")],
            Self::Version => vec![s("version")],
            Self::Status => vec![s("status")],
            Self::JailStatus(j) => vec![s("status"), s(j.as_str())],
            Self::JailStatusShort(j) => vec![s("status"), s(j.as_str()), s("short")],
            Self::Get(j, key) => vec![s("get"), s(j.as_str()), s(key.as_str())],
            Self::BanListWithTime(j) => {
                vec![s("get"), s(j.as_str()), s("banip"), s("--with-time")]
            }
            Self::BanIp(j, list) => [s("set"), s(j.as_str()), s("banip")]
                .into_iter()
                .chain(ips(list))
                .collect(),
            Self::UnbanIp(j, list) => unban_words(j).chain(ips(list)).collect(),
            Self::BanNets(j, list) => [s("set"), s(j.as_str()), s("banip")]
                .into_iter()
                .chain(nets(list))
                .collect(),
            Self::UnbanNets(j, list) => unban_words(j).chain(nets(list)).collect(),
            Self::UnbanEverywhere(list) => std::iter::once(s("unban")).chain(ips(list)).collect(),
            Self::UnbanAll => vec![s("unban"), s("--all")],
            Self::StopJail(j) => vec![s("stop"), s(j.as_str())],
            Self::SetIdle(j, on) => vec![s("set"), s(j.as_str()), s("idle"), on_off(*on)],
            Self::AddIgnoreIp(j, entry) => {
                vec![s("set"), s(j.as_str()), s("addignoreip"), s(entry)]
            }
            Self::DelIgnoreIp(j, entry) => {
                vec![s("set"), s(j.as_str()), s("delignoreip"), s(entry)]
            }
            Self::SetIgnoreSelf(j, on) => {
                vec![s("set"), s(j.as_str()), s("ignoreself"), bool_word(*on)]
            }
            Self::GetServer(key) => vec![s("get"), s(key.as_str())],
            Self::SetServer(key, value) => vec![s("set"), s(key.as_str()), s(value)],
            Self::FlushLogs => vec![s("flushlogs")],
            Self::Stop => vec![s("stop")],
        }
    }

    /// A short human-readable name for errors and logs (no argument values beyond the jail).
    pub fn name(&self) -> String {
        match self {
            Self::Get(j, key) => format!("get {j} {}", key.as_str()),
            Self::GetServer(key) => format!("get {}", key.as_str()),
            Self::SetServer(key, _) => format!("set {}", key.as_str()),
            other => {
                let args = other.args();
                let words: Vec<&str> = args.iter().take(3).filter_map(Value::as_str).collect();
                words.join(" ")
            }
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(cmd: &Command) -> Vec<String> {
        cmd.args()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn commands_have_fail2ban_wire_form() {
        let sshd: JailName = "sshd".parse().unwrap();
        assert_eq!(words(&Command::Status), ["status"]);
        assert_eq!(
            words(&Command::BanIp(
                sshd.clone(),
                vec!["192.0.2.1".parse().unwrap(), "2001:db8::1".parse().unwrap()]
            )),
            ["set", "sshd", "banip", "192.0.2.1", "2001:db8::1"]
        );
        assert_eq!(
            words(&Command::UnbanIp(
                sshd.clone(),
                vec!["192.0.2.1".parse().unwrap()]
            )),
            ["set", "sshd", "unbanip", "--report-absent", "192.0.2.1"]
        );
        assert_eq!(
            words(&Command::Get(sshd.clone(), JailKey::BantimeIncrement)),
            ["get", "sshd", "bantime.increment"]
        );
        assert_eq!(
            words(&Command::SetIdle(sshd.clone(), true)),
            ["set", "sshd", "idle", "on"]
        );
        assert_eq!(
            words(&Command::BanListWithTime(sshd)),
            ["get", "sshd", "banip", "--with-time"]
        );
        assert_eq!(words(&Command::UnbanAll), ["unban", "--all"]);
    }

    #[test]
    fn networks_are_sent_as_fail2ban_reports_them() {
        let sshd: JailName = "sshd".parse().unwrap();
        let nets: Vec<IpNet> = [
            "192.0.2.5/24",
            "198.51.100.7/32",
            "2001:db8::/48",
            "2001:db8::1/128",
        ]
        .iter()
        .map(|n| n.parse().unwrap())
        .collect();
        assert_eq!(
            words(&Command::BanNets(sshd.clone(), nets.clone())),
            [
                "set",
                "sshd",
                "banip",
                "192.0.2.0/24",
                "198.51.100.7",
                "2001:db8::/48",
                "2001:db8::1"
            ]
        );
        assert_eq!(
            words(&Command::UnbanNets(sshd, nets[..1].to_vec())),
            ["set", "sshd", "unbanip", "--report-absent", "192.0.2.0/24"]
        );
        for n in &nets {
            assert_eq!(parse_net_text(&net_text(n)), Some(n.trunc()));
        }
        assert_eq!(parse_net_text("192.0.2.7"), "192.0.2.7/32".parse().ok());
        assert_eq!(parse_net_text("not-an-ip"), None);
    }

    #[test]
    fn names_do_not_leak_values() {
        let cmd = Command::SetServer(ServerKey::LogTarget, "/secret/path".into());
        assert_eq!(cmd.name(), "set logtarget");
    }
}
