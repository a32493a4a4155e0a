//! The `rockpool` binary under fault and bad input (issue 13): each test runs the real binary
//! on one class of fault and asserts the exit status, that standard error names the problem,
//! that nothing panicked, and that no input file changed. Networks are tiny, so the whole
//! suite runs in a few seconds.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use ndarray::{ArrayD, IxDyn};
use rockpool_io::NpyArray;

/// A two-channel network: Linear(2→3), LIF(3).
const NET: &str = "[[layers]]\ntype = \"linear\"\nsize_in = 2\nsize_out = 3\n\
                   [[layers]]\ntype = \"lif\"\nn = 3\n";

/// A network Xylo can take: Linear(2→4), LIF(4), Linear(4→2), LIF(2).
const XYLO_NET: &str = "[[layers]]\ntype = \"linear\"\nsize_in = 2\nsize_out = 4\n\
                        [[layers]]\ntype = \"lif\"\nn = 4\n\
                        [[layers]]\ntype = \"linear\"\nsize_in = 4\nsize_out = 2\n\
                        [[layers]]\ntype = \"lif\"\nn = 2\n";

/// A scratch folder of its own for one test.
fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("rockpool-cli-faults-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rockpool"));
    cmd.args(args).current_dir(dir).env("BURN_DEVICE", "flex");
    cmd
}

