//! The IMU filter bank (Rockpool's `FilterBank` and `BandPassFilter`): quantised first-order
//! Butterworth band-pass filters, `b ∝ (1, 0, −1)`, run as an AR block followed by an MA block.
//!
//! Filter `f` reads input channel `sorted(i mod C_in)[f]` (5 filters per axis for 15 filters on
//! 3 axes). Each channel `x` (T samples) is filtered as `s = concat(rev(x), x)` and only the last
//! `T` outputs are kept (a warm-up on the time-reversed signal). With `w[−1] = w[−2] = 0`:
//!
//! ```text
//! w[n] = ((s[n] << B_wf) + ((−a2·w[n−2] − a1·w[n−1]) >> B_af)) >> B_b
//! y[n] = (w[n] − w[n−2]) >> B_wf
//! ```
//!
//! `|s| ≤ 2^15 − 1`, `|w| < 2^(24 + B_wf)` and `|y| < 2^24` over all `2T` steps, else an error.
//! [`BandPassFilter::from_specification`] designs the taps of a band `(low, high)` the way
//! Rockpool does: scipy's `butter(1, (low, high), "bandpass", fs=fs)`, then
//! `B_b = int(log2(1/|b0|))`, `B_wf = 8`, `B_af = 15 − B_b`, `a_k = int(2^15 · a_k)`.

use ndarray::Array2;
use serde_json::Value;

use super::{CLOCK_RATE, check_range, int_input, shape_param};
use crate::error::{Error, param_error};
use crate::{Block, Params, Result, Signal};

const NAME: &str = "FilterBank";

/// Rockpool's `DEFAULT_FILTER_BANDS`: `(low, high, fs)` in Hz, 5 octave bands per axis.
pub const DEFAULT_FILTER_BANDS: [(f64, f64, f64); 5] = [
    (1.0, 2.0, 200.0),
    (2.0, 4.0, 200.0),
    (4.0, 8.0, 200.0),
    (8.0, 16.0, 200.0),
    (16.0, 32.0, 200.0),
];

/// The taps `(B_b, B_wf, B_af, a1, a2)` of [`DEFAULT_FILTER_BANDS`], as Rockpool 3.1.0's
/// `BandPassFilter.from_specification` gives them (dumped into `tests/fixtures/imu/tables.json`).
const DEFAULT_TAPS: [(u32, u32, u32, i64, i64); 5] = [
    (6, 8, 9, -64458, 31754),
    (5, 8, 10, -63288, 30771),
    (4, 8, 11, -60684, 28888),
    (3, 8, 12, -54529, 25417),
    (2, 8, 13, -39246, 19378),
];

/// One quantised band-pass filter of the IMU interface (Rockpool's `BandPassFilter`; its
/// dataclass defaults are `B_b = 6, B_wf = 8, B_af = 9, a1 = −36565, a2 = 31754`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BandPassFilter {
    /// Right shift scaling `b0` (4 bits).
    pub b_b: u32,
    /// Fractional bits of the AR state (4 bits).
    pub b_wf: u32,
    /// Fractional bits of the AR taps (4 bits).
    pub b_af: u32,
    /// AR tap `a1` (signed 17 bits).
    pub a1: i64,
    /// AR tap `a2` (signed 17 bits).
    pub a2: i64,
}

impl Default for BandPassFilter {
    fn default() -> Self {
        Self {
            b_b: 6,
            b_wf: 8,
            b_af: 9,
            a1: -36565,
            a2: 31754,
        }
    }
}

#[derive(Clone, Copy)]
struct C64(f64, f64);

impl C64 {
    fn mul(self, o: C64) -> C64 {
        C64(self.0 * o.0 - self.1 * o.1, self.0 * o.1 + self.1 * o.0)
    }
    /// numpy's complex division (Smith's method).
    fn div(self, o: C64) -> C64 {
        let (ar, ai, br, bi) = (self.0, self.1, o.0, o.1);
        if br.abs() >= bi.abs() {
            let rat = bi / br;
            let scl = 1.0 / (br + bi * rat);
            C64((ar + ai * rat) * scl, (ai - ar * rat) * scl)
        } else {
            let rat = br / bi;
            let scl = 1.0 / (bi + br * rat);
            C64((ar * rat + ai) * scl, (ai * rat - ar) * scl)
        }
    }
}

