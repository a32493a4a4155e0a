//! `Pool2d` (sum or average pooling) and `Flatten`, for spiking convolutional networks over
//! flattened frames (the layout of [`conv`](super::conv): channel `c·H·W + y·W + x`).
//!
//! Sum pooling adds the `K_h × K_w` elements of each window (NIR's `SumPool2d`: spike counts
//! stay integers); average pooling divides that sum by `K_h · K_w` (NIR's `AvgPool2d`, padded
//! elements counted as zeros). The stride defaults to the kernel size. `Flatten` changes
//! nothing in this layout: it is there so that networks read from NIR (and written for other
//! frameworks) keep their node, and it checks the width.

use burn::module::Module;
use burn::tensor::Tensor;
use burn::tensor::ops::AvgPoolOptions;
use serde::{Deserialize, Serialize};

use super::conv::Pair;
use crate::error::{Error, Result};
use crate::module::{Evolution, Evolve, StateTree, Tree, auto_batch};

/// Which pooling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoolMode {
    /// The sum of each window.
    Sum,
    /// The mean of each window.
    Avg,
}

/// Hyper-parameters of a [`Pool2d`] (TOML `type = "sum_pool2d"` or `"avg_pool2d"`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pool2dConfig {
    /// Channels `C`.
    pub channels: usize,
    /// Input height and width `(H, W)`.
    pub input_shape: [usize; 2],
    /// Window `(K_h, K_w)`.
    pub kernel_size: Pair,
    /// Stride (default: the kernel size).
    #[serde(default)]
    pub stride: Option<Pair>,
    /// Zero padding per side (default 0).
    #[serde(default = "zero")]
    pub padding: Pair,
}

fn zero() -> Pair {
    Pair::One(0)
}

impl Pool2dConfig {
    /// `k × k` windows with stride `k` over `channels` maps of `(H, W)`.
    pub fn new(channels: usize, input_shape: [usize; 2], k: usize) -> Self {
        Self {
            channels,
            input_shape,
            kernel_size: Pair::One(k),
            stride: None,
            padding: zero(),
        }
    }

    /// Checks the numbers and builds the module.
    pub fn init(&self, mode: PoolMode) -> Result<Pool2d> {
        let what = match mode {
            PoolMode::Sum => "SumPool2d",
            PoolMode::Avg => "AvgPool2d",
        };
        let bad = |m: String| Err(Error::value(what, m));
        let kernel = self.kernel_size.get();
        let stride = self.stride.unwrap_or(self.kernel_size).get();
        let padding = self.padding.get();
        if self.channels == 0 || self.input_shape.contains(&0) {
            return bad(format!(
                "channels = {} and input_shape = {:?} must be positive",
                self.channels, self.input_shape
            ));
        }
        if kernel.contains(&0) || stride.contains(&0) {
            return bad(format!(
                "kernel_size {kernel:?} and stride {stride:?} must be positive"
            ));
        }
        crate::nn::defaults::check_elements(
            what,
            &[self.channels, self.input_shape[0], self.input_shape[1]],
        )?;
        crate::nn::defaults::check_elements(what, &[kernel[0], kernel[1]])?;
        for i in 0..2 {
            if padding[i].saturating_mul(2) > kernel[i] {
                return bad(format!(
                    "padding {padding:?} may be at most half the kernel {kernel:?}"
                ));
            }
            if self.input_shape[i].saturating_add(2 * padding[i]) < kernel[i] {
                return bad(format!(
                    "the window {kernel:?} is larger than the padded input {:?}",
                    self.input_shape
                ));
            }
        }
        crate::nn::defaults::check_elements(
            what,
            &[self.channels, self.input_shape[0], self.input_shape[1]],
        )?;
        Ok(Pool2d {
            channels: self.channels,
            input: self.input_shape,
            kernel,
            stride,
            padding,
            mode,
        })
    }
}

/// Sum or average pooling of every frame (see the [module docs](self)).
#[derive(Module, Debug)]
#[module(custom_display)]
pub struct Pool2d {
    /// Channels.
    pub channels: usize,
    #[module(skip)]
    input: [usize; 2],
    #[module(skip)]
    kernel: [usize; 2],
    #[module(skip)]
    stride: [usize; 2],
    #[module(skip)]
    padding: [usize; 2],
    #[module(skip)]
    mode: PoolMode,
}

impl Pool2d {
    /// Sum or average.
    pub fn mode(&self) -> PoolMode {
        self.mode
    }

