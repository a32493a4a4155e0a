//! Losses and metrics on network outputs `[B, T, K]`, and regularisers.
//!
//! - `cross_entropy`: softmax cross-entropy of the spike counts summed over time (the logits
//!   are counts `Σ_t y[b,t,k]`), against class labels.
//! - `mse` / `sse`: mean / summed squared error against target sequences `[B, T, K]`, or
//!   against one-hot class targets on the summed counts.
//! - `peak` (Rockpool's `PeakLoss`, for membrane or rate read-outs): the target channel,
//!   averaged over `max_interval` steps from the time of its maximum, is pulled to
//!   `target_output`; every other channel to `nontarget_output` over the whole sample,
//!   weighted by `weight_nontarget`. The predicted class is the channel with the highest
//!   value at any time.
//! - `binary_peak` (Rockpool's `BinaryPeakLoss`, for one read-out that detects a wake word):
//!   labels 1 (positive) and 0 (negative); a positive sample's read-out, averaged over
//!   `max_interval` steps from its maximum, is pulled to `target_output`, a negative sample's
//!   to `nontarget_output` over the whole sample, weighted by `weight_nontarget`. A sample is
//!   predicted positive when its read-out reaches half of `target_output` at some step.
//! - Regularisers: L2 on all weights, an activity penalty that pulls the mean firing rate
//!   of hidden spiking layers towards a target rate, and Rockpool's `bounds_cost` that keeps
//!   parameters inside `[lower, upper]`.

use std::fmt;
use std::str::FromStr;

/// What the network is trained to produce (defined with the batches in [`crate::data`]).
pub use crate::data::Target;

use burn::tensor::{Int, Tensor, TensorData, activation};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A training loss. In TOML: `loss = "cross_entropy"` (or `"mse"`, `"sse"`), or
/// `loss = { peak = { max_interval = 20, weight_nontarget = 0.5, target_output = 1.0 } }`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    /// Cross-entropy of summed spike counts against labels.
    #[default]
    CrossEntropy,
    /// Mean squared error.
    Mse,
    /// Summed squared error.
    Sse,
    /// Rockpool's `PeakLoss` against class labels.
    Peak(PeakLoss),
    /// Rockpool's `BinaryPeakLoss` against labels 0/1, for a single read-out.
    BinaryPeak(PeakLoss),
}

/// Parameters of Rockpool's `PeakLoss` ([`Loss::Peak`]). For output `y` `[B, T, K]` and labels
/// `c`: `t*` is the first time of `max_t y[b,t,c]`; the target value is the mean of
/// `y[b,t,c]` over `max_interval` steps `t*, t*+1, …` (wrapping back to `t*` at the end of the
/// sample, as Rockpool does); the loss is
/// `mean_b (target_value − target_output)² + weight_nontarget · mean_{b,t,k≠c} (y − nontarget_output)²`.
///
/// Difference from Rockpool 3.1: there `nontarget_output` is accepted but ignored (the
/// non-target channels are always pulled to 0); here it is used. With the default 0 the two
/// agree.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeakLoss {
    /// Steps averaged from the target channel's peak (≥ 1).
    pub max_interval: usize,
    /// Weight of the non-target term.
    pub weight_nontarget: f64,
    /// Value the target channel should reach.
    pub target_output: f64,
    /// Value the other channels should hold (default 0).
    #[serde(default)]
    pub nontarget_output: f64,
}

