//! Neuron and layer modules, their combinators, and the [`Layer`] enum of built-in kinds.
//!
//! One concept per file: `linear.rs`, `rate.rs`, `instant.rs`, `init.rs` (weight
//! initialisers), `combinators/` (`Sequential`, `Residual`), `layer.rs` (the enum that lets
//! containers and network files hold any built-in module).

pub mod activation;
pub mod alif;
pub mod combinators;
pub mod delay;
pub mod exp_syn;
pub mod init;
pub mod instant;
pub mod kernels;
pub mod layer;
pub mod lif;
pub mod lif_neuron;
pub mod linear;
pub mod rate;
pub mod surrogate;

pub use activation::Activation;
pub use alif::{ALif, ALifConfig};
pub use combinators::{residual::Residual, sequential::Sequential};
pub use delay::{Delay, DelayConfig};
pub use exp_syn::{ExpSyn, ExpSynConfig};
pub use init::WeightInit;
pub use instant::{Instant, InstantConfig, InstantFn};
pub use layer::{Layer, LayerConfig, NamedLayerConfig};
pub use lif::{LeakMode, Lif, LifConfig, LifOutput};
pub use lif_neuron::{LifNeuron, LifNeuronConfig};
pub use linear::{Linear, LinearConfig};
pub use rate::{Rate, RateConfig};
pub use surrogate::Surrogate;

use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Noise `σ·√dt·ξ`, `ξ ~ N(0, 1)` drawn afresh, of the given shape; `None` when `σ = 0` so
/// that nothing is drawn or added.
pub fn white_noise<const D: usize>(
    shape: [usize; D],
    noise_std: f64,
    dt: f64,
    device: &Device,
) -> Option<Tensor<D>> {
    (noise_std > 0.0).then(|| {
        Tensor::random(shape, burn::tensor::Distribution::Normal(0.0, 1.0), device)
            * (noise_std * dt.sqrt())
    })
}

/// A per-neuron value in a config: one number for all neurons, or one per neuron.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PerNeuron {
    /// The same value for every neuron.
    Scalar(f64),
    /// One value per neuron.
    Vector(Vec<f64>),
}

impl PerNeuron {
    /// Zero for all neurons.
    pub fn zero() -> Self {
        PerNeuron::Scalar(0.0)
    }

    /// As [`PerNeuron::to_tensor`], and every value must be positive (time constants,
    /// thresholds); `noun` names them in the error (`"time constants"`).
    pub fn to_positive_tensor(
        &self,
        n: usize,
        device: &Device,
        what: &str,
        noun: &str,
    ) -> Result<Tensor<1>> {
        let values: &[f64] = match self {
            PerNeuron::Scalar(x) => std::slice::from_ref(x),
            PerNeuron::Vector(v) => v,
        };
        if let Some(x) = values.iter().find(|&&x| x <= 0.0) {
            return Err(Error::value(
                what,
                format!("{noun} must be positive, got {x}"),
            ));
        }
        self.to_tensor(n, device, what)
    }

    /// The values as a `(n,)` tensor; a vector must have exactly `n` entries, or one, which
    /// is broadcast to every neuron (as a scalar is, and as `set_attributes` and Rockpool
    /// treat a `(1,)` parameter).
    pub fn to_tensor(&self, n: usize, device: &Device, what: &str) -> Result<Tensor<1>> {
        if let PerNeuron::Vector(v) = self
            && v.len() == 1
            && n != 1
        {
            return PerNeuron::Scalar(v[0]).to_tensor(n, device, what);
        }
        match self {
            PerNeuron::Scalar(x) => {
                if !x.is_finite() {
                    return Err(Error::value(what, format!("must be finite, got {x}")));
                }
                Ok(Tensor::full([n], *x, device))
            }
            PerNeuron::Vector(v) => {
                if v.len() != n {
                    return Err(Error::shape(
                        what,
                        format!("({n},), (1,) or a scalar"),
                        &[v.len()],
                    ));
                }
                if let Some(x) = v.iter().find(|x| !x.is_finite()) {
                    return Err(Error::value(what, format!("must be finite, got {x}")));
                }
                let v: Vec<f32> = v.iter().map(|&x| x as f32).collect();
                Ok(Tensor::from_floats(v.as_slice(), device))
            }
        }
    }
}

impl From<f64> for PerNeuron {
    fn from(x: f64) -> Self {
        PerNeuron::Scalar(x)
    }
}

impl From<Vec<f64>> for PerNeuron {
    fn from(v: Vec<f64>) -> Self {
        PerNeuron::Vector(v)
    }
}
