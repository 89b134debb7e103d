//! End-to-end tests of `/api/v1/config/jails*`, `/config/filters*` and `/config/actions*`
//! against real fail2ban-servers, plus the oracle: the agent's config reader against
//! `fail2ban-client -d` on the Debian tree and on fixture trees with tricky files.

mod actions;
mod common;
mod crash;
mod filters;
mod jails;
mod oracle;
