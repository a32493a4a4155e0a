//! Quantisation of a float [`XyloSpec`] into the chip's integers.
//!
//! Both methods scale weights so that the largest magnitude becomes the largest weight
//! (`2^(bits_per_weight-1) - 1`, i.e. 127), scale thresholds and biases with the same factor
//! (so the dynamics keep their ratios), round with NumPy's `round` (**half to even**: 0.5 → 0,
//! 1.5 → 2, 2.5 → 2), and, if a scaled threshold no longer fits `bits_per_threshold` bits
//! (32767), shrink that group again so the largest threshold becomes exactly 32767. Decay
//! shifts are rounded the same way; weight shifts are kept.
//!
//! - [`global_quantize`]: one scale for the input and recurrent weights with the hidden
//!   thresholds and biases, one for the readout weights with the readout thresholds and
//!   biases.
//! - [`channel_quantize`]: one scale per target neuron (its incoming weights, threshold and
//!   bias), which uses the weight range better when neurons differ.
//!
//! These follow Rockpool 3.1.0's `global_quantize` and `channel_quantize` and give the same
//! integers wherever Rockpool behaves as documented. Where Rockpool has a bug, the correct
//! behaviour is implemented instead (listed on each function).

use ndarray::{Array1, Array2, Array3, Axis, Zip, s};

use crate::error::{Result, XyloError};
use crate::spec::XyloSpec;

/// Bit widths for quantisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuantizeOptions {
    /// Width of the signed weights (8 on every Xylo chip): weights end up in
    /// `-(2^(b-1)-1)..=2^(b-1)-1`.
    pub bits_per_weight: u32,
    /// Width of the signed thresholds (16 on every Xylo chip).
    pub bits_per_threshold: u32,
    /// [`global_quantize`] only: scale by `|mean| + 2·std` of the non-zero weights instead of
    /// their maximum, clipping the few weights beyond it.
    pub fuzzy_scaling: bool,
}

impl Default for QuantizeOptions {
    fn default() -> Self {
        QuantizeOptions {
            bits_per_weight: 8,
            bits_per_threshold: 16,
            fuzzy_scaling: false,
        }
    }
}

impl QuantizeOptions {
    fn limits(&self) -> Result<(f64, f64)> {
        for (field, bits) in [
            ("bits_per_weight", self.bits_per_weight),
            ("bits_per_threshold", self.bits_per_threshold),
        ] {
            if !(2..=31).contains(&bits) {
                return Err(XyloError::value(
                    field,
                    bits,
                    "must be between 2 and 31 bits",
                ));
            }
        }
        Ok((
            ((1i64 << (self.bits_per_weight - 1)) - 1) as f64,
            ((1i64 << (self.bits_per_threshold - 1)) - 1) as f64,
        ))
    }
}

/// NumPy's `round`: to the nearest integer, ties to even.
pub fn round_half_even(x: f64) -> f64 {
    x.round_ties_even()
}

