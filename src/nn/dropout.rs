//! Rockpool's dropout modules for spiking networks: `UnitDropout` silences whole neurons for a
//! whole sample (each sample of the batch draws its own set) and rescales the others by
//! `1/(1 − p)`; `TimeStepDropout` deletes single events (one neuron at one step), without
//! rescaling. Both act only while training — on an autodiff device, as Burn's own dropout
//! decides it — and pass their input through unchanged otherwise (validation, inference,
//! export). The draws come from the device's random stream (see [`crate::device::seed`]).

use burn::module::Module;
use burn::tensor::{Distribution, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::module::{Evolution, Evolve, StateTree, Tree, auto_batch};

/// Which dropout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DropoutKind {
    /// Whole neurons per sample, survivors rescaled by `1/(1 − p)`.
    Unit,
    /// Single (sample, step, neuron) entries, no rescaling.
    TimeStep,
}

/// Hyper-parameters of a [`Dropout`] (TOML `type = "unit_dropout"` or `"time_step_dropout"`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DropoutConfig {
    /// Channels.
    pub n: usize,
    /// Probability of dropping (default 0.5, as in Rockpool), in `[0, 1)`.
    #[serde(default = "half")]
    pub p: f64,
}

fn half() -> f64 {
    0.5
}

impl DropoutConfig {
    /// Dropout of probability `p` on `n` channels.
    pub fn new(n: usize, p: f64) -> Self {
        Self { n, p }
    }

    /// Checks the numbers and builds the module.
    pub fn init(&self, kind: DropoutKind) -> Result<Dropout> {
        let what = match kind {
            DropoutKind::Unit => "UnitDropout",
            DropoutKind::TimeStep => "TimeStepDropout",
        };
        if self.n == 0 {
            return Err(Error::value(
                format!("{what}.n"),
                "needs at least one channel",
            ));
        }
        if !(0.0..1.0).contains(&self.p) {
            return Err(Error::value(
                format!("{what}.p"),
                format!("{}: must lie in [0, 1)", self.p),
            ));
        }
        Ok(Dropout {
            n: self.n,
            p: self.p,
            kind,
        })
    }
}

/// `UnitDropout` or `TimeStepDropout` (see the [module docs](self)).
#[derive(Module, Debug)]
#[module(custom_display)]
pub struct Dropout {
    /// Channels.
    pub n: usize,
    /// Probability of dropping.
    pub p: f64,
    #[module(skip)]
    kind: DropoutKind,
}

impl Dropout {
    /// Unit or time-step dropout.
    pub fn kind(&self) -> DropoutKind {
        self.kind
    }
}

crate::module_view!(Dropout {
    class: "Dropout",
    shape: |s| vec![s.n],
    spiking: |_s| (true, true),
    parameters: {},
    simulation_parameters: { p },
    state: {},
    submodules: {},
});

impl Evolve for Dropout {
    fn evolve_with(&self, input: Tensor<3>, _state: StateTree, _record: bool) -> Result<Evolution> {
        let input = auto_batch(input, self.n, "Dropout")?;
        let device = input.device();
        let output = if self.p == 0.0 || !device.is_autodiff() {
            input
        } else {
            let [b, t, n] = input.dims();
            let keep = Distribution::Bernoulli(1.0 - self.p);
            match self.kind {
                DropoutKind::Unit => {
                    let mask = Tensor::<3>::random([b, 1, n], keep, &device);
                    input * (mask / (1.0 - self.p)).expand([b, t, n])
                }
                DropoutKind::TimeStep => input * Tensor::<3>::random([b, t, n], keep, &device),
            }
        };
        Ok(Evolution {
            output,
            state: Tree::new(),
            record: Tree::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::device;

    fn ones(dev: &burn::tensor::Device, shape: [usize; 3]) -> Tensor<3> {
        Tensor::ones(shape, dev)
    }

    #[test]
    fn unit_dropout_silences_whole_neurons_per_sample_and_rescales() {
        let dev = crate::device::autodiff(&device());
        crate::device::seed(&dev, 3);
        let d = DropoutConfig::new(400, 0.25)
            .init(DropoutKind::Unit)
            .unwrap();
        let y = d
            .evolve_with(ones(&dev, [2, 5, 400]), Tree::new(), false)
            .unwrap()
            .output;
        let v: Vec<f32> = y.inner().into_data().try_to_vec().unwrap();
        // Every neuron keeps one value over the whole sample: 0 or 1/(1 − p).
        for s in 0..2 {
            for j in 0..400 {
                let first = v[s * 5 * 400 + j];
                assert!(first == 0.0 || (first - 4.0 / 3.0).abs() < 1e-6, "{first}");
                for t in 1..5 {
                    assert_eq!(v[(s * 5 + t) * 400 + j], first);
                }
            }
        }
        let dropped = (0..800)
            .filter(|&i| v[(i / 400) * 5 * 400 + i % 400] == 0.0)
            .count() as f64
            / 800.0;
        assert!((dropped - 0.25).abs() < 0.05, "dropped {dropped}");
        // The two samples draw different sets.
        assert_ne!(v[..400], v[5 * 400..6 * 400]);
    }

    #[test]
    fn time_step_dropout_deletes_single_events_and_is_off_outside_training() {
        let dev = crate::device::autodiff(&device());
        crate::device::seed(&dev, 4);
        let d = DropoutConfig::new(50, 0.4)
            .init(DropoutKind::TimeStep)
            .unwrap();
        let y = d
            .evolve_with(ones(&dev, [4, 50, 50]), Tree::new(), false)
            .unwrap()
            .output;
        let v: Vec<f32> = y.inner().into_data().try_to_vec().unwrap();
        assert!(v.iter().all(|&x| x == 0.0 || x == 1.0), "no rescaling");
        let dropped = v.iter().filter(|&&x| x == 0.0).count() as f64 / v.len() as f64;
        assert!((dropped - 0.4).abs() < 0.03, "dropped {dropped}");
        // On a plain device (validation, inference) the input passes through.
        let plain = device();
        let y = d
            .evolve_with(ones(&plain, [1, 3, 50]), Tree::new(), false)
            .unwrap()
            .output;
        assert!(
            y.into_data()
                .try_to_vec::<f32>()
                .unwrap()
                .iter()
                .all(|&x| x == 1.0)
        );
        assert!(DropoutConfig::new(3, 1.0).init(DropoutKind::Unit).is_err());
    }
}
