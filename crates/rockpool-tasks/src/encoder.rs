//! Integrate-and-fire (sigma-delta) spike encoding of non-negative analog signals.
//!
//! Each channel integrates its input and emits one spike per `threshold` of accumulated
//! charge, so over time the spike count tracks the integral of the input:
//!
//! ```text
//! v ← max(v + x[t], 0)
//! n = ⌊v / θ⌋
//! s[t] = min(n, max_spikes_per_step)
//! v ← v − n·θ
//! ```
//!
//! A constant input `x ≥ 0` therefore gives `⌊t·x/θ⌋` spikes in the first `t` steps, a rate of
//! `x/θ` spikes per step, until the cap is reached. Charge beyond the cap is discarded (not
//! carried over), so a loud burst cannot leave spikes queued for later steps; negative input
//! discharges `v` no lower than 0. The cap defaults to 15, Xylo's input limit per channel per
//! step.

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::error::{Result, TaskError};

/// An integrate-and-fire encoder; see the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[doc(alias = "sigma_delta")]
pub struct SpikeEncoder {
    /// Input charge per spike `θ` (same units as the input per step).
    pub threshold: f32,
    /// Most spikes one channel emits in one step.
    pub max_spikes_per_step: u32,
}

impl Default for SpikeEncoder {
    fn default() -> Self {
        SpikeEncoder {
            threshold: 1.0,
            max_spikes_per_step: 15,
        }
    }
}

impl SpikeEncoder {
    /// An encoder with threshold `θ` and a cap of `max_spikes_per_step` spikes per step.
    ///
    /// # Errors
    /// [`TaskError::Argument`] if `threshold` is not positive and finite or the cap is 0.
    pub fn new(threshold: f32, max_spikes_per_step: u32) -> Result<SpikeEncoder> {
        let e = SpikeEncoder {
            threshold,
            max_spikes_per_step,
        };
        e.validate()?;
        Ok(e)
    }

    /// Checks the threshold and the cap.
    ///
    /// # Errors
    /// As [`SpikeEncoder::new`].
    pub fn validate(&self) -> Result<()> {
        if !(self.threshold.is_finite() && self.threshold > 0.0) {
            return Err(TaskError::Argument {
                name: "threshold",
                value: self.threshold.to_string(),
                reason: "the encoder threshold must be positive and finite".into(),
            });
        }
        if self.max_spikes_per_step == 0 {
            return Err(TaskError::Argument {
                name: "max_spikes_per_step",
                value: "0".into(),
                reason: "the encoder must be allowed at least one spike per step".into(),
            });
        }
        Ok(())
    }

    /// Encodes `x` `[T, C]` (analog input per step) into spike counts `[T, C]`, each channel
    /// starting from `v = 0`.
    ///
    /// # Errors
    /// As [`SpikeEncoder::validate`].
    pub fn encode(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        self.validate()?;
        let theta = f64::from(self.threshold);
        let cap = f64::from(self.max_spikes_per_step);
        let mut v = vec![0.0f64; x.ncols()];
        let mut out = Array2::<f32>::zeros(x.dim());
        for (row_in, mut row_out) in x.outer_iter().zip(out.outer_iter_mut()) {
            for ((xi, si), vi) in row_in.iter().zip(row_out.iter_mut()).zip(v.iter_mut()) {
                *vi = (*vi + f64::from(*xi)).max(0.0);
                let n = (*vi / theta).floor();
                *vi -= n * theta;
                *si = n.min(cap) as f32;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_input_fires_at_x_over_theta() {
        // θ = 0.25 and x = 0.625 are exact in binary: 2.5 spikes per step, so the cumulative
        // count ⌊2.5 t⌋ gives 2, 3, 2, 3, …
        let e = SpikeEncoder::new(0.25, 15).unwrap();
        let x = Array2::from_elem((8, 1), 0.625f32);
        let s = e.encode(x.view()).unwrap();
        assert_eq!(
            s.column(0).to_vec(),
            [2.0, 3.0, 2.0, 3.0, 2.0, 3.0, 2.0, 3.0]
        );

        // Generic values: total over T steps is ⌊T·x/θ⌋ up to one spike of rounding.
        let e = SpikeEncoder::new(0.3, 15).unwrap();
        let x = Array2::from_shape_fn((1000, 3), |(_, c)| [0.05f32, 0.7, 1.9][c]);
        let s = e.encode(x.view()).unwrap();
        for (c, &xc) in [0.05f64, 0.7, 1.9].iter().enumerate() {
            let expected = (1000.0 * xc / 0.3f64).floor();
            let got = f64::from(s.column(c).sum());
            assert!(
                (got - expected).abs() <= 1.0,
                "channel {c}: {got} vs {expected}"
            );
        }
    }

    #[test]
    fn counts_are_capped_and_excess_is_discarded() {
        let e = SpikeEncoder::new(0.1, 15).unwrap();
        let mut x = Array2::<f32>::zeros((6, 1));
        x.slice_mut(ndarray::s![..3, 0]).fill(10.0); // 100 spikes' worth per step
        let s = e.encode(x.view()).unwrap();
        assert_eq!(s.column(0).to_vec(), [15.0, 15.0, 15.0, 0.0, 0.0, 0.0]);
        assert!(s.iter().all(|&v| v <= 15.0));
    }

    #[test]
    fn negative_input_discharges_to_zero_only() {
        let e = SpikeEncoder::new(1.0, 15).unwrap();
        let x = ndarray::array![[0.75f32], [-5.0], [0.5], [0.5]];
        // v: 0.75 → 0 (clamped) → 0.5 → 1.0 (one spike) → 0.
        let s = e.encode(x.view()).unwrap();
        assert_eq!(s.column(0).to_vec(), [0.0, 0.0, 0.0, 1.0]);
    }

    #[test]
    fn invalid_encoders_are_refused() {
        assert!(SpikeEncoder::new(0.0, 15).is_err());
        assert!(SpikeEncoder::new(f32::NAN, 15).is_err());
        assert!(SpikeEncoder::new(1.0, 0).is_err());
    }
}
