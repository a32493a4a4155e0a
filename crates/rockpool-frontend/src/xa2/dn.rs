//! `DivisiveNormalisation` and `DivisiveNormalisationNoLFSR`: the XyloAudio 2 digital
//! divisive-normalisation block, bit-exact with Rockpool 3.1.0 (integers, and Rockpool's float64
//! time arithmetic where it decides lengths and bins).
//!
//! Input: event counts `(T, C)` per global clock tick `dt`. Each call:
//!
//! 1. Frame counts `E (F, C)`: input row `r` counts at time `r·dt + dt/2`, binned by
//!    `floor(time / frame_dt)` into `F = ceil(T·dt / frame_dt)` frames (float64, as Rockpool's
//!    `TSEvent.from_raster(x, dt).raster(frame_dt, add_events=True)`); `E_frame_counter` is added
//!    to frame 0; clipped to `[0, 2^bits_counter]`.
//! 2. Low-pass `M` per frame, `s = bits_shift_lowpass`, from the carried state:
//!    `UNDERFLOW_PROTECT: M' = (E + (M << s) − M) >> s`,
//!    `OVERFLOW_PROTECT: M' = (E >> s) + M − (M >> s)`; clipped to `[0, 2^bits_lowpass − 1]`
//!    after the whole recursion. Frame `t`'s threshold is `M(t) + 1` (M already includes E(t)).
//! 3. Spike generator (LFSR variant): `cycles = ceil(frame_dt/dt)` ticks per frame; tick `j` of
//!    frame `t` fires when `E(t) ≥ code_lfsr[(lfsr_index + t·cycles + j) mod 1023]`;
//!    `lfsr_index` advances by `F·cycles` and persists across calls. (NoLFSR: the tick's input
//!    count itself, unclipped, zero past the input's end.)
//! 4. Local clock: each tick becomes `p_local/2` copies of its value then `p_local/2` zeros.
//! 5. IAF per frame: `state_k = (cumsum of the frame's local pulses up to k) mod threshold`, with
//!    `state_{−1} = IAF_counter mod threshold`; an output event at each `k` with
//!    `state_k < state_{k−1}`; `IAF_counter ← state_last`. **Quirk:** the carried counter is not
//!    added to the cumulative sum; it only decides whether position 0 of the frame fires, which
//!    it does whenever `IAF_counter mod threshold > state_0`, pulse or no pulse.
//! 6. Event `k` of frame `t` is at `k·(dt/p_local) + t·frame_dt` and is rasterised at `dt`:
//!    `ceil(F·frame_dt / dt)` output rows in float64 (12 frames of 50 ms at 0.1 ms → 6001 rows).
//!
//! `p_local` is rounded up to an even number as Rockpool does (`int((1 + p)/2)·2`).

use ndarray::{Array2, ArrayView2};

use super::lfsr::CODE_LFSR;
use crate::error::{Error, input_error, param_error};
use crate::{Block, Params, Result, Signal};

/// Rockpool's class name of the LFSR variant.
pub const NAME: &str = "DivisiveNormalisation";
/// Rockpool's class name of the variant without LFSR.
pub const NAME_NO_LFSR: &str = "DivisiveNormalisationNoLFSR";

/// How the low-pass filter `M` is computed (Rockpool's `LowPassMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LowPassMode {
    /// `M' = (E + (M << s) − M) >> s` (Rockpool's default, for low event rates).
    UnderflowProtect,
    /// `M' = (E >> s) + M − (M >> s)` (for high event rates).
    OverflowProtect,
}

