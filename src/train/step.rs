//! The adapter between our networks and Burn's training engine: [`Trainee`] (a network and its
//! [`Objective`]) implements Burn's `TrainStep` and `InferenceStep`, so any network built as a
//! [`Sequential`] of [`Layer`]s trains through `burn_train::SupervisedTraining` like any Burn
//! model, with the loss, the regularisers (activity, L2, Rockpool's bounds cost) and the
//! accuracy rule of our losses.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use burn_train::{Learner, SupervisedTraining};
//! use rockpool::prelude::*;
//! use rockpool::train::{EpochLoader, Objective, Trainee, loss::Loss};
//! # let dev = autodiff(&default_device()?);
//! # let net: Sequential = Sequential::from_modules([Layer::from(LinearConfig::new(16, 4).init(&dev))])?;
//! # let (train, valid) = (rockpool::tasks::FrozenNoiseConfig::default().generate(64, 0)?,
//! #     rockpool::tasks::FrozenNoiseConfig::default().generate(32, 1)?);
//! let trainee = Trainee::new(net, Objective::new(Loss::CrossEntropy));
//! let train = EpochLoader::new(Arc::new(train), 32, Some(0), &dev)?;
//! let valid = EpochLoader::new(Arc::new(valid), 32, None, &dev)?;
//! let result = SupervisedTraining::new("runs/x", Arc::new(train), Arc::new(valid))
//!     .num_epochs(10)
//!     .launch(Learner::new(trainee, burn::optim::AdamConfig::new().init(), 1e-3));
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::Tensor;
use burn_train::metric::{Adaptor, LossInput};
use burn_train::{InferenceStep, Interrupter, ItemLazy, TrainOutput, TrainStep};

use super::loader::Minibatch;
use super::loss::{self, Loss, Target};
use super::regularisers::{bounds_of, hidden_spikes, weights_of};
use crate::error::{Error, Result};
use crate::module::{Evolution, Evolve, ModuleExt, StateTree};
use crate::nn::{Layer, Sequential};

/// How a network is evolved on a batch `[B, T, C]` from a state, with or without records:
/// [`Evolve::evolve_with`] unless a transform of ordinary modules says otherwise (Xylo-mode
/// training fake-quantises weights and puts thresholds on their grid this way).
pub type ForwardFn =
    Arc<dyn Fn(&Sequential<Layer>, Tensor<3>, StateTree, bool) -> Result<Evolution> + Send + Sync>;

/// A loss of the user's own: `(output [B, T, K], target) → scalar [1]`.
pub type LossFn = Arc<dyn Fn(Tensor<3>, &Target) -> Result<Tensor<1>> + Send + Sync>;

/// What training minimises and how it scores: the loss, the regularisers and the forward.
#[derive(Clone)]
pub struct Objective {
    loss: Loss,
    custom_loss: Option<LossFn>,
    forward: Option<ForwardFn>,
    activity: Option<(f64, f64)>,
    l2: f64,
    bounds: BTreeMap<String, [f64; 2]>,
    bounds_weight: f64,
    dt: f64,
    record_valid_rate: bool,
    seed: Option<u64>,
    mismatch_sigma: f64,
    failure: Arc<Mutex<Option<Error>>>,
    interrupter: Option<Interrupter>,
}

impl fmt::Debug for Objective {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Objective")
            .field("loss", &self.loss)
            .field("custom_loss", &self.custom_loss.is_some())
            .field("forward", &self.forward.as_ref().map(|_| "custom"))
            .field("activity", &self.activity)
            .field("l2", &self.l2)
            .field("bounds", &self.bounds)
            .finish()
    }
}

impl Objective {
    /// `loss` alone: no regulariser, the plain forward, the time step of 1 ms for rates.
    pub fn new(loss: Loss) -> Self {
        Self {
            loss,
            custom_loss: None,
            forward: None,
            activity: None,
            l2: 0.0,
            bounds: BTreeMap::new(),
            bounds_weight: 0.0,
            dt: crate::nn::defaults::DT,
            record_valid_rate: true,
            seed: None,
            mismatch_sigma: 0.0,
            failure: Arc::new(Mutex::new(None)),
            interrupter: None,
        }
    }

    /// A loss of the user's own instead of the built-in one; accuracy then counts the output
    /// channel with the most spikes ([`loss::correct`]).
    pub fn with_loss_fn(mut self, f: LossFn) -> Self {
        self.custom_loss = Some(f);
        self
    }

    /// Evolves the network through `forward` instead of [`Evolve::evolve_with`].
    pub fn with_forward(mut self, forward: ForwardFn) -> Self {
        self.forward = Some(forward);
        self
    }

    /// Adds `weight · Σ_layers (mean rate − target_hz)²` over the hidden spiking layers.
    pub fn with_activity(mut self, weight: f64, target_hz: f64) -> Self {
        self.activity = (weight > 0.0).then_some((weight, target_hz));
        self
    }

