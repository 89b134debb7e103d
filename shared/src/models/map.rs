//! `GET/PUT /api/v1/config/map-color-thresholds`: how the world map colours a country by its
//! ban count. A country with at least `min_bans` bans takes the colour of the highest step it
//! reaches; below the first step it stays uncoloured.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColorThreshold {
    /// Ban count from which this colour applies (at least 1).
    pub min_bans: u64,
    /// `#rrggbb`.
    pub color: String,
}

/// The request body of the PUT and the stored value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapColorThresholds {
    /// 1 to [`MAX_THRESHOLDS`] steps with strictly increasing `min_bans`.
    pub thresholds: Vec<ColorThreshold>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapColorThresholdsResponse {
    pub thresholds: Vec<ColorThreshold>,
    /// True while nobody has saved thresholds (the defaults are shown).
    pub is_default: bool,
}

pub const MAX_THRESHOLDS: usize = 10;

/// Why thresholds are refused; each names the step (0-based) and field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThresholdError {
    #[error("thresholds must have 1 to {MAX_THRESHOLDS} steps, got {0}")]
    Count(usize),
    #[error("thresholds[{index}].min_bans must be at least 1")]
    Zero { index: usize },
    #[error(
        "thresholds[{index}].min_bans ({value}) must be greater than the step before ({previous}): \
         steps must be strictly increasing"
    )]
    NotIncreasing {
        index: usize,
        value: u64,
        previous: u64,
    },
    #[error("thresholds[{index}].color {color:?} is not a #rrggbb colour")]
    Color { index: usize, color: String },
}

impl ThresholdError {
    /// The offending field, e.g. `thresholds[2].min_bans`.
    pub fn field(&self) -> String {
        match self {
            Self::Count(_) => "thresholds".into(),
            Self::Zero { index } | Self::NotIncreasing { index, .. } => {
                format!("thresholds[{index}].min_bans")
            }
            Self::Color { index, .. } => format!("thresholds[{index}].color"),
        }
    }
}

fn is_hex_color(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s[1..].chars().all(|c| c.is_ascii_hexdigit())
}

impl MapColorThresholds {
    /// Four steps from pale yellow to dark red.
    pub fn defaults() -> Self {
        let step = |min_bans, color: &str| ColorThreshold {
            min_bans,
            color: color.to_owned(),
        };
        Self {
            thresholds: vec![
                step(1, "#fde68a"),
                step(10, "#f59e0b"),
                step(50, "#ef4444"),
                step(100, "#991b1b"),
            ],
        }
    }

    /// Checks the steps and lower-cases the colours.
    pub fn validated(mut self) -> Result<Self, ThresholdError> {
        let n = self.thresholds.len();
        if n == 0 || n > MAX_THRESHOLDS {
            return Err(ThresholdError::Count(n));
        }
        let mut previous: Option<u64> = None;
        for (index, t) in self.thresholds.iter_mut().enumerate() {
            if t.min_bans == 0 {
                return Err(ThresholdError::Zero { index });
            }
            if let Some(previous) = previous.filter(|p| t.min_bans <= *p) {
                return Err(ThresholdError::NotIncreasing {
                    index,
                    value: t.min_bans,
                    previous,
                });
            }
            if !is_hex_color(&t.color) {
                return Err(ThresholdError::Color {
                    index,
                    color: t.color.chars().take(40).collect(),
                });
            }
            t.color = t.color.to_ascii_lowercase();
            previous = Some(t.min_bans);
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(list: &[(u64, &str)]) -> MapColorThresholds {
        MapColorThresholds {
            thresholds: list
                .iter()
                .map(|(m, c)| ColorThreshold {
                    min_bans: *m,
                    color: (*c).to_owned(),
                })
                .collect(),
        }
    }

    #[test]
    fn defaults_are_valid() {
        let d = MapColorThresholds::defaults();
        assert_eq!(d.clone().validated().unwrap(), d);
    }

    #[test]
    fn steps_must_increase_strictly() {
        let err = steps(&[(1, "#000000"), (5, "#111111"), (5, "#222222")])
            .validated()
            .unwrap_err();
        assert_eq!(err.field(), "thresholds[2].min_bans");
        assert!(err.to_string().contains("strictly increasing"), "{err}");
        let err = steps(&[(10, "#000000"), (3, "#111111")])
            .validated()
            .unwrap_err();
        assert!(matches!(
            err,
            ThresholdError::NotIncreasing { index: 1, .. }
        ));
    }

    #[test]
    fn bad_values_name_their_field() {
        let cases = [
            (steps(&[]), "thresholds"),
            (steps(&[(0, "#000000")]), "thresholds[0].min_bans"),
            (steps(&[(1, "red")]), "thresholds[0].color"),
            (steps(&[(1, "#12345")]), "thresholds[0].color"),
            (steps(&[(1, "#00000g")]), "thresholds[0].color"),
            (steps(&[(1, "#0000000")]), "thresholds[0].color"),
        ];
        for (t, field) in cases {
            assert_eq!(t.validated().unwrap_err().field(), field);
        }
        let eleven: Vec<(u64, &str)> = (1..=11).map(|i| (i, "#000000")).collect();
        assert_eq!(
            steps(&eleven).validated().unwrap_err().field(),
            "thresholds"
        );
    }

    #[test]
    fn colours_are_lower_cased() {
        let t = steps(&[(1, "#ABCDEF")]).validated().unwrap();
        assert_eq!(t.thresholds[0].color, "#abcdef");
    }
}
