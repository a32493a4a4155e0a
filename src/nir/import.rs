//! NIR graph → network (see the [module docs](super)).

use burn::tensor::{Device, Tensor, TensorData};
use ndarray::{Array2, ArrayD};
use rockpool_nir::{Array, NirGraph, Node};

use super::chain::{Mark, Step, chain};
use super::{Source, cuba_gain, err, import_dt, vec64};
use crate::error::{Error, Result};
use crate::nn::{
    Conv1dConfig, Conv2dConfig, DelayConfig, ExpSynConfig, FlattenConfig, Layer, LifConfig,
    LifNeuronConfig, LifOutput, Linear, Padding, PaddingName, Pair, PerNeuron, Pool2dConfig,
    PoolMode, Sequential,
};

/// Weights waiting for the next neuron: a name, `[in, out]` and an optional bias.
type Pending = (String, Array2<f64>, Option<Vec<f64>>);

/// The shape of what flows along the chain: channels and, for frames, the spatial size.
#[derive(Clone, Debug, PartialEq)]
enum Flow {
    /// Plain channels.
    Flat(usize),
    /// `[C, L]`.
    D1(usize, usize),
    /// `[C, H, W]`.
    D2(usize, usize, usize),
}

impl Flow {
    fn width(&self) -> usize {
        match *self {
            Flow::Flat(n) => n,
            Flow::D1(c, l) => c * l,
            Flow::D2(c, h, w) => c * h * w,
        }
    }

    fn from_shape(shape: &[usize]) -> Flow {
        match shape {
            [c, l] => Flow::D1(*c, *l),
            [c, h, w] => Flow::D2(*c, *h, *w),
            s => Flow::Flat(s.iter().product::<usize>().max(1)),
        }
    }
}

