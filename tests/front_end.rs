//! The Xylo front ends as modules and on the command line: a `front_end` layer gives exactly
//! what Rockpool's `AFESimExternal` gave on a committed fixture; `Sequential(front end,
//! XyloSim)` from a network file runs raw audio to chip outputs, equal to the two simulators
//! run one after the other; `.timed()` stamps the output on the front end's 1.024 ms base;
//! `rockpool xylo frontend` writes the same array from a `.npy` and from a WAV file.

mod common;

use std::path::PathBuf;

use burn::tensor::{Tensor, TensorData};
use common::device;
use rockpool::module::{Evolve, ModuleExt};
use rockpool::network::NetworkConfig;
use rockpool::timed::TimedExt;
use rockpool::timeseries::{Interp, TimeSeries, TsContinuous};
use rockpool::xylo::{Quantization, export, probe_raster};
use rockpool_xylo::{OutputMode, XyloFamily, XyloSim};

fn xa3_fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("crates/rockpool-frontend/tests/fixtures/xa3")
        .join(format!("{name}.npy"))
}

fn load_f64(name: &str) -> Vec<f64> {
    rockpool_io::read_npy(xa3_fixture(name))
        .unwrap()
        .to_f64()
        .iter()
        .copied()
        .collect()
}

fn load_i64(name: &str) -> (Vec<i64>, Vec<usize>) {
    let a = rockpool_io::read_npy(xa3_fixture(name)).unwrap();
    (
        a.to_i64().unwrap().iter().copied().collect(),
        a.shape().to_vec(),
    )
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rockpool-frontend-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn front_end_layer_matches_rockpool_and_feeds_the_chip() {
    let dev = device();
    let audio = load_f64("ext48k_in");
    let (want, shape) = load_i64("ext48k_dn");
    let fe = NetworkConfig::from_toml_str(
        "[[layers]]\ntype = \"front_end\"\nfamily = \"syns65302\"\n",
        "fe.toml",
    )
    .unwrap()
    .build(&dev)
    .unwrap();
    assert_eq!((fe.size_in(), fe.size_out()), (1, 16));
    let t = audio.len();
    let x = Tensor::<3>::from_data(
        TensorData::new(
            audio.iter().map(|&v| v as f32).collect::<Vec<_>>(),
            [1, t, 1],
        ),
        &dev,
    );
    let out = fe
        .evolve_with(x.clone(), fe.zero_state(1), false)
        .unwrap()
        .output;
    assert_eq!(out.dims(), [1, shape[0], shape[1]]);
    // The audio went through f32: the quantiser (14 bits) sees the same integers.
    let got: Vec<i64> = common::vals(out).iter().map(|&v| v as i64).collect();
    assert_eq!(got, want, "AFESimExternal as a layer vs Rockpool");

    // A chip network on the 16 channels, exported and run after the front end.
    rockpool::device::seed(&dev, 3);
    let net = NetworkConfig::from_toml_str(
        "[[layers]]\ntype = \"linear\"\nsize_in = 16\nsize_out = 10\n\
         [[layers]]\ntype = \"lif\"\nn = 10\nmax_spikes_per_dt = 31\nthreshold = 0.5\n\
         [[layers]]\ntype = \"linear\"\nsize_in = 10\nsize_out = 2\n\
         [[layers]]\ntype = \"lif\"\nn = 2\nmax_spikes_per_dt = 1\nthreshold = 0.5\n",
        "net.toml",
    )
    .unwrap()
    .build(&dev)
    .unwrap();
    let ex = export(
        &net,
        XyloFamily::Audio3,
        Quantization::Channel,
        false,
        &probe_raster(100, 16, 0.2, 0),
    )
    .unwrap();
    let dir = temp_dir("chain");
    let json = dir.join("config.json");
    ex.config.save(&json).unwrap();
    let chain = NetworkConfig::from_toml_str(
        &format!(
            "[[layers]]\ntype = \"front_end\"\nfamily = \"syns65302\"\n\
             [[layers]]\ntype = \"xylo_sim\"\nconfig = {:?}\nfamily = \"syns65302\"\n",
            json.display().to_string()
        ),
        "chain.toml",
    )
    .unwrap()
    .build(&dev)
    .unwrap();
    let y = common::vals(
        chain
            .evolve_with(x, chain.zero_state(1), false)
            .unwrap()
            .output,
    );
    let raster = ndarray::Array2::from_shape_fn((shape[0], shape[1]), |(k, c)| {
        want[k * shape[1] + c] as u32
    });
    let mut sim = XyloSim::from_config(&ex.config, OutputMode::Spike).unwrap();
    let direct: Vec<f64> = sim
        .evolve(raster.view(), false)
        .unwrap()
        .output
        .iter()
        .map(|&v| f64::from(v))
        .collect();
    assert_eq!(
        y, direct,
        "Sequential(front end, XyloSim) vs the simulators in turn"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn timed_front_end_output_is_on_the_front_end_clock() {
    let dev = device();
    let fe = NetworkConfig::from_toml_str(
        "[[layers]]\ntype = \"front_end\"\nfamily = \"syns65302\"\ninput_rate = 16000.0\n",
        "fe.toml",
    )
    .unwrap()
    .build(&dev)
    .unwrap();
    let audio = load_f64("ext16k_in");
    let (want, shape) = load_i64("ext16k_dn");
    let n = audio.len();
    let ts = TsContinuous::from_clocked(
        ndarray::Array2::from_shape_vec((n, 1), audio).unwrap(),
        1.0 / 16000.0,
        0.0,
        false,
        "audio",
        Interp::Previous,
    )
    .unwrap();
    let mut timed = fe.timed(None).unwrap();
    let ev = timed
        .evolve(Some(&TimeSeries::Continuous(ts)), None, Some(n), false)
        .unwrap();
    let TimeSeries::Event(events) = ev.output else {
        panic!("a front end emits events")
    };
    let counts = events
        .raster_counts(0.001024, Some(0.0), None, Some(shape[0]), None)
        .unwrap();
    assert_eq!(counts.dim(), (shape[0], shape[1]));
    let got: Vec<i64> = counts.iter().map(|&v| i64::from(v)).collect();
    assert_eq!(got, want, "timed AFESimExternal at 16 kHz vs Rockpool");
}

#[test]
fn cli_frontend_writes_rockpools_output_from_npy_and_wav() {
    let dir = temp_dir("cli");
    let out = dir.join("spikes.npy");
    let bin = env!("CARGO_BIN_EXE_rockpool");
    let run = |args: &[&str]| {
        std::process::Command::new(bin)
            .args(["xylo", "frontend"])
            .args(args)
            .output()
            .unwrap()
    };
    let r = run(&[
        "--family",
        "syns65302",
        "--input",
        xa3_fixture("ext16k_in").to_str().unwrap(),
        "--rate",
        "16000",
        "--out",
        out.to_str().unwrap(),
        "--plot",
        dir.join("spikes.png").to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let (want, shape) = load_i64("ext16k_dn");
    let got = rockpool_io::read_npy(&out).unwrap();
    assert_eq!(got.shape(), shape.as_slice());
    assert_eq!(
        got.to_i64().unwrap().iter().copied().collect::<Vec<_>>(),
        want
    );
    assert!(dir.join("spikes.png").metadata().unwrap().len() > 1000);

    // The same audio as a 32-bit float WAV file at 16 kHz: the same spikes.
    let wav = dir.join("audio.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16000,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let audio = load_f64("ext16k_in");
    let mut w = hound::WavWriter::create(&wav, spec).unwrap();
    for v in &audio {
        w.write_sample(*v as f32).unwrap();
    }
    w.finalize().unwrap();
    let out2 = dir.join("spikes2.npy");
    let r = run(&[
        "--family",
        "syns65302",
        "--input",
        wav.to_str().unwrap(),
        "--out",
        out2.to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let got2 = rockpool_io::read_npy(&out2).unwrap();
    assert_eq!(
        got2.to_i64().unwrap().iter().copied().collect::<Vec<_>>(),
        want
    );

    // Bad arguments are named.
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"select_filter": [1, 2]}"#).unwrap();
    let r = run(&[
        "--family",
        "syns65302",
        "--params",
        bad.to_str().unwrap(),
        "--input",
        wav.to_str().unwrap(),
        "--out",
        out2.to_str().unwrap(),
    ]);
    assert!(!r.status.success());
    assert!(String::from_utf8_lossy(&r.stderr).contains("select_filter"));
    let r = run(&[
        "--family",
        "syns65302",
        "--input",
        wav.to_str().unwrap(),
        "--rate",
        "8000",
        "--out",
        out2.to_str().unwrap(),
    ]);
    assert!(!r.status.success());
    assert!(String::from_utf8_lossy(&r.stderr).contains("--rate"));
    std::fs::remove_dir_all(dir).ok();
}