impl BandPassFilter {
    /// Checks the register ranges: `B_b, B_wf, B_af` in 0..=15, `a1, a2` in `[−2^16, 2^16 − 1]`.
    pub fn new(
        b_b: i64,
        b_wf: i64,
        b_af: i64,
        a1: i64,
        a2: i64,
    ) -> std::result::Result<Self, String> {
        for (name, v) in [("B_b", b_b), ("B_wf", b_wf), ("B_af", b_af)] {
            if !(0..=15).contains(&v) {
                return Err(format!("{name} = {v} is outside 0..=15 (4 bits)"));
            }
        }
        for (name, v) in [("a1", a1), ("a2", a2)] {
            if !(-(1 << 16)..(1 << 16)).contains(&v) {
                return Err(format!("{name} = {v} is outside the signed 17-bit range"));
            }
        }
        Ok(Self {
            b_b: b_b as u32,
            b_wf: b_wf as u32,
            b_af: b_af as u32,
            a1,
            a2,
        })
    }

    /// The filter for the pass band `low..high` Hz at the clock rate `fs` Hz (Rockpool's
    /// `BandPassFilter.from_specification`, see the module documentation).
    pub fn from_specification(low: f64, high: f64, fs: f64) -> std::result::Result<Self, String> {
        if low.is_nan() || high.is_nan() || low >= high {
            return Err(format!(
                "low cut-off {low} Hz must be below the high cut-off {high} Hz"
            ));
        }
        if low <= 0.0 {
            return Err(format!("low cut-off {low} Hz must be positive"));
        }
        if !(fs > 0.0 && fs.is_finite()) {
            return Err(format!("clock rate {fs} Hz must be positive"));
        }
        let wn = [low / (fs / 2.0), high / (fs / 2.0)];
        if wn[1] >= 1.0 {
            return Err(format!(
                "high cut-off {high} Hz must be below fs/2 = {} Hz",
                fs / 2.0
            ));
        }
        // scipy: pre-warp (fs = 2), low-pass prototype pole -1 → band-pass → bilinear.
        let warped = wn.map(|w| 2.0 * 2.0 * (std::f64::consts::PI * w / 2.0).tan());
        let bw = warped[1] - warped[0];
        let wo = (warped[0] * warped[1]).sqrt();
        let p_lp = -bw / 2.0;
        let disc = p_lp * p_lp - wo * wo;
        let (p1, p2) = if disc < 0.0 {
            let r = (-disc).sqrt();
            (C64(p_lp, r), C64(p_lp, -r))
        } else {
            let r = disc.sqrt();
            (C64(p_lp + r, 0.0), C64(p_lp - r, 0.0))
        };
        let fs2 = 4.0;
        let bilinear = |p: C64| C64(fs2 + p.0, p.1).div(C64(fs2 - p.0, -p.1));
        let (z1, z2) = (bilinear(p1), bilinear(p2));
        let den = C64(fs2 - p1.0, -p1.1).mul(C64(fs2 - p2.0, -p2.1));
        let b0 = bw * C64(4.0, 0.0).div(den).0;
        let a1 = -z2.0 + -z1.0;
        let a2 = z1.mul(z2).0;
        if b0.abs() >= 1.0 {
            return Err("all MA taps must be below 1".into());
        }
        if a1.abs() >= 2.0 || a2.abs() >= 2.0 {
            return Err("AR taps outside (-2, 2)".into());
        }
        let b_b = (1.0 / b0.abs()).log2().trunc() as i64;
        if !(0..=15).contains(&b_b) {
            return Err(format!(
                "band {low}..{high} Hz needs B_b = {b_b}, outside 0..=15 (the band is too narrow)"
            ));
        }
        let scale = f64::from(1u32 << 15);
        Self::new(
            b_b,
            8,
            15 - b_b,
            (scale * a1).trunc() as i64,
            (scale * a2).trunc() as i64,
        )
    }

