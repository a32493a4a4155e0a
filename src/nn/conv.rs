//! `Conv1d` and `Conv2d`: convolutions applied at every time step, on Burn's convolutions.
//!
//! **Layout.** Sequences stay `[batch, time, channels]` everywhere in rockpool, so a frame of
//! `C` channels over an `H × W` grid (or a length `L`) travels flattened: a spatial input
//! `[B, T, C, H, W]` is the sequence `[B, T, C·H·W]` with element `(c, y, x)` at channel
//! `c·H·W + y·W + x` (row-major `[C, H, W]`; for event cameras `c` is the polarity, which is
//! the raster layout of the event datasets). A `Conv2d` reshapes each step to `[C, H, W]`,
//! convolves, and flattens its `[C_out, H', W']` output the same way, so spiking layers (LIF
//! and friends) between convolutions see plain channels.
//!
//! **Parameters** follow NIR's (and PyTorch's) layouts: weight `[C_out, C_in / groups, K_h,
//! K_w]` (`Conv1d`: `[C_out, C_in / groups, K]`), family `weights`; bias `[C_out]`, family
//! `biases` (on by default, as in NIR and PyTorch). Initialisation is Rockpool's Kaiming-uniform
//! of [`Linear`](super::Linear) with the fan-in `C_in / groups · K_h · K_w`: weights
//! U(±√(6/fan_in)), bias U(±√(1/fan_in)). The output size along each spatial axis is
//! `⌊(N + 2p − d·(k − 1) − 1) / s⌋ + 1` (stride `s`, padding `p`, dilation `d`);
//! `padding = "same"` (stride 1 only) pads so that it equals `N`, `"valid"` is 0.

use burn::module::{Module, Param};
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::init::uniform;
use crate::error::{Error, Result};
use crate::module::{AttrField, Evolution, Evolve, StateTree, Tree, auto_batch};

/// One number for every spatial axis, or one per axis (TOML `3` or `[3, 5]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Pair {
    /// The same value on both axes.
    One(usize),
    /// `(height, width)`.
    Two([usize; 2]),
}

impl Pair {
    /// `(height, width)`.
    pub fn get(self) -> [usize; 2] {
        match self {
            Pair::One(v) => [v, v],
            Pair::Two(p) => p,
        }
    }
}

impl From<usize> for Pair {
    fn from(v: usize) -> Self {
        Pair::One(v)
    }
}

impl From<[usize; 2]> for Pair {
    fn from(p: [usize; 2]) -> Self {
        Pair::Two(p)
    }
}

/// Zero padding of a convolution: a number of elements per side (one for every axis or one
/// per axis), `"same"` or `"valid"` (no padding).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Padding {
    /// Elements added on both sides of every axis (or per axis).
    Size(Pair),
    /// `"same"` or `"valid"`.
    Named(PaddingName),
}

/// The named paddings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaddingName {
    /// The output has the input's size (stride 1).
    Same,
    /// No padding.
    Valid,
}

impl Default for Padding {
    fn default() -> Self {
        Padding::Size(Pair::One(0))
    }
}

/// The geometry of a convolution over `N` spatial axes: sizes, kernel, stride, padding
/// (before, after), dilation, groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry<const N: usize> {
    /// Input channels.
    pub channels_in: usize,
    /// Output channels.
    pub channels_out: usize,
    /// Input size per spatial axis.
    pub input: [usize; N],
    /// Kernel size per axis.
    pub kernel: [usize; N],
    /// Stride per axis.
    pub stride: [usize; N],
    /// Zero padding (before, after) per axis.
    pub padding: [(usize, usize); N],
    /// Dilation per axis.
    pub dilation: [usize; N],
    /// Groups.
    pub groups: usize,
}

