//! Rotation removal (Rockpool's `RotationRemoval`): tracks the covariance of the 3-axis signal,
//! samples and holds it, finds its principal axes with the quantised [`Jsvd`] and expresses
//! each sample in them, so that a slowly changing orientation of the sensor is removed.
//!
//! Per sample `x` (3 integers, `|x| ≤ 2^15 − 1`), with `k = num_avg_bitshift`:
//!
//! * [`SubSpace`]: `C_h ← C_h − (C_h >> k) + x·xᵀ`, `C = C_h >> k` (no product shift:
//!   31 − 31 bits). `C_h` persists across calls (Rockpool keeps it as module state).
//! * Sample-and-hold: `C_held(t) = C(⌊t/P⌋·P)`, `P = sampling_period`, `t` counted from the start
//!   of each call.
//! * Whenever `C_held` differs from the one last decomposed (always at the first sample of a
//!   call), `R = JSVD(C_held)`, and column `j` of `R` is multiplied by
//!   `sign((Rᵀ R_old)_jj)`, where `R_old` starts each call as the integer identity (ones, not
//!   `2^31`). A sign of 0 zeroes the column — and a zeroed column stays zero for the rest of
//!   the call (e.g. when the first sort puts the `z` axis first).
//! * Output component `i = Σ_j (R_ji · x_j) >> 32`, each product shifted separately; each term
//!   and partial sum must stay below `2^15` in magnitude.

use ndarray::Array2;

use super::jsvd::Jsvd;
use super::{CLOCK_RATE, check_range, int_input, shape_param};
use crate::error::{Error, param_error};
use crate::{Block, Params, Result, Signal};

const NAME: &str = "RotationRemoval";

/// Rockpool's `SubSpace`: the running covariance of the 3-axis input, see the module
/// documentation.
#[derive(Debug, Clone)]
pub struct SubSpace {
    num_avg_bitshift: u32,
    c_highprec: [[i64; 3]; 3],
}

impl SubSpace {
    /// A tracker with window `2^num_avg_bitshift` samples (`num_avg_bitshift` in 0..=31).
    pub fn new(num_avg_bitshift: u32) -> Result<Self> {
        if num_avg_bitshift > 31 {
            return Err(param_error(
                NAME,
                "num_avg_bitshift",
                format!("{num_avg_bitshift} is outside 0..=31 (5 bits)"),
            ));
        }
        Ok(Self {
            num_avg_bitshift,
            c_highprec: [[0; 3]; 3],
        })
    }

    /// Takes one sample (`|x_i| ≤ 2^15 − 1`); returns the covariance `C = C_h >> k`.
    pub fn step(&mut self, x: [i64; 3]) -> Result<[[i64; 3]; 3]> {
        let k = self.num_avg_bitshift;
        let limit = 1i64 << (31 + k - 1);
        let mut c = [[0i64; 3]; 3];
        for i in 0..3 {
            for j in 0..3 {
                let h = &mut self.c_highprec[i][j];
                *h = *h - (*h >> k) + x[i] * x[j];
                if h.abs() >= limit {
                    return Err(Error::Overflow {
                        module: NAME.into(),
                        message: "overflow or underflow in the high-precision covariance filter"
                            .into(),
                    });
                }
                c[i][j] = *h >> k;
            }
        }
        Ok(c)
    }

    /// Zeroes the covariance state.
    pub fn reset(&mut self) {
        self.c_highprec = [[0; 3]; 3];
    }
}

/// Rockpool's `RotationRemoval`: `(T, 3)` integers → `(T, 3)` integers in the signal's
/// principal axes (about half the input's amplitude: `R` has scale `2^31`, the output is
/// shifted by 32). See the module documentation.
#[derive(Debug, Clone)]
pub struct RotationRemoval {
    subspace: SubSpace,
    sampling_period: usize,
    clamps: usize,
}

impl RotationRemoval {
    /// `num_avg_bitshift` in 0..=31 (covariance window `2^k` samples), `sampling_period` in
    /// 1..=2047 samples (Rockpool's range is 0..=2047, but 0 fails in its sample-and-hold).
    pub fn new(num_avg_bitshift: u32, sampling_period: usize) -> Result<Self> {
        if !(1..=2047).contains(&sampling_period) {
            return Err(param_error(
                NAME,
                "sampling_period",
                format!("{sampling_period} is outside 1..=2047 samples"),
            ));
        }
        Ok(Self {
            subspace: SubSpace::new(num_avg_bitshift)?,
            sampling_period,
            clamps: 0,
        })
    }

