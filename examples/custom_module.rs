//! Your own module, with the whole module model: a user-defined struct that nests another
//! user-defined module and built-in ones, and gets Rockpool's parameter, state and
//! simulation-parameter views, families, `set_attributes`, `.npz` files, resets and printing
//! from `#[derive(Module)]` plus one `rockpool::module_view!` block.
//!
//! Run with `cargo run --release --example custom_module [OUT_DIR]`; it saves the parameters
//! to `OUT_DIR/detector.npz` and a Burn checkpoint to `OUT_DIR/detector.bpk` (default
//! `target/examples/custom_module/`) and reads them back.
//!
//! The network: `Detector` = a `SpikingBlock` (input weights into LIF neurons; a user module)
//! → an `ExpSyn` filter on the block's spikes → output weights and a bias. Its own state counts
//! the hidden spikes seen since the last reset, so consecutive `evolve` calls carry it on.

use burn::module::{Module, Param};
use burn::tensor::{Distribution, Tensor};
use rockpool::module::{Evolution, Evolve, ModuleExt, StateTree, Tree, Value, state_entry};
use rockpool::nn::linear::apply_weights;
use rockpool::nn::{ExpSyn, ExpSynConfig, Lif, LifConfig, WeightInit};
use rockpool::{Error, Result, device};

/// Input weights `(n_in, n)` into `n` LIF neurons: a `Linear`–`LIF` pair as one module.
#[derive(Module, Debug)]
#[module(custom_display)]
struct SpikingBlock {
    /// Input weights `(n_in, n)`, family `weights`.
    w_in: Param<Tensor<2>>,
    /// The neurons (a built-in module, nested under the name `lif`).
    lif: Lif,
}

rockpool::module_view!(SpikingBlock {
    class: "SpikingBlock",
    shape: |s| vec![s.w_in.dims()[0], s.w_in.dims()[1]],
    spiking: |s| (false, true),
    parameters: { w_in: Weights },
    simulation_parameters: {},
    state: {},
    submodules: { lif },
});

impl SpikingBlock {
    fn new(n_in: usize, n: usize, dev: &device::Device) -> Result<Self> {
        Ok(Self {
            w_in: Param::from_tensor(WeightInit::Kaiming.init(n_in, n, dev)),
            lif: LifConfig::new(n)
                .with_tau_syn(0.01)
                .with_max_spikes(1.0)
                .init(dev)?,
        })
    }
}

impl Evolve for SpikingBlock {
    /// Input `[B, T, n_in]` → spike counts `[B, T, n]`; the state is the LIF's, under `lif`.
    fn evolve_with(
        &self,
        input: Tensor<3>,
        mut state: StateTree,
        record: bool,
    ) -> Result<Evolution> {
        let ev = self.lif.evolve_with(
            apply_weights(input, self.w_in.val()),
            state.take_branch("lif"),
            record,
        )?;
        Ok(Evolution {
            output: ev.output,
            state: Tree::new().with_branch("lif", ev.state),
            record: Tree::new().with_branch("lif", ev.record),
        })
    }
}

/// A spiking detector: `SpikingBlock` → `ExpSyn` → output weights + bias.
#[derive(Module, Debug)]
#[module(custom_display)]
struct Detector {
    /// The spiking front (a user module, nested under `block`).
    block: SpikingBlock,
    /// Smooths the hidden spikes into currents, `(n_hidden,)` channels.
    filter: ExpSyn,
    /// Output weights `(n_hidden, n_out)`, family `weights`.
    w_out: Param<Tensor<2>>,
    /// Output bias `(n_out,)`, family `biases`.
    bias: Param<Tensor<1>>,
    /// Time step, seconds (a simulation parameter; `.timed()` reads it).
    dt: f64,
    /// State: hidden spikes counted since the last reset, `(n_hidden,)`.
    spike_count: Tensor<1>,
}

rockpool::module_view!(Detector {
    class: "Detector",
    shape: |s| vec![s.block.w_in.dims()[0], s.w_out.dims()[1]],
    parameters: { w_out: Weights, bias: Biases },
    simulation_parameters: { dt },
    state: { spike_count },
    submodules: { block, filter },
});

impl Detector {
    fn new(n_in: usize, n_hidden: usize, n_out: usize, dev: &device::Device) -> Result<Self> {
        Ok(Self {
            block: SpikingBlock::new(n_in, n_hidden, dev)?,
            filter: ExpSynConfig::new(n_hidden).with_tau(0.02).init(dev)?,
            w_out: Param::from_tensor(WeightInit::Kaiming.init(n_hidden, n_out, dev)),
            bias: Param::from_tensor(Tensor::zeros([n_out], dev)),
            dt: 1e-3,
            spike_count: Tensor::zeros([n_hidden], dev),
        })
    }
}

