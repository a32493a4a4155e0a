//! [`XyloSim`]: a bit-exact integer simulator of the Xylo SNN core.
//!
//! It reproduces SynSense's `xylosim` 0.1.3 (`xylosim.v2.XyloLayer`, the core behind
//! Rockpool's `XyloSim` for XyloAudio 2, XyloAudio 3 and XyloIMU) bit for bit, on every
//! output and every recorded trace; the tests compare it against reference runs of xylosim.
//!
//! # Arithmetic
//! States (`v_mem`, `i_syn`, `i_syn2`) are int16. `sat(x)` clamps to `-32768..=32767`,
//! `wrap(x)` is the two's-complement cast to int16.
//! `decay(x, d) = x >> d` (arithmetic shift, rounding towards -inf), except that a non-zero
//! `x` always decays by at least one step towards zero (`decay = ±1` when `x >> d == 0`); so
//! `d = 0` clears the state every step.
//!
//! # One time step `t`
//! 1. **Input.** For each channel `c` in ascending order, with `n = min(raster[t, c], 15)`:
//!    every synapse `c → (h, s)` adds `wrap(w << weight_shift_in)` `n` times, each add
//!    saturating: `I_s[h] = sat(I_s[h] + w')`.
//! 2. **Recurrent.** The hidden events of step `t-1` (`S[h]`, at most 31) go through
//!    `weights_rec` (`weight_shift_rec`) in the same way, pre-synaptic neurons ascending.
//! 3. **Readout input.** The same events `S` go through `weights_out` (`weight_shift_out`)
//!    into the readout currents. So a hidden event reaches other hidden neurons and the
//!    readout one step after it is emitted, and every hidden layer adds one step of latency.
//! 4. **Hidden neurons**, in id order, with an event buffer `B` that starts at 0:
//!    - `I_s -= decay(I_s, dash_syn_s)` for both synapses (the decay includes this step's input);
//!    - `dv = sat(wrap(-decay(V, dash_mem)) + I_1 + I_2)` (the two currents summed exactly);
//!    - `dv = sat(dv + bias)`; `V = sat(V + dv)`;
//!    - `n = B[h]` (events already aliased onto `h` this step); while `V >= threshold` and
//!      `n < 31`: `n += 1`, `V = wrap(V - threshold)` (subtractive reset);
//!    - `B[h] = n`; for each alias target `a` of `h`: `B[a] = min(B[a] + n, 31)`.
//! 5. **Readout neurons**: the same update with their one synapse and at most one event.
//! 6. `S = B`: the hidden events of step `t` (aliased events included) are delivered at
//!    `t + 1` through the synapses of the neuron that carries them.
//!
//! A threshold `<= 0` is not guarded (as on the chip model): the neuron emits the maximum
//! count every step. Recorded traces are sampled after step 4/5 (post-decay currents,
//! post-reset membrane).
//!
//! Differences from Rockpool's Python `XyloSim` wrapper (not from the core): built from a
//! configuration, an alias to neuron 0 is kept (Rockpool drops it), and XyloAudio 3's second
//! synapse is simulated (Rockpool's `from_config` ignores it for XyloAudio 3).

use ndarray::{Array2, ArrayView2};

use crate::config::{XyloConfig, spec_from_config};
use crate::error::{Result, XyloError};
use crate::spec::{SpecDims, XyloSpec};
use crate::validate::{ValidationReport, check_simulable};

/// Most events per input channel per step; more are clipped.
pub const MAX_INPUT_EVENTS: u32 = 15;
/// The most elements (steps × neurons) one trace returned by [`XyloSim::evolve`] may hold
/// (2²⁸, 1 GiB of `i32`): a longer run is refused before anything is allocated.
pub const MAX_OUTPUT_ELEMENTS: usize = 1 << 28;
/// Most events per hidden neuron per step.
pub const MAX_HIDDEN_SPIKES: u8 = 31;
/// Most events per readout neuron per step.
pub const MAX_OUTPUT_SPIKES: u8 = 1;

/// What [`XyloSim::evolve`] returns as its main output. Parses case-insensitively from
/// `Spike` (or `spikes`), `Vmem`, `Isyn` ([`rockpool_io::text_enum!`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OutputMode {
    /// Readout events per step (0 or 1).
    #[default]
    Spike,
    /// Readout membrane potentials (int16).
    Vmem,
    /// Readout synaptic currents (int16).
    Isyn,
}

