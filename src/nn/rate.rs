//! `Rate`: a leaky, non-spiking rate neuron, Euler-integrated (Rockpool's `Rate`).
//!
//! Per neuron, with `H` the activation and `x` the state, at every step `t`:
//!
//! ```text
//! r[t]  = H(x[t-1] − θ) · W_rec                      (zero without recurrence)
//! x[t]  = x[t-1] + (dt/τ) · (−x[t-1] + i[t] + b + r[t] + σ·√dt·ξ[t])
//! y[t]  = H(x[t] − θ)
//! ```
//!
//! with `ξ ~ N(0,1)` drawn afresh for every step (`σ = noise_std`). `τ` is clipped below at
//! `10·dt` for stability, as Rockpool's numpy `Rate` does. Activations `H`: ReLU
//! `max(z, 0)` (default), `tanh(z)`, sigmoid `(tanh(z)+1)/2`.
//!
//! Shapes: input and output `[B, T, N]`; parameters `tau`, `bias`, `threshold` `(N,)` (families
//! `taus`, `biases`, `thresholds`), optional `w_rec` `(N, N)` (family `weights`, `unit_eigs`
//! init); simulation parameters `dt` (seconds, default 1 ms), `noise_std` (default 0) and
//! `act_fn`; state `x` `(N,)`. Records: `x` and `rec_input` `[B, T, N]`.
//!
//! The recurrence runs as one fused operation with a hand-written backward
//! ([`crate::nn::kernels::rate`]), so backpropagation through time costs O(T); gradients
//! reach the input, `tau`, `bias`, `threshold`, `w_rec` and the initial state, but not through
//! the records or the final state. [`Rate::evolve_reference`] is the same model in plain
//! tensor operations, kept as the reference the fused path is tested against.

use burn::module::{Module, Param};
use burn::tensor::{Device, FloatDType, Tensor};
use serde::{Deserialize, Serialize};

pub use super::activation::Activation;
use super::defaults;
use super::kernels::rate::{RateSequenceInput, RateSequenceOptions, rate_sequence};
use super::{PerNeuron, init::WeightInit};
use crate::error::{Error, Result};
use crate::module::{AttrField, Evolution, Evolve, StateTree, Tree, auto_batch, state_entry};

/// Hyper-parameters of a [`Rate`] module (also its TOML form; every key but `n` is
/// optional).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateConfig {
    /// Number of neurons `N` (required, at least 1).
    pub n: usize,
    /// Time constant(s) τ in seconds (default 20 ms).
    pub tau: PerNeuron,
    /// Bias(es) (default 0).
    pub bias: PerNeuron,
    /// Threshold(s) subtracted before the activation (default 0).
    pub threshold: PerNeuron,
    /// Whether the module has a recurrent weight matrix `w_rec` `(N, N)`.
    pub has_rec: bool,
    /// Initialiser of `w_rec` (default unit_eigs).
    pub rec_init: WeightInit,
    /// Activation function (default relu).
    pub act_fn: Activation,
    /// Time step in seconds (default 1 ms).
    pub dt: f64,
    /// Standard deviation of the state noise (default 0).
    pub noise_std: f64,
    /// Names of parameters to keep constant (not trained), e.g. `["tau"]`.
    pub constant: Vec<String>,
}

impl Default for RateConfig {
    /// Rockpool's defaults, with `n = 0` (which [`RateConfig::init`] refuses: give `n`).
    fn default() -> Self {
        Self {
            n: 0,
            tau: PerNeuron::Scalar(defaults::TAU_RATE),
            bias: PerNeuron::zero(),
            threshold: PerNeuron::zero(),
            has_rec: false,
            rec_init: WeightInit::UnitEigs,
            act_fn: Activation::Relu,
            dt: defaults::DT,
            noise_std: 0.0,
            constant: Vec::new(),
        }
    }
}

impl RateConfig {
    /// `n` neurons with Rockpool's defaults.
    pub fn new(n: usize) -> Self {
        Self {
            n,
            ..Self::default()
        }
    }