    /// Adds `weight · Σ w²` over the weight matrices.
    pub fn with_l2(mut self, weight: f64) -> Self {
        self.l2 = weight;
        self
    }

    /// Adds `weight ·` Rockpool's bounds cost of the parameters named in `bounds`.
    pub fn with_bounds(mut self, bounds: BTreeMap<String, [f64; 2]>, weight: f64) -> Self {
        self.bounds = bounds;
        self.bounds_weight = weight;
        self
    }

    /// The time step (s) of the network, for firing rates in Hz.
    pub fn with_dt(mut self, dt: f64) -> Self {
        self.dt = dt;
        self
    }

    /// Whether validation records the hidden layers to report their firing rate (default on;
    /// recording costs some validation time).
    pub fn with_valid_rate(mut self, on: bool) -> Self {
        self.record_valid_rate = on;
        self
    }

    /// Draws each step's random numbers (membrane noise) from a stream fixed by
    /// `(seed, epoch, step)`: the device is reseeded before every training and validation step,
    /// so a resumed run draws what the uninterrupted one drew. (With several workers on one
    /// device, their draws may interleave: noisy networks then are not reproducible.)
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Mismatch-aware training: each training step evolves a copy of the network whose
    /// trainable parameters are `p·(1 + sigma·ξ)`, `ξ ~ N(0, 1)` per element (drawn on the
    /// device, so seeded with the step by [`Objective::with_seed`]); gradients reach the
    /// unperturbed parameters. `sigma = 0`: off.
    pub fn with_mismatch(mut self, sigma: f64) -> Self {
        self.mismatch_sigma = sigma;
        self
    }

    /// Reseeds `device` for step `step` of epoch `epoch` (validation: `valid`), if seeded.
    fn reseed(&self, device: &burn::tensor::Device, epoch: usize, step: usize, valid: bool) {
        if let Some(seed) = self.seed {
            // SplitMix64 of the position, so neighbouring steps get unrelated streams.
            let mut z = seed ^ ((epoch as u64) << 33) ^ ((step as u64) << 1) ^ u64::from(valid);
            z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            crate::device::seed(device, z ^ (z >> 31));
        }
    }

    /// Stops training through `interrupter` when a step fails (a non-finite loss, a shape
    /// error), keeping the error for [`Objective::take_failure`].
    pub fn with_interrupter(mut self, interrupter: Interrupter) -> Self {
        self.interrupter = Some(interrupter);
        self
    }

    /// The first error a step met, if any (taken: a second call gives `None`).
    pub fn take_failure(&self) -> Option<Error> {
        self.failure.lock().map(|mut f| f.take()).unwrap_or(None)
    }

    fn fail(&self, error: Error) {
        if let Ok(mut slot) = self.failure.lock()
            && slot.is_none()
        {
            *slot = Some(error);
        }
        if let Some(i) = &self.interrupter {
            i.stop(Some("a training step failed"));
        }
    }

    fn forward(
        &self,
        net: &Sequential<Layer>,
        x: Tensor<3>,
        batch: usize,
        record: bool,
    ) -> Result<Evolution> {
        let state = net.zero_state(batch);
        match &self.forward {
            Some(f) => f(net, x, state, record),
            None => net.evolve_with(x, state, record),
        }
    }

    fn data_loss(&self, output: Tensor<3>, target: &Target) -> Result<Tensor<1>> {
        match &self.custom_loss {
            Some(f) => f(output, target),
            None => self.loss.compute(output, target),
        }
    }

    fn correct(&self, output: &Tensor<3>, target: &Target) -> usize {
        match (target, &self.custom_loss) {
            (Target::Classes(labels), None) => self.loss.correct(output, labels),
            (Target::Classes(labels), Some(_)) => loss::correct(output, labels),
            (Target::Sequence(_), _) => 0,
        }
    }

    /// Mean firing rate (Hz) of the hidden spiking layers in `record`, if any was recorded.
    fn rate(&self, net: &Sequential<Layer>, record: &StateTree) -> Option<f64> {
        let spikes = hidden_spikes(net, record);
        let (sum, count) = spikes.iter().fold((0.0, 0usize), |(s, c), t| {
            let n = t.dims().iter().product::<usize>();
            (s + f64::from(t.clone().sum().into_scalar::<f32>()), c + n)
        });
        (count > 0).then(|| sum / count as f64 / self.dt)
    }
}

/// A network and its objective, as Burn's training engine trains it (see the
/// [module docs](self)).
#[derive(Module, Debug)]
pub struct Trainee {
    /// The network.
    pub net: Sequential<Layer>,
    #[module(skip)]
    objective: Objective,
}

impl Trainee {
    /// `net` trained for `objective`.
    pub fn new(net: Sequential<Layer>, objective: Objective) -> Self {
        Self { net, objective }
    }

    /// The objective.
    pub fn objective(&self) -> &Objective {
        &self.objective
    }

