//! From audio to XyloAudio 3: `configs/xylo_audio3_keyword.toml` trains the keyword network
//! on the spike counts of the chip's own digital front end (the bit-exact `AFESimExternal`),
//! exports it, and the deployed chain `Sequential(front end, XyloSim)` classifies new raw
//! audio it never saw.

mod common;

use burn::tensor::{Tensor, TensorData};
use common::device;
use rockpool::job::{self, JobConfig};
use rockpool::module::{Evolve, ModuleExt};
use rockpool::network::NetworkConfig;
use rockpool_tasks::TaskConfig;

/// Eight epochs of the configuration (measured: 98.5 % float, 98.5 % on the simulated chip;
/// 60 new clips through front end and chip: 100 %; the full 15 epochs: 99.5 % / 99.0 %).
#[test]
fn audio_keyword_network_deploys_to_xylo_audio3_from_raw_audio() {
    let dev = device();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cfg = JobConfig::load(root.join("configs/xylo_audio3_keyword.toml")).unwrap();
    cfg.training.epochs = 8;
    let out = std::env::temp_dir().join(format!("rockpool-xa3-kw-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let report = job::run(&cfg, &out, &dev, false).unwrap();
    let chip = report.chip_acc.unwrap();
    let float = report.training.best_valid_acc;
    eprintln!("audio keyword (XyloAudio 3 front end): float {float:.3} chip {chip:.3}");
    assert!(float >= 0.9 && chip >= 0.9, "float {float}, chip {chip}");

    // New audio (another seed), at 16 kHz, through the deployed chain.
    let Some(TaskConfig::Keyword(task)) = &cfg.task else {
        panic!("a keyword task")
    };
    let (audio, labels) = task.audio(60, 987).unwrap();
    let chain = NetworkConfig::from_toml_str(
        &format!(
            "[[layers]]\ntype = \"front_end\"\nfamily = \"syns65302\"\ninput_rate = 16000.0\n\
             [[layers]]\ntype = \"xylo_sim\"\nconfig = {:?}\nfamily = \"syns65302\"\n",
            out.join("config.json").display().to_string()
        ),
        "deployed.toml",
    )
    .unwrap()
    .build(&dev)
    .unwrap();
    let (b, t) = (audio.len(), audio[0].len());
    let x: Vec<f32> = audio
        .iter()
        .flatten()
        .map(|v| v.clamp(-0.999, 0.999))
        .collect();
    let x = Tensor::<3>::from_data(TensorData::new(x, [b, t, 1]), &dev);
    let y = chain
        .evolve_with(x, chain.zero_state(b), false)
        .unwrap()
        .output;
    let [_, steps, k] = y.dims();
    assert_eq!(k, 5);
    let y = common::vals(y);
    let correct = (0..b)
        .filter(|&s| {
            let counts: Vec<f64> = (0..k)
                .map(|c| (0..steps).map(|i| y[(s * steps + i) * k + c]).sum())
                .collect();
            let best = (0..k).fold(0, |m, c| if counts[c] > counts[m] { c } else { m });
            counts[best] > 0.0 && best == labels[s]
        })
        .count();
    let acc = correct as f64 / b as f64;
    eprintln!("raw audio → front end → chip: {acc:.3}");
    assert!(acc >= 0.9, "raw audio through the deployed chain: {acc}");
    std::fs::remove_dir_all(&out).ok();
}