    /// Builds from Rockpool's constructor arguments `shape` (must be `(3, 3)`),
    /// `num_avg_bitshift` (default 4) and `sampling_period` (default 10).
    pub fn from_params(params: &Params) -> Result<Self> {
        let shape = shape_param(params, NAME, (3, 3), Some(|n| (n, n)))?;
        if shape != (3, 3) {
            return Err(param_error(
                NAME,
                "shape",
                format!("the JSVD works on 3 axes: shape must be (3, 3), got {shape:?}"),
            ));
        }
        let k = params.i64(NAME, "num_avg_bitshift", 4)?;
        let p = params.i64(NAME, "sampling_period", 10)?;
        params.finish(NAME)?;
        let k = u32::try_from(k)
            .map_err(|_| param_error(NAME, "num_avg_bitshift", format!("{k} is outside 0..=31")))?;
        let p = usize::try_from(p).map_err(|_| {
            param_error(NAME, "sampling_period", format!("{p} is outside 1..=2047"))
        })?;
        Self::new(k, p)
    }

    /// How many JSVD runs of the last [`RotationRemoval::process`] clamped a negative diagonal
    /// element (where Rockpool warns "negative diagonal elements encountered").
    pub fn negative_diagonal_clamps(&self) -> usize {
        self.clamps
    }

    /// Removes the rotation from `x` (`(T, 3)`, `|x| ≤ 2^15 − 1`); returns `(T, 3)`. The
    /// covariance state carries over from the previous call (see [`Block::reset`]); after an
    /// error it is unspecified.
    pub fn process(&mut self, x: &Array2<i64>) -> Result<Array2<i64>> {
        check_range(NAME, x)?;
        if x.ncols() != 3 {
            return Err(crate::error::input_error(
                NAME,
                format!("expected 3 channels, got shape {:?}", x.dim()),
            ));
        }
        let jsvd = Jsvd;
        let mut out = Array2::zeros(x.dim());
        let mut held = [[0i64; 3]; 3];
        // Rockpool starts from a matrix of -1s, which no covariance equals.
        let mut decomposed: Option<[[i64; 3]; 3]> = None;
        let mut rot = [[1i64, 0, 0], [0, 1, 0], [0, 0, 1]];
        self.clamps = 0;
        for (t, (row, mut orow)) in x.outer_iter().zip(out.outer_iter_mut()).enumerate() {
            let sample = [row[0], row[1], row[2]];
            let c = self.subspace.step(sample)?;
            if t % self.sampling_period == 0 {
                held = c;
            }
            if decomposed != Some(held) {
                let res = jsvd.decompose(&held)?;
                self.clamps += usize::from(res.clamped);
                let mut r = res.rotation;
                for j in 0..3 {
                    let dot: i128 = (0..3).map(|i| r[i][j] as i128 * rot[i][j] as i128).sum();
                    let sign = dot.signum() as i64;
                    for row in r.iter_mut() {
                        row[j] *= sign;
                    }
                }
                rot = r;
                decomposed = Some(held);
            }
            for i in 0..3 {
                let mut acc = 0i64;
                for j in 0..3 {
                    let term = (rot[j][i] * sample[j]) >> 32;
                    acc += term;
                    if term.abs() >= 1 << 15 || acc.abs() >= 1 << 15 {
                        return Err(Error::Overflow {
                            module: NAME.into(),
                            message: format!(
                                "rotated sample at t={t} leaves the 16-bit range [-2^15, 2^15]"
                            ),
                        });
                    }
                }
                orow[i] = acc;
            }
        }
        Ok(out)
    }
}

impl Block for RotationRemoval {
    fn name(&self) -> &str {
        NAME
    }

    fn run(&mut self, input: &Signal, sample_rate: Option<f64>) -> Result<Signal> {
        let x = int_input(NAME, input, 3, sample_rate, CLOCK_RATE)?;
        self.process(&x).map(Signal::Int)
    }

    fn input_rate(&self) -> f64 {
        CLOCK_RATE
    }

    fn output_dt(&self) -> f64 {
        1.0 / CLOCK_RATE
    }

    fn output_channels(&self) -> usize {
        3
    }

    fn reset(&mut self) {
        self.subspace.reset();
    }
}