impl PeakLoss {
    /// The loss of `output` `[B, T, K]` against class `labels` `[B]`.
    pub fn compute(&self, output: Tensor<3>, labels: &[usize]) -> Result<Tensor<1>> {
        let [b, t, k] = output.dims();
        check_labels(labels, b, k)?;
        if self.max_interval == 0 {
            return Err(Error::value("loss.peak.max_interval", "must be at least 1"));
        }
        if k < 2 {
            return Err(Error::value(
                "loss",
                "peak needs at least two output channels (one per class)",
            ));
        }
        let device = output.device();
        let int = |v: Vec<i64>, shape: [usize; 3]| {
            Tensor::<3, Int>::from_data(TensorData::new(v, shape), &device)
        };
        // The target channel [B, T].
        let chan = int(
            labels
                .iter()
                .flat_map(|&l| std::iter::repeat_n(l as i64, t))
                .collect(),
            [b, t, 1],
        );
        let target = output.clone().gather(2, chan).reshape([b, t]);
        // Peak times (no gradient through the argmax) and the averaging window.
        let host = target
            .clone()
            .into_data()
            .try_to_vec_as::<f32>()
            .map_err(|e| Error::value("loss", format!("{e:?}")))?;
        let mut idx = Vec::with_capacity(b * self.max_interval);
        for row in host.chunks_exact(t) {
            let start = row
                .iter()
                .enumerate()
                .fold(
                    (0, f32::NEG_INFINITY),
                    |m, (i, &v)| if v > m.1 { (i, v) } else { m },
                )
                .0;
            let mut i = start;
            for step in 0..self.max_interval {
                if step > 0 {
                    i = if i + 1 >= t { start } else { i + 1 };
                }
                idx.push(i as i64);
            }
        }
        let window =
            Tensor::<2, Int>::from_data(TensorData::new(idx, [b, self.max_interval]), &device);
        let peak = target.gather(1, window).mean_dim(1).reshape([b]);
        let loss_target = (peak - self.target_output).powi_scalar(2).mean();
        // Every other channel over the whole sample.
        let mut mask = vec![1.0f32; b * k];
        for (i, &l) in labels.iter().enumerate() {
            mask[i * k + l] = 0.0;
        }
        let mask =
            Tensor::<2>::from_data(TensorData::new(mask, [b, k]), &device).reshape([b, 1, k]);
        let off = ((output - self.nontarget_output).powi_scalar(2) * mask).sum()
            / (b * t * (k - 1)) as f64;
        Ok(loss_target + off * self.weight_nontarget)
    }
}

impl PeakLoss {
    /// Rockpool's `BinaryPeakLoss` of a single read-out `output` `[B, T, 1]` against labels
    /// `[B]` of 1 (positive) or 0 (negative). For a positive sample, `t*` is the first time of
    /// its maximum and its value the mean of the read-out over `max_interval` steps
    /// `t*, t* + 1, …` (wrapping back to `t*` at the end of the sample); the loss is
    /// `mean_{positives} (value − target_output)² + weight_nontarget ·
    /// mean_{negatives, t} (y − nontarget_output)²`, a mean over an empty set counting 0.
    ///
    /// Difference from Rockpool 3.1: there `nontarget_output` is accepted but ignored (as in
    /// its `PeakLoss`); here it is used. With the default 0 the two agree.
    pub fn compute_binary(&self, output: Tensor<3>, labels: &[usize]) -> Result<Tensor<1>> {
        let [b, t, k] = output.dims();
        if k != 1 {
            return Err(Error::value(
                "loss",
                format!("binary_peak needs a single read-out channel, the network has {k}"),
            ));
        }
        if labels.len() != b {
            return Err(Error::shape("labels", format!("({b},)"), &[labels.len()]));
        }
        if let Some(&l) = labels.iter().find(|&&l| l > 1) {
            return Err(Error::value(
                "labels",
                format!("binary_peak needs labels 0 (negative) or 1 (positive), got {l}"),
            ));
        }
        if self.max_interval == 0 {
            return Err(Error::value(
                "loss.binary_peak.max_interval",
                "must be at least 1",
            ));
        }
        let device = output.device();
        let y = output.reshape([b, t]);
        // Averaging weights of each positive sample's window (no gradient through the argmax).
        let host = y
            .clone()
            .into_data()
            .try_to_vec_as::<f32>()
            .map_err(|e| Error::value("loss", format!("{e:?}")))?;
        let n_pos = labels.iter().filter(|&&l| l == 1).count();
        let n_neg = b - n_pos;
        let mut window = vec![0.0f32; b * t];
        let mut pos = vec![0.0f32; b];
        let mut neg = vec![0.0f32; b];
        for (i, row) in host.chunks_exact(t).enumerate() {
            if labels[i] == 1 {
                let start = row
                    .iter()
                    .enumerate()
                    .fold(
                        (0, f32::NEG_INFINITY),
                        |m, (j, &v)| if v > m.1 { (j, v) } else { m },
                    )
                    .0;
                // `max_interval` steps from `t*`, starting again at `t*` at the end of the
                // sample (as Rockpool's window does).
                for step in 0..self.max_interval {
                    window[i * t + start + step % (t - start)] += 1.0 / self.max_interval as f32;
                }
                pos[i] = 1.0 / n_pos as f32;
            } else {
                neg[i] = 1.0 / (n_neg * t) as f32;
            }
        }
        let tensor2 = |v: Vec<f32>, shape: [usize; 2]| {
            Tensor::<2>::from_data(TensorData::new(v, shape), &device)
        };
        let value = (y.clone() * tensor2(window, [b, t])).sum_dim(1); // [B, 1]
        let loss_pos = ((value - self.target_output).powi_scalar(2) * tensor2(pos, [b, 1])).sum();
        let loss_neg = ((y - self.nontarget_output).powi_scalar(2) * tensor2(neg, [b, 1])).sum();
        Ok(loss_pos + loss_neg * self.weight_nontarget)
    }
}

