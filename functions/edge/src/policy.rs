//! Group policy: what each component declares about its routes — which are fleet views (and how
//! their answers merge), which live on the control agent. Everything a policy does not mention
//! follows the default: reads go to the control agent, state changes go to every agent.
//!
//! A component holds one `static` [`Policy`]; [`Policy::check`] (run by each component's unit
//! test) proves that every pattern it names is a route of its group in the shared route table.

use bangui_shared::routes::{find, routes_in, Group, Method, Route};

use crate::hosts::Reach;

/// A component's policy.
#[derive(Debug)]
pub struct Policy {
    /// The router group the component serves; routes of other groups are answered 404.
    pub group: Group,
    /// `true` when every route of the group is app-level state (auth, setup): control agent.
    pub app_level: bool,
    /// Per-route rules.
    pub rules: &'static [Rule],
    /// `true` for the one component that also answers `GET /api/v1/hosts`.
    pub inventory: bool,
}

/// What one route does in a fleet.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub method: Method,
    /// The route's pattern as in the route table: `"/api/v1/jails/{name}"`.
    pub pattern: &'static str,
    pub scope: Scope,
}

/// Where a route goes without `?host=`.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    /// The control agent: app-level state, or a computation that is the same on every host.
    Control,
    /// A fleet view: every agent, concurrently, answers merged with this strategy.
    View(Merge),
}

/// How the answers of a fleet view become one body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Merge {
    /// `GET /health`: the worst status wins; components are listed per host.
    Health,
    /// `{items, pagination}`: items tagged with `host`, merged by the key and re-paginated.
    /// Each agent must list its items in this key's order.
    Page(SortKey),
    /// Any other body: numbers summed, booleans all-true, equal strings kept (differing ones
    /// become `null`), objects merged key by key, arrays of objects tagged with `host` and
    /// concatenated, arrays of scalars de-duplicated — unless a [`FieldRule`] says otherwise.
    Sum(&'static [FieldRule]),
}

/// The order of merged items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    /// The item field compared (RFC 3339 times compare as times, numbers as numbers).
    pub field: &'static str,
    pub order: Order,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Asc,
    Desc,
}

/// How the values found under one field name are merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldRule {
    /// The field, at any depth: `"events"`.
    pub field: &'static str,
    pub combine: Combine,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    /// Objects tagged with `host`, concatenated, sorted by the key when there is one.
    Tag(Option<SortKey>),
    /// Objects with the same value in this field become one (their numbers summed), sorted by
    /// the key when there is one: per-jail counts across hosts.
    ByKey(&'static str, Option<SortKey>),
    /// A series keyed by this field (trend buckets by their start): elements with the same
    /// value become one, numbers summed and labels from the first host, ordered by the field.
    /// Matching by key, not position, keeps a bucket one host has and another lacks (two
    /// windows either side of a full hour, hosts in other time zones) from shifting the rest.
    Series(&'static str),
    /// The smallest value (times compare as times): `first_seen`.
    Min,
    /// The largest value: `last_seen`.
    Max,
    /// The first host's value, as it is (per-host facts that do not add up).
    First,
}

// === impl Policy ===

impl Policy {
    /// How the policy classifies `route`.
    pub fn reach(&self, route: &Route) -> Reach {
        match self.rule(route).map(|r| r.scope) {
            Some(Scope::Control) => Reach::Control,
            Some(Scope::View(_)) => Reach::View,
            None if self.app_level => Reach::Control,
            None => Reach::Default,
        }
    }

    /// The merge strategy of a fleet view.
    pub fn merge(&self, route: &Route) -> Option<Merge> {
        match self.rule(route)?.scope {
            Scope::View(m) => Some(m),
            Scope::Control => None,
        }
    }

    fn rule(&self, route: &Route) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|r| r.method == route.method && r.pattern == route.pattern)
    }

    /// Checks the policy against the route table: every rule names a route of this group, fleet
    /// views are reads, no route has two rules, and the group has routes at all.
    ///
    /// # Errors
    ///
    /// A message naming the first offending rule.
    pub fn check(&self) -> Result<(), String> {
        if routes_in(self.group).next().is_none() {
            return Err(format!("group {} has no routes", self.group));
        }
        for (i, rule) in self.rules.iter().enumerate() {
            let route = find(rule.method, rule.pattern)
                .ok_or_else(|| format!("{} {} is not a route", rule.method, rule.pattern))?;
            if route.group != self.group {
                return Err(format!("{route} belongs to group {}", route.group));
            }
            if matches!(rule.scope, Scope::View(_)) && route.method != Method::Get {
                return Err(format!("{route}: only reads can be fleet views"));
            }
            if self.rules[..i]
                .iter()
                .any(|r| r.method == rule.method && r.pattern == rule.pattern)
            {
                return Err(format!("{route} has two rules"));
            }
        }
        Ok(())
    }
}