rockpool_io::text_enum! {
    OutputMode("Xylo output mode") {
        Spike => "Spike" | "spikes",
        Vmem => "Vmem",
        Isyn => "Isyn",
    }
}

/// The dynamic state of the core between time steps.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SimState {
    /// Hidden membrane potentials `(Nhid,)`.
    pub vmem: Vec<i16>,
    /// Hidden synapse-1 currents `(Nhid,)`.
    pub isyn: Vec<i16>,
    /// Hidden synapse-2 currents `(Nhid,)` (stay 0 with one synapse).
    pub isyn2: Vec<i16>,
    /// Hidden events of the last step `(Nhid,)`, 0..=31, delivered at the next step.
    pub spikes: Vec<u8>,
    /// Readout membrane potentials `(Nout,)`.
    pub vmem_out: Vec<i16>,
    /// Readout synaptic currents `(Nout,)`.
    pub isyn_out: Vec<i16>,
}

impl SimState {
    #[cfg(test)]
    fn zeros(n_hidden: usize, n_out: usize) -> Self {
        SimState {
            vmem: vec![0; n_hidden],
            isyn: vec![0; n_hidden],
            isyn2: vec![0; n_hidden],
            spikes: vec![0; n_hidden],
            vmem_out: vec![0; n_out],
            isyn_out: vec![0; n_out],
        }
    }
}

/// Internal traces of one [`XyloSim::evolve`] call, time-major `(T, N)`, sampled at the end
/// of each step. Rockpool's record keys are given in brackets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimRecord {
    /// Hidden membrane potentials `(T, Nhid)` (`Vmem`).
    pub vmem: Array2<i16>,
    /// Hidden synapse-1 currents `(T, Nhid)` (`Isyn`).
    pub isyn: Array2<i16>,
    /// Hidden synapse-2 currents `(T, Nhid)` (`Isyn2`).
    pub isyn2: Array2<i16>,
    /// Hidden events per step `(T, Nhid)`, aliased events included (`Spikes`).
    pub spikes: Array2<u8>,
    /// Readout membrane potentials `(T, Nout)` (`Vmem_out`).
    pub vmem_out: Array2<i16>,
    /// Readout synaptic currents `(T, Nout)` (`Isyn_out`).
    pub isyn_out: Array2<i16>,
}

/// The result of [`XyloSim::evolve`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimOutput {
    /// `(T, Nout)`: readout events, membrane potentials or currents, per the
    /// simulator's [`OutputMode`].
    pub output: Array2<i32>,
    /// The internal traces, when recording was asked for.
    pub record: Option<SimRecord>,
}

/// Synapses in compressed-row form: the synapses of pre-synaptic index `p` are
/// `start[p]..start[p+1]`, each with a target state index and its already shifted weight.
#[derive(Debug, Clone, Default)]
struct SynapseTable {
    start: Vec<u32>,
    target: Vec<u32>,
    weight: Vec<i16>,
}

impl SynapseTable {
    fn builder(n_pre: usize) -> Self {
        SynapseTable {
            start: Vec::with_capacity(n_pre + 1),
            target: Vec::new(),
            weight: Vec::new(),
        }
    }

    fn begin_row(&mut self) {
        self.start.push(self.target.len() as u32);
    }

    fn push(&mut self, target: usize, weight: i32, shift: i32) {
        self.target.push(target as u32);
        self.weight.push(wrap16(weight << shift));
    }

    fn finish(&mut self) {
        self.start.push(self.target.len() as u32);
    }

    /// Adds `n` events of pre-synaptic index `pre` into `state`.
    ///
    /// `n` repeated saturating adds of the same weight equal one clamp of `x + n*w`, since
    /// the partial sums move monotonically and stay at the limit once they reach it.
    #[inline]
    fn deliver(&self, pre: usize, n: i32, state: &mut [i16]) {
        let (a, b) = (self.start[pre] as usize, self.start[pre + 1] as usize);
        for (&t, &w) in self.target[a..b].iter().zip(&self.weight[a..b]) {
            let s = &mut state[t as usize];
            *s = sat16(*s as i32 + n * w as i32);
        }
    }
}