/// Runs the binary in `dir`.
fn rockpool(dir: &Path, args: &[&str]) -> Output {
    command(dir, args)
        .output()
        .expect("the rockpool binary runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts a refusal: exit status `code`, no panic, every one of `needles` in the message.
fn assert_refused(out: &Output, code: i32, needles: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(code), "stderr: {err}");
    assert!(!err.contains("panicked at"), "panicked: {err}");
    for n in needles {
        assert!(err.contains(n), "'{n}' missing from: {err}");
    }
}

/// The contents of `files`, to compare before and after a run.
fn snapshot(dir: &Path, files: &[&str]) -> Vec<Vec<u8>> {
    files
        .iter()
        .map(|f| std::fs::read(dir.join(f)).unwrap())
        .collect()
}

fn write_array<T>(path: &Path, shape: &[usize], values: Vec<T>)
where
    NpyArray: From<ArrayD<T>>,
{
    let a = ArrayD::from_shape_vec(IxDyn(shape), values).unwrap();
    rockpool_io::write_npy(path, &NpyArray::from(a)).unwrap();
}

/// A folder with `net.toml` (two channels in), `xnet.toml` (Xylo-ready) and `x.npy` (5, 2).
fn setup(name: &str) -> PathBuf {
    let dir = scratch(name);
    std::fs::write(dir.join("net.toml"), NET).unwrap();
    std::fs::write(dir.join("xnet.toml"), XYLO_NET).unwrap();
    write_array(&dir.join("x.npy"), &[5, 2], vec![1.0f32; 10]);
    dir
}

/// Runs the binary with standard output a pipe whose reader is already closed.
fn rockpool_into_closed_pipe(dir: &Path, args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    command(dir, args)
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

#[test]
fn the_good_case_works() {
    let dir = setup("good");
    let out = rockpool(
        &dir,
        &[
            "evolve", "--net", "net.toml", "--input", "x.npy", "--out", "o.npz",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(dir.join("o.npz").exists());
}

#[test]
fn closed_pipe_ends_quietly_with_the_broken_pipe_status() {
    let dir = setup("pipe-show");
    let out = rockpool_into_closed_pipe(&dir, &["show", "--net", "net.toml"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(141), "{err}");
    assert!(err.is_empty(), "nothing to say on stderr, got: {err}");

    let help = rockpool_into_closed_pipe(&dir, &["--help"]);
    assert_eq!(help.status.code(), Some(141), "{}", stderr(&help));
    assert!(!stderr(&help).contains("panicked at"));
}

#[test]
fn closed_pipe_still_writes_the_exported_configuration() {
    let dir = setup("pipe-export");
    let out = rockpool_into_closed_pipe(
        &dir,
        &["xylo", "export", "--net", "xnet.toml", "-o", "c.json"],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(141), "{err}");
    assert!(!err.contains("panicked at"), "{err}");
    let json = std::fs::read_to_string(dir.join("c.json")).expect("the configuration is written");
    assert!(json.trim_start().starts_with('{'), "{json}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_standard_output_is_reported_after_the_work() {
    let dir = setup("full");
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = command(
        &dir,
        &["xylo", "export", "--net", "xnet.toml", "-o", "c.json"],
    )
    .stdout(full)
    .output()
    .unwrap();
    assert_refused(&out, 1, &["standard output"]);
    assert!(dir.join("c.json").exists());
}

#[test]
fn evolve_refuses_an_output_that_is_an_input() {
    let dir = setup("same-evolve");
    let params = dir.join("p.npz");
    rockpool_io::write_npz(&params, &[]).unwrap();
    let files = ["net.toml", "x.npy", "p.npz"];
    let before = snapshot(&dir, &files);
    for (out_path, flag) in [
        ("x.npy", "--input"),
        ("./net.toml", "--net"),
        ("p.npz", "--params"),
    ] {
        let out = rockpool(
            &dir,
            &[
                "evolve", "--net", "net.toml", "--params", "p.npz", "--input", "x.npy", "--out",
                out_path,
            ],
        );
        assert_refused(&out, 1, &["--out", flag, "same file"]);
    }
    assert_eq!(snapshot(&dir, &files), before);
}

#[cfg(unix)]
#[test]
fn a_link_to_an_input_is_the_input() {
    let dir = setup("same-link");
    std::os::unix::fs::symlink(dir.join("x.npy"), dir.join("link.npz")).unwrap();
    let before = snapshot(&dir, &["x.npy"]);
    let out = rockpool(
        &dir,
        &[
            "evolve", "--net", "net.toml", "--input", "x.npy", "--out", "link.npz",
        ],
    );
    assert_refused(&out, 1, &["same file", "--input"]);
    assert_eq!(snapshot(&dir, &["x.npy"]), before);
}

#[test]
fn xylo_commands_refuse_an_output_that_is_an_input() {
    let dir = setup("same-xylo");
    let export = rockpool(
        &dir,
        &["xylo", "export", "--net", "xnet.toml", "-o", "c.json"],
    );
    assert_eq!(export.status.code(), Some(0), "{}", stderr(&export));
    write_array(&dir.join("r.npy"), &[5, 2], vec![1i64; 10]);
    rockpool_io::write_npz(dir.join("p.npz"), &[]).unwrap();
    let files = ["xnet.toml", "c.json", "r.npy", "p.npz"];
    let before = snapshot(&dir, &files);

    let out = rockpool(
        &dir,
        &["xylo", "export", "--net", "xnet.toml", "-o", "xnet.toml"],
    );
    assert_refused(&out, 1, &["--out", "--net"]);
    let out = rockpool(
        &dir,
        &[
            "xylo",
            "export",
            "--net",
            "xnet.toml",
            "--params",
            "p.npz",
            "-o",
            "p.npz",
        ],
    );
    assert_refused(&out, 1, &["--out", "--params"]);
    for (target, flag) in [("r.npy", "--input"), ("c.json", "--config")] {
        let out = rockpool(
            &dir,
            &[
                "xylo", "sim", "--config", "c.json", "--input", "r.npy", "--out", target,
            ],
        );
        assert_refused(&out, 1, &["--out", flag]);
    }
    assert_eq!(snapshot(&dir, &files), before);

    let out = rockpool(
        &dir,
        &[
            "xylo", "sim", "--config", "c.json", "--input", "r.npy", "--out", "o.npz",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn plot_and_train_refuse_an_output_that_is_an_input() {
    let dir = setup("same-plot-train");
    let before = snapshot(&dir, &["x.npy"]);
    let out = rockpool(&dir, &["plot", "x.npy", "-o", "x.npy"]);
    assert_refused(&out, 1, &["--out", "same file"]);

    // A training configuration inside the folder it would write, under a name training uses.
    let run = dir.join("run");
    std::fs::create_dir_all(&run).unwrap();
    let job = format!(
        "[network]\n{}\n[task]\ntype = \"frozen_noise\"\n",
        NET.replace("[[layers]]", "[[network.layers]]")
    );
    std::fs::write(run.join("config.json"), &job).unwrap();
    std::fs::write(dir.join("job.toml"), &job).unwrap();
    let out = rockpool(&dir, &["train", "run/config.json", "--out", "run"]);
    assert_refused(&out, 1, &["--out", "configuration"]);
    let out = rockpool(&dir, &["train", "job.toml", "--out", "job.toml"]);
    assert_refused(&out, 1, &["--out", "configuration"]);
    assert_eq!(
        std::fs::read_to_string(run.join("config.json")).unwrap(),
        job
    );
    assert_eq!(std::fs::read_to_string(dir.join("job.toml")).unwrap(), job);
    assert_eq!(snapshot(&dir, &["x.npy"]), before);
}

#[test]
fn negative_numbers_reach_the_checks() {
    let dir = setup("negative");
    let cases: [&[&str]; 5] = [
        &[
            "evolve", "--net", "net.toml", "--input", "x.npy", "--out", "o.npz", "--dt", "-1",
        ],
        &[
            "evolve",
            "--net",
            "net.toml",
            "--input",
            "x.npy",
            "--out",
            "o.npz",
            "--duration",
            "-0.5",
        ],
        &["plot", "x.npy", "-o", "p.png", "--dt", "-1e-3"],
        &["plot", "x.npy", "-o", "p.png", "--dt", "nan"],
        &["train", "job.toml", "--epochs", "-1"],
    ];
    for args in cases {
        let out = rockpool(&dir, args);
        let value = args.last().unwrap();
        assert_refused(&out, 2, &[value, "must be"]);
        assert!(
            !stderr(&out).contains("unexpected argument"),
            "{}",
            stderr(&out)
        );
    }
    let out = rockpool(
        &dir,
        &[
            "evolve", "--net", "net.toml", "--input", "x.npy", "--out", "o.npz", "--dt", "--record",
        ],
    );
    assert_refused(&out, 2, &["--dt", "not a number"]);
    let out = rockpool(&dir, &["train", "job.toml", "--epochs", "0"]);
    assert_refused(&out, 2, &["--epochs", "at least 1"]);
    // A negative stagger is a meaningful value: channels drawn downwards.
    let out = rockpool(&dir, &["plot", "x.npy", "-o", "p.svg", "--stagger", "-0.5"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!dir.join("o.npz").exists());
}

#[test]
fn empty_inputs_are_refused_naming_file_and_shape() {
    let dir = setup("empty");
    for (name, shape) in [
        ("t0.npy", vec![0, 2]),
        ("b0.npy", vec![1, 0, 2]),
        ("n0.npy", vec![5, 0]),
        ("z.npy", vec![0]),
    ] {
        write_array(&dir.join(name), &shape, Vec::<f32>::new());
        let out = rockpool(
            &dir,
            &[
                "evolve", "--net", "net.toml", "--input", name, "--out", "o.npz",
            ],
        );
        let shape = rockpool::error::fmt_shape(&shape);
        assert_refused(&out, 1, &[name, &shape]);
    }
    assert!(!dir.join("o.npz").exists());

    let export = rockpool(
        &dir,
        &["xylo", "export", "--net", "xnet.toml", "-o", "c.json"],
    );
    assert_eq!(export.status.code(), Some(0), "{}", stderr(&export));
    for (name, shape) in [("pb0.npy", vec![0, 3, 2]), ("pt0.npy", vec![0, 2])] {
        write_array(&dir.join(name), &shape, Vec::<f32>::new());
        for events in [false, true] {
            let mut args = vec!["plot", name, "-o", "p.png"];
            if events {
                args.push("--events");
            }
            let out = rockpool(&dir, &args);
            assert_refused(&out, 1, &[name, &rockpool::error::fmt_shape(&shape)]);
        }
    }
    assert!(!dir.join("p.png").exists());
    write_array(&dir.join("r0.npy"), &[0, 2], Vec::<i64>::new());
    let out = rockpool(
        &dir,
        &[
            "xylo", "sim", "--config", "c.json", "--input", "r0.npy", "--out", "o.npz",
        ],
    );
    assert_refused(&out, 1, &["r0.npy", "(0, 2)"]);
}

#[test]
fn non_finite_and_out_of_range_inputs_are_refused() {
    let dir = setup("nonfinite");
    for (name, bad, needle) in [
        ("nan.npy", f64::NAN, "NaN"),
        ("inf.npy", f64::INFINITY, "inf"),
        ("ninf.npy", f64::NEG_INFINITY, "-inf"),
        ("huge.npy", 3e39, "3e39"),
    ] {
        write_array(&dir.join(name), &[2, 2], vec![0.5, bad, 0.0, 1.0]);
        let before = snapshot(&dir, &[name]);
        let out = rockpool(
            &dir,
            &[
                "evolve", "--net", "net.toml", "--input", name, "--out", "o.npz",
            ],
        );
        assert_refused(&out, 1, &[name, needle, "element 1"]);
        assert_eq!(snapshot(&dir, &[name]), before);
    }
    assert!(!dir.join("o.npz").exists());
}

#[test]
fn bad_rasters_and_event_arrays_are_refused() {
    let dir = setup("rasters");
    let export = rockpool(
        &dir,
        &["xylo", "export", "--net", "xnet.toml", "-o", "c.json"],
    );
    assert_eq!(export.status.code(), Some(0), "{}", stderr(&export));
    write_array(&dir.join("neg.npy"), &[2, 2], vec![1i64, -3, 0, 0]);
    let out = rockpool(
        &dir,
        &[
            "xylo", "sim", "--config", "c.json", "--input", "neg.npy", "--out", "o.npz",
        ],
    );
    assert_refused(&out, 1, &["neg.npy", "-3", "negative"]);

    // 200 bytes that would be 4·10^9 events: refused before they are made.
    write_array(&dir.join("big.npy"), &[2, 2], vec![1e9f64; 4]);
    let out = rockpool(&dir, &["plot", "big.npy", "--events", "-o", "p.png"]);
    assert_refused(&out, 1, &["big.npy", "events"]);
    write_array(
        &dir.join("nan.npy"),
        &[2, 2],
        vec![1.0f64, f64::NAN, 0.0, 0.0],
    );
    let out = rockpool(&dir, &["plot", "nan.npy", "--events", "-o", "p.png"]);
    assert_refused(&out, 1, &["nan.npy", "NaN"]);
    assert!(!dir.join("p.png").exists() && !dir.join("o.npz").exists());
}

#[test]
fn missing_files_bad_toml_and_wrong_shapes_are_named() {
    let dir = setup("files");
    let out = rockpool(
        &dir,
        &[
            "evolve",
            "--net",
            "none.toml",
            "--input",
            "x.npy",
            "--out",
            "o.npz",
        ],
    );
    assert_refused(&out, 1, &["none.toml"]);
    let out = rockpool(
        &dir,
        &[
            "evolve", "--net", "net.toml", "--input", "none.npy", "--out", "o.npz",
        ],
    );
    assert_refused(&out, 1, &["none.npy"]);
    std::fs::write(dir.join("bad.toml"), "[[layers]\ntype = ").unwrap();
    let out = rockpool(&dir, &["show", "--net", "bad.toml"]);
    assert_refused(&out, 1, &["bad.toml"]);
    std::fs::write(dir.join("neg.toml"), NET.replace("n = 3", "n = -3")).unwrap();
    let out = rockpool(&dir, &["show", "--net", "neg.toml"]);
    assert_refused(&out, 1, &["neg.toml"]);
    write_array(&dir.join("x3.npy"), &[5, 3], vec![0.0f32; 15]);
    let out = rockpool(
        &dir,
        &[
            "evolve", "--net", "net.toml", "--input", "x3.npy", "--out", "o.npz",
        ],
    );
    assert_refused(&out, 1, &["3"]);
    write_array(&dir.join("x4.npy"), &[1, 1, 5, 2], vec![0.0f32; 10]);
    let out = rockpool(
        &dir,
        &[
            "evolve", "--net", "net.toml", "--input", "x4.npy", "--out", "o.npz",
        ],
    );
    assert_refused(&out, 1, &["x4.npy", "(1, 1, 5, 2)"]);
    std::fs::write(dir.join("garbage.npy"), b"not an array").unwrap();
    let out = rockpool(
        &dir,
        &[
            "evolve",
            "--net",
            "net.toml",
            "--input",
            "garbage.npy",
            "--out",
            "o.npz",
        ],
    );
    assert_refused(&out, 1, &["garbage.npy"]);
    std::fs::write(dir.join("c.json"), b"{\"not\": \"a config\"}").unwrap();
    write_array(&dir.join("r.npy"), &[5, 2], vec![1i64; 10]);
    let out = rockpool(
        &dir,
        &[
            "xylo", "sim", "--config", "c.json", "--input", "r.npy", "--out", "o.npz",
        ],
    );
    assert_refused(&out, 1, &["c.json"]);
    let out = rockpool(&dir, &["xylo", "validate", "c.json"]);
    assert_refused(&out, 1, &["c.json"]);
    assert!(!dir.join("o.npz").exists());
}

#[test]
fn unknown_keys_at_the_top_and_in_lif_are_refused() {
    let dir = setup("unknown-keys-top");
    std::fs::write(dir.join("u.toml"), NET.replace("[[layers]]", "[[layerz]]")).unwrap();
    let out = rockpool(&dir, &["show", "--net", "u.toml"]);
    assert_refused(&out, 1, &["u.toml", "layerz"]);
    std::fs::write(
        dir.join("v.toml"),
        NET.replace("n = 3", "n = 3\ntau_mem_typo = 0.1"),
    )
    .unwrap();
    let out = rockpool(&dir, &["show", "--net", "v.toml"]);
    assert_refused(&out, 1, &["v.toml", "tau_mem_typo", "tau_mem"]);
}

#[test]
fn unknown_keys_in_nested_tables_are_refused() {
    let dir = setup("unknown-keys");
    let nested = "[[layers]]\ntype = \"sequential\"\n[[layers.layerz]]\ntype = \"linear\"\nsize_in = 2\nsize_out = 3\n";
    let alif = "[[layers]]\ntype = \"alif\"\nn = 3\ntau_mem_typo = 0.1\n";
    for (name, text, key) in [
        ("s.toml", nested, "layerz"),
        ("a.toml", alif, "tau_mem_typo"),
    ] {
        std::fs::write(dir.join(name), text).unwrap();
        let out = rockpool(&dir, &["show", "--net", name]);
        assert_refused(&out, 1, &[name, key]);
    }
}

#[test]
fn huge_sizes_in_a_network_are_refused_before_allocation() {
    let dir = setup("huge-n");
    for net in [
        NET.replace("n = 3", "n = 1000000000000"),
        NET.replace("size_out = 3", "size_out = 100000")
            .replace("size_in = 2", "size_in = 100000"),
        NET.replace("size_out = 3", "size_out = 4294967296")
            .replace("size_in = 2", "size_in = 4294967296"),
    ] {
        std::fs::write(dir.join("h.toml"), net).unwrap();
        let out = rockpool(&dir, &["show", "--net", "h.toml"]);
        assert_refused(&out, 1, &["h.toml"]);
    }
}

#[test]
fn an_all_nan_series_is_refused() {
    let dir = setup("nan-series");
    let samples = ndarray::Array2::from_elem((3, 2), f64::NAN);
    rockpool::timeseries::TsContinuous::new(vec![0.0, 0.001, 0.002], samples)
        .unwrap()
        .save(dir.join("s.npz"))
        .unwrap();
    let out = rockpool(
        &dir,
        &[
            "evolve", "--net", "net.toml", "--input", "s.npz", "--out", "o.npz",
        ],
    );
    assert_refused(&out, 1, &["s.npz", "NaN"]);
}

/// A training job on the `.npz` dataset `data.npz` with a two-channel network.
fn dataset_job(dir: &Path, x_shape: &[usize]) -> &'static str {
    let n: usize = x_shape.iter().product();
    let x = ArrayD::from_shape_vec(IxDyn(x_shape), vec![1.0f32; n]).unwrap();
    let y = ArrayD::from_shape_vec(
        IxDyn(&[x_shape[0]]),
        (0..x_shape[0] as i64).map(|i| i % 2).collect(),
    )
    .unwrap();
    rockpool_io::write_npz(
        dir.join("data.npz"),
        &[
            ("x".to_string(), NpyArray::from(x)),
            ("y".to_string(), NpyArray::from(y)),
        ],
    )
    .unwrap();
    let job = format!(
        "[network]\n{}\n[data]\npath = \"data.npz\"\n[training]\nepochs = 1\n",
        NET.replace("[[layers]]", "[[network.layers]]")
    );
    std::fs::write(dir.join("job.toml"), job).unwrap();
    "job.toml"
}

#[test]
fn train_refuses_an_output_folder_that_would_replace_its_dataset() {
    let dir = setup("train-dataset");
    let job = dataset_job(&dir, &[4, 3, 2]);
    let before = snapshot(&dir, &["data.npz", job]);
    // The dataset is where training would write its best parameters.
    std::fs::create_dir_all(dir.join("run")).unwrap();
    std::fs::copy(dir.join("data.npz"), dir.join("run/params.npz")).unwrap();
    std::fs::write(
        dir.join("run/job.toml"),
        std::fs::read_to_string(dir.join(job))
            .unwrap()
            .replace("data.npz", "params.npz"),
    )
    .unwrap();
    let kept = snapshot(&dir, &["run/params.npz"]);
    let out = rockpool(&dir, &["train", "run/job.toml", "--out", "run"]);
    assert_refused(&out, 1, &["--out", "dataset", "params.npz"]);
    assert_eq!(snapshot(&dir, &["run/params.npz"]), kept);
    assert_eq!(snapshot(&dir, &["data.npz", job]), before);
}

#[test]
fn a_dataset_with_zero_time_steps_is_refused() {
    let dir = setup("train-empty");
    let job = dataset_job(&dir, &[4, 0, 2]);
    let out = rockpool(&dir, &["train", job, "--out", "run"]);
    assert_refused(&out, 1, &["data.npz", "[4, 0, 2]"]);
}

#[test]
fn huge_sample_counts_are_refused_before_allocation() {
    let dir = setup("train-huge");
    let job = format!(
        "[network]\n{}\n[task]\ntype = \"frozen_noise\"\n[data]\ntrain_samples = 1000000000000\n[training]\nepochs = 1\n",
        NET.replace("[[layers]]", "[[network.layers]]")
    );
    std::fs::write(dir.join("job.toml"), job).unwrap();
    let out = rockpool(&dir, &["train", "job.toml", "--out", "run"]);
    assert_refused(&out, 1, &["train_samples", "1000000000000"]);
}

/// `train` into a folder that holds a run is refused (the run untouched); `--overwrite`
/// starts afresh there, `--resume` with `--overwrite` is a usage error.
#[test]
fn train_refuses_a_folder_holding_a_run_unless_told() {
    let dir = setup("train-twice");
    let job = dataset_job(&dir, &[4, 3, 2]);
    let ok = rockpool(&dir, &["train", job, "--out", "run", "--epochs", "1"]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let before = snapshot(&dir.join("run"), &["metrics.csv", "params.npz"]);
    let again = rockpool(&dir, &["train", job, "--out", "run", "--epochs", "1"]);
    assert_refused(&again, 1, &["already holds a training run", "--overwrite"]);
    assert_eq!(
        snapshot(&dir.join("run"), &["metrics.csv", "params.npz"]),
        before
    );
    let both = rockpool(
        &dir,
        &["train", job, "--out", "run", "--resume", "--overwrite"],
    );
    assert_refused(&both, 2, &["--overwrite"]);
    let fresh = rockpool(
        &dir,
        &["train", job, "--out", "run", "--epochs", "1", "--overwrite"],
    );
    assert_eq!(fresh.status.code(), Some(0), "{}", stderr(&fresh));
}
