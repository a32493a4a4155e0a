//! `DivisiveNormalization`: the XyloAudio 3 spike generator, one integrate-and-fire decision
//! per channel and audio sample, with an adaptive (divisive normalisation) or fixed threshold.
//!
//! The input `X` `(T, C)` (filter-bank outputs) is run as `s = |concat(rev(X), X)|` and only
//! the last `T` rows of spikes are kept. With the state `H = IAF = 0` at the start, each sample
//! and channel (all arithmetic in `i64`, `>>` arithmetic):
//!
//! ```text
//! M   = H >> L                        (H before this sample)
//! H   = H − M + s[n]
//! a   = max(M, EPS);  a = (a << b1) − (a << b2)
//! a   = max over all channels of a    (joint normalisation, Rockpool's default)
//! thr = a if the channel is in DN mode, else its fixed threshold
//! IAF += s[n];  spike = IAF ≥ thr;  if spike { IAF −= thr }
//! ```
//!
//! The joint maximum runs over all channels, fixed-mode ones included, as in Rockpool.

use ndarray::Array2;
use serde_json::Value;

use crate::error::{input_error, param_error};
use crate::{Block, Params, Result, Signal};

use super::AUDIO_SAMPLING_RATE;

/// The parameters of the spike generator, one value per channel.
#[doc(alias = "DivisiveNormalization")]
#[derive(Debug, Clone, PartialEq)]
pub struct SpikeGen {
    /// `b1` (`spike_rate_scale_bitshift1`) per channel.
    pub b1: Vec<u32>,
    /// `b2` (`spike_rate_scale_bitshift2`) per channel, below `b1`.
    pub b2: Vec<u32>,
    /// `L` (`low_pass_bitshift`) per channel: an averaging window of `2^L` samples.
    pub low_pass: Vec<u32>,
    /// `EPS` (`EPS_vec`): the lowest `M` used in the threshold.
    pub eps: Vec<i64>,
    /// Thresholds of the channels not in DN mode (`fixed_threshold_vec`).
    pub fixed: Vec<i64>,
    /// Whether each channel uses the adaptive threshold (`enable_DN_channel`).
    pub dn_mode: Vec<bool>,
    /// Whether the adaptive threshold is the maximum over all channels (Rockpool's
    /// `joint_normalization`, `true` by default and not a constructor argument).
    pub joint_normalization: bool,
}

impl SpikeGen {
    /// The number of channels.
    pub fn channels(&self) -> usize {
        self.dn_mode.len()
    }

    /// Checks the lengths and shift ranges (`module` names the caller in errors).
    pub fn validate(&self, module: &str) -> Result<()> {
        let c = self.channels();
        for (name, len) in [
            ("spike_rate_scale_bitshift1", self.b1.len()),
            ("spike_rate_scale_bitshift2", self.b2.len()),
            ("low_pass_bitshift", self.low_pass.len()),
            ("EPS_vec", self.eps.len()),
            ("fixed_threshold_vec", self.fixed.len()),
        ] {
            if len != c {
                return Err(param_error(
                    module,
                    name,
                    format!("{len} values for {c} channels"),
                ));
            }
        }
        if let Some(i) = (0..c).find(|&i| self.b1[i] <= self.b2[i]) {
            return Err(param_error(
                module,
                "spike_rate_scale_bitshift1",
                format!(
                    "b1 must be larger than b2 in every channel (channel {i}: b1 = {}, b2 = {})",
                    self.b1[i], self.b2[i]
                ),
            ));
        }
        Ok(())
    }