/// The bit-exact Xylo SNN core simulator. See the [module docs](self) for the model.
///
/// Build it with [`from_spec`](Self::from_spec) or [`from_config`](Self::from_config), then
/// call [`evolve`](Self::evolve) on input rasters; the state carries over between calls until
/// [`reset_state`](Self::reset_state).
#[derive(Debug, Clone)]
pub struct XyloSim {
    dims: SpecDims,
    output_mode: OutputMode,
    syn_in: SynapseTable,
    syn_rec: SynapseTable,
    syn_out: SynapseTable,
    alias_start: Vec<u32>,
    alias_target: Vec<u32>,
    dash_mem: Vec<u8>,
    dash_syn: Vec<[u8; 2]>,
    threshold: Vec<i16>,
    bias: Vec<i16>,
    dash_mem_out: Vec<u8>,
    dash_syn_out: Vec<u8>,
    threshold_out: Vec<i16>,
    bias_out: Vec<i16>,
    // State. `isyn` holds synapse 1 of every hidden neuron, then synapse 2 (index s*Nhid + h).
    vmem: Vec<i16>,
    isyn: Vec<i16>,
    spikes: Vec<u8>,
    buffer: Vec<u8>,
    vmem_out: Vec<i16>,
    isyn_out: Vec<i16>,
}

impl XyloSim {
    /// Builds the simulator from an integer specification.
    ///
    /// Only what the simulated arithmetic needs is checked here (shapes; weights in int8,
    /// thresholds and biases in int16, dashes 0..=15, weight shifts 0..=15, alias targets
    /// existing); chip sizes are not, so networks larger than a chip can be simulated. Use
    /// [`validate_spec`](crate::validate_spec) for the limits of a chip.
    ///
    /// # Errors
    /// [`XyloError::Shape`]/[`XyloError::Value`] for inconsistent shapes,
    /// [`XyloError::Invalid`] listing every value the core cannot represent.
    pub fn from_spec(spec: &XyloSpec<i32>, output_mode: OutputMode) -> Result<Self> {
        let dims = spec.dims()?;
        let problems = check_simulable(spec, &dims);
        if !problems.is_empty() {
            return Err(XyloError::Invalid(ValidationReport {
                target: "the Xylo simulator".into(),
                problems,
            }));
        }
        let SpecDims {
            n_in,
            n_hidden,
            n_out,
            n_syn,
            n_ien,
            n_oen,
        } = dims;

        // Synapse order per pre-synaptic index: synapse 1 targets in ascending id, then
        // synapse 2 targets. (Each target state is touched once per pre, so the order within
        // a row does not change results; it mirrors how the reference builds its lists.)
        let mut syn_in = SynapseTable::builder(n_in);
        for c in 0..n_in {
            syn_in.begin_row();
            for s in 0..n_syn {
                for h in 0..n_ien {
                    let w = spec.weights_in[[c, h, s]];
                    if w != 0 {
                        syn_in.push(s * n_hidden + h, w, spec.weight_shift_in);
                    }
                }
            }
        }
        syn_in.finish();

        let mut syn_rec = SynapseTable::builder(n_hidden);
        for pre in 0..n_hidden {
            syn_rec.begin_row();
            for s in 0..n_syn {
                for post in 0..n_hidden {
                    let w = spec.weights_rec[[pre, post, s]];
                    if w != 0 {
                        syn_rec.push(s * n_hidden + post, w, spec.weight_shift_rec);
                    }
                }
            }
        }
        syn_rec.finish();

        let offset = dims.oen_offset();
        let mut syn_out = SynapseTable::builder(n_hidden);
        for pre in 0..n_hidden {
            syn_out.begin_row();
            if pre >= offset {
                for o in 0..n_out {
                    let w = spec.weights_out[[pre - offset, o]];
                    if w != 0 {
                        syn_out.push(o, w, spec.weight_shift_out);
                    }
                }
            }
        }
        syn_out.finish();
        debug_assert_eq!(n_oen, n_hidden - offset);

        let mut alias_start = Vec::with_capacity(n_hidden + 1);
        let mut alias_target = Vec::new();
        for targets in &spec.aliases {
            alias_start.push(alias_target.len() as u32);
            alias_target.extend(targets.iter().map(|&a| a as u32));
        }
        alias_start.push(alias_target.len() as u32);

        let u8s = |a: &ndarray::Array1<i32>| a.iter().map(|&x| x as u8).collect::<Vec<_>>();
        let i16s = |a: &ndarray::Array1<i32>| a.iter().map(|&x| x as i16).collect::<Vec<_>>();
        let dash_syn = spec
            .dash_syn
            .iter()
            .zip(&spec.dash_syn_2)
            .map(|(&a, &b)| [a as u8, b as u8])
            .collect();

        let mut sim = XyloSim {
            dims,
            output_mode,
            syn_in,
            syn_rec,
            syn_out,
            alias_start,
            alias_target,
            dash_mem: u8s(&spec.dash_mem),
            dash_syn,
            threshold: i16s(&spec.threshold),
            bias: i16s(&spec.bias),
            dash_mem_out: u8s(&spec.dash_mem_out),
            dash_syn_out: u8s(&spec.dash_syn_out),
            threshold_out: i16s(&spec.threshold_out),
            bias_out: i16s(&spec.bias_out),
            vmem: Vec::new(),
            isyn: Vec::new(),
            spikes: Vec::new(),
            buffer: Vec::new(),
            vmem_out: Vec::new(),
            isyn_out: Vec::new(),
        };
        sim.reset_state();
        Ok(sim)
    }

