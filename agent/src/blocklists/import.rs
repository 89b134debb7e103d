//! One import of a source: download, parse, drop ignored entries, lift the bans of entries
//! that left the list, then ban what is not banned yet, in batches.
//!
//! Entries are networks (an address is a host network); fail2ban 1.0.2 bans a network as one
//! ticket and reports it back as `addr/prefix` in `get <jail> banned`.
//!
//! The import is idempotent and resumable: what to ban is "listed minus already banned in the
//! jail", and the remembered entries are replaced before banning starts. A run cut short (a
//! crash, fail2ban going away) leaves its log entry failed, and the next run bans the rest.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use chrono::Utc;
use ipnet::IpNet;

use bangui_shared::models::blocklists::{
    BlocklistSource, ImportCounts, ImportRunResult, ImportSourceResult, ImportStatus, InvalidLine,
};
use bangui_shared::validate::{parse_ip_or_net, IpOrNet, JailName};
use bangui_shared::{ApiError, ErrorCode};

use crate::fail2ban::codec::MAX_REQUEST_BYTES;
use crate::fail2ban::command::{net_text, parse_net_text};
use crate::fail2ban::{reply, Client, Command, Fail2banError, JailKey};
use crate::state::AppState;
use crate::store::blocklists::{self as db, LogCounts};

use super::fetch::FetchError;
use super::guard::check_url;
use super::parse::{overlap, parse, Parsed};
use super::{jail, RunGuard};

/// The first batch of a run (small: a slow ban action may take milliseconds per address);
/// later ones are sized from the time fail2ban took per address.
const FIRST_BATCH: usize = 200;
const MIN_BATCH: usize = 50;
/// Longest entry (an IPv6 network, 39 characters plus `/127`) plus its pickle framing, in bytes.
const MAX_ENTRY_BYTES: usize = 52;
/// The most entries per `banip`: keeps a request well under the codec's size limit.
pub const MAX_BATCH: usize = MAX_REQUEST_BYTES / MAX_ENTRY_BYTES / 2;
/// Unbans go in fixed batches: fail2ban answers them quickly.
const UNBAN_BATCH: usize = 1_000;

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Fetch(#[from] FetchError),
    #[error("{}", .0.detail)]
    Api(#[from] ApiError),
}

impl From<Fail2banError> for ImportError {
    fn from(e: Fail2banError) -> Self {
        Self::Api(e.into())
    }
}

impl From<crate::store::StoreError> for ImportError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Api(e.into())
    }
}

impl ImportError {
    /// The API's answer when this was the only source asked for.
    pub fn to_api(&self) -> ApiError {
        match self {
            Self::Fetch(e) => fetch_api_error(e),
            Self::Api(e) => e.clone(),
        }
    }
}

/// 400 for a URL the guard refuses, 502 when the list cannot be downloaded.
pub fn fetch_api_error(e: &FetchError) -> ApiError {
    if e.is_refusal() {
        ApiError::invalid_field("url", e.to_string())
    } else {
        ApiError::new(
            ErrorCode::UpstreamUnreachable,
            format!("the list could not be downloaded: {e}"),
        )
        .with("reason", e.to_string())
    }
}

/// Entries of a list, split by the ignore lists.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    pub parsed: Parsed,
    /// Entries to ban (not ignored), in list order.
    pub entries: Vec<IpNet>,
}

/// Splits `entries` into (ignored, kept). An entry is ignored when it shares an address with
/// an ignore entry: when the ignore entry contains it, and also when an ignored address or
/// network lies inside a listed network. The network is then skipped whole (fail2ban cannot
/// ban a network minus a hole), so an import never bans over an ignored address.
pub fn split_ignored(entries: Vec<IpNet>, ignore: &[IpOrNet]) -> (Vec<IpNet>, Vec<IpNet>) {
    entries.into_iter().partition(|net| {
        ignore.iter().any(|i| match i {
            IpOrNet::Addr(ip) => net.contains(ip),
            IpOrNet::Net(n) => overlap(n, net),
        })
    })
}