/// Quantises with one scale for the hidden group and one for the readout group.
///
/// - Hidden group: `scale = w_max / max(|weights_in|, |weights_rec|, |bias|)` (1 if that is
///   0); weights, `threshold` and `bias` are `round(x · scale)`.
/// - Readout group: the same with `weights_out`, `threshold_out` and `bias_out`.
/// - If the largest `|threshold|` of a group exceeds the threshold range, the group's
///   quantised weights, thresholds and biases are multiplied by `thr_max / max|threshold|`
///   and rounded again.
/// - With [`fuzzy_scaling`](QuantizeOptions::fuzzy_scaling), the reference of a group is
///   `|mean| + 2·std` of its non-zero weights (biases not included) and the weights are then
///   clipped to `±w_max`.
///
/// Differences from Rockpool 3.1.0 (bugs there, fixed here): `bias_out` is scaled with the
/// readout scale (Rockpool uses the hidden scale); a readout threshold overflow rescales the
/// readout weights (Rockpool rescales the *recurrent* weights instead); a threshold overflow
/// also rescales the group's biases (Rockpool leaves them); the overflow test uses the largest
/// *magnitude* (Rockpool uses `max`, missing large negative thresholds); fuzzy scaling clips
/// weights to `±w_max` (Rockpool leaves them, and they wrap around when cast to int8).
///
/// # Errors
/// Shape errors of the spec, non-finite values, bit widths outside 2..=31.
pub fn global_quantize(spec: &XyloSpec<f64>, opts: &QuantizeOptions) -> Result<XyloSpec<i32>> {
    spec.dims()?;
    check_finite(spec)?;
    let (w_max, t_max) = opts.limits()?;

    let (ref_hidden, ref_out) = if opts.fuzzy_scaling {
        let hidden: Vec<f64> = spec
            .weights_in
            .iter()
            .chain(spec.weights_rec.iter())
            .copied()
            .filter(|&w| w != 0.0)
            .collect();
        let out: Vec<f64> = spec
            .weights_out
            .iter()
            .copied()
            .filter(|&w| w != 0.0)
            .collect();
        (fuzzy_reference(&hidden), fuzzy_reference(&out))
    } else {
        (
            max_abs(
                spec.weights_in
                    .iter()
                    .chain(&spec.weights_rec)
                    .chain(&spec.bias),
            ),
            max_abs(spec.weights_out.iter().chain(&spec.bias_out)),
        )
    };
    let scale = |r: f64| if r == 0.0 { 1.0 } else { w_max / r };
    let (sh, so) = (scale(ref_hidden), scale(ref_out));
    let weight = |w: f64, s: f64| {
        let q = round_half_even(w * s);
        if opts.fuzzy_scaling {
            q.clamp(-w_max, w_max)
        } else {
            q
        }
    };

    let mut w_in = spec.weights_in.mapv(|w| weight(w, sh));
    let mut w_rec = spec.weights_rec.mapv(|w| weight(w, sh));
    let mut w_out = spec.weights_out.mapv(|w| weight(w, so));
    let mut thr = spec.threshold.mapv(|t| round_half_even(t * sh));
    let mut thr_out = spec.threshold_out.mapv(|t| round_half_even(t * so));
    let mut bias = spec.bias.mapv(|b| round_half_even(b * sh));
    let mut bias_out = spec.bias_out.mapv(|b| round_half_even(b * so));

    // Threshold overflow: shrink the whole group (of already quantised values, as Rockpool).
    let m = max_abs(thr.iter());
    if m > t_max {
        let f = t_max / m;
        let rescale = |x: f64| round_half_even(x * f);
        w_in.mapv_inplace(rescale);
        w_rec.mapv_inplace(rescale);
        thr.mapv_inplace(rescale);
        bias.mapv_inplace(rescale);
    }
    let m = max_abs(thr_out.iter());
    if m > t_max {
        let f = t_max / m;
        let rescale = |x: f64| round_half_even(x * f);
        w_out.mapv_inplace(rescale);
        thr_out.mapv_inplace(rescale);
        bias_out.mapv_inplace(rescale);
    }

    assemble(spec, w_in, w_rec, w_out, thr, thr_out, bias, bias_out)
}

