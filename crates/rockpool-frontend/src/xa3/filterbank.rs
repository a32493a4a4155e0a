//! `ChipButterworth`: the XyloAudio 3 filter bank, 16 fixed second-order integer band-pass
//! filters (`b = (1, 0, −1)`) run on 14-bit audio at 48828.125 Hz.
//!
//! Each filter `k` (taps in [`BLOCK_DIAGRAMS`]) runs on `s = concat(rev(x), x)` — a warm-up on
//! the time-reversed input instead of a zero initial state — and only the last `T` outputs are
//! kept:
//!
//! ```text
//! v[-3] = v[-2] = v[-1] = 0
//! v[n] = ((s[n] << B_wf) + ((−a2·v[n−2] − a1·v[n−1]) >> B_af)) >> B_b   (arithmetic shifts)
//! u[n] = v[n−1]                  (the AR output is the latched state: one sample of delay)
//! y[n] = u[n] − u[n−2]           (y[0] = u[0], y[1] = u[1])
//! ```
//!
//! The output `y` is **not** shifted back by `B_wf` (`evolve(scale_out=False)`, Rockpool's
//! default); `y · scale_out` is Rockpool's `scale_out=True` float output. Overflows are errors
//! as in Rockpool: `|s| ≥ 2^13`, `|u| ≥ 2^(B_w−1)` or `|y| ≥ 2^(B_out−1)` anywhere in the
//! `2T` samples.

use ndarray::Array2;

use crate::error::{input_error, param_error};
use crate::{Block, Error, Params, Result, Signal};

use super::AUDIO_SAMPLING_RATE;

/// The number of filters in the bank.
pub const NUM_FILTERS: usize = 16;

/// Bits of the filter input (the quantised audio): `|x| < 2^(B_IN−1)` = 8192.
pub const B_IN: u32 = 14;

/// The integer taps of one filter of the bank, as Rockpool's `BlockDiagram`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FilterTaps {
    /// Headroom bits for the worst-case gain (`B_w = B_out = B_IN + B_worst_case + B_wf`).
    pub b_worst_case: u32,
    /// Final right shift of the AR branch.
    pub b_b: u32,
    /// Right shift of the feedback sum.
    pub b_af: u32,
    /// Feedback tap on `v[n−1]`.
    pub a1: i64,
    /// Feedback tap on `v[n−2]`.
    pub a2: i64,
    /// Extra fractional bits of the input (`s << B_wf`).
    pub b_wf: u32,
    /// Gain that maps the integer output to Rockpool's `scale_out=True` float output.
    pub scale_out: f64,
}

impl FilterTaps {
    /// `B_w = B_out`: the register width of the AR state and of the output.
    pub fn b_out(&self) -> u32 {
        B_IN + self.b_worst_case + self.b_wf
    }
}

const fn taps(
    b_worst_case: u32,
    b_b: u32,
    b_af: u32,
    a1: i64,
    a2: i64,
    scale_out: f64,
) -> FilterTaps {
    FilterTaps {
        b_worst_case,
        b_b,
        b_af,
        a1,
        a2,
        b_wf: 8,
        scale_out,
    }
}

/// The 16 filters, lowest centre frequency first. Dumped from Rockpool 3.1.0's
/// `ChipButterworth().bd_list` (`B_worst_case, B_b, B_af, a1, a2, scale_out`; `B_wf = 8`,
/// `B_in = 14` for all); `tests/fixtures/xa3/meta.json` holds the dump.
pub const BLOCK_DIAGRAMS: [FilterTaps; NUM_FILTERS] = [
    taps(7, 8, 6, -32694, 16313, 0.5573),
    taps(6, 8, 6, -32663, 16284, 0.781),
    taps(6, 7, 7, -32617, 16244, 0.547),
    taps(5, 7, 7, -32551, 16188, 0.766),
    taps(5, 6, 8, -32453, 16110, 0.5359),
    taps(4, 6, 8, -32305, 16000, 0.7492),
    taps(4, 5, 9, -32077, 15848, 0.523),
    taps(3, 5, 9, -31718, 15638, 0.7288),
    taps(3, 4, 10, -31139, 15347, 0.5065),
    taps(2, 4, 10, -30185, 14947, 0.7018),
    taps(2, 4, 10, -28582, 14402, 0.9679),
    taps(2, 3, 11, -25862, 13666, 0.6635),
    taps(2, 3, 11, -21262, 12687, 0.9026),
    taps(2, 2, 13, -27375, 22803, 0.6082),
    taps(2, 2, 13, -4180, 19488, 0.8105),
    taps(2, 1, 14, 25566, 15280, 0.5337),
];