    /// Builds the simulator from a chip configuration (via
    /// [`spec_from_config`]: disabled biases read as 0, a disabled
    /// second synapse is dropped).
    ///
    /// # Errors
    /// As [`spec_from_config`] and [`from_spec`](Self::from_spec).
    pub fn from_config(config: &XyloConfig, output_mode: OutputMode) -> Result<Self> {
        Self::from_spec(&spec_from_config(config)?, output_mode)
    }

    /// The network sizes.
    pub fn dims(&self) -> SpecDims {
        self.dims
    }

    /// What [`evolve`](Self::evolve) returns as output.
    pub fn output_mode(&self) -> OutputMode {
        self.output_mode
    }

    /// Changes what [`evolve`](Self::evolve) returns as output.
    pub fn set_output_mode(&mut self, mode: OutputMode) {
        self.output_mode = mode;
    }

    /// Zeroes every membrane potential, current and pending event.
    pub fn reset_state(&mut self) {
        let (nh, no) = (self.dims.n_hidden, self.dims.n_out);
        self.vmem = vec![0; nh];
        self.isyn = vec![0; 2 * nh];
        self.spikes = vec![0; nh];
        self.buffer = vec![0; nh];
        self.vmem_out = vec![0; no];
        self.isyn_out = vec![0; no];
    }

    /// A copy of the current state.
    pub fn state(&self) -> SimState {
        let nh = self.dims.n_hidden;
        SimState {
            vmem: self.vmem.clone(),
            isyn: self.isyn[..nh].to_vec(),
            isyn2: self.isyn[nh..].to_vec(),
            spikes: self.spikes.clone(),
            vmem_out: self.vmem_out.clone(),
            isyn_out: self.isyn_out.clone(),
        }
    }

    /// Replaces the current state.
    ///
    /// # Errors
    /// [`XyloError::Shape`] if a vector's length does not match the network, and
    /// [`XyloError::Value`] if a pending event count exceeds 31.
    pub fn set_state(&mut self, state: &SimState) -> Result<()> {
        let (nh, no) = (self.dims.n_hidden, self.dims.n_out);
        for (field, len, want) in [
            ("state.vmem", state.vmem.len(), nh),
            ("state.isyn", state.isyn.len(), nh),
            ("state.isyn2", state.isyn2.len(), nh),
            ("state.spikes", state.spikes.len(), nh),
            ("state.vmem_out", state.vmem_out.len(), no),
            ("state.isyn_out", state.isyn_out.len(), no),
        ] {
            if len != want {
                return Err(XyloError::shape(field, &[len], format!("({want},)")));
            }
        }
        if let Some(&n) = state.spikes.iter().find(|&&n| n > MAX_HIDDEN_SPIKES) {
            return Err(XyloError::value(
                "state.spikes",
                n,
                "a hidden neuron emits at most 31 events per step",
            ));
        }
        self.vmem.copy_from_slice(&state.vmem);
        self.isyn[..nh].copy_from_slice(&state.isyn);
        self.isyn[nh..].copy_from_slice(&state.isyn2);
        self.spikes.copy_from_slice(&state.spikes);
        self.vmem_out.copy_from_slice(&state.vmem_out);
        self.isyn_out.copy_from_slice(&state.isyn_out);
        Ok(())
    }

