//! Network → NIR graph (see the [module docs](super)).

use burn::tensor::Tensor;
use ndarray::Array2;
use rockpool_nir::{Array, NirGraph, Node};

use super::cuba_gain;
use crate::error::{Error, Result};
use crate::module::ModuleView;
use crate::nn::{Layer, Sequential};

/// The graph of `net` (see the [module docs](super)), `dt` stored in its metadata. The `Input`
/// node takes the first layer's frame shape (`[C, H, W]` before a `Conv2d`, `[C, L]` before a
/// `Conv1d`), else `[input_size]`; neuron parameters take the shape of the frames they act on.
///
/// # Errors
/// [`Error::Value`] naming a module that has no NIR form, with the reason.
pub fn export(net: &Sequential<Layer>, input_size: usize) -> Result<NirGraph> {
    let shape = match net.iter().next() {
        Some((_, Layer::Conv2d(c))) => {
            let g = c.geometry();
            vec![g.channels_in, g.input[0], g.input[1]]
        }
        Some((_, Layer::Conv1d(c))) => {
            let g = c.geometry();
            vec![g.channels_in, g.input[0]]
        }
        _ => vec![input_size],
    };
    let mut e = Emit {
        g: NirGraph::new().with_node(
            "input",
            Node::Input {
                shape: shape.clone(),
            },
        ),
        prev: vec!["input".into()],
        dt: None,
        shape,
    };
    e.chain(net, "")?;
    let Emit {
        mut g,
        prev,
        dt,
        shape,
    } = e;
    g = g.with_node("output", Node::Output { shape });
    for p in prev {
        g = g.with_edge(p, "output");
    }
    if let Some(dt) = dt {
        g.metadata.insert("dt".into(), dt.into());
    }
    g.check()
        .map_err(|e| Error::value("NIR export", e.to_string()))?;
    Ok(g)
}

/// The graph being written: the nodes feeding the next one (several after a residual block:
/// NIR sums what arrives at a node), the time step seen, the shape flowing on.
struct Emit {
    g: NirGraph,
    prev: Vec<String>,
    dt: Option<f64>,
    shape: Vec<usize>,
}

impl Emit {
    fn chain(&mut self, net: &Sequential<Layer>, prefix: &str) -> Result<()> {
        for (name, m) in net.iter() {
            let full = if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}.{name}")
            };
            if let Layer::Sequential(inner) = m {
                self.chain(inner, &full)?;
                continue;
            }
            // Dropout is the identity outside training: nothing to write.
            if matches!(m, Layer::Dropout(_)) {
                continue;
            }
            // A residual block: its input reaches the node after it too (NIR adds the inputs
            // arriving at a node), so y = block(x) + x.
            if let Layer::Residual(r) = m {
                let (skip, shape) = (self.prev.clone(), self.shape.clone());
                self.chain(r.block(), &full)?;
                if self.shape.iter().product::<usize>() != shape.iter().product::<usize>() {
                    return Err(Error::value(
                        format!("Residual '{full}'"),
                        "its block changes the width",
                    ));
                }
                self.prev.extend(skip);
                continue;
            }
            let nodes = export_layer(&full, m, &mut self.dt, &mut self.shape)?;
            for (i, (n, node)) in nodes.iter().enumerate() {
                self.g = std::mem::take(&mut self.g).with_node(n.clone(), node.clone());
                if i == 0 {
                    for p in &self.prev {
                        self.g = std::mem::take(&mut self.g).with_edge(p.clone(), n.clone());
                    }
                }
            }
            if let Some((main, _)) = nodes.first() {
                if let Some((rec, _)) = nodes.get(1) {
                    self.g = std::mem::take(&mut self.g)
                        .with_edge(main.clone(), rec.clone())
                        .with_edge(rec.clone(), main.clone());
                }
                self.prev = vec![main.clone()];
            }
        }
        Ok(())
    }
}

fn arr(v: Vec<f64>) -> Array {
    Array::F64(ndarray::Array1::from(v).into_dyn())
}

/// Per-neuron values in the shape of the frames they act on (flat when the sizes differ).
fn shaped(v: Vec<f64>, shape: &[usize]) -> Array {
    if shape.len() > 1
        && shape.iter().product::<usize>() == v.len()
        && let Ok(a) = ndarray::ArrayD::from_shape_vec(shape.to_vec(), v.clone())
    {
        return Array::F64(a);
    }
    arr(v)
}

fn host<const D: usize>(t: Tensor<D>) -> Vec<f64> {
    t.into_data()
        .convert::<f64>()
        .try_to_vec::<f64>()
        .unwrap_or_default()
}