impl<const N: usize> Geometry<N> {
    /// Checks the numbers and resolves the padding; `what` names the layer in errors.
    #[allow(clippy::too_many_arguments)]
    fn new(
        what: &str,
        (channels_in, channels_out): (usize, usize),
        input: [usize; N],
        kernel: [usize; N],
        stride: [usize; N],
        padding: [usize; N],
        named: Option<PaddingName>,
        dilation: [usize; N],
        groups: usize,
    ) -> Result<Self> {
        let bad = |m: String| Err(Error::value(what.to_string(), m));
        if channels_in == 0 || channels_out == 0 {
            return bad("channels_in and channels_out must be positive".into());
        }
        if groups == 0 || channels_in % groups != 0 || channels_out % groups != 0 {
            return bad(format!(
                "groups = {groups} must divide channels_in = {channels_in} and channels_out = \
                 {channels_out}"
            ));
        }
        for (name, v) in [
            ("input_shape", input),
            ("kernel_size", kernel),
            ("stride", stride),
            ("dilation", dilation),
        ] {
            if v.contains(&0) {
                return bad(format!("{name} = {v:?} has a zero"));
            }
        }
        // Every size is checked before any arithmetic on it can overflow.
        let mut dims = vec![channels_in];
        dims.extend(input);
        crate::nn::defaults::check_elements(what, &dims)?;
        let mut weight = vec![channels_out, channels_in / groups];
        weight.extend(kernel);
        crate::nn::defaults::check_elements(what, &weight)?;
        let limit = crate::nn::defaults::max_elements() as usize;
        if stride
            .iter()
            .chain(&dilation)
            .chain(&padding)
            .any(|&v| v > limit)
        {
            return bad(format!(
                "stride {stride:?}, padding {padding:?} and dilation {dilation:?} must stay \
                 below {limit}"
            ));
        }
        let padding = match named {
            None => padding.map(|p| (p, p)),
            Some(PaddingName::Valid) => [(0, 0); N],
            Some(PaddingName::Same) => {
                if stride.iter().any(|&s| s != 1) {
                    return bad(format!(
                        "padding = \"same\" needs stride 1 (stride = {stride:?})"
                    ));
                }
                let mut out = [(0, 0); N];
                for i in 0..N {
                    let total = dilation[i] * (kernel[i] - 1);
                    out[i] = (total / 2, total - total / 2);
                }
                out
            }
        };
        let g = Self {
            channels_in,
            channels_out,
            input,
            kernel,
            stride,
            padding,
            dilation,
            groups,
        };
        for i in 0..N {
            let span = dilation[i] * (kernel[i] - 1) + 1;
            if input[i] + padding[i].0 + padding[i].1 < span {
                return bad(format!(
                    "the kernel ({span} elements with dilation) is larger than the padded \
                     input ({} along axis {i})",
                    input[i] + padding[i].0 + padding[i].1
                ));
            }
        }
        crate::nn::defaults::check_elements(what, &[g.size_in()])?;
        crate::nn::defaults::check_elements(what, &[g.size_out()])?;
        Ok(g)
    }

    /// The output size per spatial axis.
    pub fn output(&self) -> [usize; N] {
        std::array::from_fn(|i| {
            let padded = self.input[i] + self.padding[i].0 + self.padding[i].1;
            (padded - self.dilation[i] * (self.kernel[i] - 1) - 1) / self.stride[i] + 1
        })
    }

    /// Flat input channels `C_in · ∏ input`.
    pub fn size_in(&self) -> usize {
        self.channels_in * self.input.iter().product::<usize>()
    }

    /// Flat output channels `C_out · ∏ output`.
    pub fn size_out(&self) -> usize {
        self.channels_out * self.output().iter().product::<usize>()
    }

    /// The fan-in of one output element, `C_in / groups · ∏ kernel`.
    fn fan_in(&self) -> usize {
        self.channels_in / self.groups * self.kernel.iter().product::<usize>()
    }

    fn options(&self) -> ConvOptions<N> {
        ConvOptions::new_with_padding(self.stride, self.padding, self.dilation, self.groups)
    }

    /// Initial weights `[C_out, C_in / groups, kernel…]` and bias `[C_out]`.
    fn initial<const D: usize>(&self, device: &Device) -> (Tensor<D>, Tensor<1>) {
        let fan_in = self.fan_in() as f64;
        let mut shape = [0usize; D];
        shape[0] = self.channels_out;
        shape[1] = self.channels_in / self.groups;
        shape[2..].copy_from_slice(&self.kernel);
        (
            uniform(shape, (6.0 / fan_in).sqrt(), device),
            uniform([self.channels_out], (1.0 / fan_in).sqrt(), device),
        )
    }
}

/// Hyper-parameters of a [`Conv2d`] (also its TOML form, `type = "conv2d"`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conv2dConfig {
    /// Input channels `C_in`.
    pub channels_in: usize,
    /// Output channels `C_out`.
    pub channels_out: usize,
    /// Input height and width `(H, W)`.
    pub input_shape: [usize; 2],
    /// Kernel size `(K_h, K_w)`.
    pub kernel_size: Pair,
    /// Stride (default 1).
    #[serde(default = "one")]
    pub stride: Pair,
    /// Zero padding (default 0).
    #[serde(default)]
    pub padding: Padding,
    /// Dilation (default 1).
    #[serde(default = "one")]
    pub dilation: Pair,
    /// Groups (default 1).
    #[serde(default = "one_group")]
    pub groups: usize,
    /// Whether to add a bias per output channel (default true).
    #[serde(default = "yes")]
    pub has_bias: bool,
}

