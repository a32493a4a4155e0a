//! User datasets in NumPy `.npz` files.
//!
//! Layout (what `np.savez(path, x=x, y=y, dt=dt)` writes):
//!
//! | key | shape | dtype | meaning |
//! |---|---|---|---|
//! | `x` | `[N, T, C]` | any numeric or bool | inputs per time step (spike counts or analog values), finite |
//! | `y` | `[N]` | integer (or whole floats) | class labels `≥ 0`; `num_classes` = largest + 1 |
//! | `y` | `[N, T, K]` | any numeric | target traces over the same `T` steps, finite |
//! | `dt` | scalar or `[1]` | any numeric | time step in seconds (optional; overrides the `dt` argument) |
//!
//! Other keys are ignored. [`save_npz_dataset`] writes this layout (with `x` as `float32`,
//! labels as `int64`, `dt` as a `float64` scalar), so a round trip gives back the same data.

use std::path::Path;

use ndarray::{Array3, ArrayD, Ix3, IxDyn};
use rockpool_io::{NpyArray, read_npz, write_npz_compressed};

use crate::dataset::{Dataset, Targets};
use crate::error::{Result, TaskError};

/// Loads a dataset from an npz file with keys `x`, `y` and optionally `dt` (see the
/// [module docs](self)). `dt` (seconds) is used when the file has no `dt` key. The dataset is
/// named after the file stem; classes are named `"0"`, `"1"`, ….
///
/// # Errors
/// [`TaskError::Io`] if the file cannot be read as npz; [`TaskError::File`] naming the file,
/// the key and the problem for a missing `x` or `y`, a wrong rank, `x` and `y` disagreeing on
/// `N` or `T`, negative or non-integer labels, NaN or infinite values, or a bad `dt`;
/// [`TaskError::Argument`] if `dt` is needed and not a positive finite number.
pub fn load_npz_dataset(path: impl AsRef<Path>, dt: f64) -> Result<Dataset> {
    let path = path.as_ref();
    dataset_from_npz_arrays(&read_npz(path)?, path, dt)
}

/// The dataset held by the arrays of an npz file, as [`load_npz_dataset`] reads it; `path`
/// names the source in errors and gives the dataset its name.
///
/// # Errors
/// As [`load_npz_dataset`], except reading the file.
pub fn dataset_from_npz_arrays(
    entries: &[(String, NpyArray)],
    path: &Path,
    dt: f64,
) -> Result<Dataset> {
    let fail = |key: &str, message: String| TaskError::File {
        path: path.to_path_buf(),
        key: Some(key.to_string()),
        message,
    };
    let get = |key: &str, expected: &str| -> Result<&NpyArray> {
        entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, a)| a)
            .ok_or_else(|| {
                let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
                fail(
                    key,
                    format!("missing; expected {expected}, the file holds keys {keys:?}"),
                )
            })
    };

    let x_raw = get("x", "the inputs `x` with shape [N, T, C]")?;
    if x_raw.ndim() != 3 {
        return Err(fail(
            "x",
            format!(
                "has shape {:?} (rank {}); expected [N, T, C] (samples, time steps, channels)",
                x_raw.shape(),
                x_raw.ndim()
            ),
        ));
    }
    let x = to_array3(x_raw.to_f32());
    if let Some((i, v)) = first_non_finite(&x) {
        return Err(fail(
            "x",
            format!("element {i:?} is {v}; inputs must be finite"),
        ));
    }
    let (n, t, _) = x.dim();

    let y_raw = get("y", "the targets `y`: [N] class labels or [N, T, K] traces")?;
    if y_raw.shape().first() != Some(&n) {
        return Err(fail(
            "y",
            format!(
                "has shape {:?} but x has shape {:?}: y must have one entry per sample (N = {n})",
                y_raw.shape(),
                x.shape()
            ),
        ));
    }
    let y = match y_raw.ndim() {
        1 => {
            let labels = y_raw
                .to_i64()
                .map_err(|e| fail("y", format!("class labels must be whole numbers ({e})")))?;
            if let Some((i, &l)) = labels.indexed_iter().find(|(_, l)| **l < 0) {
                return Err(fail(
                    "y",
                    format!("label {l} at index {}; class labels must be >= 0", i[0]),
                ));
            }
            Targets::Class(labels.iter().map(|&l| l as usize).collect())
        }
        3 => {
            let seq = to_array3(y_raw.to_f32());
            if seq.dim().1 != t {
                return Err(fail(
                    "y",
                    format!(
                        "has shape {:?} but x has {t} time steps (shape {:?}); sequence targets \
                         must cover the same steps",
                        seq.shape(),
                        x.shape()
                    ),
                ));
            }
            if let Some((i, v)) = first_non_finite(&seq) {
                return Err(fail(
                    "y",
                    format!("element {i:?} is {v}; targets must be finite"),
                ));
            }
            Targets::Sequence(seq)
        }
        r => {
            return Err(fail(
                "y",
                format!(
                    "has shape {:?} (rank {r}); expected [N] class labels or [N, T, K] targets",
                    y_raw.shape()
                ),
            ));
        }
    };

    let dt = match entries.iter().find(|(k, _)| k == "dt") {
        Some((_, a)) => {
            if a.len() != 1 {
                return Err(fail(
                    "dt",
                    format!(
                        "has shape {:?}; expected a single number (seconds)",
                        a.shape()
                    ),
                ));
            }
            let v = a.to_f64().iter().copied().next().unwrap_or(f64::NAN);
            if !(v.is_finite() && v > 0.0) {
                return Err(fail(
                    "dt",
                    format!("is {v}; the time step must be a positive number of seconds"),
                ));
            }
            v
        }
        None => dt,
    };
    let name = path.file_stem().map_or_else(
        || "dataset".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    Dataset::new(x, y, dt, name)
}