    /// Runs the generator over `x` (`T × C` row-major, `C = self.channels()`) and calls
    /// `spike(t, c)` for each spike in the kept part (`t` in `0..T`, in increasing order).
    pub fn run(&self, x: &[i64], mut spike: impl FnMut(usize, usize)) {
        let c_all = self.channels();
        if c_all == 0 {
            return;
        }
        let t = x.len() / c_all;
        let mut lanes: Vec<DnLane> = (0..c_all)
            .map(|c| DnLane {
                h: 0,
                iaf: 0,
                a: 0,
                s: 0,
                eps: self.eps[c],
                fixed: self.fixed[c],
                low_pass: self.low_pass[c],
                b1: self.b1[c],
                b2: self.b2[c],
                // 0: fixed threshold, 1: own adaptive threshold, 2: joint adaptive threshold.
                kind: match (self.dn_mode[c], self.joint_normalization) {
                    (false, _) => 0,
                    (true, false) => 1,
                    (true, true) => 2,
                },
            })
            .collect();
        let mut sample = |row: &[i64], keep: Option<usize>| {
            let mut a_max = i64::MIN;
            for (l, &v) in lanes.iter_mut().zip(row) {
                l.s = v.wrapping_abs();
                let m = l.h >> l.low_pass;
                l.h = l.h.wrapping_sub(m).wrapping_add(l.s);
                let e = m.max(l.eps);
                l.a = e.wrapping_shl(l.b1).wrapping_sub(e.wrapping_shl(l.b2));
                a_max = a_max.max(l.a);
            }
            for (c, l) in lanes.iter_mut().enumerate() {
                let thr = match l.kind {
                    0 => l.fixed,
                    1 => l.a,
                    _ => a_max,
                };
                let v = l.iaf.wrapping_add(l.s);
                if v >= thr {
                    l.iaf = v.wrapping_sub(thr);
                    if let Some(n) = keep {
                        spike(n, c);
                    }
                } else {
                    l.iaf = v;
                }
            }
        };
        for row in x[..t * c_all].chunks_exact(c_all).rev() {
            sample(row, None);
        }
        for (n, row) in x[..t * c_all].chunks_exact(c_all).enumerate() {
            sample(row, Some(n));
        }
    }

    /// Spikes `(T, C)` (0 or 1) for the input `x` `(T, C)`.
    pub fn process(&self, x: &Array2<i64>) -> Array2<i64> {
        let (t, c) = x.dim();
        let mut out = Array2::<i64>::zeros((t, c));
        let flat: Vec<i64> = x.iter().copied().collect();
        self.run(&flat, |n, ch| out[[n, ch]] = 1);
        out
    }
}

/// The state and parameters of one channel of the spike generator.
struct DnLane {
    h: i64,
    iaf: i64,
    a: i64,
    s: i64,
    eps: i64,
    fixed: i64,
    low_pass: u32,
    b1: u32,
    b2: u32,
    kind: u8,
}

/// A per-channel integer argument: a scalar (broadcast) or a list of `channels` values.
pub(crate) fn per_channel_i64(
    module: &str,
    params: &Params,
    name: &str,
    default: i64,
    channels: usize,
) -> Result<Vec<i64>> {
    let v = params
        .i64_list(module, name)?
        .unwrap_or_else(|| vec![default]);
    broadcast(module, name, v, channels)
}

/// Broadcasts one value to `channels`, or checks that there are `channels` values.
pub(crate) fn broadcast<T: Clone>(
    module: &str,
    name: &str,
    v: Vec<T>,
    channels: usize,
) -> Result<Vec<T>> {
    match v.len() {
        1 => Ok(vec![v[0].clone(); channels]),
        n if n == channels => Ok(v),
        n => Err(param_error(
            module,
            name,
            format!("expected one value or {channels} (one per channel), got {n}"),
        )),
    }
}

/// A bit shift: an integer in 0..=63.
pub(crate) fn shifts(module: &str, name: &str, v: Vec<i64>) -> Result<Vec<u32>> {
    v.into_iter()
        .map(|b| {
            u32::try_from(b).ok().filter(|&b| b < 64).ok_or_else(|| {
                param_error(
                    module,
                    name,
                    format!("a bit shift must be 0 to 63, got {b}"),
                )
            })
        })
        .collect()
}

