//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use burn::tensor::{Device, Tensor};
use rockpool::module::DynTensor;

/// The CPU device used by every test.
pub fn device() -> Device {
    rockpool::device::device_from_name("flex").expect("the flex backend is compiled in")
}

/// Path of a fixture file.
pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// Reads an npz into `(key, f64 values, shape)` triples.
pub fn npz(path: &PathBuf) -> Vec<(String, Vec<f64>, Vec<usize>)> {
    rockpool_io::read_npz(path)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|(k, a)| {
            let arr = a.to_f64();
            let shape = arr.shape().to_vec();
            (k, arr.iter().copied().collect(), shape)
        })
        .collect()
}

/// Asserts `got ≈ want` elementwise: |got − want| ≤ rtol·|want| + atol.
pub fn assert_close(what: &str, got: &[f64], want: &[f64], rtol: f64, atol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length differs");
    let mut worst = (0usize, 0.0f64);
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let err = (g - w).abs();
        let tol = rtol * w.abs() + atol;
        assert!(
            err <= tol,
            "{what}[{i}]: got {g}, want {w} (|diff| {err:e} > tol {tol:e})"
        );
        if err > worst.1 {
            worst = (i, err);
        }
    }
}

/// Values of a dynamic tensor as f64.
pub fn values(t: &DynTensor) -> Vec<f64> {
    t.to_vec_f32().into_iter().map(f64::from).collect()
}

/// Serialises the tests of one binary that draw from the seeded global random generator and
/// need the same draws twice (seed, run; seed, run again): tests run in parallel threads, and
/// another test's draws in between would change the second run's. Hold the guard for the
/// whole test.
pub fn rng_lock() -> std::sync::MutexGuard<'static, ()> {
    static RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());
    RNG.lock().unwrap_or_else(|e| e.into_inner())
}

/// A tensor's values as f64 (shape dropped).
pub fn vals<const D: usize>(t: Tensor<D>) -> Vec<f64> {
    t.into_data().try_to_vec_as::<f64>().unwrap()
}

/// ‖f − r‖₂ / ‖r‖₂.
pub fn rel_l2(f: &[f64], r: &[f64]) -> f64 {
    let num: f64 = f.iter().zip(r).map(|(a, b)| (a - b).powi(2)).sum();
    let den: f64 = r.iter().map(|b| b * b).sum();
    (num / den.max(1e-30)).sqrt()
}