/// The filter bank with a choice of filters (Rockpool's `ChipButterworth(select_filters)`).
#[doc(alias = "ChipButterworth")]
#[derive(Debug, Clone, PartialEq)]
pub struct FilterBank {
    filters: Vec<usize>,
}

impl FilterBank {
    /// All 16 filters (`select_filters=None`).
    pub fn all() -> Self {
        Self {
            filters: (0..NUM_FILTERS).collect(),
        }
    }

    /// The filters `select_filters` (indices 0..16, unique, in the output's channel order);
    /// `None`: all 16. `module` names the caller in errors.
    pub fn new(module: &str, select_filters: Option<&[i64]>) -> Result<Self> {
        let Some(sel) = select_filters else {
            return Ok(Self::all());
        };
        let bad = |m: String| param_error(module, "select_filters", m);
        if sel.is_empty() {
            return Err(bad("at least one filter must be selected".into()));
        }
        let mut filters = Vec::with_capacity(sel.len());
        for &i in sel {
            if !(0..NUM_FILTERS as i64).contains(&i) {
                return Err(bad(format!(
                    "filter index {i} is out of range; valid indices are 0 to 15"
                )));
            }
            if filters.contains(&(i as usize)) {
                return Err(bad(format!("filter index {i} is selected twice")));
            }
            filters.push(i as usize);
        }
        Ok(Self { filters })
    }

    /// The selected filter indices, in channel order.
    pub fn filters(&self) -> &[usize] {
        &self.filters
    }

    /// The number of output channels.
    pub fn channels(&self) -> usize {
        self.filters.len()
    }

    /// Filters the quantised audio `audio` (`T` samples, `|x| < 8192`) into `out`, `T × C`
    /// row-major (`out[t·C + c]`), unscaled integers. `module` names the caller in errors.
    pub fn filter_into(&self, module: &str, audio: &[i64], out: &mut [i64]) -> Result<()> {
        let t = audio.len();
        let c_all = self.channels();
        if t == 0 {
            return Err(input_error(module, "the audio has no samples"));
        }
        if out.len() != t * c_all {
            return Err(input_error(
                module,
                format!("output buffer of {} for {t} × {c_all}", out.len()),
            ));
        }
        let limit = 1i64 << (B_IN - 1);
        if let Some(n) = audio.iter().position(|&x| x.abs() >= limit) {
            return Err(Error::Overflow {
                module: module.into(),
                message: format!(
                    "audio sample {n} = {} is outside the filter bank's 14-bit input range \
                     (|x| < 8192)",
                    audio[n]
                ),
            });
        }
        let (max_u, max_y) = run_filters(&self.filters, audio, out);
        for (c, &k) in self.filters.iter().enumerate() {
            let bd = &BLOCK_DIAGRAMS[k];
            let lim = 1i64 << (bd.b_out() - 1);
            if max_u[c] >= lim || max_y[c] >= lim {
                return Err(Error::Overflow {
                    module: module.into(),
                    message: format!(
                        "filter {k}: {} reached {} (limit 2^{})",
                        if max_u[c] >= lim {
                            "the AR state"
                        } else {
                            "the output"
                        },
                        max_u[c].max(max_y[c]),
                        bd.b_out() - 1
                    ),
                });
            }
        }
        Ok(())
    }