impl Evolve for Detector {
    /// Input `[B, T, n_in]` → output `[B, T, n_out]`. The state holds `block`, `filter` and the
    /// own `spike_count` `[B, n_hidden]`; the records add the hidden spikes as `spikes`.
    fn evolve_with(
        &self,
        input: Tensor<3>,
        mut state: StateTree,
        record: bool,
    ) -> Result<Evolution> {
        let [b, _, _] = input.dims();
        let n_hidden = self.spike_count.dims()[0];
        let count: Tensor<2> = state_entry(&state, "spike_count", [b, n_hidden], "Detector")?;
        let front = self
            .block
            .evolve_with(input, state.take_branch("block"), record)?;
        let spikes = front.output;
        let count = count + spikes.clone().sum_dim(1).reshape([b, n_hidden]);
        let filtered =
            self.filter
                .evolve_with(spikes.clone(), state.take_branch("filter"), record)?;
        let output = apply_weights(filtered.output, self.w_out.val())
            + self.bias.val().unsqueeze_dims::<3>(&[0, 1]);
        let mut rec = Tree::new()
            .with_branch("block", front.record)
            .with_branch("filter", filtered.record);
        if record {
            rec.insert("spikes", spikes.into());
        }
        Ok(Evolution {
            output,
            state: Tree::new()
                .with_branch("block", front.state)
                .with_branch("filter", filtered.state)
                .with("spike_count", count.into()),
            record: rec,
        })
    }
}

fn main() -> Result<()> {
    let out_dir = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "target/examples/custom_module".into()),
    );
    std::fs::create_dir_all(&out_dir).map_err(|source| Error::File {
        path: out_dir.clone(),
        source,
    })?;
    let dev = device::default_device()?;
    device::seed(&dev, 0);

    // --- Printing and the attribute views ---------------------------------------------------
    let mut net = Detector::new(3, 8, 2, &dev)?;
    println!("{}", net.describe());
    println!("parameters: {}", net.parameters(()));
    println!("weights only: {}", net.parameters("weights"));
    println!("simulation parameters: {}", net.simulation_parameters(()));
    println!("state: {}", net.state());
    println!("modules: {:?}", net.modules());

    // --- Evolve: auto-batching, state carried over, records ---------------------------------
    // 200 steps of Poisson spikes on 3 channels, 20 % per step: shape [T, N] (batched to 1).
    let input = Tensor::<2>::random([200, 3], Distribution::Bernoulli(0.2), &dev);
    let ev = net.evolve(input.clone(), true)?;
    println!("output shape: {:?}", ev.output.dims()); // [1, 200, 2]
    println!(
        "records: {:?}",
        ev.record
            .leaves()
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<Vec<_>>()
    );
    let spikes_seen = total(&net, "spike_count")?;
    println!("hidden spikes after one call: {spikes_seen}");
    net.evolve(input, false)?;
    println!(
        "hidden spikes after two calls: {} (the state carries on)",
        total(&net, "spike_count")?
    );
    net.reset_state();
    println!("after reset_state: {}", total(&net, "spike_count")?);

    // --- set_attributes, nested by submodule name --------------------------------------------
    let mut values = Tree::new();
    values.insert_path(
        "block.lif.threshold",
        Value::from(Tensor::<1>::full([8], 2.0, &dev)),
    );
    values.insert_path("bias", Value::from(Tensor::<1>::ones([2], &dev)));
    net.set_attributes(&values)?;
    println!("thresholds now: {}", net.attributes_named("threshold"));
    // A wrong shape or name is an error naming the attribute, never a silent change.
    let bad = Tree::new().with("bias", Value::from(Tensor::<1>::ones([3], &dev)));
    println!("wrong shape: {}", net.set_attributes(&bad).unwrap_err());
    let bad = Tree::new().with("gain", Value::Float(1.0));
    println!("unknown name: {}", net.set_attributes(&bad).unwrap_err());

    // --- Parameters to .npz and back (Rockpool's keys: "block.w_in", "block.lif.tau_mem", …) --
    let path = out_dir.join("detector.npz");
    rockpool::persist::save_parameters(&net, &path)?;
    let mut fresh = Detector::new(3, 8, 2, &dev)?;
    let report = rockpool::persist::load_parameters(&mut fresh, &path)?;
    println!("loaded {} arrays: {:?}", report.loaded.len(), report.loaded);
    let same = fresh.parameters(()).leaves().len() == net.parameters(()).leaves().len()
        && total(&fresh, "block.lif.threshold")? == total(&net, "block.lif.threshold")?;
    println!("reloaded thresholds match: {same}");

    // --- And it is a Burn module: Burn counts its parameters, trains and checkpoints it -------
    println!("Burn sees {} scalar parameters", net.num_params());
    let checkpoint = out_dir.join("detector.bpk");
    rockpool::persist::save_checkpoint(&net, &checkpoint)?;
    let restored = rockpool::persist::load_checkpoint(Detector::new(3, 8, 2, &dev)?, &checkpoint)?;
    println!(
        "checkpoint restores the thresholds: {}",
        total(&restored, "block.lif.threshold")? == total(&net, "block.lif.threshold")?
    );
    Ok(())
}

/// The sum of one attribute's values (a state or parameter path such as `spike_count`).
fn total(net: &Detector, path: &str) -> Result<f32> {
    let attrs = net.attributes();
    let attr = attrs
        .get(path)
        .ok_or_else(|| Error::value("path", format!("no attribute '{path}'")))?;
    Ok(attr
        .value
        .to_data()
        .try_to_vec_as::<f32>()
        .map_err(|e| Error::Backend(format!("{e:?}")))?
        .iter()
        .sum())
}
