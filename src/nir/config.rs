//! A network's structure as a network file ([`NetworkConfig`]): the sizes and simulation
//! parameters of each module, so that `net.toml` plus the parameters (`params.npz`) rebuild it
//! (`rockpool nir import --out-dir`). Parameters themselves (weights, time constants, biases,
//! thresholds) are not in the file: they come from `params.npz`.

use crate::error::{Error, Result};
use crate::module::ModuleView;
use crate::network::NetworkConfig;
use crate::nn::{
    Conv1dConfig, Conv2dConfig, DelayConfig, ExpSynConfig, FlattenConfig, Layer, LayerConfig,
    LifConfig, LifNeuronConfig, LinearConfig, NamedLayerConfig, Padding, PaddingName, Pair,
    PoolMode, Sequential,
};

fn padding<const N: usize>(p: [(usize, usize); N]) -> Padding {
    if p.iter().all(|(a, b)| a == b) {
        let v: Vec<usize> = p.iter().map(|(a, _)| *a).collect();
        match v[..] {
            [a] => Padding::Size(Pair::One(a)),
            [a, b] => Padding::Size(Pair::Two([a, b])),
            _ => Padding::default(),
        }
    } else {
        // Only "same" pads unevenly.
        Padding::Named(PaddingName::Same)
    }
}

/// The network file of `net` (flat chains of the modules NIR import builds).
///
/// # Errors
/// [`Error::Value`] naming a module kind that has no file form here.
pub fn network_config(net: &Sequential<Layer>) -> Result<NetworkConfig> {
    let mut layers = Vec::new();
    for (name, m) in net.iter() {
        let layer = match m {
            Layer::Linear(l) => {
                let [i, o] = l.weight.val().dims();
                LayerConfig::Linear(LinearConfig::new(i, o).with_bias(l.bias.is_some()))
            }
            Layer::Lif(l) => LayerConfig::Lif(LifConfig {
                n_syn: l.n_syn(),
                has_rec: l.w_rec.is_some(),
                dt: l.dt,
                noise_std: l.noise_std,
                max_spikes_per_dt: l.max_spikes_per_dt,
                surrogate: l.surrogate,
                output: l.output,
                ..LifConfig::new(l.n())
            }),
            Layer::LifNeuron(l) => LayerConfig::LifNeuron(LifNeuronConfig {
                dt: l.dt,
                noise_std: l.noise_std,
                max_spikes_per_dt: l.max_spikes_per_dt,
                surrogate: l.surrogate,
                ..LifNeuronConfig::new(l.tau_mem.val().dims()[0])
            }),
            Layer::ExpSyn(e) => LayerConfig::ExpSyn(ExpSynConfig {
                dt: e.dt,
                noise_std: e.noise_std,
                ..ExpSynConfig::new(e.tau.val().dims()[0])
            }),
            Layer::Delay(d) => LayerConfig::Delay(DelayConfig {
                n: d.n,
                steps: d.steps,
            }),
            Layer::Flatten(f) => LayerConfig::Flatten(FlattenConfig { n: f.n }),
            Layer::Conv2d(c) => {
                let g = c.geometry();
                LayerConfig::Conv2d(Conv2dConfig {
                    channels_in: g.channels_in,
                    channels_out: g.channels_out,
                    input_shape: g.input,
                    kernel_size: Pair::Two(g.kernel),
                    stride: Pair::Two(g.stride),
                    padding: padding(g.padding),
                    dilation: Pair::Two(g.dilation),
                    groups: g.groups,
                    has_bias: c.bias.is_some(),
                })
            }
            Layer::Conv1d(c) => {
                let g = c.geometry();
                LayerConfig::Conv1d(Conv1dConfig {
                    channels_in: g.channels_in,
                    channels_out: g.channels_out,
                    input_length: g.input[0],
                    kernel_size: g.kernel[0],
                    stride: g.stride[0],
                    padding: padding(g.padding),
                    dilation: g.dilation[0],
                    groups: g.groups,
                    has_bias: c.bias.is_some(),
                })
            }
            Layer::Pool2d(p) => match p.mode() {
                PoolMode::Sum => LayerConfig::SumPool2d(p.config()),
                PoolMode::Avg => LayerConfig::AvgPool2d(p.config()),
            },
            other => {
                return Err(Error::value(
                    format!("{} '{name}'", other.class_name()),
                    "has no network-file form here",
                ));
            }
        };
        layers.push(NamedLayerConfig {
            name: Some(name.to_string()),
            layer,
        });
    }
    Ok(NetworkConfig { seed: None, layers })
}