/// Predictions of a single read-out `[B, T, 1]` for the binary peak loss: class 1 where the
/// read-out reaches `threshold` at some step, else class 0.
pub fn binary_predictions(output: &Tensor<3>, threshold: f64) -> Vec<Option<usize>> {
    let [b, t, k] = output.dims();
    let y = output
        .clone()
        .into_data()
        .try_to_vec_as::<f32>()
        .expect("f32 output");
    let width = t * k;
    (0..b)
        .map(|i| {
            let peak = y[i * width..(i + 1) * width]
                .iter()
                .fold(f32::NEG_INFINITY, |m, &v| m.max(v));
            Some(usize::from(f64::from(peak) >= threshold))
        })
        .collect()
}

impl FromStr for Loss {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cross_entropy" | "ce" => Ok(Loss::CrossEntropy),
            "mse" => Ok(Loss::Mse),
            "sse" => Ok(Loss::Sse),
            "peak" | "binary_peak" => Err(format!(
                "the {s} loss needs parameters: loss = {{ {s} = {{ max_interval = …, \
                 weight_nontarget = …, target_output = … }} }}",
                s = s.trim().to_ascii_lowercase()
            )),
            o => Err(format!(
                "unknown loss '{o}' (cross_entropy, mse, sse, peak)"
            )),
        }
    }
}

impl fmt::Display for Loss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Loss::CrossEntropy => "cross_entropy",
            Loss::Mse => "mse",
            Loss::Sse => "sse",
            Loss::Peak(_) => "peak",
            Loss::BinaryPeak(_) => "binary_peak",
        })
    }
}

/// Summed counts `[B, K]` of an output `[B, T, K]`.
pub fn counts(output: Tensor<3>) -> Tensor<2> {
    let [b, _, k] = output.dims();
    output.sum_dim(1).reshape([b, k])
}