/// Downloads and parses the list of `source` and drops entries the ignore lists cover. The
/// jail's own ignore list is used when the jail runs.
pub async fn read_list(state: &AppState, source: &BlocklistSource) -> Result<Checked, ImportError> {
    let body = state.blocklists.fetcher.fetch(&source.url).await?;
    let (format, max) = (source.format, source.max_entries);
    let mut parsed = tokio::task::spawn_blocking(move || parse(&body, format, max))
        .await
        .map_err(|e| ApiError::internal(format!("parse task failed: {e}")))?;
    let ignore = ignore_list(state, &source.jail).await?;
    let all = std::mem::take(&mut parsed.entries);
    let (ignored, entries) = split_ignored(all, &ignore);
    parsed.counts.ignored = ignored.len() as u64;
    parsed.counts.valid = entries.len() as u64;
    Ok(Checked { parsed, entries })
}

/// The jail's ignore list (when it runs) and `[blocklists] ignore`.
async fn ignore_list(state: &AppState, jail: &str) -> Result<Vec<IpOrNet>, ImportError> {
    let mut list: Vec<IpOrNet> = state
        .config
        .blocklists
        .ignore
        .iter()
        .map(|n| IpOrNet::Net(*n))
        .collect();
    let Ok(name) = jail.parse::<JailName>() else {
        return Ok(list);
    };
    match state
        .fail2ban()
        .call(Command::Get(name, JailKey::IgnoreIp))
        .await
    {
        // Host names in an ignore list cannot be matched without DNS; fail2ban keeps them.
        Ok(v) => list.extend(
            reply::strings(v)?
                .iter()
                .filter_map(|s| parse_ip_or_net(s).ok()),
        ),
        Err(e) if e.is_unknown_jail() => {}
        Err(e) => return Err(e.into()),
    }
    Ok(list)
}

/// The addresses and networks banned in `jail` right now.
async fn banned_in(client: &Client, jail: &JailName) -> Result<HashSet<IpNet>, Fail2banError> {
    let status = reply::jail_status(client.call(Command::JailStatus(jail.clone())).await?)?;
    Ok(status
        .banned
        .iter()
        .filter_map(|s| parse_net_text(s))
        .collect())
}

/// Bans `ips` in batches; `banned` counts new bans as they happen (also on error). Each batch
/// is sized to take about a quarter of the command deadline at the last measured speed: the
/// ban action runs inside the command, and fail2ban serves nobody else meanwhile.
pub async fn ban_in_batches(
    client: &Client,
    jail: &JailName,
    ips: &[IpNet],
    deadline: Duration,
    banned: &mut u64,
) -> Result<(), Fail2banError> {
    let budget = deadline / 4;
    let mut size = FIRST_BATCH.min(MAX_BATCH);
    let mut rest = ips;
    while !rest.is_empty() {
        let (batch, tail) = rest.split_at(size.min(rest.len()));
        let started = Instant::now();
        let reply = client
            .call(Command::BanNets(jail.clone(), batch.to_vec()))
            .await?;
        *banned += reply::int(reply)?.max(0) as u64;
        let per_ip = started.elapsed().as_secs_f64() / batch.len() as f64;
        size = if per_ip > 0.0 {
            ((budget.as_secs_f64() / per_ip) as usize).clamp(MIN_BATCH, MAX_BATCH)
        } else {
            MAX_BATCH
        };
        rest = tail;
    }
    Ok(())
}