/// Quantises with one scale per target neuron.
///
/// - Hidden neuron `h`: `m = max |w|` over its incoming input weights (if `h < Nien`) and
///   recurrent weights, all synapses. If `m = 0` its threshold and bias are just rounded.
///   Otherwise `scale = w_max / m`, and its incoming weights, threshold and bias are
///   `round(x · scale)`; if the scaled threshold exceeds the threshold range, `scale =
///   thr_max / |threshold|` is used instead (from the float values).
/// - Readout neuron `o`: the same over column `o` of `weights_out`, `threshold_out[o]`,
///   `bias_out[o]`.
///
/// Differences from Rockpool 3.1.0 (bugs there, fixed here): biases are always scaled with
/// their neuron (Rockpool scales hidden biases only for two-synapse networks, and leaves
/// single-synapse biases in float units), and with the threshold scale when a threshold
/// overflows (Rockpool keeps them on the weight scale, out of proportion with the rest of the
/// neuron); the overflow branch indexes the input weights with
/// `h < Nien` (Rockpool's `h <= Nien` fails for neuron `Nien`); the caller's arrays are never
/// modified (Rockpool scales the caller's `bias` in place).
///
/// # Errors
/// Shape errors of the spec, non-finite values, bit widths outside 2..=31.
pub fn channel_quantize(spec: &XyloSpec<f64>, opts: &QuantizeOptions) -> Result<XyloSpec<i32>> {
    let dims = spec.dims()?;
    check_finite(spec)?;
    let (w_max, t_max) = opts.limits()?;

    let mut w_in = Array3::<f64>::zeros(spec.weights_in.raw_dim());
    let mut w_rec = Array3::<f64>::zeros(spec.weights_rec.raw_dim());
    let mut w_out = Array2::<f64>::zeros(spec.weights_out.raw_dim());
    let mut thr = Array1::<f64>::zeros(dims.n_hidden);
    let mut thr_out = Array1::<f64>::zeros(dims.n_out);
    let mut bias = Array1::<f64>::zeros(dims.n_hidden);
    let mut bias_out = Array1::<f64>::zeros(dims.n_out);

    // Picks the scale of one neuron: weight reference first, then the threshold overflow.
    let neuron_scale = |m: f64, t: f64| -> Option<f64> {
        if m == 0.0 {
            return None;
        }
        let s = w_max / m;
        Some(if round_half_even(t * s).abs() > t_max {
            t_max / t.abs()
        } else {
            s
        })
    };

    for h in 0..dims.n_hidden {
        let has_in = h < dims.n_ien;
        let m_in = if has_in {
            max_abs(spec.weights_in.slice(s![.., h, ..]).iter())
        } else {
            0.0
        };
        let m = m_in.max(max_abs(spec.weights_rec.slice(s![.., h, ..]).iter()));
        match neuron_scale(m, spec.threshold[h]) {
            None => {
                thr[h] = round_half_even(spec.threshold[h]);
                bias[h] = round_half_even(spec.bias[h]);
            }
            Some(sc) => {
                let q = |x: &f64| round_half_even(x * sc);
                if has_in {
                    Zip::from(w_in.slice_mut(s![.., h, ..]))
                        .and(spec.weights_in.slice(s![.., h, ..]))
                        .for_each(|d, x| *d = q(x));
                }
                Zip::from(w_rec.slice_mut(s![.., h, ..]))
                    .and(spec.weights_rec.slice(s![.., h, ..]))
                    .for_each(|d, x| *d = q(x));
                thr[h] = q(&spec.threshold[h]);
                bias[h] = q(&spec.bias[h]);
            }
        }
    }
    for o in 0..dims.n_out {
        let col = spec.weights_out.index_axis(Axis(1), o);
        match neuron_scale(max_abs(col.iter()), spec.threshold_out[o]) {
            None => {
                thr_out[o] = round_half_even(spec.threshold_out[o]);
                bias_out[o] = round_half_even(spec.bias_out[o]);
            }
            Some(sc) => {
                let q = |x: &f64| round_half_even(x * sc);
                Zip::from(w_out.index_axis_mut(Axis(1), o))
                    .and(col)
                    .for_each(|d, x| *d = q(x));
                thr_out[o] = q(&spec.threshold_out[o]);
                bias_out[o] = q(&spec.bias_out[o]);
            }
        }
    }

    assemble(spec, w_in, w_rec, w_out, thr, thr_out, bias, bias_out)
}