// === constructors for component policies ===

/// A fleet view: `GET pattern` asks every agent and merges.
pub const fn view(pattern: &'static str, merge: Merge) -> Rule {
    Rule {
        method: Method::Get,
        pattern,
        scope: Scope::View(merge),
    }
}

/// A route served by the control agent alone.
pub const fn control(method: Method, pattern: &'static str) -> Rule {
    Rule {
        method,
        pattern,
        scope: Scope::Control,
    }
}

impl SortKey {
    pub const fn asc(field: &'static str) -> Self {
        Self {
            field,
            order: Order::Asc,
        }
    }

    pub const fn desc(field: &'static str) -> Self {
        Self {
            field,
            order: Order::Desc,
        }
    }
}

impl FieldRule {
    pub const fn new(field: &'static str, combine: Combine) -> Self {
        Self { field, combine }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static GOOD: Policy = Policy {
        group: Group::Bans,
        app_level: false,
        rules: &[view("/api/v1/bans/active", Merge::Sum(&[]))],
        inventory: false,
    };

    #[test]
    fn reach_follows_rules_then_app_level() {
        let active = find(Method::Get, "/api/v1/bans/active").unwrap();
        let ban = find(Method::Post, "/api/v1/bans").unwrap();
        assert_eq!(GOOD.reach(active), Reach::View);
        assert_eq!(GOOD.merge(active), Some(Merge::Sum(&[])));
        assert_eq!(GOOD.reach(ban), Reach::Default);
        let auth = Policy {
            group: Group::Auth,
            app_level: true,
            rules: &[],
            inventory: false,
        };
        let login = find(Method::Post, "/api/v1/auth/login").unwrap();
        assert_eq!(auth.reach(login), Reach::Control);
        assert!(GOOD.check().is_ok());
    }

    #[test]
    fn check_refuses_foreign_unknown_duplicate_and_write_views() {
        const FOREIGN: &[Rule] = &[view("/api/v1/jails", Merge::Sum(&[]))];
        const UNKNOWN: &[Rule] = &[view("/api/v1/bans/nope", Merge::Sum(&[]))];
        const TWICE: &[Rule] = &[
            control(Method::Post, "/api/v1/bans"),
            control(Method::Post, "/api/v1/bans"),
        ];
        const WRITE_VIEW: &[Rule] = &[Rule {
            method: Method::Delete,
            pattern: "/api/v1/bans",
            scope: Scope::View(Merge::Health),
        }];
        let cases = [
            (FOREIGN, "belongs to group"),
            (UNKNOWN, "not a route"),
            (TWICE, "two rules"),
            (WRITE_VIEW, "only reads"),
        ];
        for (rules, needle) in cases {
            let p = Policy {
                group: Group::Bans,
                app_level: false,
                rules,
                inventory: false,
            };
            let err = p.check().unwrap_err();
            assert!(err.contains(needle), "{err}");
        }
    }
}