    /// Runs the core over an input raster (at most [`MAX_OUTPUT_ELEMENTS`] steps × neurons
    /// per returned trace).
    ///
    /// - `raster`: `(T, Nin)` input event counts per step and channel; counts above 15 are
    ///   clipped to 15, as on the chip.
    /// - `record`: also return the internal traces ([`SimRecord`]).
    ///
    /// Returns `(T, Nout)` readout events (or `Vmem`/`Isyn`, per the [`OutputMode`]). The
    /// state carries over to the next call. No allocation happens per step.
    ///
    /// # Errors
    /// [`XyloError::Shape`] if the raster does not have `Nin` columns.
    pub fn evolve<'a>(
        &mut self,
        raster: impl Into<ArrayView2<'a, u32>>,
        record: bool,
    ) -> Result<SimOutput> {
        let raster = raster.into();
        let (n_steps, n_ch) = raster.dim();
        if n_ch != self.dims.n_in {
            return Err(XyloError::shape(
                "input raster",
                raster.shape(),
                format!("(T, Nin) with Nin = {} input channels", self.dims.n_in),
            ));
        }
        let (nh, no) = (self.dims.n_hidden, self.dims.n_out);
        let widest = if record { nh.max(no) } else { no };
        if n_steps
            .checked_mul(widest)
            .is_none_or(|n| n > MAX_OUTPUT_ELEMENTS)
        {
            return Err(XyloError::shape(
                "input raster",
                raster.shape(),
                format!(
                    "at most {MAX_OUTPUT_ELEMENTS} elements per output trace: {n_steps} steps × \
                     {widest} neurons is too long; simulate the raster in shorter pieces (the \
                     state carries over between calls)"
                ),
            ));
        }
        let mut output = Array2::<i32>::zeros((n_steps, no));
        let mut rec = record.then(|| SimRecord {
            vmem: Array2::zeros((n_steps, nh)),
            isyn: Array2::zeros((n_steps, nh)),
            isyn2: Array2::zeros((n_steps, nh)),
            spikes: Array2::zeros((n_steps, nh)),
            vmem_out: Array2::zeros((n_steps, no)),
            isyn_out: Array2::zeros((n_steps, no)),
        });
        let mut events = vec![0u8; no];

        for (t, row) in raster.outer_iter().enumerate() {
            self.step(row.iter().copied(), &mut events);
            let mut out_row = output.row_mut(t);
            match self.output_mode {
                OutputMode::Spike => {
                    out_row.assign(&ndarray::ArrayView1::from(&events).mapv(i32::from))
                }
                OutputMode::Vmem => {
                    out_row.assign(&ndarray::ArrayView1::from(&self.vmem_out).mapv(i32::from))
                }
                OutputMode::Isyn => {
                    out_row.assign(&ndarray::ArrayView1::from(&self.isyn_out).mapv(i32::from))
                }
            }
            if let Some(r) = rec.as_mut() {
                copy_row(&mut r.vmem, t, &self.vmem);
                copy_row(&mut r.isyn, t, &self.isyn[..nh]);
                copy_row(&mut r.isyn2, t, &self.isyn[nh..]);
                copy_row(&mut r.spikes, t, &self.spikes);
                copy_row(&mut r.vmem_out, t, &self.vmem_out);
                copy_row(&mut r.isyn_out, t, &self.isyn_out);
            }
        }
        Ok(SimOutput {
            output,
            record: rec,
        })
    }

    /// One time step; `input` yields `Nin` counts, `events` receives the readout events.
    fn step(&mut self, input: impl Iterator<Item = u32>, events: &mut [u8]) {
        let nh = self.dims.n_hidden;

        // 1-3: deliver input events and the hidden events of the previous step.
        for (c, n) in input.enumerate() {
            let n = n.min(MAX_INPUT_EVENTS) as i32;
            if n > 0 {
                self.syn_in.deliver(c, n, &mut self.isyn);
            }
        }
        for (h, &n) in self.spikes.iter().enumerate() {
            if n > 0 {
                self.syn_rec.deliver(h, n as i32, &mut self.isyn);
            }
        }
        for (h, &n) in self.spikes.iter().enumerate() {
            if n > 0 {
                self.syn_out.deliver(h, n as i32, &mut self.isyn_out);
            }
        }

        // 4: hidden neurons in id order.
        self.buffer.fill(0);
        let (isyn1, isyn2) = self.isyn.split_at_mut(nh);
        for h in 0..nh {
            let [d1, d2] = self.dash_syn[h];
            let i1 = isyn1[h] - decay(isyn1[h], d1);
            let i2 = isyn2[h] - decay(isyn2[h], d2);
            isyn1[h] = i1;
            isyn2[h] = i2;
            let v = integrate(
                self.vmem[h],
                self.dash_mem[h],
                i1 as i32 + i2 as i32,
                self.bias[h],
            );
            let (v, n) = fire(v, self.threshold[h], self.buffer[h], MAX_HIDDEN_SPIKES);
            self.vmem[h] = v;
            self.buffer[h] = n;
            if n > 0 {
                let (a, b) = (
                    self.alias_start[h] as usize,
                    self.alias_start[h + 1] as usize,
                );
                for &target in &self.alias_target[a..b] {
                    let slot = &mut self.buffer[target as usize];
                    *slot = (*slot + n).min(MAX_HIDDEN_SPIKES);
                }
            }
        }

        // 5: readout neurons.
        for (o, ev) in events.iter_mut().enumerate() {
            let i = self.isyn_out[o] - decay(self.isyn_out[o], self.dash_syn_out[o]);
            self.isyn_out[o] = i;
            let v = integrate(
                self.vmem_out[o],
                self.dash_mem_out[o],
                i as i32,
                self.bias_out[o],
            );
            let (v, n) = fire(v, self.threshold_out[o], 0, MAX_OUTPUT_SPIKES);
            self.vmem_out[o] = v;
            *ev = n;
        }

        // 6: this step's hidden events are delivered at the next step.
        std::mem::swap(&mut self.spikes, &mut self.buffer);
    }
}

