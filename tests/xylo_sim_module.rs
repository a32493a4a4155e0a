//! `XyloSim` as a module: a configuration exported from a network runs inside a `Sequential`
//! (from a network file, `type = "xylo_sim"`) and gives exactly what the simulator gives on
//! its own; negative event counts are refused.

mod common;

use burn::tensor::{Tensor, TensorData};
use common::device;
use rockpool::module::{Evolve, ModuleExt};
use rockpool::network::NetworkConfig;
use rockpool::xylo::{Quantization, export, probe_raster};
use rockpool_xylo::{OutputMode, XyloFamily, XyloSim};

#[test]
fn a_deployed_configuration_runs_as_a_module_like_the_simulator() {
    let dev = device();
    rockpool::device::seed(&dev, 9);
    let net = NetworkConfig::from_toml_str(
        "[[layers]]\ntype = \"linear\"\nsize_in = 4\nsize_out = 12\n\
         [[layers]]\ntype = \"lif\"\nn = 12\nmax_spikes_per_dt = 31\nthreshold = 0.5\n\
         [[layers]]\ntype = \"linear\"\nsize_in = 12\nsize_out = 3\n\
         [[layers]]\ntype = \"lif\"\nn = 3\nmax_spikes_per_dt = 1\nthreshold = 0.5\n",
        "net.toml",
    )
    .unwrap()
    .build(&dev)
    .unwrap();
    let ex = export(
        &net,
        XyloFamily::Audio2,
        Quantization::Channel,
        false,
        &probe_raster(100, 4, 0.2, 0),
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!("rockpool-xylo-module-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("config.json");
    ex.config.save(&json).unwrap();

    // A chain: a delay line, then the chip, from a network file.
    let chain = NetworkConfig::from_toml_str(
        &format!(
            "[[layers]]\ntype = \"delay\"\nn = 4\nsteps = 2\n\
             [[layers]]\ntype = \"xylo_sim\"\nconfig = {:?}\nfamily = \"syns61201\"\n",
            json.display().to_string()
        ),
        "chain.toml",
    )
    .unwrap()
    .build(&dev)
    .unwrap();
    assert_eq!((chain.size_in(), chain.size_out()), (4, 3));

    let (b, t) = (2, 60);
    let raster: Vec<f32> = (0..b * t * 4)
        .map(|i| ((i * 37) % 7 == 0) as u8 as f32 * 2.0)
        .collect();
    let x = Tensor::<3>::from_data(TensorData::new(raster.clone(), [b, t, 4]), &dev);
    let out = common::vals(
        chain
            .evolve_with(x, chain.zero_state(b), false)
            .unwrap()
            .output,
    );

    // The simulator on its own, on the delayed rasters.
    let mut sim = XyloSim::from_config(&ex.config, OutputMode::Spike).unwrap();
    let mut want = Vec::new();
    for s in 0..b {
        sim.reset_state();
        let r = ndarray::Array2::from_shape_fn((t, 4), |(k, c)| {
            if k < 2 {
                0
            } else {
                raster[(s * t + k - 2) * 4 + c] as u32
            }
        });
        want.extend(
            sim.evolve(r.view(), false)
                .unwrap()
                .output
                .iter()
                .map(|v| f64::from(*v)),
        );
    }
    assert_eq!(out, want);
    assert!(want.iter().sum::<f64>() > 0.0, "the chip answers");

    // Negative event counts are refused, naming the input.
    let bad = Tensor::<3>::from_data(TensorData::new(vec![-1.0f32; 20], [1, 5, 4]), &dev);
    let err = chain
        .evolve_with(bad, chain.zero_state(1), false)
        .unwrap_err()
        .to_string();
    assert!(err.contains("XyloSim input") && err.contains("-1"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