    /// Reads one filter of a JSON list: an object with Rockpool's field names `B_b`, `B_wf`,
    /// `B_af`, `a1`, `a2` (missing ones take the dataclass defaults; `scale_out`, a virtual
    /// factor not used by the hardware, may be given in `[0.5, 1]`), or a band `[low, high]` /
    /// `[low, high, fs]` in Hz for [`BandPassFilter::from_specification`].
    pub fn from_json(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Object(m) => {
                let d = Self::default();
                let get = |k: &str, def: i64| -> std::result::Result<i64, String> {
                    match m.get(k) {
                        None | Some(Value::Null) => Ok(def),
                        Some(x) => x
                            .as_i64()
                            .ok_or_else(|| format!("{k}: expected an integer, got {x}")),
                    }
                };
                let f = Self::new(
                    get("B_b", d.b_b.into())?,
                    get("B_wf", d.b_wf.into())?,
                    get("B_af", d.b_af.into())?,
                    get("a1", d.a1)?,
                    get("a2", d.a2)?,
                )?;
                if let Some(s) = m.get("scale_out").filter(|s| !s.is_null()) {
                    match s.as_f64() {
                        Some(x) if (0.5..=1.0).contains(&x) => {}
                        _ => return Err(format!("scale_out must be in [0.5, 1.0], got {s}")),
                    }
                }
                let known = ["B_b", "B_wf", "B_af", "a1", "a2", "scale_out"];
                if let Some(k) = m.keys().find(|k| !known.contains(&k.as_str())) {
                    return Err(format!("BandPassFilter has no field `{k}`"));
                }
                Ok(f)
            }
            Value::Array(a) if a.len() == 2 || a.len() == 3 => {
                let n: Vec<f64> = a.iter().filter_map(Value::as_f64).collect();
                if n.len() != a.len() || n.iter().any(|x| !x.is_finite()) {
                    return Err(format!(
                        "a band must be numbers [low, high] or [low, high, fs], got {v}"
                    ));
                }
                Self::from_specification(n[0], n[1], n.get(2).copied().unwrap_or(CLOCK_RATE))
            }
            _ => Err(format!(
                "expected a filter {{\"B_b\", \"B_wf\", \"B_af\", \"a1\", \"a2\"}} or a band [low, high(, fs)], got {v}"
            )),
        }
    }

    /// The 15 default filters: [`DEFAULT_FILTER_BANDS`] once per axis.
    pub fn defaults() -> Vec<Self> {
        (0..3)
            .flat_map(|_| DEFAULT_TAPS.iter())
            .map(|&(b_b, b_wf, b_af, a1, a2)| Self {
                b_b,
                b_wf,
                b_af,
                a1,
                a2,
            })
            .collect()
    }

    /// Filters the channel `x` (T samples) as `concat(rev(x), x)`; writes the last `T` outputs
    /// into `out`.
    fn run(&self, x: &[i64], out: &mut [i64]) -> Result<()> {
        let len = x.len();
        let w_limit = 1i64 << (16 + 9 + self.b_wf - 1);
        let y_limit = 1i64 << (16 + 9 - 1);
        let (mut w1, mut w2) = (0i64, 0i64);
        let mut step = |n: usize, s: i64| -> Result<i64> {
            let w = ((s << self.b_wf) + ((-self.a2 * w2 - self.a1 * w1) >> self.b_af)) >> self.b_b;
            if w.abs() >= w_limit {
                return Err(overflow("AR state", n, len));
            }
            let y = (w - w2) >> self.b_wf;
            if y.abs() >= y_limit {
                return Err(overflow("output", n, len));
            }
            w2 = w1;
            w1 = w;
            Ok(y)
        };
        // Warm-up on the time-reversed channel; its outputs are dropped.
        for (n, &s) in x.iter().rev().enumerate() {
            step(n, s)?;
        }
        for (n, (&s, o)) in x.iter().zip(out.iter_mut()).enumerate() {
            *o = step(len + n, s)?;
        }
        Ok(())
    }
}

fn overflow(what: &str, n: usize, len: usize) -> Error {
    let at = if n < len {
        format!("warm-up step {n} (time-reversed input)")
    } else {
        format!("t={}", n - len)
    };
    Error::Overflow {
        module: NAME.into(),
        message: format!("filter {what} out of range at {at}"),
    }
}