/// Builds the integer spec: quantised groups plus rounded dashes, shifts, aliases, dt.
#[allow(clippy::too_many_arguments)]
fn assemble(
    spec: &XyloSpec<f64>,
    w_in: Array3<f64>,
    w_rec: Array3<f64>,
    w_out: Array2<f64>,
    thr: Array1<f64>,
    thr_out: Array1<f64>,
    bias: Array1<f64>,
    bias_out: Array1<f64>,
) -> Result<XyloSpec<i32>> {
    fn int<D: ndarray::Dimension>(
        field: &str,
        a: &ndarray::Array<f64, D>,
    ) -> Result<ndarray::Array<i32, D>>
    where
        D::Pattern: std::fmt::Debug,
    {
        let mut out = ndarray::Array::<i32, D>::zeros(a.raw_dim());
        for ((idx, &x), d) in a.indexed_iter().zip(out.iter_mut()) {
            if x < i32::MIN as f64 || x > i32::MAX as f64 {
                return Err(XyloError::value(
                    format!("{field}{idx:?}"),
                    x,
                    "does not fit a 32-bit integer after quantisation; check the float specification",
                ));
            }
            *d = x as i32;
        }
        Ok(out)
    }
    let dash = |field: &str, a: &Array1<f64>| int(field, &a.mapv(round_half_even));
    Ok(XyloSpec {
        weights_in: int("weights_in", &w_in)?,
        weights_rec: int("weights_rec", &w_rec)?,
        weights_out: int("weights_out", &w_out)?,
        dash_mem: dash("dash_mem", &spec.dash_mem)?,
        dash_syn: dash("dash_syn", &spec.dash_syn)?,
        dash_syn_2: dash("dash_syn_2", &spec.dash_syn_2)?,
        dash_mem_out: dash("dash_mem_out", &spec.dash_mem_out)?,
        dash_syn_out: dash("dash_syn_out", &spec.dash_syn_out)?,
        threshold: int("threshold", &thr)?,
        threshold_out: int("threshold_out", &thr_out)?,
        bias: int("bias", &bias)?,
        bias_out: int("bias_out", &bias_out)?,
        weight_shift_in: spec.weight_shift_in,
        weight_shift_rec: spec.weight_shift_rec,
        weight_shift_out: spec.weight_shift_out,
        aliases: spec.aliases.clone(),
        dt: spec.dt,
    })
}

fn max_abs<'a>(it: impl IntoIterator<Item = &'a f64>) -> f64 {
    it.into_iter().fold(0.0, |m, &x| m.max(x.abs()))
}

/// `|mean| + 2·std` (population standard deviation) of `values`; 0 when empty.
fn fuzzy_reference(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    mean.abs() + 2.0 * var.sqrt()
}

