//! The Spin component for the `health` router group. It serves `/api/v1/health` (public) and the
//! fleet extra `GET /api/v1/hosts`.
//!
//! Only the group's policy lives here; the request flow is `bangui_edge`'s.

use bangui_edge::{view, Group, Merge, Policy};

/// Health is a fleet view: every agent is asked and the worst status wins (200 only when all
/// are `ok`). This component also lists the fleet at `/api/v1/hosts`.
static POLICY: Policy = Policy {
    group: Group::Health,
    app_level: false,
    rules: &[view("/api/v1/health", Merge::Health)],
    inventory: true,
};

bangui_edge::component!(POLICY);