/// The constructor arguments of `DivisiveNormalisation(NoLFSR)` (Rockpool's names; defaults
/// in brackets).
#[derive(Debug, Clone, PartialEq)]
pub struct DnConfig {
    /// Number of channels `C` (`shape`) \[1\].
    pub channels: usize,
    /// Bit width of the frame counter E (`bits_counter`) \[10\].
    pub bits_counter: u32,
    /// Initial frame counter, added to frame 0 of the first call (`E_frame_counter`) \[zeros\].
    pub e_frame_counter: Vec<i64>,
    /// Initial IAF counters (`IAF_counter`) \[zeros\].
    pub iaf_counter: Vec<i64>,
    /// Bit width of the low-pass state M (`bits_lowpass`) \[16\].
    pub bits_lowpass: u32,
    /// Low-pass bit shift (`bits_shift_lowpass`) \[5\].
    pub bits_shift_lowpass: u32,
    /// Initial low-pass state (`M_lowpass_state`) \[zeros\].
    pub m_lowpass_state: Vec<i64>,
    /// Global clock step in seconds (`dt`) \[1e-4\].
    pub dt: f64,
    /// Frame step in seconds (`frame_dt`) \[0.05\].
    pub frame_dt: f64,
    /// LFSR code (`code_lfsr`, `2^bits_lfsr − 1` entries) \[[`CODE_LFSR`]\].
    pub code_lfsr: Vec<i64>,
    /// Local clock factor, even (`p_local`, rounded up to even) \[12\].
    pub p_local: usize,
    /// Low-pass mode (`low_pass_mode`) \[`UNDERFLOW_PROTECT`\].
    pub low_pass_mode: LowPassMode,
}

impl Default for DnConfig {
    fn default() -> Self {
        Self {
            channels: 1,
            bits_counter: 10,
            e_frame_counter: vec![0],
            iaf_counter: vec![0],
            bits_lowpass: 16,
            bits_shift_lowpass: 5,
            m_lowpass_state: vec![0],
            dt: 0.1e-3,
            frame_dt: 50e-3,
            code_lfsr: CODE_LFSR.iter().map(|&v| i64::from(v)).collect(),
            p_local: 12,
            low_pass_mode: LowPassMode::UnderflowProtect,
        }
    }
}

impl DnConfig {
    /// Reads Rockpool's constructor arguments for `module` (`DivisiveNormalisation` or
    /// `DivisiveNormalisationNoLFSR`); unknown names are errors.
    pub fn from_params(module: &str, params: &Params) -> Result<Self> {
        let d = Self::default();
        let channels = match params.i64_list(module, "shape")? {
            None => 1,
            Some(s) if (s.len() == 1 || (s.len() == 2 && s[0] == s[1])) && s[0] >= 1 => {
                s[0] as usize
            }
            Some(s) => {
                return Err(param_error(
                    module,
                    "shape",
                    format!("expected N or (N,) or (N, N) with N >= 1, got {s:?}"),
                ));
            }
        };
        let bits = |name: &str, default: u32, max: i64| -> Result<u32> {
            let v = params.i64(module, name, i64::from(default))?;
            if !(0..=max).contains(&v) {
                return Err(param_error(
                    module,
                    name,
                    format!("must be in 0..={max}, got {v}"),
                ));
            }
            Ok(v as u32)
        };
        let bits_counter = bits("bits_counter", d.bits_counter, 62)?;
        let bits_lowpass = bits("bits_lowpass", d.bits_lowpass, 62)?;
        let bits_shift_lowpass = bits("bits_shift_lowpass", d.bits_shift_lowpass, 62)?;
        let bits_lfsr = bits("bits_lfsr", 10, 24)?;
        let state = |name: &str| -> Result<Vec<i64>> {
            match params.i64_list(module, name)? {
                None => Ok(vec![0; channels]),
                Some(v) if v.len() == channels => Ok(v),
                Some(v) => Err(param_error(
                    module,
                    name,
                    format!(
                        "expected {channels} values (one per channel), got {}",
                        v.len()
                    ),
                )),
            }
        };
        let e_frame_counter = state("E_frame_counter")?;
        let iaf_counter = state("IAF_counter")?;
        let m_lowpass_state = state("M_lowpass_state")?;
        let positive = |name: &str, default: f64| -> Result<f64> {
            let v = params.f64(module, name, default)?;
            if v > 0.0 {
                Ok(v)
            } else {
                Err(param_error(
                    module,
                    name,
                    format!("must be a positive time in seconds, got {v}"),
                ))
            }
        };
        let dt = positive("dt", d.dt)?;
        let frame_dt = positive("frame_dt", d.frame_dt)?;
        let code_lfsr = params.i64_list(module, "code_lfsr")?.unwrap_or(d.code_lfsr);
        let expected = (1usize << bits_lfsr) - 1;
        if code_lfsr.len() != expected {
            return Err(param_error(
                module,
                "code_lfsr",
                format!(
                    "Length of LFSR is not compatible with its number of bits. Expected {expected} \
                     entries, found {}",
                    code_lfsr.len()
                ),
            ));
        }
        let p = params.i64(module, "p_local", 12)?;
        if !(1..=1 << 20).contains(&p) {
            return Err(param_error(
                module,
                "p_local",
                format!("must be in 1..=1048576, got {p}"),
            ));
        }
        let p_local = ((1 + p) / 2 * 2) as usize;
        let low_pass_mode = match params.get("low_pass_mode") {
            None => d.low_pass_mode,
            Some(v) => {
                let s = v
                    .as_str()
                    .map(|s| s.rsplit('.').next().unwrap_or(s).to_ascii_uppercase());
                match (s.as_deref(), v.as_i64()) {
                    (Some("UNDERFLOW_PROTECT"), _) | (_, Some(1)) => LowPassMode::UnderflowProtect,
                    (Some("OVERFLOW_PROTECT"), _) | (_, Some(2)) => LowPassMode::OverflowProtect,
                    _ => {
                        return Err(param_error(
                            module,
                            "low_pass_mode",
                            format!(
                                "expected \"UNDERFLOW_PROTECT\" (1) or \"OVERFLOW_PROTECT\" (2), got {v}"
                            ),
                        ));
                    }
                }
            }
        };
        params.finish(module)?;
        Ok(Self {
            channels,
            bits_counter,
            e_frame_counter,
            iaf_counter,
            bits_lowpass,
            bits_shift_lowpass,
            m_lowpass_state,
            dt,
            frame_dt,
            code_lfsr,
            p_local,
            low_pass_mode,
        })
    }
}