impl Loss {
    /// The scalar loss of `output` `[B, T, K]` against `target`.
    pub fn compute(self, output: Tensor<3>, target: &Target) -> Result<Tensor<1>> {
        let [b, t, k] = output.dims();
        let device = output.device();
        match (self, target) {
            (Loss::Peak(p), Target::Classes(labels)) => p.compute(output, labels),
            (Loss::Peak(_), Target::Sequence(_)) => Err(Error::value(
                "loss",
                "peak needs class labels; use mse or sse for sequence targets",
            )),
            (Loss::BinaryPeak(p), Target::Classes(labels)) => p.compute_binary(output, labels),
            (Loss::BinaryPeak(_), Target::Sequence(_)) => Err(Error::value(
                "loss",
                "binary_peak needs labels 0/1; use mse or sse for sequence targets",
            )),
            (Loss::CrossEntropy, Target::Classes(labels)) => {
                check_labels(labels, b, k)?;
                let logits = counts(output);
                let logp = activation::log_softmax(logits, 1);
                let idx = Tensor::<1, Int>::from_data(
                    TensorData::new(labels.iter().map(|&l| l as i64).collect::<Vec<_>>(), [b]),
                    &device,
                )
                .reshape([b, 1]);
                Ok(logp.gather(1, idx).mean().neg())
            }
            (Loss::CrossEntropy, Target::Sequence(_)) => Err(Error::value(
                "loss",
                "cross_entropy needs class labels; use mse or sse for sequence targets",
            )),
            (Loss::Mse | Loss::Sse, Target::Sequence(y)) => {
                if y.dims() != [b, t, k] {
                    return Err(Error::shape(
                        "target",
                        format!("({b}, {t}, {k})"),
                        &y.dims(),
                    ));
                }
                let d = (output - y.clone()).powi_scalar(2);
                Ok(if self == Loss::Mse { d.mean() } else { d.sum() })
            }
            (Loss::Mse | Loss::Sse, Target::Classes(labels)) => {
                check_labels(labels, b, k)?;
                let mut onehot = vec![0.0f32; b * k];
                for (i, &l) in labels.iter().enumerate() {
                    onehot[i * k + l] = 1.0;
                }
                let y = Tensor::<2>::from_data(TensorData::new(onehot, [b, k]), &device);
                let d = (counts(output) - y).powi_scalar(2);
                Ok(if self == Loss::Mse { d.mean() } else { d.sum() })
            }
        }
    }
}

fn check_labels(labels: &[usize], b: usize, k: usize) -> Result<()> {
    if labels.len() != b {
        return Err(Error::shape("labels", format!("({b},)"), &[labels.len()]));
    }
    if let Some(&l) = labels.iter().find(|&&l| l >= k) {
        return Err(Error::value(
            "labels",
            format!("label {l} but the network has only {k} outputs"),
        ));
    }
    Ok(())
}

/// Predicted classes: the output channel with the most spikes, or `None` when no channel
/// spiked (a silent network is not allowed to score by default index).
pub fn predictions(output: &Tensor<3>) -> Vec<Option<usize>> {
    let [b, _, k] = output.dims();
    let c = counts(output.clone())
        .into_data()
        .try_to_vec_as::<f32>()
        .expect("f32 counts");
    (0..b)
        .map(|i| {
            let row = &c[i * k..(i + 1) * k];
            let (best, max) =
                row.iter().enumerate().fold(
                    (0, f32::MIN),
                    |acc, (j, &v)| if v > acc.1 { (j, v) } else { acc },
                );
            (max > 0.0).then_some(best)
        })
        .collect()
}

/// Predicted classes for the peak loss: the channel with the highest value at any time
/// (`None` for an all-zero output).
pub fn peak_predictions(output: &Tensor<3>) -> Vec<Option<usize>> {
    let [b, t, k] = output.dims();
    let y = output
        .clone()
        .into_data()
        .try_to_vec_as::<f32>()
        .expect("f32 output");
    (0..b)
        .map(|i| {
            let mut best = (None, 0.0f32);
            for step in 0..t {
                for (j, &v) in y[(i * t + step) * k..(i * t + step + 1) * k]
                    .iter()
                    .enumerate()
                {
                    if v > best.1 {
                        best = (Some(j), v);
                    }
                }
            }
            best.0
        })
        .collect()
}

impl Loss {
    /// Number of correct predictions under this loss's decision rule (spike counts, or the
    /// peak value for [`Loss::Peak`]).
    pub fn correct(&self, output: &Tensor<3>, labels: &[usize]) -> usize {
        let p = match self {
            Loss::Peak(_) => peak_predictions(output),
            Loss::BinaryPeak(p) => binary_predictions(output, p.target_output / 2.0),
            _ => predictions(output),
        };
        p.iter()
            .zip(labels)
            .filter(|(p, l)| **p == Some(**l))
            .count()
    }
}

