//! Network → NIR graph (see the [module docs](super)).

use burn::tensor::Tensor;
use ndarray::Array2;
use rockpool_nir::{Array, NirGraph, Node};

use super::cuba_gain;
use crate::error::{Error, Result};
use crate::module::{ModuleExt, ModuleView};
use crate::nn::{Layer, Sequential};

/// The graph of `net` (see the [module docs](self)), `dt` stored in its metadata.
///
/// # Errors
/// [`Error::Value`] naming a module that has no NIR form.
pub fn export(net: &Sequential<Layer>, input_size: usize) -> Result<NirGraph> {
    let mut g = NirGraph::new();
    let mut prev = "input".to_string();
    g = g.with_node(
        "input",
        Node::Input {
            shape: vec![input_size],
        },
    );
    let mut dt = None;
    for (name, m) in net.iter() {
        let nodes = export_layer(name, m, &mut dt)?;
        for (i, (n, node)) in nodes.iter().enumerate() {
            g = g.with_node(n.clone(), node.clone());
            if i == 0 {
                g = g.with_edge(prev.clone(), n.clone());
            }
        }
        if let Some((main, _)) = nodes.first() {
            if let Some((rec, _)) = nodes.get(1) {
                g = g
                    .with_edge(main.clone(), rec.clone())
                    .with_edge(rec.clone(), main.clone());
            }
            prev = main.clone();
        }
    }
    g = g
        .with_node(
            "output",
            Node::Output {
                shape: vec![net.size_out()],
            },
        )
        .with_edge(prev, "output");
    if let Some(dt) = dt {
        g.metadata.insert("dt".into(), dt.into());
    }
    g.check()
        .map_err(|e| Error::value("NIR export", e.to_string()))?;
    Ok(g)
}

fn arr(v: Vec<f64>) -> Array {
    Array::F64(ndarray::Array1::from(v).into_dyn())
}

fn host<const D: usize>(t: Tensor<D>) -> Vec<f64> {
    t.into_data()
        .convert::<f64>()
        .try_to_vec::<f64>()
        .unwrap_or_default()
}

fn export_layer(name: &str, m: &Layer, dt_out: &mut Option<f64>) -> Result<Vec<(String, Node)>> {
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
            let node = Node::CubaLif(rockpool_nir::CubaLif {
                tau_syn: arr(ts),
                tau_mem: arr(tm),
                r: arr(r),
                v_leak: arr(vl),
                v_threshold: arr(th),
                v_reset: arr(vec![0.0; n]),
                w_in: arr(vec![1.0; n]),
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
        _ => {
            return Err(bad(
                "export supports Linear and single-synapse LIF layers for now",
            ));
        }
    })
}
