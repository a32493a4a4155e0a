//! How many master-clock cycles the SNN core needs per time step, and the clock that implies.
//!
//! The chip processes a time step sequentially; for real-time operation the master clock must
//! complete it within `dt`. Costs per step, with `p_in` the fraction of input channels that
//! carry an event and `p_hid` the fraction of hidden neurons that fire (1.0 = worst case):
//!
//! **XyloAudio 2** (input weights stored densely for every hidden neuron, readout likewise):
//! ```text
//! cycles = Nin + 22·Nhid + 12·Nout
//!        + p_in  · 3.5 · Nin · Nhid                    (input events into every hidden neuron)
//!        + p_hid · (4·Nhid + 8·Nhid·Nout + 7·nnz(W_rec, synapse 1))
//! isyn2  = Nhid + p_in · 1.5 · Nin · Nhid + p_hid · 5 · nnz(W_rec, synapse 1)   (0 with one synapse)
//! ```
//! `isyn2` counts extra operations of the second synapse; they run in parallel and need no
//! extra cycles.
//!
//! **XyloAudio 3, XyloIMU** (sparse input and readout expansion):
//! ```text
//! cycles = Nin + 22·Nhid + 12·Nout
//!        + p_in  · 3.5 · Nin · (input-expansion neurons with a non-zero input weight)
//!        + p_hid · (3·Nhid + 7·nnz(W_rec, synapse 1)
//!                   + (8·Nout + 1) · (output-expansion neurons with a non-zero readout weight))
//! ```
//! and `est_clock_freq = cycles(p = 1) · (1 + margin) / dt`.
//!
//! Provenance: Rockpool 3.1.0's `cycles_model`/`est_clock_freq` (for XyloAudio 2 and for
//! XyloIMU, whose model XyloAudio 3 reuses) are documented only by their constants and
//! arguments. The formulas above were recovered by treating those functions as black boxes:
//! they reproduce Rockpool's outputs exactly on 400 random networks with random activities.
//! Rockpool reduces spike rasters to one overall rate (the fraction of non-zero entries), as
//! [`Activity::from_rasters`] does; the readout activity does not enter.

use ndarray::ArrayView2;

use crate::chips::XyloFamily;
use crate::error::{Result, XyloError};
use crate::spec::XyloSpec;

/// How often inputs and hidden neurons are active per time step, as fractions in `0..=1`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Activity {
    /// Fraction of (step, input channel) pairs with at least one event.
    pub input: f64,
    /// Fraction of (step, hidden neuron) pairs with at least one event.
    pub hidden: f64,
}

impl Activity {
    /// Every channel and every neuron active on every step (Rockpool's default).
    pub const WORST_CASE: Activity = Activity {
        input: 1.0,
        hidden: 1.0,
    };

    /// The overall rates of an input raster `(T, Nin)` and a hidden spike raster
    /// `(T, Nhid)` (e.g. [`SimRecord::spikes`](crate::SimRecord::spikes)). Several events in
    /// one step cost the same as one.
    pub fn from_rasters<'a, 'b>(
        input: impl Into<ArrayView2<'a, u32>>,
        hidden: impl Into<ArrayView2<'b, u8>>,
    ) -> Activity {
        fn rate<T: PartialEq + Default>(a: ArrayView2<'_, T>) -> f64 {
            if a.is_empty() {
                return 0.0;
            }
            a.iter().filter(|&x| *x != T::default()).count() as f64 / a.len() as f64
        }
        Activity {
            input: rate(input.into()),
            hidden: rate(hidden.into()),
        }
    }
}

impl Default for Activity {
    fn default() -> Self {
        Activity::WORST_CASE
    }
}

/// The result of [`cycles_model`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CycleEstimate {
    /// Master-clock cycles per time step, on average.
    pub cycles: f64,
    /// XyloAudio 2 only: extra second-synapse operations per step, which run in parallel and
    /// cost no cycles (0 otherwise).
    pub extra_isyn2_ops: f64,
}

/// Master-clock cycles per time step for `spec` on `family` at the given activity (see the
/// [module docs](self) for the model).
///
/// # Errors
/// Shape errors of the spec; [`XyloError::Value`] if an activity is not in `0..=1`.
pub fn cycles_model(
    spec: &XyloSpec<i32>,
    family: XyloFamily,
    activity: Activity,
) -> Result<CycleEstimate> {
    let d = spec.dims()?;
    for (field, p) in [
        ("activity.input", activity.input),
        ("activity.hidden", activity.hidden),
    ] {
        if !(0.0..=1.0).contains(&p) {
            return Err(XyloError::value(
                field,
                p,
                "a fraction of active steps must lie in 0..=1",
            ));
        }
    }
    let (p_in, p_h) = (activity.input, activity.hidden);
    let (n_in, n_h, n_out) = (d.n_in as f64, d.n_hidden as f64, d.n_out as f64);
    let nnz_rec1 = spec
        .weights_rec
        .index_axis(ndarray::Axis(2), 0)
        .iter()
        .filter(|&&w| w != 0)
        .count() as f64;
    let fixed = n_in + 22.0 * n_h + 12.0 * n_out;

    Ok(match family {
        XyloFamily::Audio2 => CycleEstimate {
            cycles: fixed
                + p_in * 3.5 * n_in * n_h
                + p_h * (4.0 * n_h + 8.0 * n_h * n_out + 7.0 * nnz_rec1),
            extra_isyn2_ops: if d.n_syn == 2 {
                n_h + p_in * 1.5 * n_in * n_h + p_h * 5.0 * nnz_rec1
            } else {
                0.0
            },
        },
        XyloFamily::Audio3 | XyloFamily::Imu => {
            let w_in1 = spec.weights_in.index_axis(ndarray::Axis(2), 0);
            let ien_used = w_in1
                .columns()
                .into_iter()
                .filter(|c| c.iter().any(|&w| w != 0))
                .count() as f64;
            let oen_used = spec
                .weights_out
                .rows()
                .into_iter()
                .filter(|r| r.iter().any(|&w| w != 0))
                .count() as f64;
            CycleEstimate {
                cycles: fixed
                    + p_in * 3.5 * n_in * ien_used
                    + p_h * (3.0 * n_h + 7.0 * nnz_rec1 + (8.0 * n_out + 1.0) * oen_used),
                extra_isyn2_ops: 0.0,
            }
        }
    })
}