fn export_layer(
    name: &str,
    m: &Layer,
    dt_out: &mut Option<f64>,
    shape: &mut Vec<usize>,
) -> Result<Vec<(String, Node)>> {
    let bad = |what: &str| {
        Error::value(
            format!("{} '{name}'", m.class_name()),
            format!("has no NIR form: {what}"),
        )
    };
    Ok(match m {
        Layer::Linear(l) => {
            let w = l.weight.val();
            let [i, o] = w.dims();
            let wt = Array2::from_shape_vec((i, o), host(w))
                .map_err(|e| bad(&e.to_string()))?
                .reversed_axes();
            let weight = Array::F32(wt.mapv(|v| v as f32).into_dyn());
            *shape = vec![o];
            match &l.bias {
                Some(b) => vec![(
                    name.into(),
                    Node::Affine(rockpool_nir::Affine {
                        weight,
                        bias: arr(host(b.val())),
                    }),
                )],
                None => vec![(name.into(), Node::Linear(rockpool_nir::Linear { weight }))],
            }
        }
        Layer::Lif(l) => {
            let d = l.dynamics();
            let n = l.n();
            if l.n_syn() != 1 {
                return Err(bad("several synapses per neuron"));
            }
            let dt = l.dt;
            *dt_out = Some(dt);
            let (leak_m, leak_s) = (host(d.leak_mem.clone()), host(d.leak_syn.clone()));
            // The stored time constants (f32) when the layer keeps them, so that an import
            // rebuilds the same f32 values; else from the leaks.
            let taus = match (&l.tau_mem, &l.tau_syn) {
                (Some(m), Some(s)) => Some((host(m.val()), host(s.val()))),
                _ => None,
            };
            let (bias, th) = (host(d.bias.clone()), host(d.threshold.clone()));
            let (mut tm, mut ts, mut r, mut vl) = (vec![], vec![], vec![], vec![]);
            for j in 0..n {
                let (a, b) = (1.0 - leak_m[j], 1.0 - leak_s[j]);
                if !(a > 0.0 && a < 1.0 && b > 0.0 && b < 1.0) {
                    return Err(bad("a neuron without leak (no finite time constant)"));
                }
                let (m, s) = match &taus {
                    Some((m, s)) => (m[j], s[j]),
                    None => (-dt / a.ln(), -dt / b.ln()),
                };
                // R such that the import gain g = R·k is 1: the weights stay as they are.
                r.push(1.0 / cuba_gain(&[s], &[m], &[1.0], &[1.0], dt)[0]);
                vl.push(bias[j] / (1.0 - a));
                tm.push(m);
                ts.push(s);
            }
            let sh = shape.clone();
            let node = Node::CubaLif(rockpool_nir::CubaLif {
                tau_syn: shaped(ts, &sh),
                tau_mem: shaped(tm, &sh),
                r: shaped(r, &sh),
                v_leak: shaped(vl, &sh),
                v_threshold: shaped(th, &sh),
                v_reset: shaped(vec![0.0; n], &sh),
                w_in: shaped(vec![1.0; n], &sh),
            });
            let mut out = vec![(name.to_string(), node)];
            if let Some(w) = &d.w_rec {
                let wr = Array2::from_shape_vec((n, n), host(w.clone()))
                    .map_err(|e| bad(&e.to_string()))?;
                let weight = Array::F32(wr.reversed_axes().mapv(|v| v as f32).into_dyn());
                out.push((
                    format!("{name}.w_rec"),
                    Node::Linear(rockpool_nir::Linear { weight }),
                ));
            }
            out
        }
        Layer::LifNeuron(l) => {
            let dt = l.dt;
            *dt_out = Some(dt);
            let (tau, bias, th) = (
                host(l.tau_mem.val()),
                host(l.bias.val()),
                host(l.threshold.val()),
            );
            let n = tau.len();
            let (mut r, mut vl) = (vec![], vec![]);
            for j in 0..n {
                let a = (-dt / tau[j]).exp();
                // Import gain g = α·R/τ = 1.
                r.push(tau[j] / a);
                vl.push(bias[j] / (1.0 - a));
            }
            let sh = shape.clone();
            vec![(
                name.into(),
                Node::Lif(rockpool_nir::Lif {
                    tau: shaped(tau, &sh),
                    r: shaped(r, &sh),
                    v_leak: shaped(vl, &sh),
                    v_threshold: shaped(th, &sh),
                    v_reset: shaped(vec![0.0; n], &sh),
                }),
            )]
        }
        Layer::ExpSyn(e) => {
            *dt_out = Some(e.dt);
            let tau = host(e.tau.val());
            let n = tau.len();
            let sh = shape.clone();
            // Import gain g = R/τ = 1.
            vec![(
                name.into(),
                Node::Li(rockpool_nir::LeakyIntegrator {
                    r: shaped(tau.clone(), &sh),
                    tau: shaped(tau, &sh),
                    v_leak: shaped(vec![0.0; n], &sh),
                }),
            )]
        }
        Layer::Delay(d) => {
            let dt = dt_out.unwrap_or(crate::nn::defaults::DT);
            vec![(
                name.into(),
                Node::Delay(rockpool_nir::Delay {
                    delay: shaped(vec![d.steps as f64 * dt; d.n], shape),
                }),
            )]
        }
        Layer::Flatten(f) => {
            let node = Node::Flatten(rockpool_nir::Flatten {
                input_type: Some(shape.clone()),
                start_dim: 0,
                end_dim: -1,
            });
            *shape = vec![f.n];
            vec![(name.into(), node)]
        }
        Layer::Conv2d(c) => {
            let g = *c.geometry();
            let w = c.weight.val();
            let dims = w.dims();
            let weight = ndarray::ArrayD::from_shape_vec(dims.to_vec(), host(w))
                .map_err(|e| bad(&e.to_string()))?;
            let bias = c
                .bias
                .as_ref()
                .map_or(vec![0.0; g.channels_out], |b| host(b.val()));
            let padding = if g.padding.iter().all(|(a, b)| a == b) {
                rockpool_nir::Padding::Explicit([g.padding[0].0, g.padding[1].0])
            } else {
                rockpool_nir::Padding::Same
            };
            let [h, wo] = g.output();
            *shape = vec![g.channels_out, h, wo];
            vec![(
                name.into(),
                Node::Conv2d(rockpool_nir::Conv2d {
                    weight: Array::F32(weight.mapv(|v| v as f32)),
                    stride: g.stride,
                    padding,
                    dilation: g.dilation,
                    groups: g.groups,
                    bias: arr(bias),
                    input_shape: Some(g.input),
                }),
            )]
        }
        Layer::Conv1d(c) => {
            let g = *c.geometry();
            let w = c.weight.val();
            let dims = w.dims();
            let weight = ndarray::ArrayD::from_shape_vec(dims.to_vec(), host(w))
                .map_err(|e| bad(&e.to_string()))?;
            let bias = c
                .bias
                .as_ref()
                .map_or(vec![0.0; g.channels_out], |b| host(b.val()));
            let padding = if g.padding[0].0 == g.padding[0].1 {
                rockpool_nir::Padding::Explicit(g.padding[0].0)
            } else {
                rockpool_nir::Padding::Same
            };
            *shape = vec![g.channels_out, g.output()[0]];
            vec![(
                name.into(),
                Node::Conv1d(rockpool_nir::Conv1d {
                    weight: Array::F32(weight.mapv(|v| v as f32)),
                    stride: g.stride[0],
                    padding,
                    dilation: g.dilation[0],
                    groups: g.groups,
                    bias: arr(bias),
                    input_shape: Some(g.input[0]),
                }),
            )]
        }
        Layer::Pool2d(p) => {
            let cfg = p.config();
            let pool = rockpool_nir::Pool2d {
                kernel_size: cfg.kernel_size.get(),
                stride: cfg.stride.unwrap_or(cfg.kernel_size).get(),
                padding: cfg.padding.get(),
            };
            let [h, w] = p.output_shape();
            *shape = vec![p.channels, h, w];
            let node = match p.mode() {
                crate::nn::PoolMode::Sum => Node::SumPool2d(pool),
                crate::nn::PoolMode::Avg => Node::AvgPool2d(pool),
            };
            vec![(name.into(), node)]
        }
        Layer::Rate(_) => return Err(bad("NIR has no rate neuron (a non-spiking tanh/ReLU unit)")),
        Layer::ALif(_) => {
            return Err(bad(
                "NIR has no adaptive LIF (after-hyperpolarisation current)",
            ));
        }
        Layer::Instant(_) => return Err(bad("NIR has no element-wise function node")),
        Layer::XyloSim(_) => {
            return Err(bad(
                "a deployed chip configuration is integer and fixed; export the network it came from",
            ));
        }
        Layer::FrontEnd(_) => {
            return Err(bad(
                "NIR has no node for a Xylo front end; export the network after it",
            ));
        }
        Layer::WaveSenseNet(_) => {
            return Err(bad(
                "no NIR node for a WaveSenseNet yet (its skip sums and residuals have no export)",
            ));
        }
        Layer::Sequential(_) | Layer::Dropout(_) | Layer::Residual(_) => {
            unreachable!("handled by the caller")
        }
    })
}
