//! Asking several agents at once. The sends are joined with `futures::future::join_all`: Spin's
//! executor polls every outbound request's pollable in one `poll(list)` call, so they are in
//! flight together (verified in `shared/notes/probes.md`). A slow agent therefore costs its own
//! time, not the sum; each send is bounded by its [`crate::forward::Timeouts`].

use bangui_shared::pagination::{PageRequest, MAX_PAGE_SIZE};
use futures::future::join_all;
use serde_json::Value;

use crate::forward::{answer, success, Outbound, Transport};
use crate::hosts::Agent;
use crate::merge::HostResult;

/// Deepest item a paginated fleet view can reach without `?host=`.
pub const MAX_FLEET_DEPTH: usize = 10_000;

/// Sends one request per agent, concurrently, and reads each answer (`accept` says which
/// statuses carry data).
pub async fn each<T: Transport>(
    transport: &T,
    agents: &[Agent],
    build: impl Fn(&Agent) -> Outbound,
    accept: fn(u16) -> bool,
) -> Vec<HostResult> {
    let sends = agents.iter().map(|a| transport.send(build(a)));
    let sent = join_all(sends).await;
    agents
        .iter()
        .zip(sent)
        .map(|(a, r)| (a.name.clone(), answer(a, r, accept)))
        .collect()
}

/// Fetches, from every agent, the items a merged `page` needs: each agent's first
/// `offset + page_size` items. One concurrent round asks for page 1 (up to [`MAX_PAGE_SIZE`]
/// items); a second concurrent round fetches the remaining pages of the agents that have more.
/// `build(agent, page, page_size)` makes the request.
pub async fn pages<T: Transport>(
    transport: &T,
    agents: &[Agent],
    page: PageRequest,
    build: impl Fn(&Agent, u32, u32) -> Outbound,
) -> Vec<HostResult> {
    let need = page.offset() + page.page_size as usize;
    let size = u32::try_from(need).unwrap_or(u32::MAX).min(MAX_PAGE_SIZE);
    let mut results = each(transport, agents, |a| build(a, 1, size), success).await;

    // (agent index, page number) of every page still missing.
    let mut more: Vec<(usize, u32)> = Vec::new();
    for (i, (_, r)) in results.iter().enumerate() {
        let Ok(first) = r else { continue };
        let total = first
            .body
            .pointer("/pagination/total")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let want = usize::try_from(total).unwrap_or(usize::MAX).min(need);
        let pages = want.div_ceil(size as usize);
        more.extend((2..=pages).map(|p| (i, u32::try_from(p).unwrap_or(u32::MAX))));
    }
    if more.is_empty() {
        return results;
    }
    let sends = more
        .iter()
        .map(|(i, p)| transport.send(build(&agents[*i], *p, size)));
    let sent = join_all(sends).await;
    for ((i, _), r) in more.iter().zip(sent) {
        let agent = &agents[*i];
        let extra = answer(agent, r, success).and_then(|a| {
            a.body
                .get("items")
                .and_then(Value::as_array)
                .cloned()
                .ok_or_else(|| {
                    bangui_shared::ApiError::internal(format!(
                        "agent {} answered a list without `items`",
                        agent.name
                    ))
                })
        });
        let slot = &mut results[*i].1;
        match (extra, slot.as_mut()) {
            (Ok(items), Ok(first)) => {
                if let Some(list) = first.body.get_mut("items").and_then(Value::as_array_mut) {
                    list.extend(items);
                }
            }
            // A page that failed makes the whole host an error entry: half a list would be
            // merged as if it were all of it.
            (Err(e), Ok(_)) => *slot = Err(e),
            (_, Err(_)) => {}
        }
    }
    results
}