    /// One training step's loss (weighted by the minibatch's share of its global batch, so
    /// that the parts of a global batch trained on several devices add up to its mean) and
    /// what the metrics need.
    fn train_loss(&self, m: Minibatch) -> Result<(Tensor<1>, StepOutput)> {
        let o = &self.objective;
        let b = m.batch.len();
        o.reseed(&m.batch.x.device(), m.epoch, m.step, false);
        let ev = if o.mismatch_sigma > 0.0 {
            let perturbed = crate::mismatch::perturbed(&self.net, o.mismatch_sigma);
            o.forward(&perturbed, m.batch.x, b, o.activity.is_some())?
        } else {
            o.forward(&self.net, m.batch.x, b, o.activity.is_some())?
        };
        let data = o.data_loss(ev.output.clone(), &m.batch.target)?;
        let value = f64::from(data.clone().into_scalar::<f32>());
        let mut total = data;
        let rate = if let Some((weight, target_hz)) = o.activity {
            if let Some(a) = loss::activity(&hidden_spikes(&self.net, &ev.record), o.dt, target_hz)
            {
                total = total + a * weight;
            }
            o.rate(&self.net, &ev.record)
        } else {
            None
        };
        if o.l2 > 0.0
            && let Some(p) = loss::l2(&weights_of(&self.net))
        {
            total = total + p * o.l2;
        }
        if o.bounds_weight > 0.0
            && let Some(c) = bounds_of(&self.net, &o.bounds)
        {
            total = total + c * o.bounds_weight;
        }
        let total_value = f64::from(total.clone().into_scalar::<f32>());
        if !value.is_finite() || !total_value.is_finite() {
            return Err(Error::value(
                "training",
                format!(
                    "the loss became {} in epoch {}; lower the learning rate",
                    if value.is_finite() {
                        total_value
                    } else {
                        value
                    },
                    m.epoch + 1
                ),
            ));
        }
        let correct = o.correct(&ev.output, &m.batch.target);
        let out = StepOutput::new(value, correct, b, rate, &ev.output.device());
        Ok((total * m.share, out))
    }

    fn valid_step(&self, m: Minibatch) -> Result<StepOutput> {
        let o = &self.objective;
        let b = m.batch.len();
        let record = o.record_valid_rate;
        o.reseed(&m.batch.x.device(), m.epoch, m.step, true);
        let ev = o.forward(&self.net, m.batch.x, b, record)?;
        let value = f64::from(
            o.data_loss(ev.output.clone(), &m.batch.target)?
                .into_scalar::<f32>(),
        );
        let rate = record.then(|| o.rate(&self.net, &ev.record)).flatten();
        let correct = o.correct(&ev.output, &m.batch.target);
        Ok(StepOutput::new(
            value,
            correct,
            b,
            rate,
            &ev.output.device(),
        ))
    }
}

impl TrainStep for Trainee {
    type Input = Minibatch;
    type Output = StepOutput;

    fn step(&self, item: Minibatch) -> TrainOutput<StepOutput> {
        match self.train_loss(item) {
            Ok((loss, out)) => TrainOutput::new(self, loss.backward(), out),
            Err(e) => {
                self.objective.fail(e);
                TrainOutput {
                    grads: GradientsParams::new(),
                    item: StepOutput::failed(),
                }
            }
        }
    }
}

impl InferenceStep for Trainee {
    type Input = Minibatch;
    type Output = StepOutput;

    fn step(&self, item: Minibatch) -> StepOutput {
        self.valid_step(item).unwrap_or_else(|e| {
            self.objective.fail(e);
            StepOutput::failed()
        })
    }
}

/// What one step reports to the metrics: the batch's mean loss (before regularisers), its
/// correct predictions, its size, and the hidden layers' firing rate when it was recorded.
#[derive(Clone, Debug)]
pub struct StepOutput {
    /// The mean data loss, repeated once per sample `[b]` (Burn's loss metric weights a
    /// batch by the length of this tensor).
    pub loss: Tensor<1>,
    /// Correct predictions (0 for sequence targets).
    pub correct: usize,
    /// Samples in the batch.
    pub samples: usize,
    /// Mean firing rate of the hidden spiking layers, Hz.
    pub rate_hz: Option<f64>,
}

impl StepOutput {
    fn new(
        loss: f64,
        correct: usize,
        samples: usize,
        rate_hz: Option<f64>,
        device: &burn::tensor::Device,
    ) -> Self {
        let device = device.clone().inner();
        Self {
            loss: Tensor::full([samples], loss, &device),
            correct,
            samples,
            rate_hz,
        }
    }

    fn failed() -> Self {
        Self {
            loss: Tensor::zeros([1], &Default::default()),
            correct: 0,
            samples: 0,
            rate_hz: None,
        }
    }
}

impl ItemLazy for StepOutput {
    fn sync(self) -> std::result::Result<Self, burn_std::ExecutionError> {
        Ok(self)
    }
}

impl Adaptor<LossInput> for StepOutput {
    fn adapt(&self) -> LossInput {
        LossInput::new(self.loss.clone())
    }
}