    /// Its configuration.
    pub fn config(&self) -> Pool2dConfig {
        Pool2dConfig {
            channels: self.channels,
            input_shape: self.input,
            kernel_size: Pair::Two(self.kernel),
            stride: Some(Pair::Two(self.stride)),
            padding: Pair::Two(self.padding),
        }
    }

    /// `(H', W')`: `⌊(N + 2p − k) / s⌋ + 1` per axis.
    pub fn output_shape(&self) -> [usize; 2] {
        std::array::from_fn(|i| {
            (self.input[i] + 2 * self.padding[i] - self.kernel[i]) / self.stride[i] + 1
        })
    }

    /// Flat input width `C·H·W`.
    pub fn size_in(&self) -> usize {
        self.channels * self.input[0] * self.input[1]
    }

    /// Flat output width `C·H'·W'`.
    pub fn size_out(&self) -> usize {
        let [h, w] = self.output_shape();
        self.channels * h * w
    }

    fn class(&self) -> &'static str {
        match self.mode {
            PoolMode::Sum => "SumPool2d",
            PoolMode::Avg => "AvgPool2d",
        }
    }
}

crate::module_view!(Pool2d {
    class: "Pool2d",
    shape: |s| vec![s.size_in(), s.size_out()],
    parameters: {},
    simulation_parameters: {},
    state: {},
    submodules: {},
});

impl Evolve for Pool2d {
    fn evolve_with(&self, input: Tensor<3>, _state: StateTree, _record: bool) -> Result<Evolution> {
        let input = auto_batch(input, self.size_in(), self.class())?;
        if let Some(ev) = crate::module::empty_evolution(&input, self.size_out(), &Tree::new()) {
            return Ok(ev);
        }
        let [b, t, _] = input.dims();
        let x = input.reshape([b * t, self.channels, self.input[0], self.input[1]]);
        let options = AvgPoolOptions::new(self.kernel)
            .with_stride(self.stride)
            .with_padding(self.padding);
        let mut y = burn::tensor::module::avg_pool2d(x, options);
        if self.mode == PoolMode::Sum {
            y = y * (self.kernel[0] * self.kernel[1]) as f64;
        }
        Ok(Evolution {
            output: y.reshape([b, t, self.size_out()]),
            state: Tree::new(),
            record: Tree::new(),
        })
    }
}

/// Hyper-parameters of a [`Flatten`] (TOML `type = "flatten"`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlattenConfig {
    /// Flat width `C·H·W`.
    pub n: usize,
}

impl FlattenConfig {
    /// Builds the module.
    pub fn init(&self) -> Result<Flatten> {
        if self.n == 0 {
            return Err(Error::value("Flatten.n", "needs at least one channel"));
        }
        Ok(Flatten { n: self.n })
    }
}

/// The identity on flattened frames (see the [module docs](self)).
#[derive(Module, Debug)]
#[module(custom_display)]
pub struct Flatten {
    /// Width.
    pub n: usize,
}

crate::module_view!(Flatten {
    class: "Flatten",
    shape: |s| vec![s.n],
    parameters: {},
    simulation_parameters: {},
    state: {},
    submodules: {},
});

impl Evolve for Flatten {
    fn evolve_with(&self, input: Tensor<3>, _state: StateTree, _record: bool) -> Result<Evolution> {
        let output = auto_batch(input, self.n, "Flatten")?;
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
    use burn::tensor::TensorData;

    #[test]
    fn sum_and_average_pooling_of_a_frame() {
        let dev = device();
        // One channel 2×4, 2×2 windows: two windows.
        let frame: Vec<f32> = (1..=8).map(|v| v as f32).collect();
        let x = Tensor::<2>::from_data(TensorData::new(frame, [1, 8]), &dev);
        let mut sum = Pool2dConfig::new(1, [2, 4], 2).init(PoolMode::Sum).unwrap();
        // (1 + 2 + 5 + 6, 3 + 4 + 7 + 8)
        close(
            &vec3(&sum.evolve(x.clone(), false).unwrap().output),
            &[14.0, 22.0],
            1e-6,
        );
        let mut avg = Pool2dConfig::new(1, [2, 4], 2).init(PoolMode::Avg).unwrap();
        close(
            &vec3(&avg.evolve(x, false).unwrap().output),
            &[3.5, 5.5],
            1e-6,
        );
        assert_eq!(sum.output_shape(), [1, 2]);
        assert!(Pool2dConfig::new(1, [2, 4], 3).init(PoolMode::Sum).is_err());
    }
}