/// Number of correct predictions (most spikes).
pub fn correct(output: &Tensor<3>, labels: &[usize]) -> usize {
    predictions(output)
        .iter()
        .zip(labels)
        .filter(|(p, l)| **p == Some(**l))
        .count()
}

/// Rockpool's `bounds_cost`: `Σ exp(lower − p)` over the elements below `lower` plus
/// `Σ exp(p − upper)` over those above `upper` (about 1 at a bound, growing exponentially
/// beyond it; 0 inside). Infinite bounds are off; the exponents are clipped at ±2³¹ as in
/// Rockpool. `p` may have any shape (it is flattened).
pub fn bounds_cost(p: Tensor<1>, lower: f64, upper: f64) -> Tensor<1> {
    const CLIP: f64 = 2147483648.0;
    let mut cost = p.zeros_like().sum();
    if lower.is_finite() {
        let below = p.clone().lower_elem(lower).float();
        let e = (p.clone().neg() + lower).clamp(-CLIP, CLIP).exp();
        cost = cost + (e * below).sum();
    }
    if upper.is_finite() {
        let above = p.clone().greater_elem(upper).float();
        let e = (p - upper).clamp(-CLIP, CLIP).exp();
        cost = cost + (e * above).sum();
    }
    cost
}

/// L2 penalty `Σ w²` over a set of weight tensors.
pub fn l2(weights: &[Tensor<2>]) -> Option<Tensor<1>> {
    weights
        .iter()
        .map(|w| w.clone().powi_scalar(2).sum())
        .reduce(|a, b| a + b)
}