/// The membrane update of one neuron: leak, input current (exact sum of its synapses), bias,
/// with the core's saturation order.
#[inline]
fn integrate(v: i16, dash_mem: u8, current: i32, bias: i16) -> i16 {
    let leak = wrap16(-(decay(v, dash_mem) as i32));
    let dv = sat16(leak as i32 + current);
    let dv = sat16(dv as i32 + bias as i32);
    sat16(v as i32 + dv as i32)
}

/// Subtractive-reset spike generation: starting from `n` events already assigned this step,
/// emit while `v >= threshold` and fewer than `cap` events. Returns the new potential and
/// the event count.
#[inline]
fn fire(mut v: i16, threshold: i16, mut n: u8, cap: u8) -> (i16, u8) {
    if threshold > 0 {
        if v >= threshold && n < cap {
            // v >= threshold > 0, so v - k*threshold never underflows.
            let k = ((v / threshold) as u32).min((cap - n) as u32);
            n += k as u8;
            v -= (k as i16) * threshold;
        }
    } else {
        while v >= threshold && n < cap {
            n += 1;
            v = wrap16(v as i32 - threshold as i32);
        }
    }
    (v, n)
}

/// `x >> d`, or `±1` when that is 0 for a non-zero `x`.
#[inline]
fn decay(x: i16, d: u8) -> i16 {
    let r = x >> d;
    if r == 0 { x.signum() } else { r }
}

#[inline]
fn sat16(x: i32) -> i16 {
    x.clamp(i16::MIN as i32, i16::MAX as i32) as i16
}

#[inline]
fn wrap16(x: i32) -> i16 {
    x as i16
}

