//! Rockpool's getting-started guide, step by step, in Rust.
//!
//! Run with `cargo run --release --example getting_started [OUT_DIR]`. It prints what the guide
//! prints and saves its plots as PNG files in `OUT_DIR` (default
//! `target/examples/getting_started/`, created if missing). The chapters of `docs/guide/` walk
//! through the same steps with the numbers checked.

use burn::module::{Module, Param};
use burn::tensor::{Distribution, Tensor};
use rockpool::module::{Evolution, Evolve, ModuleExt, StateTree, Tree, Value};
use rockpool::nn::linear::apply_weights;
use rockpool::nn::{Layer, LinearConfig, Rate, RateConfig, Sequential, WeightInit};
use rockpool::timed::TimedExt;
use rockpool::timeseries::{Interp, TimeSeries, TsContinuous};
use rockpool::{Result, device};

/// A user-defined module: input weights, a recurrent `Rate` reservoir, output weights — the
/// guide's custom `net`. Deriving Burn's `Module` makes it trainable and saveable;
/// `module_view!` gives it Rockpool's parameter/state view and printing.
#[derive(Module, Debug)]
#[module(custom_display)]
struct Net {
    /// Input weights `(n_in, n_hidden)`, family `weights`.
    w_input: Param<Tensor<2>>,
    /// The recurrent reservoir.
    rate: Rate,
    /// Output weights `(n_hidden, n_out)`, family `weights`.
    w_output: Param<Tensor<2>>,
}

rockpool::module_view!(Net {
    class: "Net",
    shape: |s| vec![s.w_input.dims()[0], s.w_output.dims()[1]],
    parameters: { w_input: Weights, w_output: Weights },
    simulation_parameters: {},
    state: {},
    submodules: { rate },
});

impl Net {
    fn new(n_in: usize, n_hidden: usize, n_out: usize, dev: &device::Device) -> Result<Self> {
        Ok(Self {
            w_input: Param::from_tensor(WeightInit::Kaiming.init(n_in, n_hidden, dev)),
            rate: RateConfig::new(n_hidden).with_rec(true).init(dev)?,
            w_output: Param::from_tensor(WeightInit::Kaiming.init(n_hidden, n_out, dev)),
        })
    }
}

impl Evolve for Net {
    fn evolve_with(
        &self,
        input: Tensor<3>,
        mut state: StateTree,
        record: bool,
    ) -> Result<Evolution> {
        let hidden = apply_weights(input, self.w_input.val());
        let ev = self
            .rate
            .evolve_with(hidden, state.take_branch("rate"), record)?;
        Ok(Evolution {
            output: apply_weights(ev.output, self.w_output.val()),
            state: Tree::new().with_branch("rate", ev.state),
            record: Tree::new().with_branch("rate", ev.record),
        })
    }
}