/// Activity penalty `Σ_layers (mean rate − target)²` with rates in Hz (`spikes / dt`).
pub fn activity(layers: &[Tensor<3>], dt: f64, target_hz: f64) -> Option<Tensor<1>> {
    layers
        .iter()
        .map(|s| (s.clone().mean() / dt - target_hz).powi_scalar(2))
        .reduce(|a, b| a + b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::device;

    #[test]
    fn bounds_cost_by_hand() {
        let dev = device().autodiff();
        let p = Tensor::<1>::from_floats([0.5, -1.0, 3.0, 1.0], &dev).require_grad();
        // Bounds [0, 2]: −1 is 1 below (e¹), 3 is 1 above (e¹); 0.5 and the bound-touching
        // 1.0 (inside) cost nothing.
        let c = bounds_cost(p.clone(), 0.0, 2.0);
        let e = std::f64::consts::E;
        let got = f64::from(c.clone().into_scalar::<f32>());
        assert!((got - 2.0 * e).abs() < 1e-5, "{got}");
        let g = p.grad(&c.backward()).unwrap().into_data();
        let g = g.try_to_vec::<f32>().unwrap();
        // d/dp exp(lower − p) = −e at p = −1; d/dp exp(p − upper) = e at p = 3.
        let want = [0.0, -e as f32, e as f32, 0.0];
        for (a, b) in g.iter().zip(want) {
            assert!((a - b).abs() < 1e-5, "{g:?}");
        }
        // One-sided bounds.
        let q = Tensor::<1>::from_floats([-1.0, 5.0], &device());
        let only_upper = bounds_cost(q.clone(), f64::NEG_INFINITY, 4.0).into_scalar::<f32>();
        assert!((f64::from(only_upper) - e).abs() < 1e-5);
        let none = bounds_cost(q, f64::NEG_INFINITY, f64::INFINITY).into_scalar::<f32>();
        assert_eq!(none, 0.0);
    }

    #[test]
    fn peak_loss_by_hand() {
        let dev = device().autodiff();
        // B = 2, T = 4, K = 3. Sample 0 (label 1): target channel [0.1, 0.9, 0.5, 0.2], the
        // others 0.2. Sample 1 (label 0): target channel [0, 0.2, 0.3, 0.8], the others 0.1.
        let y = Tensor::<3>::from_floats(
            [
                [
                    [0.2, 0.1, 0.2],
                    [0.2, 0.9, 0.2],
                    [0.2, 0.5, 0.2],
                    [0.2, 0.2, 0.2],
                ],
                [
                    [0.0, 0.1, 0.1],
                    [0.2, 0.1, 0.1],
                    [0.3, 0.1, 0.1],
                    [0.8, 0.1, 0.1],
                ],
            ],
            &dev,
        )
        .require_grad();
        let peak = PeakLoss {
            max_interval: 3,
            weight_nontarget: 0.5,
            target_output: 1.0,
            nontarget_output: 0.0,
        };
        let loss = Loss::Peak(peak);
        let l = loss
            .compute(y.clone(), &Target::Classes(vec![1, 0]))
            .unwrap();
        // Sample 0: peak at t = 1, window t = 1, 2, 3: mean 1.6/3, error (1 − 1.6/3)².
        // Sample 1: peak at t = 3, the window wraps back to t = 3: mean 0.8, error 0.04.
        // Non-target: (8·0.04 + 8·0.01) / (2·4·2) = 0.025, weighted 0.5.
        let e0 = (1.0f64 - 1.6 / 3.0).powi(2);
        let want = (e0 + 0.04) / 2.0 + 0.5 * 0.025;
        let got = f64::from(l.clone().into_scalar::<f32>());
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        // Gradient on the target channel of sample 1 at t = 3: three window slots, each
        // d/dy of (mean − 1)²/2 = 2·(0.8 − 1)/2 · 1/3 → total −0.2.
        let g = y.grad(&l.backward()).unwrap().into_data();
        let g = g.try_to_vec::<f32>().unwrap();
        assert!((g[12 + 9] - (-0.2)).abs() < 1e-6, "{}", g[12 + 9]);
        // A non-target entry: 0.5 · 2·0.1/16.
        assert!(
            (g[12 + 10] - 0.5 * 0.2 / 16.0).abs() < 1e-7,
            "{}",
            g[12 + 10]
        );
        assert_eq!(loss.correct(&y, &[1, 0]), 2);
        assert_eq!(peak_predictions(&y), [Some(1), Some(0)]);
        // Configuration forms and errors.
        let cfg: Loss = toml::from_str::<std::collections::BTreeMap<String, Loss>>(
            "loss = { peak = { max_interval = 3, weight_nontarget = 0.5, target_output = 1.0 } }",
        )
        .unwrap()["loss"];
        assert_eq!(cfg, loss);
        assert!("peak".parse::<Loss>().unwrap_err().contains("max_interval"));
        let bad = PeakLoss {
            max_interval: 0,
            ..peak
        };
        assert!(
            bad.compute(y, &[1, 0])
                .unwrap_err()
                .to_string()
                .contains("max_interval")
        );
    }

    #[test]
    fn cross_entropy_by_hand() {
        let dev = device();
        // Counts [[2, 0], [1, 1]] over two steps; labels [0, 1].
        let y =
            Tensor::<3>::from_floats([[[1.0, 0.0], [1.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]]], &dev);
        let l = Loss::CrossEntropy
            .compute(y.clone(), &Target::Classes(vec![0, 1]))
            .unwrap();
        let want = ((1.0 + (-2.0f64).exp()).ln() + 2f64.ln()) / 2.0;
        let got = f64::from(l.into_scalar::<f32>());
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        assert_eq!(predictions(&y), [Some(0), Some(0)]);
        assert_eq!(correct(&y, &[0, 1]), 1);
        let silent = Tensor::<3>::zeros([1, 3, 2], &dev);
        assert_eq!(predictions(&silent), [None]);
        let mse = Loss::Mse
            .compute(y.clone(), &Target::Classes(vec![0, 1]))
            .unwrap();
        // (2−1)² + 0 + (1−0)² + (1−1)² over 4 = 0.5
        assert!((mse.into_scalar::<f32>() - 0.5).abs() < 1e-6);
        assert!(
            Loss::CrossEntropy
                .compute(y, &Target::Classes(vec![0, 2]))
                .is_err()
        );
    }
}