fn copy_row<T: Copy>(a: &mut Array2<T>, t: usize, src: &[T]) {
    a.row_mut(t).iter_mut().zip(src).for_each(|(d, &s)| *d = s);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn decay_floors_and_moves_at_least_one_step() {
        assert_eq!(decay(100, 1), 50);
        assert_eq!(decay(1, 4), 1);
        assert_eq!(decay(-1, 4), -1);
        assert_eq!(decay(-3, 1), -2);
        assert_eq!(decay(0, 3), 0);
        assert_eq!(decay(7, 0), 7);
        assert_eq!(decay(i16::MIN, 0), i16::MIN);
        // V = -32768 with dash 0: -decay wraps to -32768 (the one place wrap bites).
        assert_eq!(integrate(i16::MIN, 0, 0, 0), i16::MIN);
    }

    #[test]
    fn fire_caps_and_resets() {
        assert_eq!(fire(100, 30, 0, 31), (10, 3));
        assert_eq!(fire(30000, 1, 0, 31), (30000 - 31, 31));
        assert_eq!(fire(100, 30, 29, 31), (40, 31));
        assert_eq!(fire(100, 30, 0, 1), (70, 1));
        assert_eq!(fire(5, 0, 0, 31), (5, 31));
        assert_eq!(fire(5, -2, 27, 31), (13, 31));
        assert_eq!(fire(32767, -1, 0, 2), (-32768, 1));
    }

    #[test]
    fn hop_delay_and_state_persistence() {
        let mut spec = XyloSpec::<i32>::zeros(1, 2, 1, 1);
        spec.weights_in[[0, 0, 0]] = 100;
        spec.weights_rec[[0, 1, 0]] = 100;
        spec.weights_out[[1, 0]] = 100;
        spec.threshold.fill(50);
        spec.threshold_out.fill(50);
        let mut sim = XyloSim::from_spec(&spec, OutputMode::Spike).unwrap();
        let out = sim.evolve(&array![[1u32], [0], [0], [0]], true).unwrap();
        let rec = out.record.unwrap();
        assert_eq!(rec.spikes.column(0).to_vec(), vec![1, 0, 0, 0]);
        assert_eq!(rec.spikes.column(1).to_vec(), vec![0, 1, 0, 0]);
        assert_eq!(out.output.column(0).to_vec(), vec![0, 0, 1, 0]);

        // Split across two calls: identical.
        sim.reset_state();
        let a = sim.evolve(&array![[1u32], [0]], false).unwrap();
        let b = sim.evolve(&array![[0u32], [0]], false).unwrap();
        assert_eq!(a.output.column(0).to_vec(), vec![0, 0]);
        assert_eq!(b.output.column(0).to_vec(), vec![1, 0]);
        assert!(a.record.is_none());
    }

    #[test]
    fn rejects_bad_raster_and_values() {
        let mut spec = XyloSpec::<i32>::zeros(2, 2, 1, 1);
        let mut sim = XyloSim::from_spec(&spec, OutputMode::Vmem).unwrap();
        let e = sim
            .evolve(&Array2::<u32>::zeros((3, 3)), false)
            .unwrap_err();
        assert!(e.to_string().contains("Nin = 2"), "{e}");

        spec.weights_in[[0, 1, 0]] = 128;
        spec.threshold[0] = 40_000;
        spec.dash_mem[1] = 16;
        spec.aliases[0] = vec![5];
        spec.weight_shift_rec = 16;
        let e = XyloSim::from_spec(&spec, OutputMode::Spike)
            .unwrap_err()
            .to_string();
        for needle in [
            "weights_in",
            "threshold",
            "dash_mem",
            "aliases",
            "weight_shift_rec",
        ] {
            assert!(e.contains(needle), "{needle} missing from: {e}");
        }
    }

    #[test]
    fn output_modes_and_state_access() {
        assert_eq!("vmem".parse::<OutputMode>().unwrap(), OutputMode::Vmem);
        assert_eq!("Spikes".parse::<OutputMode>().unwrap(), OutputMode::Spike);
        assert!("foo".parse::<OutputMode>().is_err());

        let mut spec = XyloSpec::<i32>::zeros(1, 1, 1, 2);
        spec.weights_in[[0, 0, 1]] = 10;
        spec.weights_out[[0, 0]] = 10;
        spec.threshold.fill(1000);
        spec.threshold_out.fill(1000);
        let mut sim = XyloSim::from_spec(&spec, OutputMode::Isyn).unwrap();
        sim.evolve(&array![[2u32]], false).unwrap();
        let st = sim.state();
        assert_eq!(st.isyn2, vec![10]);
        assert_eq!(st.isyn, vec![0]);
        sim.reset_state();
        assert_eq!(sim.state(), SimState::zeros(1, 1));
        sim.set_state(&st).unwrap();
        assert_eq!(sim.state(), st);
        let mut bad = st.clone();
        bad.spikes = vec![40];
        assert!(sim.set_state(&bad).is_err());
    }
}