fn main() -> Result<()> {
    let out_dir = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "target/examples/getting_started".into()),
    );
    std::fs::create_dir_all(&out_dir).map_err(|source| rockpool::Error::File {
        path: out_dir.clone(),
        source,
    })?;
    let dev = device::default_device()?;
    device::seed(&dev, 0);

    // --- A Rate module and its attributes -------------------------------------------------
    let mut rate = RateConfig::new(4).init(&dev)?;
    println!("{}", rate.describe());
    println!("state: {}", rate.state());
    println!("parameters: {}", rate.parameters(()));
    println!("simulation parameters: {}", rate.simulation_parameters(()));

    // --- Evolve it over random input; the module keeps its final state ---------------------
    let input = Tensor::<2>::random([100, 4], Distribution::Default, &dev);
    let Evolution { output, state, .. } = rate.evolve(input, false)?;
    println!("output shape: {:?}", output.dims());
    println!("new state: {state}");
    rate.set_state_from_batched(&state)?; // explicit, as in the guide (evolve already did it)
    save_trace(
        &out_dir.join("rate_output.png"),
        &output,
        1e-3,
        "Rate output",
    )?;

    // --- Working in real time: wrap the module with .timed() -------------------------------
    let mut timed = rate.timed(None)?; // dt from the module: 1 ms
    // A periodic 2 Hz sinusoid, 1 s sampled every 1 ms, on all four inputs.
    let t: Vec<f64> = (0..1000).map(|k| k as f64 * 1e-3).collect();
    let sin = ndarray::Array2::from_shape_fn((1000, 4), |(k, _)| {
        (2.0 * std::f64::consts::PI * 2.0 * t[k]).sin()
    });
    let sinusoid = TsContinuous::new(t, sin)?
        .with_t_stop(1.0)?
        .with_periodic(true)
        .with_name("2 Hz sinusoid");
    sinusoid.plot(out_dir.join("timed_input_sinusoid.png"), None)?;
    let ev = timed.evolve(
        Some(&TimeSeries::Continuous(sinusoid)),
        Some(1.0),
        None,
        true,
    )?;
    println!(
        "timed output: {} '{}'",
        ev.output.type_name(),
        ev.output.name()
    );
    plot_series(&ev.output, &out_dir.join("timed_output_sinusoid.png"))?;
    // White noise as a clocked series, through the same module.
    timed.reset_all();
    let noise = Tensor::<3>::random([1, 1000, 4], Distribution::Normal(0.0, 1.0), &dev);
    let noise = clocked_series(&noise, 1e-3, "white noise")?;
    noise.plot(out_dir.join("timed_input_noise.png"), Some(4.0))?;
    let ev = timed.evolve(Some(&TimeSeries::Continuous(noise)), None, None, true)?;
    plot_series(&ev.output, &out_dir.join("timed_output_noise.png"))?;
    let rate = timed.into_inner();

    // --- A network built with Sequential --------------------------------------------------
    let mut net: Sequential = Sequential::from_modules([
        Layer::from(LinearConfig::new(1, 10).init(&dev)),
        Layer::from(RateConfig::new(10).init(&dev)?),
        Layer::from(LinearConfig::new(10, 1).init(&dev)),
    ])?;
    println!("{}", net.describe());
    let input = Tensor::<2>::random([1000, 1], Distribution::Normal(0.0, 1.0), &dev);
    let ev = net.evolve(input, true)?;
    println!("output shape: {:?}", ev.output.dims());
    println!("parameters: {}", net.parameters(()));
    println!("state: {}", net.state());
    println!("modules: {:?}", net.modules());
    println!("weights: {}", net.parameters("weights"));
    save_trace(
        &out_dir.join("sequential_output.png"),
        &ev.output,
        1e-3,
        "Sequential output",
    )?;

    // --- The same network from named modules, and by appending -----------------------------
    let named: Sequential = Sequential::from_named([
        (
            "lin_input",
            Layer::from(LinearConfig::new(1, 10).init(&dev)),
        ),
        ("rate_layer", Layer::from(RateConfig::new(10).init(&dev)?)),
        (
            "lin_output",
            Layer::from(LinearConfig::new(10, 1).init(&dev)),
        ),
    ])?;
    println!("{}", named.describe());
    let mut appended: Sequential = Sequential::new();
    appended.append(
        LinearConfig::new(1, 10).init(&dev),
        Some("lin_input".into()),
    )?;
    appended.append(RateConfig::new(10).init(&dev)?, Some("rate_layer".into()))?;
    appended.append(
        LinearConfig::new(10, 1).init(&dev),
        Some("lin_output".into()),
    )?;
    println!("{}", appended.describe());
    let first: &Layer = appended.get(0).expect("three modules");
    let by_name: &Layer = appended.get_named("rate_layer").expect("named module");
    println!(
        "appended[0] = {}, appended['rate_layer'] = {}",
        first.describe(),
        by_name.describe()
    );

    // --- A custom module ------------------------------------------------------------------
    let mut custom = Net::new(2, 5, 1, &dev)?;
    println!("{}", custom.describe());
    let ev = custom.evolve(
        Tensor::<2>::random([300, 2], Distribution::Normal(0.0, 1.0), &dev),
        true,
    )?;
    println!("output shape: {:?}", ev.output.dims());
    println!("parameters: {}", custom.parameters(()));
    // Set weights directly, by attribute: a plain field assignment, or through the view.
    custom.w_output = Param::from_tensor(Tensor::ones([5, 1], &dev));
    custom.set_attributes(
        &Tree::new().with("w_input", Value::from(Tensor::<2>::zeros([2, 5], &dev))),
    )?;
    println!("after setting weights: {}", custom.parameters("weights"));
    // Submodules are typed: a `Layer` is an enum of the built-in modules.
    if let Some(Layer::Linear(lin)) = named.get_named("lin_input") {
        println!("named['lin_input'].weight shape: {:?}", lin.weight.dims());
    }
    println!("the Rate module after .timed(): {}", rate.describe());
    println!("plots written to {}", out_dir.display());
    Ok(())
}

fn plot_series(ts: &TimeSeries, path: &std::path::Path) -> Result<()> {
    match ts {
        TimeSeries::Continuous(c) => c.plot(path, None)?,
        TimeSeries::Event(e) => e.plot(path)?,
    }
    Ok(())
}

/// Batch 0 of a clocked tensor `[B, T, N]` as a continuous series, sample `k` at `k·dt`
/// seconds.
fn clocked_series(x: &Tensor<3>, dt: f64, name: &str) -> Result<TsContinuous> {
    let [_, t, n] = x.dims();
    let values = x
        .clone()
        .slice([0..1, 0..t, 0..n])
        .to_data()
        .try_to_vec_as::<f64>()
        .map_err(|e| rockpool::Error::Backend(format!("{e:?}")))?;
    let samples = ndarray::Array2::from_shape_vec((t, n), values)
        .map_err(|e| rockpool::Error::Backend(e.to_string()))?;
    Ok(TsContinuous::from_clocked(
        samples,
        dt,
        0.0,
        false,
        name,
        Interp::Previous,
    )?)
}

/// Plots batch 0 of an output `[B, T, N]` against time (seconds).
fn save_trace(path: &std::path::Path, output: &Tensor<3>, dt: f64, title: &str) -> Result<()> {
    clocked_series(output, dt, title)?.plot(path, None)?;
    Ok(())
}
