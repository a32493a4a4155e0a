//! A Xylo chip's own front end in a task's data pipeline: the generated audio goes through the
//! simulator of the chip's front end ([`rockpool_frontend`]), so a network is trained on
//! exactly the spike counts the chip will see.
//!
//! In a task configuration: `front_end = "syns65302"` (the family's full front end with
//! Rockpool's defaults) or a table
//! `front_end = { family = "syns65302", module = "AFESimPDM", params = { … } }` with the
//! Rockpool class and its constructor arguments under Rockpool's names.

use ndarray::Array2;
use rockpool_frontend::{Block, Family, Params, Signal};
use serde::{Deserialize, Serialize};

use crate::error::{Result, TaskError};

/// Which chip front end processes a task's audio.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ChipFrontEnd {
    /// A family's full front end with Rockpool's defaults, e.g. `"syns65302"`.
    Family(String),
    /// A front-end class of a family with constructor arguments.
    Module {
        /// The family, e.g. `"syns65302"`.
        family: String,
        /// The Rockpool class (default the full front end).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        module: Option<String>,
        /// Constructor arguments under Rockpool's names (default none).
        #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
        params: serde_json::Map<String, serde_json::Value>,
    },
}

fn config_error(
    task: &'static str,
    value: impl std::fmt::Display,
    reason: impl Into<String>,
) -> TaskError {
    TaskError::Config {
        task,
        field: "front_end",
        value: value.to_string(),
        reason: reason.into(),
    }
}

impl ChipFrontEnd {
    /// Builds the simulator and checks that it turns audio into spike counts (`task` names the
    /// task in errors).
    ///
    /// # Errors
    /// [`TaskError::Config`] on `front_end` for an unknown family, class or argument, or a
    /// front end that does not emit counts per time bin.
    pub fn build(&self, task: &'static str) -> Result<Box<dyn Block>> {
        let (family, module, params) = match self {
            ChipFrontEnd::Family(f) => (f, None, Params::new()),
            ChipFrontEnd::Module {
                family,
                module,
                params,
            } => (
                family,
                module.as_deref(),
                Params::from_json(serde_json::Value::Object(params.clone()))
                    .map_err(|e| config_error(task, family, e))?,
            ),
        };
        let fam = Family::from_name(family).ok_or_else(|| {
            config_error(
                task,
                family,
                "unknown chip family (syns65302, syns63300 or syns61201)",
            )
        })?;
        if fam != Family::Audio3 {
            return Err(config_error(
                task,
                family,
                "only the XyloAudio 3 front end (syns65302) emits spike counts per time bin from \
                 audio; XyloAudio 2's AFESim emits events at the audio rate and XyloIMU takes \
                 motion, not sound",
            ));
        }
        let block = rockpool_frontend::build(fam, module, &params)
            .and_then(|b| params.finish(b.name()).map(|()| b))
            .map_err(|e| config_error(task, family, e.to_string()))?;
        Ok(block)
    }
}

/// Runs `block` on one mono recording `audio` sampled at `sample_rate` Hz and returns the spike
/// counts `(T', C)` as `f32`. Samples beyond the quantiser's range (|x| ≥ 1 − 2⁻¹³) are clipped
/// to it, as a saturating ADC would (Rockpool raises an `OverflowError` instead).
///
/// # Errors
/// [`TaskError::Dataset`] when the front end refuses the audio.
pub fn process(block: &mut dyn Block, audio: &[f32], sample_rate: f64) -> Result<Array2<f32>> {
    const LIMIT: f64 = 8191.0 / 8192.0;
    let x = Array2::from_shape_fn((audio.len(), 1), |(i, _)| {
        f64::from(audio[i]).clamp(-LIMIT, LIMIT)
    });
    let y = block
        .run(&Signal::Float(x), Some(sample_rate))
        .map_err(|e| TaskError::Dataset(format!("front end {}: {e}", block.name())))?;
    let counts = y.to_i64().ok_or_else(|| {
        TaskError::Dataset(format!(
            "front end {} did not return spike counts",
            block.name()
        ))
    })?;
    Ok(counts.mapv(|v| v as f32))
}