/// Saves `dataset` as a compressed npz file (like `np.savez_compressed`) with keys `x`
/// (`float32` `[N, T, C]`), `y` (`int64` `[N]` labels or `float32` `[N, T, K]`) and `dt`
/// (`float64` scalar, seconds), written atomically. Class names are not stored.
///
/// # Errors
/// [`TaskError::Io`] if the file cannot be written.
pub fn save_npz_dataset(dataset: &Dataset, path: impl AsRef<Path>) -> Result<()> {
    let y = match &dataset.y {
        Targets::Class(labels) => NpyArray::from(
            ArrayD::from_shape_vec(
                IxDyn(&[labels.len()]),
                labels.iter().map(|&l| l as i64).collect(),
            )
            .expect("one label per sample"),
        ),
        Targets::Sequence(seq) => NpyArray::from(seq.clone().into_dyn()),
    };
    let arrays = [
        (
            "x".to_string(),
            NpyArray::from(dataset.x.clone().into_dyn()),
        ),
        ("y".to_string(), y),
        (
            "dt".to_string(),
            NpyArray::from(ArrayD::from_elem(IxDyn(&[]), dataset.dt)),
        ),
    ];
    write_npz_compressed(path, &arrays)?;
    Ok(())
}

/// A rank-3 `ArrayD` as `Array3` (callers check the rank first).
fn to_array3(a: ArrayD<f32>) -> Array3<f32> {
    a.into_dimensionality::<Ix3>()
        .expect("rank checked by the caller")
}