fn check_finite(spec: &XyloSpec<f64>) -> Result<()> {
    let arrays: [(&str, Box<dyn Iterator<Item = &f64>>); 12] = [
        ("weights_in", Box::new(spec.weights_in.iter())),
        ("weights_rec", Box::new(spec.weights_rec.iter())),
        ("weights_out", Box::new(spec.weights_out.iter())),
        ("dash_mem", Box::new(spec.dash_mem.iter())),
        ("dash_syn", Box::new(spec.dash_syn.iter())),
        ("dash_syn_2", Box::new(spec.dash_syn_2.iter())),
        ("dash_mem_out", Box::new(spec.dash_mem_out.iter())),
        ("dash_syn_out", Box::new(spec.dash_syn_out.iter())),
        ("threshold", Box::new(spec.threshold.iter())),
        ("threshold_out", Box::new(spec.threshold_out.iter())),
        ("bias", Box::new(spec.bias.iter())),
        ("bias_out", Box::new(spec.bias_out.iter())),
    ];
    for (field, mut it) in arrays {
        if let Some(x) = it.find(|x| !x.is_finite()) {
            return Err(XyloError::value(
                field,
                x,
                "every value must be a finite number",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn rounds_half_to_even() {
        assert_eq!(round_half_even(0.5), 0.0);
        assert_eq!(round_half_even(1.5), 2.0);
        assert_eq!(round_half_even(2.5), 2.0);
        assert_eq!(round_half_even(-0.5), -0.0);
        assert_eq!(round_half_even(-1.5), -2.0);
        assert_eq!(round_half_even(2.4999), 2.0);
    }

    fn small() -> XyloSpec<f64> {
        let mut s = XyloSpec::<f64>::zeros(2, 3, 2, 1);
        s.weights_in = array![[[0.5], [-1.0], [0.0]], [[0.25], [0.0], [2.0]]];
        s.weights_rec[[0, 1, 0]] = -0.5;
        s.weights_out = array![[1.0, 0.0], [0.0, -0.5], [0.25, 0.125]];
        s.threshold = array![1.0, 2.0, 0.5];
        s.threshold_out = array![1.0, 0.5];
        s.bias = array![0.1, 0.0, -0.2];
        s.bias_out = array![0.0, 0.05];
        s.dash_mem = array![2.5, 3.49, 0.5];
        s
    }

    #[test]
    fn global_scales_by_group_maximum() {
        let q = global_quantize(&small(), &QuantizeOptions::default()).unwrap();
        // Hidden scale 127/2, readout scale 127/1.
        assert_eq!(q.weights_in, array![[[32], [-64], [0]], [[16], [0], [127]]]);
        assert_eq!(q.weights_rec[[0, 1, 0]], -32);
        assert_eq!(q.threshold, array![64, 127, 32]);
        assert_eq!(q.bias, array![6, 0, -13]);
        assert_eq!(q.weights_out, array![[127, 0], [0, -64], [32, 16]]);
        assert_eq!(q.threshold_out, array![127, 64]);
        assert_eq!(q.bias_out, array![0, 6]); // 0.05 * 127 = 6.35 (readout scale)
        assert_eq!(q.dash_mem, array![2, 3, 0]);
    }

    #[test]
    fn global_threshold_overflow_shrinks_the_group() {
        let mut s = small();
        s.threshold[1] = 1000.0; // 1000 * 63.5 = 63500 > 32767
        let q = global_quantize(&s, &QuantizeOptions::default()).unwrap();
        assert_eq!(q.threshold[1], 32767);
        let f = 32767.0 / 63500.0;
        assert_eq!(q.weights_in[[1, 2, 0]], round_half_even(127.0 * f) as i32);
        assert_eq!(q.bias[2], round_half_even(-13.0 * f) as i32);
        // The readout group is untouched.
        assert_eq!(q.weights_out[[0, 0]], 127);
    }

    #[test]
    fn fuzzy_scaling_clips() {
        let mut s = small();
        s.weights_rec.fill(1.0);
        s.weights_in[[1, 2, 0]] = 100.0; // far beyond |mean| + 2 std of the others
        let q = global_quantize(
            &s,
            &QuantizeOptions {
                fuzzy_scaling: true,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(q.weights_in[[1, 2, 0]], 127);
        assert!(q.weights_in.iter().all(|w| w.abs() <= 127));
    }

    #[test]
    fn channel_scales_each_neuron() {
        let q = channel_quantize(&small(), &QuantizeOptions::default()).unwrap();
        // Neuron 0: m = 0.5 -> scale 254; neuron 1: m = 1.0 (|-1| in, |-0.5| rec) -> 127;
        // neuron 2: m = 2 -> 63.5.
        assert_eq!(
            q.weights_in,
            array![[[127], [-127], [0]], [[64], [0], [127]]]
        );
        assert_eq!(q.weights_rec[[0, 1, 0]], -64);
        assert_eq!(q.threshold, array![254, 254, 32]);
        assert_eq!(q.bias, array![25, 0, -13]); // scaled with one synapse too
        // Readout: column 0 m = 1 -> 127, column 1 m = 0.5 -> 254.
        assert_eq!(q.weights_out, array![[127, 0], [0, -127], [32, 32]]);
        assert_eq!(q.threshold_out, array![127, 127]);
        assert_eq!(q.bias_out, array![0, 13]);
    }

    #[test]
    fn channel_threshold_overflow_uses_threshold_scale() {
        let mut s = small();
        s.threshold[0] = 200.0; // 200 * 254 > 32767
        let q = channel_quantize(&s, &QuantizeOptions::default()).unwrap();
        assert_eq!(q.threshold[0], 32767);
        assert_eq!(
            q.weights_in[[0, 0, 0]],
            round_half_even(0.5 * 32767.0 / 200.0) as i32
        );
        // A neuron without inputs keeps its rounded threshold and bias.
        let mut s = small();
        s.weights_in.fill(0.0);
        s.weights_rec.fill(0.0);
        let q = channel_quantize(&s, &QuantizeOptions::default()).unwrap();
        assert_eq!(q.threshold, array![1, 2, 0]);
    }

    #[test]
    fn rejects_non_finite_and_bad_bits() {
        let mut s = small();
        s.threshold[0] = f64::NAN;
        let e = global_quantize(&s, &QuantizeOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("threshold"), "{e}");
        let e = channel_quantize(
            &small(),
            &QuantizeOptions {
                bits_per_weight: 1,
                ..Default::default()
            },
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("bits_per_weight"), "{e}");
    }
}
