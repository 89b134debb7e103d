//! `/api/v1/config/map-color-thresholds`: the world map's colour steps, kept in the agent's
//! store (defaults until someone saves them).

use bangui_shared::models::map::{MapColorThresholds, MapColorThresholdsResponse};
use bangui_shared::ApiError;

use crate::http::request::ApiRequest;
use crate::http::respond::Reply;
use crate::state::AppState;
use crate::store::settings::{self, MAP_COLOR_THRESHOLDS};

pub async fn get(state: &AppState) -> Result<Reply, ApiError> {
    let saved: Option<MapColorThresholds> = state
        .auth
        .store()
        .run(|c| settings::get_json(c, MAP_COLOR_THRESHOLDS))
        .await?;
    let is_default = saved.is_none();
    let t = saved.unwrap_or_else(MapColorThresholds::defaults);
    Reply::ok(&MapColorThresholdsResponse {
        thresholds: t.thresholds,
        is_default,
    })
}

pub async fn put(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let body: MapColorThresholds = req.json()?;
    let t = body
        .validated()
        .map_err(|e| ApiError::invalid_field(&e.field(), e.to_string()))?;
    let stored = t.clone();
    state
        .auth
        .store()
        .run(move |c| settings::set_json(c, MAP_COLOR_THRESHOLDS, &stored))
        .await?;
    Reply::ok(&MapColorThresholdsResponse {
        thresholds: t.thresholds,
        is_default: false,
    })
}