/// Imports `graph` as a network on `device` (see the [module docs](super)).
///
/// # Errors
/// [`Error::Value`] naming the node and field for anything outside the supported chain.
pub fn import(
    graph: &NirGraph,
    source: Source,
    dt: Option<f64>,
    device: &Device,
) -> Result<Sequential<Layer>> {
    let dt = import_dt(graph, source, dt)?;
    let chain = chain(graph)?;
    let mut seq: Sequential<Layer> = Sequential::new();
    let mut flow: Option<Flow> = None;
    // The weights waiting for the next neuron: [in, out] and an optional bias.
    let mut pending: Option<Pending> = None;
    let flush = |seq: &mut Sequential<Layer>, pending: &mut Option<Pending>| -> Result<()> {
        if let Some((name, w, b)) = pending.take() {
            seq.append(
                Layer::from(linear(&w, b.as_deref(), device)),
                Some(module_name(&name)),
            )?;
        }
        Ok(())
    };
    // Outer chains waiting while a residual block is built, with their names.
    let mut outer: Vec<(Sequential<Layer>, String)> = Vec::new();
    for step in &chain {
        let name = step.name.as_str();
        match step.mark {
            Mark::ResidualStart => {
                flush(&mut seq, &mut pending)?;
                let block_name = name.split('.').next().unwrap_or(name);
                let block_name = if block_name == name {
                    "residual"
                } else {
                    block_name
                };
                outer.push((
                    std::mem::replace(&mut seq, Sequential::new()),
                    module_name(block_name),
                ));
                continue;
            }
            Mark::ResidualEnd => {
                flush(&mut seq, &mut pending)?;
                let (mut up, block_name) = outer.pop().expect("a residual start before its end");
                let block = std::mem::replace(&mut seq, Sequential::new());
                up.append(
                    Layer::from(crate::nn::Residual::new(block)?),
                    Some(block_name),
                )?;
                seq = up;
                continue;
            }
            Mark::Node => {}
        }
        match step.node {
            Node::Input { shape } => flow = Some(Flow::from_shape(shape)),
            Node::Output { .. } => {}
            Node::Affine(a) => {
                flush(&mut seq, &mut pending)?;
                let w = weight_in_out(&a.weight, name)?;
                flow = Some(Flow::Flat(w.ncols()));
                pending = Some((name.into(), w, Some(vec64(&a.bias))));
            }
            Node::Linear(l) => {
                flush(&mut seq, &mut pending)?;
                let w = weight_in_out(&l.weight, name)?;
                flow = Some(Flow::Flat(w.ncols()));
                pending = Some((name.into(), w, None));
            }
            Node::Scale(s) => {
                flush(&mut seq, &mut pending)?;
                let s = vec64(&s.scale);
                let w = Array2::from_diag(&ndarray::Array1::from(s));
                flow = Some(Flow::Flat(w.ncols()));
                pending = Some((name.into(), w, None));
            }
            Node::CubaLif(_) | Node::CubaLi(_) | Node::Lif(_) | Node::If(_) | Node::Li(_) => {
                let n = neuron(step, dt, &mut pending, flow.as_ref(), device, &mut seq)?;
                // Neurons act element-wise: frames stay frames (a Conv2d – IF – pool chain).
                if flow.as_ref().is_none_or(|f| f.width() != n) {
                    flow = Some(Flow::Flat(n));
                }
            }
            Node::Delay(d) => {
                flush(&mut seq, &mut pending)?;
                let taus = vec64(&d.delay);
                let tau = taus.first().copied().unwrap_or(0.0);
                if taus.iter().any(|t| (t - tau).abs() > 1e-12) {
                    return Err(err(
                        name,
                        "delays differ between channels; one delay for all is supported",
                    ));
                }
                let n = flow.as_ref().map_or(taus.len(), Flow::width);
                let steps = (tau / dt).round().max(0.0) as usize;
                seq.append(
                    Layer::from(DelayConfig { n, steps }.init()?),
                    Some(name.into()),
                )?;
            }
            Node::Flatten(_) => {
                flush(&mut seq, &mut pending)?;
                let n = flow
                    .as_ref()
                    .map(Flow::width)
                    .ok_or_else(|| err(name, "the input shape is unknown"))?;
                seq.append(
                    Layer::from(FlattenConfig { n }.init()?),
                    Some(module_name(name)),
                )?;
                flow = Some(Flow::Flat(n));
            }
            Node::Conv2d(c) => {
                flush(&mut seq, &mut pending)?;
                let w = c.weight.to_f32();
                let shape = w.shape().to_vec();
                let input = match (c.input_shape, &flow) {
                    (Some(s), _) => s,
                    (None, Some(Flow::D2(_, h, w))) => [*h, *w],
                    _ => return Err(err(name, "input_shape is missing and cannot be inferred")),
                };
                let cfg = Conv2dConfig {
                    channels_in: shape[1] * c.groups,
                    channels_out: shape[0],
                    input_shape: input,
                    kernel_size: Pair::Two([shape[2], shape[3]]),
                    stride: Pair::Two(c.stride),
                    padding: match c.padding {
                        rockpool_nir::Padding::Same => Padding::Named(PaddingName::Same),
                        rockpool_nir::Padding::Valid => Padding::Named(PaddingName::Valid),
                        rockpool_nir::Padding::Explicit(p) => Padding::Size(Pair::Two(p)),
                    },
                    dilation: Pair::Two(c.dilation),
                    groups: c.groups,
                    has_bias: true,
                };
                let g = cfg.geometry()?;
                let weight = tensor4(&w, device);
                let bias = Tensor::<1>::from_data(
                    TensorData::new(
                        c.bias.to_f32().iter().copied().collect::<Vec<_>>(),
                        [shape[0]],
                    ),
                    device,
                );
                let conv = crate::nn::Conv2d::from_weights(g, weight, Some(bias))?;
                let [h, wo] = g.output();
                flow = Some(Flow::D2(shape[0], h, wo));
                seq.append(Layer::from(conv), Some(module_name(name)))?;
            }
            Node::Conv1d(c) => {
                flush(&mut seq, &mut pending)?;
                let w = c.weight.to_f32();
                let shape = w.shape().to_vec();
                let length = match (c.input_shape, &flow) {
                    (Some(l), _) => l,
                    (None, Some(Flow::D1(_, l))) => *l,
                    _ => return Err(err(name, "input_shape is missing and cannot be inferred")),
                };
                let cfg = Conv1dConfig {
                    channels_in: shape[1] * c.groups,
                    channels_out: shape[0],
                    input_length: length,
                    kernel_size: shape[2],
                    stride: c.stride,
                    padding: match c.padding {
                        rockpool_nir::Padding::Same => Padding::Named(PaddingName::Same),
                        rockpool_nir::Padding::Valid => Padding::Named(PaddingName::Valid),
                        rockpool_nir::Padding::Explicit(p) => Padding::Size(Pair::One(p)),
                    },
                    dilation: c.dilation,
                    groups: c.groups,
                    has_bias: true,
                };
                let mut conv = cfg.init(device)?;
                conv.weight = burn::module::Param::from_tensor(Tensor::<3>::from_data(
                    TensorData::new(
                        w.iter().copied().collect::<Vec<_>>(),
                        [shape[0], shape[1], shape[2]],
                    ),
                    device,
                ));
                conv.bias = Some(burn::module::Param::from_tensor(Tensor::<1>::from_data(
                    TensorData::new(
                        c.bias.to_f32().iter().copied().collect::<Vec<_>>(),
                        [shape[0]],
                    ),
                    device,
                )));
                let out = conv.geometry().output()[0];
                flow = Some(Flow::D1(shape[0], out));
                seq.append(Layer::from(conv), Some(module_name(name)))?;
            }
            Node::SumPool2d(p) | Node::AvgPool2d(p) => {
                flush(&mut seq, &mut pending)?;
                let Some(Flow::D2(c, h, w)) = flow else {
                    return Err(err(
                        name,
                        "pooling needs [C, H, W] frames before it (a Conv2d or a 3-D Input)",
                    ));
                };
                let mode = if matches!(step.node, Node::SumPool2d(_)) {
                    PoolMode::Sum
                } else {
                    PoolMode::Avg
                };
                let pool = Pool2dConfig {
                    channels: c,
                    input_shape: [h, w],
                    kernel_size: Pair::Two(p.kernel_size),
                    stride: Some(Pair::Two(p.stride)),
                    padding: Pair::Two(p.padding),
                }
                .init(mode)?;
                let [ho, wo] = pool.output_shape();
                flow = Some(Flow::D2(c, ho, wo));
                seq.append(Layer::from(pool), Some(module_name(name)))?;
            }
            Node::I(_) | Node::Threshold(_) => {
                return Err(err(
                    name,
                    format!("{} has no rockpool counterpart yet", step.node.type_name()),
                ));
            }
            Node::Graph(_) => {
                return Err(err(
                    name,
                    "nested graphs are flattened before import; this one was left",
                ));
            }
        }
    }
    flush(&mut seq, &mut pending)?;
    if seq.names().is_empty() {
        return Err(Error::value(
            "NIR graph",
            "holds no module between its Input and Output",
        ));
    }
    Ok(seq)
}