    /// Sets τ (seconds) for all neurons.
    pub fn with_tau(mut self, tau: impl Into<PerNeuron>) -> Self {
        self.tau = tau.into();
        self
    }
    /// Sets the bias.
    pub fn with_bias(mut self, bias: impl Into<PerNeuron>) -> Self {
        self.bias = bias.into();
        self
    }
    /// Sets the threshold.
    pub fn with_threshold(mut self, threshold: impl Into<PerNeuron>) -> Self {
        self.threshold = threshold.into();
        self
    }
    /// Adds a recurrent weight matrix.
    pub fn with_rec(mut self, has_rec: bool) -> Self {
        self.has_rec = has_rec;
        self
    }
    /// Chooses the activation.
    pub fn with_act_fn(mut self, act: Activation) -> Self {
        self.act_fn = act;
        self
    }
    /// Sets the time step (seconds).
    pub fn with_dt(mut self, dt: f64) -> Self {
        self.dt = dt;
        self
    }
    /// Sets the noise standard deviation.
    pub fn with_noise_std(mut self, noise_std: f64) -> Self {
        self.noise_std = noise_std;
        self
    }

    /// Checks the values and builds the module on `device`.
    pub fn init(&self, device: &Device) -> Result<Rate> {
        let n = self.n;
        if n == 0 {
            return Err(Error::value(
                "Rate.n",
                "a Rate module needs at least one neuron (n ≥ 1)",
            ));
        }
        defaults::check_simulation("Rate", self.dt, self.noise_std, None)?;
        defaults::check_elements("Rate state", &[n])?;
        if self.has_rec {
            defaults::check_elements("Rate recurrent weights (n × n)", &[n, n])?;
        }
        let tau = self
            .tau
            .to_positive_tensor(n, device, "Rate.tau", "time constants")?;
        let mut m = Rate {
            tau: Param::from_tensor(tau),
            bias: Param::from_tensor(self.bias.to_tensor(n, device, "Rate.bias")?),
            threshold: Param::from_tensor(self.threshold.to_tensor(n, device, "Rate.threshold")?),
            w_rec: self
                .has_rec
                .then(|| Param::from_tensor(self.rec_init.init(n, n, device))),
            dt: self.dt,
            noise_std: self.noise_std,
            act_fn: self.act_fn,
            x: Tensor::zeros([n], device),
            init: RateInit {
                tau: self.tau.clone(),
                bias: self.bias.clone(),
                threshold: self.threshold.clone(),
                rec_init: self.rec_init,
            },
        };
        for name in &self.constant {
            m.set_constant(name)?;
        }
        Ok(m)
    }
}

/// A rate (non-spiking) neuron layer (Rockpool's `Rate`).
#[doc(alias = "RateTorch")]
#[doc(alias = "RateJax")]
#[derive(Module, Debug)]
#[module(custom_display)]
pub struct Rate {
    /// Time constants `(N,)`, seconds.
    pub tau: Param<Tensor<1>>,
    /// Biases `(N,)`.
    pub bias: Param<Tensor<1>>,
    /// Thresholds `(N,)`.
    pub threshold: Param<Tensor<1>>,
    /// Optional recurrent weights `(N, N)`, from row neuron to column neuron.
    pub w_rec: Option<Param<Tensor<2>>>,
    /// Time step, seconds.
    pub dt: f64,
    /// Noise standard deviation.
    pub noise_std: f64,
    /// Activation.
    #[module(skip)]
    pub act_fn: Activation,
    /// Stored state `(N,)`.
    pub x: Tensor<1>,
    /// How the parameters were initialised, for `reset_parameters`.
    #[module(skip)]
    init: RateInit,
}

/// The initialisers of a [`Rate`]'s parameters (simulation parameters live in the module).
#[derive(Clone, Debug)]
struct RateInit {
    tau: PerNeuron,
    bias: PerNeuron,
    threshold: PerNeuron,
    rec_init: WeightInit,
}

/// The state of a [`Rate`] layer for a batch.
#[derive(Clone, Debug)]
pub struct RateState {
    /// Neuron states `x` `[B, N]`.
    pub x: Tensor<2>,
}

impl RateState {
    /// The initial (zero) state of `batch` rows of `n` neurons.
    pub fn initial(batch: usize, n: usize, device: &Device) -> Self {
        Self {
            x: Tensor::zeros([batch, n], device),
        }
    }

    /// Reads a batched state tree, checking the shape.
    pub fn from_tree(tree: &StateTree, batch: usize, n: usize) -> Result<Self> {
        Ok(Self {
            x: state_entry(tree, "x", [batch, n], "Rate")?,
        })
    }

    /// Rockpool's state tree: `x`.
    pub fn into_tree(self) -> StateTree {
        Tree::new().with("x", self.x.into())
    }
}

impl Rate {
    /// Number of neurons.
    pub fn n(&self) -> usize {
        self.x.dims()[0]
    }