fn first_non_finite(a: &Array3<f32>) -> Option<([usize; 3], f32)> {
    a.indexed_iter()
        .find(|(_, v)| !v.is_finite())
        .map(|((i, j, k), &v)| ([i, j, k], v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rockpool_io::write_npz;

    fn arr<T>(shape: &[usize], data: Vec<T>) -> ArrayD<T> {
        ArrayD::from_shape_vec(IxDyn(shape), data).unwrap()
    }

    fn write(
        dir: &tempfile::TempDir,
        name: &str,
        entries: Vec<(&str, NpyArray)>,
    ) -> std::path::PathBuf {
        let path = dir.path().join(name);
        let entries: Vec<(String, NpyArray)> = entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        write_npz(&path, &entries).unwrap();
        path
    }

    fn x_ok() -> NpyArray {
        NpyArray::from(arr(&[2, 3, 2], (0..12u8).collect()))
    }

    /// Loads and returns the error message, checking it names the file and the key.
    fn error(path: &Path, key: &str) -> String {
        let e = load_npz_dataset(path, 1e-3).unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with(&path.display().to_string()), "{msg}");
        assert!(msg.contains(&format!("key '{key}'")), "{msg}");
        msg
    }

    #[test]
    fn loads_labels_from_any_integer_dtype() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "good.npz",
            vec![
                ("x", x_ok()),
                ("y", NpyArray::from(arr(&[2], vec![2i32, 0]))),
            ],
        );
        let d = load_npz_dataset(&p, 0.002).unwrap();
        assert_eq!(d.x.dim(), (2, 3, 2));
        assert_eq!(d.x[[1, 2, 1]], 11.0);
        assert_eq!(d.y, Targets::Class(vec![2, 0]));
        assert_eq!(d.num_classes, Some(3));
        assert_eq!(d.dt, 0.002);
        assert_eq!(d.name, "good");
        // Whole-number floats are labels too; a `dt` key overrides the argument.
        let p = write(
            &dir,
            "f.npz",
            vec![
                ("x", x_ok()),
                ("y", NpyArray::from(arr(&[2], vec![1.0f64, 0.0]))),
                ("dt", NpyArray::from(arr(&[], vec![0.01f64]))),
            ],
        );
        let d = load_npz_dataset(&p, 0.002).unwrap();
        assert_eq!(d.y, Targets::Class(vec![1, 0]));
        assert_eq!(d.dt, 0.01);
    }

    #[test]
    fn round_trip_keeps_classes_and_sequences() {
        let dir = tempfile::tempdir().unwrap();
        let d = crate::FrozenNoiseConfig::default().generate(12, 4).unwrap();
        let p = dir.path().join("fn.npz");
        save_npz_dataset(&d, &p).unwrap();
        let back = load_npz_dataset(&p, 1.0).unwrap();
        assert_eq!(back.x, d.x);
        assert_eq!(back.y, d.y);
        assert_eq!(back.dt, d.dt);
        let s = crate::DelayConfig::default().generate(5, 4).unwrap();
        let p = dir.path().join("delay.npz");
        save_npz_dataset(&s, &p).unwrap();
        let back = load_npz_dataset(&p, 1.0).unwrap();
        assert_eq!((back.x, back.y), (s.x, s.y));
    }

    #[test]
    fn each_bad_file_gets_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let labels = || NpyArray::from(arr(&[2], vec![0i64, 1]));

        let p = write(&dir, "no_x.npz", vec![("y", labels())]);
        assert!(error(&p, "x").contains("missing"));
        let p = write(&dir, "no_y.npz", vec![("inputs", labels()), ("x", x_ok())]);
        let msg = error(&p, "y");
        assert!(
            msg.contains("missing") && msg.contains("\"inputs\""),
            "{msg}"
        );

        let p = write(
            &dir,
            "rank.npz",
            vec![
                ("x", NpyArray::from(arr(&[2, 6], vec![0f32; 12]))),
                ("y", labels()),
            ],
        );
        assert!(error(&p, "x").contains("rank 2"));
        let p = write(
            &dir,
            "yrank.npz",
            vec![
                ("x", x_ok()),
                ("y", NpyArray::from(arr(&[2, 3], vec![0f32; 6]))),
            ],
        );
        assert!(error(&p, "y").contains("rank 2"));

        let p = write(
            &dir,
            "n.npz",
            vec![
                ("x", x_ok()),
                ("y", NpyArray::from(arr(&[3], vec![0i64, 1, 0]))),
            ],
        );
        assert!(error(&p, "y").contains("N = 2"));
        let p = write(
            &dir,
            "t.npz",
            vec![
                ("x", x_ok()),
                ("y", NpyArray::from(arr(&[2, 4, 1], vec![0f32; 8]))),
            ],
        );
        assert!(error(&p, "y").contains("3 time steps"));

        let p = write(
            &dir,
            "neg.npz",
            vec![
                ("x", x_ok()),
                ("y", NpyArray::from(arr(&[2], vec![0i8, -1]))),
            ],
        );
        assert!(error(&p, "y").contains("label -1 at index 1"));
        let p = write(
            &dir,
            "frac.npz",
            vec![
                ("x", x_ok()),
                ("y", NpyArray::from(arr(&[2], vec![0.5f32, 1.0]))),
            ],
        );
        assert!(error(&p, "y").contains("whole numbers"));

        let mut bad = vec![0f64; 12];
        bad[7] = f64::INFINITY;
        let p = write(
            &dir,
            "inf.npz",
            vec![("x", NpyArray::from(arr(&[2, 3, 2], bad))), ("y", labels())],
        );
        assert!(error(&p, "x").contains("[1, 0, 1] is inf"));
        let mut bad = vec![0f32; 12];
        bad[0] = f32::NAN;
        let p = write(
            &dir,
            "nan.npz",
            vec![("x", NpyArray::from(arr(&[2, 3, 2], bad))), ("y", labels())],
        );
        assert!(error(&p, "x").contains("[0, 0, 0] is NaN"));
        let p = write(
            &dir,
            "ynan.npz",
            vec![
                ("x", x_ok()),
                ("y", NpyArray::from(arr(&[2, 3, 1], vec![f32::NAN; 6]))),
            ],
        );
        assert!(error(&p, "y").contains("finite"));

        let p = write(
            &dir,
            "dt.npz",
            vec![
                ("x", x_ok()),
                ("y", labels()),
                ("dt", NpyArray::from(arr(&[], vec![-1.0f64]))),
            ],
        );
        assert!(error(&p, "dt").contains("positive"));
        let p = write(
            &dir,
            "dt2.npz",
            vec![
                ("x", x_ok()),
                ("y", labels()),
                ("dt", NpyArray::from(arr(&[2], vec![1.0f64, 2.0]))),
            ],
        );
        assert!(error(&p, "dt").contains("single number"));

        // Not an npz at all, and a missing file: rockpool-io's errors, naming the file.
        let p = dir.path().join("junk.npz");
        std::fs::write(&p, b"not a zip").unwrap();
        let e = load_npz_dataset(&p, 1e-3).unwrap_err().to_string();
        assert!(e.contains("junk.npz"), "{e}");
        let e = load_npz_dataset(dir.path().join("absent.npz"), 1e-3)
            .unwrap_err()
            .to_string();
        assert!(e.contains("absent.npz"), "{e}");

        // A file without dt and a bad dt argument.
        let p = write(&dir, "ok.npz", vec![("x", x_ok()), ("y", labels())]);
        let e = load_npz_dataset(&p, 0.0).unwrap_err().to_string();
        assert!(e.contains("`dt` = 0"), "{e}");
    }
}