/// The state carried across calls (Rockpool's `State`s).
#[derive(Debug, Clone, PartialEq)]
pub struct DnState {
    /// Frame counter added to the next call's first frame (`E_frame_counter`; zeroed by a call).
    pub e_frame_counter: Vec<i64>,
    /// IAF counters (`IAF_counter`).
    pub iaf_counter: Vec<i64>,
    /// Low-pass state (`M_lowpass_state`).
    pub m_lowpass_state: Vec<i64>,
    /// Position in the LFSR code (`lfsr_index`).
    pub lfsr_index: usize,
}

/// The divisive-normalisation block, with the LFSR spike generator or without.
#[doc(alias = "DivisiveNormalisationNoLFSR")]
#[derive(Debug, Clone)]
pub struct DivisiveNormalisation {
    config: DnConfig,
    lfsr: bool,
    state: DnState,
}

fn overflow(module: &str) -> Error {
    Error::Overflow {
        module: module.into(),
        message: "the low-pass state left the 64-bit range".into(),
    }
}

impl DivisiveNormalisation {
    /// A block with the LFSR spike generator (`lfsr = true`, `DivisiveNormalisation`) or with
    /// the input events passed straight to the local clock (`DivisiveNormalisationNoLFSR`).
    ///
    /// Errors when the initial state vectors do not have one value per channel, `p_local` is
    /// not even and positive, `dt` or `frame_dt` is not positive, or the code is empty.
    pub fn new(config: DnConfig, lfsr: bool) -> Result<Self> {
        let module = if lfsr { NAME } else { NAME_NO_LFSR };
        let c = config.channels;
        for (name, v) in [
            ("E_frame_counter", &config.e_frame_counter),
            ("IAF_counter", &config.iaf_counter),
            ("M_lowpass_state", &config.m_lowpass_state),
        ] {
            if v.len() != c {
                return Err(param_error(
                    module,
                    name,
                    format!("expected {c} values (one per channel), got {}", v.len()),
                ));
            }
        }
        if c == 0 {
            return Err(param_error(module, "shape", "needs at least one channel"));
        }
        if config.p_local == 0 || !config.p_local.is_multiple_of(2) {
            return Err(param_error(module, "p_local", "must be even and positive"));
        }
        if !(config.dt > 0.0 && config.dt.is_finite()) {
            return Err(param_error(module, "dt", "must be positive"));
        }
        if !(config.frame_dt > 0.0 && config.frame_dt.is_finite()) {
            return Err(param_error(module, "frame_dt", "must be positive"));
        }
        if config.code_lfsr.is_empty() {
            return Err(param_error(module, "code_lfsr", "must not be empty"));
        }
        if config.bits_counter > 62 || config.bits_lowpass > 62 || config.bits_shift_lowpass > 62 {
            return Err(param_error(
                module,
                "bits_*",
                "bit widths must be at most 62",
            ));
        }
        Ok(Self::new_unchecked(config, lfsr))
    }