fn one() -> Pair {
    Pair::One(1)
}

fn one_group() -> usize {
    1
}

fn yes() -> bool {
    true
}

fn split_padding(p: Padding) -> ([usize; 2], Option<PaddingName>) {
    match p {
        Padding::Size(s) => (s.get(), None),
        Padding::Named(n) => ([0, 0], Some(n)),
    }
}

impl Conv2dConfig {
    /// `channels_in → channels_out` over an `(H, W)` input with a square kernel `k`, stride 1,
    /// no padding, a bias.
    pub fn new(channels_in: usize, channels_out: usize, input_shape: [usize; 2], k: usize) -> Self {
        Self {
            channels_in,
            channels_out,
            input_shape,
            kernel_size: Pair::One(k),
            stride: one(),
            padding: Padding::default(),
            dilation: one(),
            groups: 1,
            has_bias: true,
        }
    }

    /// Sets the stride.
    pub fn with_stride(mut self, stride: impl Into<Pair>) -> Self {
        self.stride = stride.into();
        self
    }

    /// Sets the padding.
    pub fn with_padding(mut self, padding: Padding) -> Self {
        self.padding = padding;
        self
    }

    /// The checked geometry.
    pub fn geometry(&self) -> Result<Geometry<2>> {
        let (padding, named) = split_padding(self.padding);
        Geometry::new(
            "Conv2d",
            (self.channels_in, self.channels_out),
            self.input_shape,
            self.kernel_size.get(),
            self.stride.get(),
            padding,
            named,
            self.dilation.get(),
            self.groups,
        )
    }

    /// Checks the numbers and builds the module on `device`, drawing its weights.
    pub fn init(&self, device: &Device) -> Result<Conv2d> {
        let geometry = self.geometry()?;
        let (w, b) = geometry.initial::<4>(device);
        Ok(Conv2d {
            weight: Param::from_tensor(w),
            bias: self.has_bias.then(|| Param::from_tensor(b)),
            geometry,
        })
    }
}

/// A 2-D convolution applied at every time step, on flattened frames (see the
/// [module docs](self)).
#[derive(Module, Debug)]
#[module(custom_display)]
pub struct Conv2d {
    /// Weights `[C_out, C_in / groups, K_h, K_w]`.
    pub weight: Param<Tensor<4>>,
    /// Optional bias `[C_out]`.
    pub bias: Option<Param<Tensor<1>>>,
    #[module(skip)]
    geometry: Geometry<2>,
}

impl Conv2d {
    /// The layer's geometry.
    pub fn geometry(&self) -> &Geometry<2> {
        &self.geometry
    }

    /// Builds a layer from explicit weights `[C_out, C_in / groups, K_h, K_w]` (and bias)
    /// over a checked `geometry` whose sizes must match them.
    pub fn from_weights(
        geometry: Geometry<2>,
        weight: Tensor<4>,
        bias: Option<Tensor<1>>,
    ) -> Result<Self> {
        let g = &geometry;
        let want = [
            g.channels_out,
            g.channels_in / g.groups,
            g.kernel[0],
            g.kernel[1],
        ];
        if weight.dims() != want {
            return Err(Error::shape(
                "Conv2d.weight",
                format!("{want:?}"),
                &weight.dims(),
            ));
        }
        if let Some(b) = &bias
            && b.dims() != [g.channels_out]
        {
            return Err(Error::shape(
                "Conv2d.bias",
                format!("[{}]", g.channels_out),
                &b.dims(),
            ));
        }
        Ok(Self {
            weight: Param::from_tensor(weight),
            bias: bias.map(Param::from_tensor),
            geometry,
        })
    }

    fn redraw(&mut self) {
        let device = self.weight.val().device();
        let (w, b) = self.geometry.initial::<4>(&device);
        let _ = self.weight.set_value(w.into(), "Conv2d.weight");
        if let Some(p) = &mut self.bias {
            let _ = p.set_value(b.into(), "Conv2d.bias");
        }
    }
}

crate::module_view!(Conv2d {
    class: "Conv2d",
    shape: |s| vec![s.geometry.size_in(), s.geometry.size_out()],
    parameters: { weight: Weights, bias: Biases },
    simulation_parameters: {},
    state: {},
    submodules: {},
    reset_parameters: redraw,
});