    /// Filters `audio` (`T` samples, `|x| < 8192`): returns `(T, C)` unscaled integers.
    pub fn process(&self, module: &str, audio: &[i64]) -> Result<Array2<i64>> {
        let mut out = vec![0i64; audio.len() * self.channels()];
        self.filter_into(module, audio, &mut out)?;
        Array2::from_shape_vec((audio.len(), self.channels()), out)
            .map_err(|e| input_error(module, e.to_string()))
    }
}

/// The state and taps of one filter, laid out for the per-sample loop over all filters.
#[derive(Clone, Copy, Default)]
struct Lane {
    a1: i64,
    a2: i64,
    wf: u32,
    af: u32,
    bb: u32,
    v1: i64,
    v2: i64,
    v3: i64,
    max_u: i64,
    max_y: i64,
}

impl Lane {
    /// One clock: returns `y[n]` and advances the state with the input `s[n]`.
    #[inline(always)]
    fn step(&mut self, s: i64) -> i64 {
        let y = self.v1 - self.v3;
        self.max_u = self.max_u.max(self.v1.abs());
        self.max_y = self.max_y.max(y.abs());
        let v = ((s << self.wf) + ((-self.a2 * self.v2 - self.a1 * self.v1) >> self.af)) >> self.bb;
        self.v3 = self.v2;
        self.v2 = self.v1;
        self.v1 = v;
        y
    }
}

/// Runs the filters `filters` over `concat(rev(x), x)`, all filters per sample (independent
/// chains, so the CPU overlaps them), writing the last `T` outputs to `out` (`T × C`).
/// Returns the largest `|u|` and `|y|` of each filter over all `2T` samples.
fn run_filters(filters: &[usize], x: &[i64], out: &mut [i64]) -> (Vec<i64>, Vec<i64>) {
    let c_all = filters.len();
    let mut lanes: Vec<Lane> = filters
        .iter()
        .map(|&k| {
            let bd = &BLOCK_DIAGRAMS[k];
            Lane {
                a1: bd.a1,
                a2: bd.a2,
                wf: bd.b_wf,
                af: bd.b_af,
                bb: bd.b_b,
                ..Lane::default()
            }
        })
        .collect();
    for &s in x.iter().rev() {
        for lane in lanes.iter_mut() {
            lane.step(s);
        }
    }
    for (&s, row) in x.iter().zip(out.chunks_exact_mut(c_all)) {
        for (lane, o) in lanes.iter_mut().zip(row.iter_mut()) {
            *o = lane.step(s);
        }
    }
    (
        lanes.iter().map(|l| l.max_u).collect(),
        lanes.iter().map(|l| l.max_y).collect(),
    )
}

/// `ChipButterworth` as a [`Block`]: integer audio `(T, 1)` → integer filter outputs `(T, C)`,
/// unscaled (Rockpool's `evolve(scale_out=False)`).
#[derive(Debug, Clone)]
pub struct ChipButterworthBlock {
    bank: FilterBank,
}

impl ChipButterworthBlock {
    /// From Rockpool's constructor arguments (`select_filters`).
    pub fn from_params(params: &Params) -> Result<Self> {
        const M: &str = "ChipButterworth";
        let sel = params.i64_list(M, "select_filters")?;
        let bank = FilterBank::new(M, sel.as_deref())?;
        params.finish(M)?;
        Ok(Self { bank })
    }
}

impl Block for ChipButterworthBlock {
    fn name(&self) -> &str {
        "ChipButterworth"
    }

    fn run(&mut self, input: &Signal, sample_rate: Option<f64>) -> Result<Signal> {
        let audio = super::int_audio("ChipButterworth", input, sample_rate)?;
        Ok(Signal::Int(self.bank.process("ChipButterworth", &audio)?))
    }

    fn input_rate(&self) -> f64 {
        AUDIO_SAMPLING_RATE
    }

    fn output_dt(&self) -> f64 {
        1.0 / AUDIO_SAMPLING_RATE
    }

    fn output_channels(&self) -> usize {
        self.bank.channels()
    }

    fn reset(&mut self) {}
}