fn tensor4(w: &ArrayD<f32>, device: &Device) -> Tensor<4> {
    let s = w.shape();
    Tensor::from_data(
        TensorData::new(
            w.iter().copied().collect::<Vec<_>>(),
            [s[0], s[1], s[2], s[3]],
        ),
        device,
    )
}

/// A NIR node name as a module name (dots, which separate our paths, become `_`).
fn module_name(name: &str) -> String {
    name.replace('.', "_")
}

/// A NIR weight `[out, in]` as ours `[in, out]`.
fn weight_in_out(w: &Array, name: &str) -> Result<Array2<f64>> {
    let w = w.to_f64();
    if w.ndim() != 2 {
        return Err(err(
            name,
            format!(
                "weight has shape {:?}; a 2-D [out, in] matrix is supported",
                w.shape()
            ),
        ));
    }
    let w: Array2<f64> = w.into_dimensionality().map_err(|e| err(name, e))?;
    Ok(w.reversed_axes().to_owned())
}

fn linear(w: &Array2<f64>, b: Option<&[f64]>, device: &Device) -> Linear {
    let (i, o) = w.dim();
    let data: Vec<f32> = w.iter().map(|v| *v as f32).collect();
    let weight = Tensor::<2>::from_data(TensorData::new(data, [i, o]), device);
    let bias = b.map(|b| {
        Tensor::<1>::from_data(
            TensorData::new(b.iter().map(|v| *v as f32).collect::<Vec<_>>(), [o]),
            device,
        )
    });
    Linear::from_weights(weight, bias)
}

