//! Xylo-mode training beyond flat chains: a `syn_net` layer (Rockpool's SynNet) and a
//! `Residual` block are rewritten for the chip (quantised weights and thresholds, bit-shift
//! decays, spike caps, hop delays; the residual's skip path as aliases), trained, exported and
//! simulated, keeping their accuracy on the simulated chip. Structures the chip cannot hold are
//! refused before training, naming the layer.

mod common;

use common::device;
use rockpool::job::{self, JobConfig};
use rockpool_xylo::{XyloConfig, XyloFamily};

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(cfg: &JobConfig, tag: &str) -> (f64, f64, std::path::PathBuf) {
    let out = std::env::temp_dir().join(format!("rockpool-xylo-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let report = job::run(cfg, &out, &device(), false).unwrap();
    let chip = report
        .chip_acc
        .expect("a Xylo job reports the chip accuracy");
    let float = report.training.best_valid_acc;
    eprintln!("{tag}: float {float:.3} chip {chip:.3}");
    (float, chip, out)
}

/// `configs/synnet_keyword.toml` with a `[xylo]` section: ten epochs (measured: 100 % float,
/// 99.0 % on the simulated chip; the full configuration 100 % / 100 %).
#[test]
fn synnet_trains_in_xylo_mode_and_keeps_its_accuracy_on_the_chip() {
    let text = std::fs::read_to_string(root().join("configs/synnet_keyword.toml")).unwrap();
    let text = format!("{text}\n[xylo]\nfamily = \"syns61201\"\nquantize = \"channel\"\n");
    let mut cfg = JobConfig::from_toml_str(&text, "synnet_xylo.toml").unwrap();
    cfg.training.epochs = 10;
    let (float, chip, out) = run(&cfg, "synnet");
    assert!(
        float >= 0.9 && chip >= 0.9 && chip >= float - 0.05,
        "float {float}, chip {chip}"
    );
    std::fs::remove_dir_all(out).ok();
}

fn residual_config() -> String {
    let text = std::fs::read_to_string(root().join("configs/xylo_keyword.toml")).unwrap();
    let at = text
        .find("[[network.layers]]\ntype = \"linear\"\nsize_in = 64")
        .expect("the read-out linear layer");
    let block = "[[network.layers]]\ntype = \"residual\"\n\n\
        [[network.layers.layers]]\ntype = \"linear\"\nsize_in = 64\nsize_out = 64\n\
        weight_init = \"uniform_sqrt\"\n\n\
        [[network.layers.layers]]\ntype = \"lif\"\nn = 64\ntau_mem = 0.02\ntau_syn = 0.01\n\
        constant = [\"tau_mem\", \"tau_syn\"]\n\
        surrogate = { kind = \"fast_sigmoid\", slope = 5.0 }\n\n";
    format!("{}{block}{}", &text[..at], &text[at..])
}

/// A hidden residual block (Linear 64→64, LIF 64) after the hidden layer of
/// `configs/xylo_keyword.toml`: six epochs (measured: 100 % float, 100 % on the simulated
/// chip), exported with one alias per hidden neuron of the first layer onto the block's.
#[test]
fn a_residual_block_trains_in_xylo_mode_and_exports_as_aliases() {
    let mut cfg = JobConfig::from_toml_str(&residual_config(), "residual.toml").unwrap();
    cfg.training.epochs = 6;
    let (float, chip, out) = run(&cfg, "residual");
    assert!(
        float >= 0.9 && chip >= 0.9 && chip >= float - 0.05,
        "float {float}, chip {chip}"
    );
    let config = XyloConfig::load(out.join("config.json"), XyloFamily::Audio2).unwrap();
    let spec = rockpool_xylo::spec_from_config(&config).unwrap();
    let aliased: Vec<usize> = spec
        .aliases
        .iter()
        .enumerate()
        .filter(|(_, a)| !a.is_empty())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(aliased.len(), 64, "one alias per source neuron");
    for (i, a) in spec
        .aliases
        .iter()
        .enumerate()
        .filter(|(_, a)| !a.is_empty())
    {
        assert_eq!(a.len(), 1);
        assert!(a[0] >= 64 && a[0] < 128, "neuron {i} aliases {a:?}");
    }
    std::fs::remove_dir_all(out).ok();
}

#[test]
fn residual_blocks_the_chip_cannot_hold_are_refused_before_training() {
    // A block that ends with a linear layer: nothing for the input to alias onto.
    let ends_linear = residual_config().replacen(
        "surrogate = { kind = \"fast_sigmoid\", slope = 5.0 }\n\n[[network.layers]]\ntype = \"linear\"\nsize_in = 64\nsize_out = 5",
        "surrogate = { kind = \"fast_sigmoid\", slope = 5.0 }\n\n[[network.layers.layers]]\ntype = \"linear\"\nsize_in = 64\nsize_out = 64\n\n[[network.layers]]\ntype = \"linear\"\nsize_in = 64\nsize_out = 5",
        1,
    );
    let cfg = JobConfig::from_toml_str(&ends_linear, "ends_linear.toml").unwrap();
    let err = cfg.xylo_mode().unwrap_err().to_string();
    assert!(
        err.contains("layer 2") && err.contains("end with a lif"),
        "{err}"
    );
    // A block right after the input: no neurons to alias from.
    let first = residual_config();
    let first = first.replacen("[[network.layers]]\ntype = \"linear\"\nsize_in = 16", "[[network.layers]]\ntype = \"residual\"\n\n[[network.layers.layers]]\ntype = \"linear\"\nsize_in = 16\nsize_out = 16\n\n[[network.layers.layers]]\ntype = \"lif\"\nn = 16\n\n[[network.layers]]\ntype = \"linear\"\nsize_in = 16", 1);
    let cfg = JobConfig::from_toml_str(&first, "first.toml").unwrap();
    let err = cfg.xylo_mode().unwrap_err().to_string();
    assert!(
        err.contains("layer 0") && err.contains("follow a lif"),
        "{err}"
    );
}