/// The master clock (Hz) needed to run `spec` in real time with time step `dt` (seconds),
/// in the worst case (every channel and neuron active), plus a safety `margin` (a fraction;
/// Rockpool's default is 0.2).
///
/// # Errors
/// As [`cycles_model`]; [`XyloError::Value`] if `dt` is not positive or `margin` negative.
pub fn est_clock_freq(
    spec: &XyloSpec<i32>,
    family: XyloFamily,
    dt: f64,
    margin: f64,
) -> Result<f64> {
    if !(dt.is_finite() && dt > 0.0) {
        return Err(XyloError::value(
            "dt",
            dt,
            "the time step must be a positive number of seconds",
        ));
    }
    if !(margin.is_finite() && margin >= 0.0) {
        return Err(XyloError::value(
            "margin",
            margin,
            "the safety margin is a non-negative fraction",
        ));
    }
    let c = cycles_model(spec, family, Activity::WORST_CASE)?;
    Ok(c.cycles * (1.0 + margin) / dt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn zero_network_costs_the_fixed_part() {
        // Rockpool: 3 inputs, 4 hidden, 2 outputs, all weights 0 -> A2 (237, 22), IMU 127.
        let spec = XyloSpec::<i32>::zeros(3, 4, 2, 2);
        let a2 = cycles_model(&spec, XyloFamily::Audio2, Activity::WORST_CASE).unwrap();
        assert_eq!((a2.cycles, a2.extra_isyn2_ops), (237.0, 22.0));
        let imu = cycles_model(
            &XyloSpec::<i32>::zeros(3, 4, 2, 1),
            XyloFamily::Imu,
            Activity::WORST_CASE,
        )
        .unwrap();
        assert_eq!(imu.cycles, 127.0);
    }

    #[test]
    fn single_weights_cost_as_observed() {
        // Values observed from Rockpool 3.1.0 for the same networks.
        let mut spec = XyloSpec::<i32>::zeros(3, 4, 2, 2);
        spec.weights_rec[[0, 0, 0]] = 1;
        let a2 = cycles_model(&spec, XyloFamily::Audio2, Activity::WORST_CASE).unwrap();
        assert_eq!((a2.cycles, a2.extra_isyn2_ops), (244.0, 27.0));
        assert_eq!(
            cycles_model(&spec, XyloFamily::Imu, Activity::WORST_CASE)
                .unwrap()
                .cycles,
            134.0
        );
        let mut spec = XyloSpec::<i32>::zeros(3, 4, 2, 1);
        spec.weights_in[[0, 0, 0]] = 1;
        spec.weights_in[[0, 1, 0]] = 1;
        assert_eq!(
            cycles_model(&spec, XyloFamily::Imu, Activity::WORST_CASE)
                .unwrap()
                .cycles,
            148.0
        );
        let mut spec = XyloSpec::<i32>::zeros(3, 4, 2, 1);
        spec.weights_out[[0, 0]] = 1;
        spec.weights_out[[1, 0]] = 1;
        assert_eq!(
            cycles_model(&spec, XyloFamily::Imu, Activity::WORST_CASE)
                .unwrap()
                .cycles,
            161.0
        );
    }

    #[test]
    fn clock_estimate_and_activity() {
        let spec = XyloSpec::<i32>::zeros(3, 4, 2, 2);
        let f = est_clock_freq(&spec, XyloFamily::Audio2, 1e-3, 0.2).unwrap();
        assert!((f - 237.0 * 1.2 / 1e-3).abs() < 1e-6);
        let a = Activity::from_rasters(&array![[0u32, 2], [0, 0]], &array![[1u8], [0]]);
        assert_eq!((a.input, a.hidden), (0.25, 0.5));
        assert!(
            cycles_model(
                &spec,
                XyloFamily::Audio2,
                Activity {
                    input: 1.5,
                    hidden: 0.0
                }
            )
            .is_err()
        );
        assert!(est_clock_freq(&spec, XyloFamily::Audio2, 0.0, 0.2).is_err());
    }
}