/// Builds a neuron layer (and the weights before it, with the gain folded in).
fn neuron(
    step: &Step<'_>,
    dt: f64,
    pending: &mut Option<Pending>,
    flow: Option<&Flow>,
    device: &Device,
    seq: &mut Sequential<Layer>,
) -> Result<usize> {
    let name = step.name.as_str();
    let check_reset = |v_reset: &Array| -> Result<()> {
        if vec64(v_reset).iter().any(|v| *v != 0.0) {
            return Err(err(
                name,
                "v_reset ≠ 0: rockpool's neurons reset by subtracting the threshold (see the module docs)",
            ));
        }
        Ok(())
    };
    let (n, gain, layer): (usize, Vec<f64>, Layer) = match step.node {
        Node::CubaLif(c) => {
            check_reset(&c.v_reset)?;
            let p = [&c.tau_syn, &c.tau_mem, &c.r, &c.w_in, &c.v_leak];
            let (n, gain, mut cfg) = cuba(p, dt);
            cfg.threshold = PerNeuron::Vector(vec64(&c.v_threshold));
            cfg.max_spikes_per_dt = 1.0;
            cfg.has_rec = step.recurrent.is_some();
            (n, gain, Layer::from(cfg.init(device)?))
        }
        Node::CubaLi(c) => {
            let (n, gain, mut cfg) = cuba([&c.tau_syn, &c.tau_mem, &c.r, &c.w_in, &c.v_leak], dt);
            cfg.threshold = PerNeuron::Scalar(f64::from(i16::MAX));
            cfg.output = LifOutput::Vmem;
            (n, gain, Layer::from(cfg.init(device)?))
        }
        Node::Lif(l) => {
            check_reset(&l.v_reset)?;
            let (tau, r, vl) = (vec64(&l.tau), vec64(&l.r), vec64(&l.v_leak));
            let n = tau.len();
            let gain = (0..n)
                .map(|j| (-dt / tau[j]).exp() * r[j] / tau[j])
                .collect();
            let bias = (0..n)
                .map(|j| (1.0 - (-dt / tau[j]).exp()) * vl[j])
                .collect();
            let cfg = LifNeuronConfig {
                tau_mem: PerNeuron::Vector(tau),
                bias: PerNeuron::Vector(bias),
                threshold: PerNeuron::Vector(vec64(&l.v_threshold)),
                max_spikes_per_dt: 1.0,
                dt,
                ..LifNeuronConfig::new(n)
            };
            (n, gain, Layer::from(cfg.init(device)?))
        }
        Node::If(f) => {
            check_reset(&f.v_reset)?;
            let r = vec64(&f.r);
            let n = r.len();
            let cfg = LifNeuronConfig {
                tau_mem: PerNeuron::Scalar(1e30),
                threshold: PerNeuron::Vector(vec64(&f.v_threshold)),
                max_spikes_per_dt: 1.0,
                dt,
                ..LifNeuronConfig::new(n)
            };
            (n, r, Layer::from(cfg.init(device)?))
        }
        Node::Li(l) => {
            let (tau, r, vl) = (vec64(&l.tau), vec64(&l.r), vec64(&l.v_leak));
            if vl.iter().any(|v| *v != 0.0) {
                return Err(err(name, "v_leak ≠ 0 in an LI node: ExpSyn has no bias"));
            }
            let n = tau.len();
            let gain = (0..n).map(|j| r[j] / tau[j]).collect();
            let cfg = ExpSynConfig {
                tau: PerNeuron::Vector(tau),
                dt,
                ..ExpSynConfig::new(n)
            };
            (n, gain, Layer::from(cfg.init(device)?))
        }
        _ => unreachable!("neuron() is called for neurons"),
    };
    if gain.len() != n || gain.iter().any(|g| !g.is_finite()) {
        return Err(err(
            name,
            format!("its parameters give a non-finite input gain at dt = {dt} s"),
        ));
    }
    // Fold the gain into the weights before the neuron (or a diagonal layer).
    let unit = |g: f64| (g - 1.0).abs() < 1e-12;
    let recurrent_bias = matches!(&step.recurrent, Some((Node::Affine(_), _)));
    let (wname, mut w, mut b) = match pending.take() {
        Some(p) => p,
        None => {
            let width = flow.map(Flow::width).unwrap_or(n);
            if width != n {
                return Err(err(
                    name,
                    format!("{n} neurons after {width} channels, with no weights between"),
                ));
            }
            if gain.iter().all(|g| unit(*g)) && !recurrent_bias {
                // Nothing to fold (e.g. IF neurons with R = 1 after a convolution).
                return finish(layer, step, &gain, n, name, device, seq);
            }
            if n > 4096 {
                return Err(err(
                    name,
                    format!(
                        "its input gain (R and time constants) is not 1 and there is no weight \
                         layer before its {n} neurons to fold it into"
                    ),
                ));
            }
            (format!("{name}_gain"), Array2::eye(n), None)
        }
    };
    if w.ncols() != n {
        return Err(err(
            name,
            format!("{n} neurons after a weight layer of {} outputs", w.ncols()),
        ));
    }
    // The recurrent cycle's bias enters with the forward input.
    if let Some((Node::Affine(a), _)) = &step.recurrent {
        let rb = vec64(&a.bias);
        let b = b.get_or_insert_with(|| vec![0.0; n]);
        for j in 0..n {
            b[j] += rb[j];
        }
    }
    // A gain of 1 (what our own export writes) leaves the weights as they are, bit for bit.
    for j in (0..n).filter(|&j| !unit(gain[j])) {
        w.column_mut(j).mapv_inplace(|v| v * gain[j]);
        if let Some(b) = &mut b {
            b[j] *= gain[j];
        }
    }
    seq.append(
        Layer::from(linear(&w, b.as_deref(), device)),
        Some(module_name(&wname)),
    )?;
    finish(layer, step, &gain, n, name, device, seq)
}