    fn new_unchecked(config: DnConfig, lfsr: bool) -> Self {
        let state = DnState {
            e_frame_counter: config.e_frame_counter.clone(),
            iaf_counter: config.iaf_counter.clone(),
            m_lowpass_state: config.m_lowpass_state.clone(),
            lfsr_index: 0,
        };
        Self {
            config,
            lfsr,
            state,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &DnConfig {
        &self.config
    }

    /// The carried state.
    pub fn state(&self) -> &DnState {
        &self.state
    }

    fn module(&self) -> &'static str {
        if self.lfsr { NAME } else { NAME_NO_LFSR }
    }

    /// Runs one call on event counts `input` `(T, C)` (`T ≥ 1`, counts ≥ 0) per tick `dt`;
    /// returns the output events `(ceil(F·frame_dt/dt), C)` per tick.
    pub fn process(&mut self, input: ArrayView2<i64>) -> Result<Array2<i64>> {
        let module = self.module();
        let cfg = &self.config;
        let (t_in, ch) = input.dim();
        if ch != cfg.channels {
            return Err(input_error(
                module,
                format!(
                    "input has {ch} channels, the block has {} (`shape`)",
                    cfg.channels
                ),
            ));
        }
        if t_in == 0 {
            return Err(input_error(module, "the input has no time steps"));
        }
        if let Some(((t, c), v)) = input.indexed_iter().find(|(_, v)| **v < 0) {
            return Err(input_error(
                module,
                format!("event counts must be >= 0, got {v} at ({t}, {c})"),
            ));
        }
        let (dt, frame_dt) = (cfg.dt, cfg.frame_dt);
        let t_stop = t_in as f64 * dt;
        let frames = (t_stop / frame_dt).ceil() as usize;
        // 1. Frame counts.
        let mut e = Array2::<i64>::zeros((frames, ch));
        for ((r, c), &v) in input.indexed_iter() {
            if v == 0 {
                continue;
            }
            let time = r as f64 * dt + dt / 2.0;
            if time >= t_stop {
                continue;
            }
            let idx = (time / frame_dt).floor() as usize;
            if idx < frames {
                e[[idx, c]] += v;
            }
        }
        let e_max = 1i64 << cfg.bits_counter;
        for c in 0..ch {
            e[[0, c]] += self.state.e_frame_counter[c];
        }
        e.mapv_inplace(|v| v.clamp(0, e_max));
        self.state.e_frame_counter = vec![0; ch];
        // 2. Low-pass.
        let s = cfg.bits_shift_lowpass;
        let m_max = (1i64 << cfg.bits_lowpass) - 1;
        let mut m = Array2::<i64>::zeros((frames, ch));
        for c in 0..ch {
            let mut mc = self.state.m_lowpass_state[c];
            for t in 0..frames {
                let et = e[[t, c]];
                mc = match cfg.low_pass_mode {
                    LowPassMode::UnderflowProtect => mc
                        .checked_mul(1 << s)
                        .and_then(|v| v.checked_add(et))
                        .and_then(|v| v.checked_sub(mc))
                        .map(|v| v >> s),
                    LowPassMode::OverflowProtect => (et >> s)
                        .checked_add(mc)
                        .and_then(|v| v.checked_sub(mc >> s)),
                }
                .ok_or_else(|| overflow(module))?;
                m[[t, c]] = mc.clamp(0, m_max);
            }
            self.state.m_lowpass_state[c] = m[[frames - 1, c]];
        }
        // 3.–5. Spike generation, local clock and IAF.
        let cycles = (frame_dt / dt).ceil() as usize;
        if !self.lfsr && t_in > frames * cycles {
            return Err(input_error(
                module,
                format!("{t_in} input rows do not fit in {frames} frames of {cycles} ticks"),
            ));
        }
        let p = cfg.p_local;
        let half = p / 2;
        let code = &cfg.code_lfsr;
        let lfsr_index = self.state.lfsr_index;
        let t_stop_out = frames as f64 * frame_dt;
        let rows = (t_stop_out / dt).ceil() as usize;
        let mut out = Array2::<i64>::zeros((rows, ch));
        let sub_dt = dt / p as f64;
        for c in 0..ch {
            let mut counter = self.state.iaf_counter[c];
            for t in 0..frames {
                let thr = m[[t, c]] + 1;
                let mut prev = counter.rem_euclid(thr);
                let mut cum = 0i64;
                for j in 0..cycles {
                    let tick = t * cycles + j;
                    let value = if self.lfsr {
                        i64::from(e[[t, c]] >= code[(lfsr_index + tick) % code.len()])
                    } else if tick < t_in {
                        input[[tick, c]]
                    } else {
                        0
                    };
                    // Zero pulses (and the return-to-zero halves) leave the state unchanged, except
                    // for the frame's first: the carried counter is compared with a sum from 0.
                    if value == 0 && j > 0 {
                        continue;
                    }
                    for q in 0..half {
                        cum += value;
                        let cur = cum.rem_euclid(thr);
                        if cur < prev {
                            let k = j * p + q;
                            let time = k as f64 * sub_dt + t as f64 * frame_dt;
                            if time >= t_stop_out {
                                return Err(input_error(
                                    module,
                                    format!(
                                        "an output event at {time} s falls past the last frame's \
                                         end ({t_stop_out} s): frame_dt / dt is not an integer"
                                    ),
                                ));
                            }
                            let idx = (time / dt).floor() as usize;
                            if idx < rows {
                                out[[idx, c]] += 1;
                            }
                        }
                        prev = cur;
                    }
                }
                counter = cum.rem_euclid(thr);
            }
            self.state.iaf_counter[c] = counter;
        }
        if self.lfsr {
            self.state.lfsr_index = (lfsr_index + frames * cycles) % code.len();
        }
        Ok(out)
    }

    /// Returns the state to the constructor's initial values (`lfsr_index = 0`).
    pub fn reset(&mut self) {
        *self = Self::new_unchecked(self.config.clone(), self.lfsr);
    }
}

impl Block for DivisiveNormalisation {
    fn name(&self) -> &str {
        self.module()
    }

    /// `input`: event counts `(T, C)` per `dt` (integers ≥ 0; booleans count as 0/1). Output:
    /// `(T', C)` event counts per `dt`. `sample_rate`, if given, must be `1/dt`.
    fn run(&mut self, input: &Signal, sample_rate: Option<f64>) -> Result<Signal> {
        let module = self.module();
        if let Some(sr) = sample_rate {
            let own = 1.0 / self.config.dt;
            if (sr - own).abs() > 1e-9 * own || sr.is_nan() {
                return Err(input_error(
                    module,
                    format!(
                        "events at {sr} Hz cannot be resampled; this block runs at 1/dt = {own} Hz"
                    ),
                ));
            }
        }
        let x = input.to_i64().ok_or_else(|| {
            input_error(
                module,
                "expected integer event counts, got non-integer values",
            )
        })?;
        Ok(Signal::Int(self.process(x.view())?))
    }

    fn input_rate(&self) -> f64 {
        1.0 / self.config.dt
    }

    fn output_dt(&self) -> f64 {
        self.config.dt
    }

    fn output_channels(&self) -> usize {
        self.config.channels
    }

    fn reset(&mut self) {
        DivisiveNormalisation::reset(self);
    }
}