/// Lifts bans in `jail`; entries no longer banned (expired meanwhile) are skipped. Only
/// entries seen in the banned list come here: fail2ban reads `unbanip <network>` for a network
/// that is not itself banned as "every banned address inside it".
async fn unban(client: &Client, jail: &JailName, ips: &[IpNet]) -> Result<u64, Fail2banError> {
    let mut lifted = 0;
    for batch in ips.chunks(UNBAN_BATCH) {
        match client
            .call(Command::UnbanNets(jail.clone(), batch.to_vec()))
            .await
        {
            Ok(v) => lifted += reply::int(v)?.max(0) as u64,
            // `--report-absent` refuses the whole batch when one address is not banned.
            Err(Fail2banError::Exception { .. }) => {
                for ip in batch {
                    if let Ok(v) = client
                        .call(Command::UnbanNets(jail.clone(), vec![*ip]))
                        .await
                    {
                        lifted += reply::int(v)?.max(0) as u64;
                    }
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(lifted)
}

/// What a run did so far (kept when it stops early).
#[derive(Debug, Default)]
struct Progress {
    counts: ImportCounts,
    invalid_samples: Vec<InvalidLine>,
    banned: u64,
    already_banned: u64,
    unbanned: u64,
}

/// Imports one source; the caller holds its [`RunGuard`]. The result is also the log entry.
pub async fn import_source(
    state: &AppState,
    source: &BlocklistSource,
    _claim: &RunGuard,
) -> (ImportSourceResult, Option<ImportError>) {
    let started_at = Utc::now();
    let clock = Instant::now();
    let store = state.auth.store().clone();
    let (id, name) = (source.id, source.name.clone());
    let log_id = store
        .run(move |c| db::start_log(c, id, &name, started_at.timestamp_millis()))
        .await;
    let mut progress = Progress::default();
    let outcome = match &log_id {
        Ok(_) => steps(state, source, &mut progress).await,
        Err(e) => Err(ImportError::Api(ApiError::internal(e.to_string()))),
    };
    let status = if outcome.is_ok() {
        ImportStatus::Completed
    } else {
        ImportStatus::Failed
    };
    let errors: Vec<String> = outcome
        .as_ref()
        .err()
        .map(|e| e.to_string())
        .into_iter()
        .collect();
    let duration_ms = clock.elapsed().as_millis() as u64;
    let p = &progress;
    let counts = LogCounts {
        fetched_bytes: p.counts.fetched_bytes,
        valid: p.counts.valid,
        invalid: p.counts.invalid,
        ignored: p.counts.ignored,
        banned: p.banned,
        unbanned: p.unbanned,
    };
    let log_id = log_id.unwrap_or(0);
    if log_id > 0 {
        let errs = errors.clone();
        if let Err(e) = store
            .run(move |c| db::finish_log(c, log_id, status, &counts, &errs, duration_ms))
            .await
        {
            tracing::error!(error = %e, "cannot finish the import log entry");
        }
    }
    if let Err(e) = &outcome {
        tracing::warn!(source = source.id, error = %e, "blocklist import failed");
    } else {
        tracing::info!(
            source = source.id,
            banned = p.banned,
            unbanned = p.unbanned,
            valid = p.counts.valid,
            duration_ms,
            "blocklist imported"
        );
    }
    let result = ImportSourceResult {
        source_id: source.id,
        source_name: source.name.clone(),
        log_id,
        status,
        jail: source.jail.clone(),
        counts: progress.counts.clone(),
        banned: progress.banned,
        already_banned: progress.already_banned,
        unbanned: progress.unbanned,
        ips_imported: progress.banned,
        ips_skipped: progress.counts.ignored + progress.counts.invalid,
        invalid_samples: progress.invalid_samples,
        errors,
        started_at,
        duration_ms,
    };
    (result, outcome.err())
}

async fn steps(
    state: &AppState,
    source: &BlocklistSource,
    progress: &mut Progress,
) -> Result<(), ImportError> {
    let checked = read_list(state, source).await?;
    progress.counts = checked.parsed.counts.clone();
    progress.invalid_samples = checked.parsed.invalid_samples.clone();
    jail::ensure(state, &source.jail).await?;
    let jail: JailName = source.jail.parse()?;
    let client = state.fail2ban();
    let banned_now = banned_in(&client, &jail).await?;
    let listed: HashSet<IpNet> = checked.entries.iter().copied().collect();

    // Lift the bans of entries that left the list, before forgetting them.
    if source.unban_removed {
        progress.unbanned = unban_removed(state, source, &listed, &banned_now).await?;
    }
    let store = state.auth.store().clone();
    let (id, jail_name, entries) = (source.id, source.jail.clone(), checked.entries.clone());
    store
        .run(move |c| db::replace_entries(c, id, &jail_name, &entries))
        .await?;

    let to_ban: Vec<IpNet> = checked
        .entries
        .iter()
        .filter(|ip| !banned_now.contains(ip))
        .copied()
        .collect();
    progress.already_banned = (checked.entries.len() - to_ban.len()) as u64;
    let deadline = state.config.fail2ban.command_timeout();
    ban_in_batches(&client, &jail, &to_ban, deadline, &mut progress.banned).await?;
    Ok(())
}

/// Unbans what the source listed last time but no longer lists, unless another source of the
/// same jail still lists it or it is not banned any more.
async fn unban_removed(
    state: &AppState,
    source: &BlocklistSource,
    listed: &HashSet<IpNet>,
    banned_now: &HashSet<IpNet>,
) -> Result<u64, ImportError> {
    let store = state.auth.store().clone();
    let id = source.id;
    let stored = store.run(move |c| db::entries(c, id)).await?;
    let mut removed: HashMap<String, Vec<IpNet>> = HashMap::new();
    for (ip, jail) in stored {
        let Some(ip) = parse_net_text(&ip) else {
            continue;
        };
        // A source moved to another jail leaves all its old bans behind.
        if jail != source.jail || !listed.contains(&ip) {
            removed.entry(jail).or_default().push(ip);
        }
    }
    let client = state.fail2ban();
    let mut lifted = 0;
    for (jail, ips) in removed {
        let Ok(name) = jail.parse::<JailName>() else {
            continue;
        };
        let banned = if jail == source.jail {
            banned_now.clone()
        } else {
            match banned_in(&client, &name).await {
                Ok(b) => b,
                Err(e) if e.is_unknown_jail() => continue,
                Err(e) => return Err(e.into()),
            }
        };
        let j = jail.clone();
        let others: HashSet<String> = store
            .run(move |c| db::entries_of_others(c, id, &j))
            .await?
            .into_iter()
            .collect();
        let to_unban: Vec<IpNet> = ips
            .into_iter()
            .filter(|ip| banned.contains(ip) && !others.contains(&net_text(ip)))
            .collect();
        lifted += unban(&client, &name, &to_unban).await?;
    }
    Ok(lifted)
}

/// Imports the enabled sources (or only `only`), one after another. Every source is claimed
/// first: when one is already being imported the whole request is a 409 and nothing runs.
pub async fn import_all(state: &AppState, only: Option<i64>) -> Result<ImportRunResult, ApiError> {
    let store = state.auth.store().clone();
    let sources = store.run(|c| db::list_sources(c)).await?;
    let sources: Vec<BlocklistSource> = match only {
        Some(id) => {
            let s = sources
                .into_iter()
                .find(|s| s.id == id)
                .ok_or_else(|| source_not_found(id))?;
            vec![s]
        }
        None => sources.into_iter().filter(|s| s.enabled).collect(),
    };
    let mut claimed = Vec::with_capacity(sources.len());
    for source in sources {
        let Some(guard) = state.blocklists.try_start(source.id) else {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                format!("an import of source '{}' is already running", source.name),
            )
            .with("source_id", source.id));
        };
        claimed.push((source, guard));
    }
    let mut run = ImportRunResult {
        results: Vec::with_capacity(claimed.len()),
        total_banned: 0,
        total_unbanned: 0,
        errors: 0,
    };
    for (source, guard) in &claimed {
        let (result, error) = import_source(state, source, guard).await;
        if let (Some(e), Some(_)) = (&error, only) {
            // One source asked for by id: its failure is the answer.
            return Err(e.to_api().with("log_id", result.log_id));
        }
        run.total_banned += result.banned;
        run.total_unbanned += result.unbanned;
        run.errors += u64::from(result.status == ImportStatus::Failed);
        run.results.push(result);
    }
    Ok(run)
}

/// Checks a URL before it is saved: its form, and that its host does not resolve to a
/// forbidden address. A host that does not resolve now is accepted (checked at each fetch).
pub async fn check_source_url(state: &AppState, raw: &str) -> Result<String, ApiError> {
    let url = check_url(raw).map_err(|e| ApiError::invalid_field("url", e.to_string()))?;
    match state.blocklists.fetcher.guard().resolve(&url).await {
        Err(e) if !e.is_transient() => Err(ApiError::invalid_field("url", e.to_string())),
        _ => Ok(url.to_string()),
    }
}

pub fn source_not_found(id: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        ErrorCode::BlocklistSourceNotFound,
        format!("blocklist source {id} does not exist"),
    )
    .with("source_id", id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blocklists::guard::GuardError;

    #[test]
    fn refusals_are_400_and_download_failures_502() {
        let refused = FetchError::Refused(GuardError::Scheme("file".into()));
        let e = fetch_api_error(&refused);
        assert_eq!((e.status(), e.code), (400, ErrorCode::InvalidInput));
        let down = FetchError::Status {
            url: "http://x/".into(),
            status: 404,
        };
        let e = fetch_api_error(&down);
        assert_eq!((e.status(), e.code), (502, ErrorCode::UpstreamUnreachable));
        assert!(e.detail.contains("404"));
    }

    #[test]
    fn ignore_entries_skip_networks_that_overlap_them() {
        let nets = |list: &[&str]| -> Vec<IpNet> {
            list.iter().map(|n| parse_net_text(n).unwrap()).collect()
        };
        let ignore: Vec<IpOrNet> = ["10.0.0.0/8", "192.0.2.77", "2001:db8:1::/48"]
            .iter()
            .map(|e| e.parse().unwrap())
            .collect();
        let listed = nets(&[
            "10.1.2.0/24",     // inside an ignored network
            "10.9.9.9",        // an address inside an ignored network
            "192.0.2.0/24",    // holds an ignored address
            "2001:db8::/32",   // holds an ignored network
            "192.0.2.77",      // the ignored address itself
            "198.51.100.0/24", // unrelated
            "192.0.3.1",
            "2001:db8:2::/48",
        ]);
        let (ignored, kept) = split_ignored(listed, &ignore);
        let text = |v: &[IpNet]| v.iter().map(net_text).collect::<Vec<_>>();
        assert_eq!(
            text(&ignored),
            [
                "10.1.2.0/24",
                "10.9.9.9",
                "192.0.2.0/24",
                "2001:db8::/32",
                "192.0.2.77"
            ]
        );
        assert_eq!(
            text(&kept),
            ["198.51.100.0/24", "192.0.3.1", "2001:db8:2::/48"]
        );
    }

    #[test]
    fn the_largest_batch_fits_one_request() {
        // The longest text: a full IPv6 address with a two-digit prefix and no `::`.
        let nets: Vec<IpNet> = (0..MAX_BATCH)
            .map(|i| {
                let addr = std::net::Ipv6Addr::new(
                    0xffff,
                    0xffff,
                    0xffff,
                    0xffff,
                    0xffff,
                    0xffff,
                    0xffff,
                    (i as u16 | 0x8000) & !1,
                );
                IpNet::V6(ipnet::Ipv6Net::new(addr, 127).unwrap())
            })
            .collect();
        assert!(nets.iter().all(|n| net_text(n).len() == 43));
        let jail: JailName = "blocklist-import".parse().unwrap();
        let mut out = Vec::new();
        crate::fail2ban::codec::encode_request(&Command::BanNets(jail, nets).args(), &mut out)
            .expect("a full batch of the longest entries encodes");
        assert!(out.len() <= MAX_REQUEST_BYTES, "{} bytes", out.len());
    }
}