/// A CubaLIF/CubaLI's `(n, gains, config)` from its `[tau_syn, tau_mem, r, w_in, v_leak]`
/// (threshold, spikes and recurrence are the caller's).
fn cuba(p: [&Array; 5], dt: f64) -> (usize, Vec<f64>, LifConfig) {
    let [ts, tm, r, w_in, vl] = p.map(vec64);
    let n = tm.len();
    let gain = cuba_gain(&ts, &tm, &r, &w_in, dt);
    let bias = (0..n)
        .map(|j| (1.0 - (-dt / tm[j]).exp()) * vl[j])
        .collect();
    let cfg = LifConfig {
        tau_mem: PerNeuron::Vector(tm),
        tau_syn: PerNeuron::Vector(ts),
        bias: PerNeuron::Vector(bias),
        dt,
        ..LifConfig::new(n)
    };
    (n, gain, cfg)
}

/// Appends the neuron layer, with its recurrent weights (gain folded in) if it has a cycle.
fn finish(
    layer: Layer,
    step: &Step<'_>,
    gain: &[f64],
    n: usize,
    name: &str,
    device: &Device,
    seq: &mut Sequential<Layer>,
) -> Result<usize> {
    // The recurrent weights need the gain too: rebuild the layer with them.
    let layer = match (layer, &step.recurrent) {
        (Layer::Lif(mut lif), Some((rec, rname))) => {
            let wr = match rec {
                Node::Affine(a) => weight_in_out(&a.weight, rname)?,
                Node::Linear(l) => weight_in_out(&l.weight, rname)?,
                _ => unreachable!(),
            };
            if wr.dim() != (n, n) {
                return Err(err(
                    rname,
                    format!("recurrent weights of shape {:?} for {n} neurons", wr.dim()),
                ));
            }
            let mut wr = wr;
            for j in (0..n).filter(|&j| (gain[j] - 1.0).abs() >= 1e-12) {
                wr.column_mut(j).mapv_inplace(|v| v * gain[j]);
            }
            let data: Vec<f32> = wr.iter().map(|v| *v as f32).collect();
            let t = Tensor::<2>::from_data(TensorData::new(data, [n, n]), device);
            lif.w_rec = Some(burn::module::Param::from_tensor(t));
            Layer::Lif(lif)
        }
        (layer, _) => layer,
    };
    seq.append(layer, Some(module_name(name)))?;
    Ok(n)
}
