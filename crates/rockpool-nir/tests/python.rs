//! Files written here load in Python `nir` (1.0.8): `scripts/check_with_python.py` reads them
//! with `nir.read(..., type_check=True)` and compares them with files Python wrote.
//!
//! Runs when a Python with `nir` is available: `ROCKPOOL_NIR_PYTHON` (a python executable),
//! else `/work/venv-nir/bin/python`; otherwise the test prints a note and passes.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{all_nodes_graph, field_variants_graph, fixture, scratch};
use rockpool_nir::{read, write};

fn python() -> Option<PathBuf> {
    let candidate = std::env::var_os("ROCKPOOL_NIR_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/venv-nir/bin/python"));
    let ok = Command::new(&candidate)
        .args(["-c", "import nir, h5py, numpy"])
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then_some(candidate)
}

fn check(python: &PathBuf, written: &PathBuf, reference: Option<&PathBuf>, extra: &[&str]) {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/check_with_python.py");
    let mut cmd = Command::new(python);
    cmd.arg(&script).arg(written);
    if let Some(r) = reference {
        cmd.arg(r);
    }
    cmd.args(extra);
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "Python nir refused {}:\n{text}",
        written.display()
    );
    println!("{}", text.trim());
}

#[test]
fn python_nir_reads_what_rust_writes() {
    let Some(python) = python() else {
        println!(
            "note: skipped — no Python with `nir` (set ROCKPOOL_NIR_PYTHON or create /work/venv-nir)"
        );
        return;
    };
    let dir = scratch("python");
    // Every node type: equal, field by field and dtype by dtype, to what Python itself wrote.
    let written = dir.join("all_nodes.nir");
    write(&all_nodes_graph(), &written).unwrap();
    check(
        &python,
        &written,
        Some(&fixture("python_all_nodes.nir")),
        &[],
    );
    // The paper's files, read and rewritten: Python reads the same graphs from both.
    for name in [
        "cnn_sinabs.nir",
        "braille_noDelay_bias_zero.nir",
        "lif_norse.nir",
        "two_lif_neurons.nir",
        "old_style.nir",
    ] {
        let written = dir.join(name);
        write(&read(fixture(name)).unwrap(), &written).unwrap();
        check(&python, &written, Some(&fixture(name)), &[]);
    }
    // Rockpool's single LIF, whose Output shape fails the edge check: written with the check
    // off, Python reads it with type_check=False.
    let relaxed = rockpool_nir::CheckOptions { edge_shapes: false };
    let name = "lif_rockpool.nir";
    let written = dir.join(name);
    let graph = rockpool_nir::read_with_options(fixture(name), relaxed).unwrap();
    rockpool_nir::write_with_options(&graph, &written, relaxed).unwrap();
    check(
        &python,
        &written,
        Some(&fixture(name)),
        &["--no-type-check"],
    );
}

#[test]
fn rust_to_python_to_rust_keeps_every_value_and_dtype() {
    let Some(python) = python() else {
        println!("note: skipped — no Python with `nir`");
        return;
    };
    let dir = scratch("python_loop");
    for (name, graph, type_check) in [
        ("all_nodes", all_nodes_graph(), true),
        // Unconnected nodes without input types: Python's type check cannot run on them.
        ("variants", field_variants_graph(true), false),
    ] {
        let written = dir.join(format!("{name}.nir"));
        let rewritten = dir.join(format!("{name}_by_python.nir"));
        write(&graph, &written).unwrap();
        let mut extra = vec!["--rewrite", rewritten.to_str().unwrap()];
        if !type_check {
            extra.push("--no-type-check");
        }
        check(&python, &written, None, &extra);
        assert_eq!(
            read(&rewritten).unwrap(),
            graph,
            "{name} after Python's nir.write"
        );
    }
}
