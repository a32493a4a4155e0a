//! `Delay`: shifts a signal later by a whole number of time steps, `y[t] = x[t − d]` (zeros
//! for `t < d`). Xylo-mode training inserts a one-step delay after each hidden spiking layer,
//! because on the chip an event takes one time step to cross from one hidden layer to the
//! next. Stateless: steps delayed past the end of one `evolve` call are dropped.

use burn::module::Module;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::module::{Evolution, Evolve, StateTree, Tree, auto_batch};

/// Hyper-parameters of a [`Delay`] (also its TOML form).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelayConfig {
    /// Channels.
    pub n: usize,
    /// Delay in time steps (default 1).
    #[serde(default = "one")]
    pub steps: usize,
}

fn one() -> usize {
    1
}

impl DelayConfig {
    /// Builds the module.
    pub fn init(&self) -> Result<Delay> {
        if self.n == 0 {
            return Err(Error::value("Delay.n", "needs at least one channel"));
        }
        // An input of one channel is broadcast to all `n` at evolution time.
        crate::nn::defaults::check_elements("Delay channels", &[self.n])?;
        Ok(Delay {
            n: self.n,
            steps: self.steps,
        })
    }
}

/// A delay line of `steps` time steps on `n` channels.
#[derive(Module, Debug)]
#[module(custom_display)]
pub struct Delay {
    /// Channels.
    pub n: usize,
    /// Delay, time steps.
    pub steps: usize,
}

crate::module_view!(Delay {
    class: "Delay",
    shape: |s| vec![s.n],
    spiking: |_s| (true, true),
    parameters: {},
    simulation_parameters: { steps },
    state: {},
    submodules: {},
});

impl Evolve for Delay {
    fn evolve_with(&self, input: Tensor<3>, state: StateTree, _record: bool) -> Result<Evolution> {
        let input = auto_batch(input, self.n, "Delay")?;
        if let Some(ev) = crate::module::empty_evolution(&input, self.n, &state) {
            return Ok(ev);
        }
        let [b, t, n] = input.dims();
        let d = self.steps.min(t);
        let output = if d == 0 {
            input
        } else {
            let zeros = Tensor::<3>::zeros([b, d, n], &input.device());
            Tensor::cat(vec![zeros, input.slice([0..b, 0..t - d, 0..n])], 1)
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
    use crate::module::ModuleExt;
    use crate::test_util::{close, device, vec3};

    #[test]
    fn delays_by_whole_steps() {
        let dev = device();
        let mut d = DelayConfig { n: 2, steps: 1 }.init().unwrap();
        let x = Tensor::<2>::from_floats([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], &dev);
        let ev = d.evolve(x, false).unwrap();
        close(&vec3(&ev.output), &[0.0, 0.0, 1.0, 2.0, 3.0, 4.0], 0.0);
        assert_eq!(d.describe(), "Delay with shape (2,)");
    }
}