/// `DivisiveNormalization` as a [`Block`]: integer filter outputs `(T, C)` → spikes `(T, C)`.
#[derive(Debug, Clone)]
pub struct DivisiveNormalizationBlock {
    spike_gen: SpikeGen,
    fs: f64,
}

impl DivisiveNormalizationBlock {
    /// From Rockpool's constructor arguments: `fs` (Hz; Rockpool requires it, here it defaults
    /// to 48828.125), `shape` (`C` or `[C, C]`, default 16), `enable_DN_channel`,
    /// `spike_rate_scale_bitshift1` (6), `spike_rate_scale_bitshift2` (0),
    /// `low_pass_bitshift` (12), `EPS_vec` (1), `fixed_threshold_vec` (2^27), each a scalar or
    /// one value per channel.
    pub fn from_params(params: &Params) -> Result<Self> {
        const M: &str = "DivisiveNormalization";
        let fs = params.f64(M, "fs", AUDIO_SAMPLING_RATE)?;
        if fs <= 0.0 {
            return Err(param_error(M, "fs", format!("must be positive, got {fs}")));
        }
        let c = super::shape_channels(M, params, Some(16))?.unwrap_or(16);
        let dn_mode = match params.get("enable_DN_channel") {
            None => vec![true],
            Some(Value::Bool(b)) => vec![*b],
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_bool().ok_or_else(|| {
                        param_error(
                            M,
                            "enable_DN_channel",
                            format!("expected booleans, got {v}"),
                        )
                    })
                })
                .collect::<Result<_>>()?,
            Some(v) => {
                return Err(param_error(
                    M,
                    "enable_DN_channel",
                    format!("expected a boolean or a list of booleans, got {v}"),
                ));
            }
        };
        let b1 = per_channel_i64(M, params, "spike_rate_scale_bitshift1", 6, c)?;
        let b2 = per_channel_i64(M, params, "spike_rate_scale_bitshift2", 0, c)?;
        let lp = per_channel_i64(M, params, "low_pass_bitshift", 12, c)?;
        let spike_gen = SpikeGen {
            b1: shifts(M, "spike_rate_scale_bitshift1", b1)?,
            b2: shifts(M, "spike_rate_scale_bitshift2", b2)?,
            low_pass: shifts(M, "low_pass_bitshift", lp)?,
            eps: per_channel_i64(M, params, "EPS_vec", 1, c)?,
            fixed: per_channel_i64(M, params, "fixed_threshold_vec", 1 << 27, c)?,
            dn_mode: broadcast(M, "enable_DN_channel", dn_mode, c)?,
            joint_normalization: true,
        };
        spike_gen.validate(M)?;
        params.finish(M)?;
        Ok(Self { spike_gen, fs })
    }
}

impl Block for DivisiveNormalizationBlock {
    fn name(&self) -> &str {
        "DivisiveNormalization"
    }

    fn run(&mut self, input: &Signal, sample_rate: Option<f64>) -> Result<Signal> {
        const M: &str = "DivisiveNormalization";
        super::check_rate(M, sample_rate, self.fs)?;
        let (t, c) = input.shape();
        if c != self.spike_gen.channels() {
            return Err(input_error(
                M,
                format!(
                    "{c} channels, but the module has {}",
                    self.spike_gen.channels()
                ),
            ));
        }
        if t == 0 {
            return Err(input_error(M, "the input has no samples"));
        }
        let x = input
            .to_i64()
            .ok_or_else(|| input_error(M, "expected integer filter outputs"))?;
        Ok(Signal::Int(self.spike_gen.process(&x)))
    }

    fn input_rate(&self) -> f64 {
        self.fs
    }

    fn output_dt(&self) -> f64 {
        1.0 / self.fs
    }

    fn output_channels(&self) -> usize {
        self.spike_gen.channels()
    }

    fn reset(&mut self) {}
}