/// Rockpool's `FilterBank`: `(T, C_in)` integers → `(T, n_filters)` integers, see the module
/// documentation. Stateless between calls.
#[derive(Debug, Clone)]
pub struct FilterBank {
    filters: Vec<BandPassFilter>,
    channel: Vec<usize>,
    size_in: usize,
}

impl FilterBank {
    /// A bank of `filters` over `size_in` channels (`filters.len()` a multiple of `size_in`).
    pub fn new(size_in: usize, filters: Vec<BandPassFilter>) -> Result<Self> {
        let n = filters.len();
        if size_in == 0 || n == 0 || !n.is_multiple_of(size_in) {
            return Err(param_error(
                NAME,
                "shape",
                format!(
                    "the number of filters ({n}) must be a positive multiple of the input channels ({size_in})"
                ),
            ));
        }
        let mut channel: Vec<usize> = (0..n).map(|i| i % size_in).collect();
        channel.sort_unstable();
        Ok(Self {
            filters,
            channel,
            size_in,
        })
    }

    /// Builds from Rockpool's constructor arguments: `shape` (`[C_in, C_out]`, or an integer `n`
    /// for `(1, n)`; default `(3, 15)`) and `filters`, the positional `*args` of Rockpool's
    /// constructor (a list of filters or bands as [`BandPassFilter::from_json`] reads them;
    /// default the 15 default filters).
    pub fn from_params(params: &Params) -> Result<Self> {
        let (size_in, size_out) = shape_param(params, NAME, (3, 15), Some(|n| (1, n)))?;
        let filters = filter_list(params, NAME, "filters")?;
        params.finish(NAME)?;
        let filters = filters.unwrap_or_else(BandPassFilter::defaults);
        if filters.len() != size_out {
            return Err(param_error(
                NAME,
                "shape",
                format!(
                    "the output size ({size_out}) must match the number of filters ({})",
                    filters.len()
                ),
            ));
        }
        Self::new(size_in, filters)
    }

    /// The filters, in output order.
    pub fn filters(&self) -> &[BandPassFilter] {
        &self.filters
    }

    /// Filters `x` (`(T, C_in)`, `|x| ≤ 2^15 − 1`); returns `(T, n_filters)`.
    pub fn process(&self, x: &Array2<i64>) -> Result<Array2<i64>> {
        check_range(NAME, x)?;
        let t = x.nrows();
        let mut out = Array2::zeros((t, self.filters.len()));
        // Contiguous buffers, filled once per call: the input channel and one filter's output.
        let mut col = vec![0i64; t];
        let mut y = vec![0i64; t];
        let mut loaded = usize::MAX;
        for (f, (filter, &ch)) in self.filters.iter().zip(&self.channel).enumerate() {
            if loaded != ch {
                col.iter_mut().zip(x.column(ch)).for_each(|(c, &v)| *c = v);
                loaded = ch;
            }
            filter.run(&col, &mut y)?;
            out.column_mut(f)
                .iter_mut()
                .zip(&y)
                .for_each(|(o, &v)| *o = v);
        }
        Ok(out)
    }
}

/// Reads a list of filters (see [`BandPassFilter::from_json`]) under `name`, if given.
pub(crate) fn filter_list(
    params: &Params,
    module: &str,
    name: &str,
) -> Result<Option<Vec<BandPassFilter>>> {
    let Some(v) = params.get(name) else {
        return Ok(None);
    };
    let Value::Array(items) = v else {
        return Err(param_error(
            module,
            name,
            format!("expected a list of filters, got {v}"),
        ));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, f)| {
            BandPassFilter::from_json(f)
                .map_err(|e| param_error(module, name, format!("filter {i}: {e}")))
        })
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

impl Block for FilterBank {
    fn name(&self) -> &str {
        NAME
    }

    fn run(&mut self, input: &Signal, sample_rate: Option<f64>) -> Result<Signal> {
        let x = int_input(NAME, input, self.size_in, sample_rate, CLOCK_RATE)?;
        self.process(&x).map(Signal::Int)
    }

    fn input_rate(&self) -> f64 {
        CLOCK_RATE
    }

    fn output_dt(&self) -> f64 {
        1.0 / CLOCK_RATE
    }

    fn output_channels(&self) -> usize {
        self.filters.len()
    }

    fn reset(&mut self) {}
}