    /// Makes the named parameter constant (Rockpool's `Constant`).
    pub fn set_constant(&mut self, name: &str) -> Result<()> {
        match name {
            "tau" => self.tau = self.tau.clone().set_require_grad(false),
            "bias" => self.bias = self.bias.clone().set_require_grad(false),
            "threshold" => self.threshold = self.threshold.clone().set_require_grad(false),
            "w_rec" if self.w_rec.is_some() => {
                self.w_rec = self.w_rec.take().map(|w| w.set_require_grad(false))
            }
            other => {
                return Err(Error::value(
                    "Rate.constant",
                    format!(
                        "'{other}' is not a parameter of this Rate (tau, bias, threshold, w_rec)"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Re-initialises the parameters (redrawing `w_rec`); keeps simulation parameters, state
    /// and constant-ness.
    fn reinit(&mut self) {
        let (n, device) = (self.n(), self.x.device());
        let init = &self.init;
        let (Ok(tau), Ok(bias), Ok(thr)) = (
            init.tau
                .to_positive_tensor(n, &device, "Rate.tau", "time constants"),
            init.bias.to_tensor(n, &device, "Rate.bias"),
            init.threshold.to_tensor(n, &device, "Rate.threshold"),
        ) else {
            return;
        };
        let w_rec = init.rec_init.init(n, n, &device);
        // Shapes match by construction, so setting cannot fail.
        let _ = self.tau.set_value(tau.into(), "Rate.tau");
        let _ = self.bias.set_value(bias.into(), "Rate.bias");
        let _ = self.threshold.set_value(thr.into(), "Rate.threshold");
        if let Some(w) = &mut self.w_rec {
            let _ = w.set_value(w_rec.into(), "Rate.w_rec");
        }
    }
}

crate::module_view!(Rate {
    class: "Rate",
    shape: |s| vec![s.n()],
    parameters: { tau: Taus, bias: Biases, threshold: Thresholds, w_rec: Weights },
    simulation_parameters: { dt, noise_std, act_fn },
    state: { x },
    submodules: {},
    reset_parameters: reinit,
});

impl Rate {
    /// The Euler factor `a = dt/τ` `(N,)` (dimensionless), with τ clipped below at `10·dt`.
    fn factor(&self) -> Tensor<1> {
        self.tau.val().clamp_min(10.0 * self.dt).recip() * self.dt
    }

    /// The state noise `σ·√dt·ξ` `[B, T, N]` of a whole sequence, drawn up front (`None`
    /// when `σ = 0`).
    fn noise(&self, b: usize, t: usize, device: &Device) -> Option<Tensor<3>> {
        super::white_noise([b, t, self.n()], self.noise_std, self.dt, device)
    }

    /// The same dynamics in plain tensor operations (a per-step loop, Burn's autodiff for the
    /// gradients): the reference the fused operation is tested against. It computes in f64
    /// (inputs and parameters are cast up, results cast back to f32) and always records.
    /// Noise is drawn exactly as [`Evolve::evolve_with`] draws it, so with the same device
    /// seed both see the same noise. Backpropagating through it costs O(T²) (each step slices
    /// the tracked input); use it for tests only.
    pub fn evolve_reference(&self, input: Tensor<3>, state: StateTree) -> Result<Evolution> {
        let n = self.n();
        let input = auto_batch(input, n, "Rate")?;
        if let Some(ev) = crate::module::empty_evolution(&input, n, &state) {
            return Ok(ev);
        }
        let [b, t, _] = input.dims();
        let device = input.device();
        let up2 = |x: Tensor<2>| x.cast(FloatDType::F64);
        let noise = self.noise(b, t, &device).map(|z| z.cast(FloatDType::F64));
        let input = input.cast(FloatDType::F64);
        let mut x = up2(RateState::from_tree(&state, b, n)?.x);

        // dt/τ with τ clipped at 10·dt, broadcast over the batch.
        let alpha = (self
            .tau
            .val()
            .cast(FloatDType::F64)
            .clamp_min(10.0 * self.dt)
            .recip()
            * self.dt)
            .unsqueeze_dim::<2>(0);
        let bias = self.bias.val().cast(FloatDType::F64).unsqueeze_dim::<2>(0);
        let thr = self
            .threshold
            .val()
            .cast(FloatDType::F64)
            .unsqueeze_dim::<2>(0);
        let w_rec = self.w_rec.as_ref().map(|w| up2(w.val()));

        let (mut outs, mut xs, mut recs) = (vec![], vec![], vec![]);
        for step in 0..t {
            let i_t = input
                .clone()
                .slice([0..b, step..step + 1, 0..n])
                .reshape([b, n]);
            let mut drive = i_t + bias.clone();
            let rec = w_rec
                .as_ref()
                .map(|w| self.act_fn.apply(x.clone() - thr.clone()).matmul(w.clone()));
            if let Some(r) = &rec {
                drive = drive + r.clone();
            }
            if let Some(noise) = &noise {
                drive = drive
                    + noise
                        .clone()
                        .slice([0..b, step..step + 1, 0..n])
                        .reshape([b, n]);
            }
            x = x.clone() + (drive - x) * alpha.clone();
            outs.push(self.act_fn.apply(x.clone() - thr.clone()));
            xs.push(x.clone());
            recs.push(rec.unwrap_or_else(|| up2(Tensor::zeros([b, n], &device))));
        }

        let down3 = |v: Vec<Tensor<2>>| Tensor::stack::<3>(v, 1).cast(FloatDType::F32);
        Ok(Evolution {
            output: down3(outs),
            state: RateState {
                x: x.cast(FloatDType::F32),
            }
            .into_tree(),
            record: Tree::new()
                .with("rec_input", down3(recs).into())
                .with("x", down3(xs).into()),
        })
    }
}

impl Evolve for Rate {
    fn evolve_with(&self, input: Tensor<3>, state: StateTree, record: bool) -> Result<Evolution> {
        let n = self.n();
        let input = auto_batch(input, n, "Rate")?;
        if let Some(ev) = crate::module::empty_evolution(&input, n, &state) {
            return Ok(ev);
        }
        let [b, t, _] = input.dims();
        let device = input.device();
        let x0 = RateState::from_tree(&state, b, n)?.x;
        let seq = rate_sequence(
            RateSequenceInput {
                input,
                a: self.factor(),
                bias: self.bias.val(),
                threshold: self.threshold.val(),
                w_rec: self.w_rec.as_ref().map(|w| w.val()),
                noise: self.noise(b, t, &device),
                x0,
            },
            RateSequenceOptions {
                activation: self.act_fn,
                record_states: record,
            },
        );
        let mut rec_tree = Tree::new();
        if let Some((x, rec)) = seq.records {
            rec_tree.insert("rec_input", rec.into());
            rec_tree.insert("x", x.into());
        }
        Ok(Evolution {
            output: seq.y,
            state: RateState { x: seq.x_last }.into_tree(),
            record: rec_tree,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::{ModuleExt, Value};
    use crate::test_util::{close, device, vec3};

    #[test]
    fn two_steps_by_hand() {
        let dev = device();
        // τ = [20 ms, 10 ms] (10 ms = 10·dt, exactly at the clip), bias and threshold on neuron 0.
        let mut m = RateConfig::new(2)
            .with_tau(vec![0.02, 0.01])
            .with_bias(vec![0.1, 0.0])
            .with_threshold(vec![0.05, 0.0])
            .init(&dev)
            .unwrap();
        let x = Tensor::<2>::from_floats([[1.0, -1.0], [0.5, 2.0]], &dev);
        let ev = m.evolve(x, true).unwrap();
        // x1 = 0.05·(1 + 0.1) = 0.055, x2 = 0.055 + 0.05·(0.5 + 0.1 − 0.055) = 0.08225;
        // neuron 1: x1 = 0.1·(−1) = −0.1, x2 = −0.1 + 0.1·(2 + 0.1) = 0.11.
        close(&vec3(&ev.output), &[0.005, 0.0, 0.03225, 0.11], 1e-6);
        let xs = ev.record.get("x").unwrap().to_vec_f32();
        close(&xs, &[0.055, -0.1, 0.08225, 0.11], 1e-6);
        // The module keeps the final state.
        let st = m.state();
        let Value::Tensor(s) = &st.get("x").unwrap().value else {
            panic!()
        };
        close(&s.to_vec_f32(), &[0.08225, 0.11], 1e-6);
        // And continues from it.
        let ev2 = m.evolve(Tensor::<2>::zeros([1, 2], &dev), false).unwrap();
        // x3 = 0.08225 + 0.05·(0.1 − 0.08225); neuron 1: 0.11 + 0.1·(−0.11)
        close(&vec3(&ev2.output), &[0.0831375 - 0.05, 0.099], 1e-6);
        m.reset_state();
        let st = m.state();
        let Value::Tensor(s) = &st.get("x").unwrap().value else {
            panic!()
        };
        close(&s.to_vec_f32(), &[0.0, 0.0], 0.0);
    }

    #[test]
    fn recurrence_uses_previous_activation() {
        let dev = device();
        let mut m = RateConfig::new(2).with_rec(true).init(&dev).unwrap();
        m.set_attributes(&crate::module::Tree::new().with(
            "w_rec",
            Value::from(Tensor::<2>::from_floats([[0.0, 2.0], [0.0, 0.0]], &dev)),
        ))
        .unwrap();
        let x = Tensor::<2>::from_floats([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]], &dev);
        let ev = m.evolve(x, true).unwrap();
        // x1 = [0.05, 0]; r2 = H(x1)·W = [0, 0.1]; x2 = [0.0475, 0.005]; r3 = [0, 0.095].
        close(
            &ev.record.get("rec_input").unwrap().to_vec_f32(),
            &[0.0, 0.0, 0.0, 0.1, 0.0, 0.095],
            1e-6,
        );
        close(
            &ev.record.get("x").unwrap().to_vec_f32(),
            &[0.05, 0.0, 0.0475, 0.005, 0.045125, 0.0095],
            1e-6,
        );
    }

    #[test]
    fn views_constants_and_errors() {
        let dev = device();
        let mut cfg = RateConfig::new(3);
        cfg.constant = vec!["tau".into()];
        let mut m = cfg.init(&dev).unwrap();
        // A constant τ moves to the simulation parameters (Rockpool's `Constant`).
        assert!(m.parameters("taus").is_empty());
        assert!(m.simulation_parameters("taus").get("tau").is_some());
        assert_eq!(m.parameters(()).names(), ["bias", "threshold"]);
        assert_eq!(
            m.simulation_parameters(()).names(),
            ["tau", "dt", "noise_std", "act_fn"]
        );
        assert_eq!(m.state().names(), ["x"]);
        assert_eq!(m.describe(), "Rate with shape (3,)");
        // Shape errors name the attribute and both shapes.
        let err = m
            .set_attributes(
                &crate::module::Tree::new()
                    .with("bias", Value::from(Tensor::<1>::zeros([4], &dev))),
            )
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("Rate.bias") && err.contains("(3,)") && err.contains("(4,)"),
            "{err}"
        );
        let err = m
            .set_attributes(&crate::module::Tree::new().with("tua", Value::Float(0.1)))
            .unwrap_err()
            .to_string();
        assert!(err.contains("'tua'") && err.contains("tau"), "{err}");
        // Simulation parameters are set the same way.
        m.set_attributes(&crate::module::Tree::new().with("act_fn", Value::from("tanh")))
            .unwrap();
        assert_eq!(m.act_fn, Activation::Tanh);
        // Bad configs are refused.
        assert!(RateConfig::new(2).with_tau(-0.1).init(&dev).is_err());
        assert!(
            RateConfig::new(2)
                .with_tau(vec![0.1, 0.2, 0.3])
                .init(&dev)
                .is_err()
        );
        // A one-element vector is broadcast, like a scalar.
        let one = RateConfig::new(2).with_tau(vec![0.1]).init(&dev).unwrap();
        assert_eq!(
            one.tau.val().into_data().try_to_vec::<f32>().unwrap(),
            vec![0.1f32; 2]
        );
        assert!(RateConfig::new(2).with_dt(0.0).init(&dev).is_err());
        // Wrong input width.
        let err = m
            .evolve(Tensor::<2>::zeros([5, 2], &dev), false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("(1, 5, 2)") && err.contains("3"), "{err}");
    }

    #[test]
    fn reset_parameters_restores_given_values() {
        let dev = device();
        let mut m = RateConfig::new(2).with_tau(0.05).init(&dev).unwrap();
        m.set_attributes(&crate::module::Tree::new().with("tau", Value::Float(0.3)))
            .unwrap();
        // Run-time simulation parameters and constant-ness survive the reset.
        m.set_attributes(&crate::module::Tree::new().with("dt", Value::Float(2e-3)))
            .unwrap();
        m.set_constant("bias").unwrap();
        crate::module::ModuleExt::reset_parameters(&mut m);
        close(
            &m.tau.val().to_data().try_to_vec_as::<f32>().unwrap(),
            &[0.05, 0.05],
            1e-9,
        );
        assert_eq!(m.dt, 2e-3);
        assert!(m.parameters(()).get("bias").is_none());
        assert!(m.simulation_parameters(()).get("bias").is_some());
    }
}
