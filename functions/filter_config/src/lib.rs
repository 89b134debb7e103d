//! The Spin component for the `filter_config` router group. It serves `/api/v1/config/filters...`:
//! filter definitions.
//!
//! Only the group's policy lives here; the request flow is `bangui_edge`'s.

use bangui_edge::{Group, Policy};

/// No fleet views: reads go to the control agent unless `?host=` names another; changes without
/// `?host=` go to every agent.
static POLICY: Policy = Policy {
    group: Group::FilterConfig,
    app_level: false,
    rules: &[],
    inventory: false,
};

bangui_edge::component!(POLICY);
