//! Losses and metrics on network outputs `[B, T, K]`, and regularisers.
//!
//! - `cross_entropy`: softmax cross-entropy of the spike counts summed over time (the logits
//!   are counts `Σ_t y[b,t,k]`), against class labels.
//! - `mse` / `sse`: mean / summed squared error against target sequences `[B, T, K]`, or
//!   against one-hot class targets on the summed counts.
//! - Regularisers: L2 on all weights, and an activity penalty that pulls the mean firing rate
//!   of hidden spiking layers towards a target rate.

use std::fmt;
use std::str::FromStr;

use burn::tensor::{Int, Tensor, TensorData, activation};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A training loss.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    /// Cross-entropy of summed spike counts against labels.
    #[default]
    CrossEntropy,
    /// Mean squared error.
    Mse,
    /// Summed squared error.
    Sse,
}

impl FromStr for Loss {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cross_entropy" | "ce" => Ok(Loss::CrossEntropy),
            "mse" => Ok(Loss::Mse),
            "sse" => Ok(Loss::Sse),
            o => Err(format!("unknown loss '{o}' (cross_entropy, mse, sse)")),
        }
    }
}

impl fmt::Display for Loss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Loss::CrossEntropy => "cross_entropy",
            Loss::Mse => "mse",
            Loss::Sse => "sse",
        })
    }
}

/// What the network is trained to produce.
#[allow(clippy::large_enum_variant)] // one per batch
#[derive(Clone, Debug)]
pub enum Target {
    /// Class labels `[B]`.
    Classes(Vec<usize>),
    /// Target sequences `[B, T, K]`.
    Sequence(Tensor<3>),
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

/// Number of correct predictions.
pub fn correct(output: &Tensor<3>, labels: &[usize]) -> usize {
    predictions(output)
        .iter()
        .zip(labels)
        .filter(|(p, l)| **p == Some(**l))
        .count()
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