impl Evolve for Conv2d {
    fn evolve_with(&self, input: Tensor<3>, _state: StateTree, _record: bool) -> Result<Evolution> {
        let g = &self.geometry;
        let input = auto_batch(input, g.size_in(), "Conv2d")?;
        if let Some(ev) = crate::module::empty_evolution(&input, g.size_out(), &Tree::new()) {
            return Ok(ev);
        }
        let [b, t, _] = input.dims();
        let [h, w] = g.input;
        let x = input.reshape([b * t, g.channels_in, h, w]);
        let y = burn::tensor::module::conv2d(
            x,
            self.weight.val(),
            self.bias.as_ref().map(|p| p.val()),
            g.options(),
        );
        Ok(Evolution {
            output: y.reshape([b, t, g.size_out()]),
            state: Tree::new(),
            record: Tree::new(),
        })
    }
}

/// Hyper-parameters of a [`Conv1d`] (also its TOML form, `type = "conv1d"`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conv1dConfig {
    /// Input channels `C_in`.
    pub channels_in: usize,
    /// Output channels `C_out`.
    pub channels_out: usize,
    /// Input length `L`.
    pub input_length: usize,
    /// Kernel size `K`.
    pub kernel_size: usize,
    /// Stride (default 1).
    #[serde(default = "one_group")]
    pub stride: usize,
    /// Zero padding: elements per side, `"same"` or `"valid"` (default 0).
    #[serde(default)]
    pub padding: Padding,
    /// Dilation (default 1).
    #[serde(default = "one_group")]
    pub dilation: usize,
    /// Groups (default 1).
    #[serde(default = "one_group")]
    pub groups: usize,
    /// Whether to add a bias per output channel (default true).
    #[serde(default = "yes")]
    pub has_bias: bool,
}

impl Conv1dConfig {
    /// `channels_in → channels_out` over a length-`input_length` input with kernel `k`.
    pub fn new(channels_in: usize, channels_out: usize, input_length: usize, k: usize) -> Self {
        Self {
            channels_in,
            channels_out,
            input_length,
            kernel_size: k,
            stride: 1,
            padding: Padding::default(),
            dilation: 1,
            groups: 1,
            has_bias: true,
        }
    }

    /// The checked geometry.
    pub fn geometry(&self) -> Result<Geometry<1>> {
        let (padding, named) = split_padding(self.padding);
        Geometry::new(
            "Conv1d",
            (self.channels_in, self.channels_out),
            [self.input_length],
            [self.kernel_size],
            [self.stride],
            [padding[0]],
            named,
            [self.dilation],
            self.groups,
        )
    }

    /// Checks the numbers and builds the module on `device`, drawing its weights.
    pub fn init(&self, device: &Device) -> Result<Conv1d> {
        let geometry = self.geometry()?;
        let (w, b) = geometry.initial::<3>(device);
        Ok(Conv1d {
            weight: Param::from_tensor(w),
            bias: self.has_bias.then(|| Param::from_tensor(b)),
            geometry,
        })
    }
}

/// A 1-D convolution applied at every time step, on flattened `[C, L]` frames (see the
/// [module docs](self)).
#[derive(Module, Debug)]
#[module(custom_display)]
pub struct Conv1d {
    /// Weights `[C_out, C_in / groups, K]`.
    pub weight: Param<Tensor<3>>,
    /// Optional bias `[C_out]`.
    pub bias: Option<Param<Tensor<1>>>,
    #[module(skip)]
    geometry: Geometry<1>,
}

impl Conv1d {
    /// The layer's geometry.
    pub fn geometry(&self) -> &Geometry<1> {
        &self.geometry
    }

    fn redraw(&mut self) {
        let device = self.weight.val().device();
        let (w, b) = self.geometry.initial::<3>(&device);
        let _ = self.weight.set_value(w.into(), "Conv1d.weight");
        if let Some(p) = &mut self.bias {
            let _ = p.set_value(b.into(), "Conv1d.bias");
        }
    }
}

crate::module_view!(Conv1d {
    class: "Conv1d",
    shape: |s| vec![s.geometry.size_in(), s.geometry.size_out()],
    parameters: { weight: Weights, bias: Biases },
    simulation_parameters: {},
    state: {},
    submodules: {},
    reset_parameters: redraw,
});

impl Evolve for Conv1d {
    fn evolve_with(&self, input: Tensor<3>, _state: StateTree, _record: bool) -> Result<Evolution> {
        let g = &self.geometry;
        let input = auto_batch(input, g.size_in(), "Conv1d")?;
        if let Some(ev) = crate::module::empty_evolution(&input, g.size_out(), &Tree::new()) {
            return Ok(ev);
        }
        let [b, t, _] = input.dims();
        let x = input.reshape([b * t, g.channels_in, g.input[0]]);
        let y = burn::tensor::module::conv1d(
            x,
            self.weight.val(),
            self.bias.as_ref().map(|p| p.val()),
            g.options(),
        );
        Ok(Evolution {
            output: y.reshape([b, t, g.size_out()]),
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
    fn a_conv2d_step_is_the_cross_correlation_of_each_frame() {
        let dev = device();
        // One input channel 3×3, one output channel, a 2×2 kernel, no padding: 2×2 output.
        let g = Conv2dConfig::new(1, 1, [3, 3], 2).geometry().unwrap();
        let w = Tensor::<4>::from_data(
            TensorData::new(vec![1.0f32, 2.0, 3.0, 4.0], [1, 1, 2, 2]),
            &dev,
        );
        let b = Tensor::<1>::from_floats([0.5], &dev);
        let mut conv = Conv2d::from_weights(g, w, Some(b)).unwrap();
        // Two time steps: the frame 1..9 (row-major), then all ones.
        let mut frames: Vec<f32> = (1..=9).map(|v| v as f32).collect();
        frames.extend([1.0; 9]);
        let x = Tensor::<2>::from_data(TensorData::new(frames, [2, 9]), &dev);
        let ev = conv.evolve(x, false).unwrap();
        // out(0,0) = 1·1 + 2·2 + 3·4 + 4·5 + 0.5 = 37.5; (0,1) = 2+6+15+24 = 47.5 …
        close(
            &vec3(&ev.output),
            &[37.5, 47.5, 67.5, 77.5, 10.5, 10.5, 10.5, 10.5],
            1e-5,
        );
        assert_eq!(conv.describe(), "Conv2d with shape (9, 4)");
    }

    #[test]
    fn output_sizes_follow_stride_padding_and_dilation() {
        let c = Conv2dConfig {
            channels_in: 2,
            channels_out: 4,
            input_shape: [34, 34],
            kernel_size: Pair::One(5),
            stride: Pair::One(2),
            padding: Padding::Size(Pair::Two([1, 2])),
            dilation: Pair::One(1),
            groups: 2,
            has_bias: false,
        };
        let g = c.geometry().unwrap();
        // ⌊(34 + 2 − 4 − 1)/2⌋ + 1 = 16; ⌊(34 + 4 − 4 − 1)/2⌋ + 1 = 17.
        assert_eq!(g.output(), [16, 17]);
        assert_eq!((g.size_in(), g.size_out()), (2 * 34 * 34, 4 * 16 * 17));
        let same = Conv2dConfig::new(3, 3, [7, 9], 3)
            .with_padding(Padding::Named(PaddingName::Same))
            .geometry()
            .unwrap();
        assert_eq!(same.output(), [7, 9]);
        let strided_same = Conv2dConfig::new(3, 3, [7, 9], 3)
            .with_stride(2)
            .with_padding(Padding::Named(PaddingName::Same));
        assert!(
            strided_same
                .geometry()
                .unwrap_err()
                .to_string()
                .contains("stride 1")
        );
        let bad_groups = Conv2dConfig {
            groups: 3,
            ..c.clone()
        };
        assert!(
            bad_groups
                .geometry()
                .unwrap_err()
                .to_string()
                .contains("groups")
        );
    }

    #[test]
    fn conv1d_convolves_each_channel_row() {
        let dev = device();
        let mut conv = Conv1dConfig::new(1, 1, 4, 2).init(&dev).unwrap();
        let w = Tensor::<3>::from_data(TensorData::new(vec![1.0f32, -1.0], [1, 1, 2]), &dev);
        conv.weight = Param::from_tensor(w);
        conv.bias = None;
        let x = Tensor::<2>::from_floats([[1.0, 3.0, 6.0, 10.0]], &dev);
        let ev = conv.evolve(x, false).unwrap();
        close(&vec3(&ev.output), &[-2.0, -3.0, -4.0], 1e-6);
    }

    #[test]
    fn toml_takes_scalars_pairs_and_named_padding() {
        let c: Conv2dConfig = toml::from_str(
            "channels_in = 2\nchannels_out = 8\ninput_shape = [34, 34]\nkernel_size = [3, 5]\npadding = \"same\"\n",
        )
        .unwrap();
        assert_eq!(c.kernel_size.get(), [3, 5]);
        assert_eq!(c.padding, Padding::Named(PaddingName::Same));
        assert!(c.has_bias);
        let err = toml::from_str::<Conv2dConfig>(
            "channels_in = 2\nchannels_out = 8\ninput_shape = [3, 3]\nkernel_size = 3\nkernal = 1\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("kernal"), "{err}");
    }
}
