//! Saving and loading: parameters as `.npz` files keyed by dotted paths that match Rockpool's
//! nested parameter dicts (`0_Linear.weight`, `1_Rate.tau`), Burn checkpoints (burnpack) for
//! training, and evolution results as `.npz`.
//!
//! Everything goes through the module's Rockpool view ([`ModuleView`]), so any module —
//! built-in or a user's own — saves and loads without extra code. All files are written
//! atomically (temporary file, then rename).

use std::path::Path;

use burn::module::Module;
use burn::tensor::TensorData;
use ndarray::{ArrayD, Dimension, IxDyn};
use rockpool_io::{NpyArray, read_npz, write_atomic, write_npz};

use crate::error::{Error, Result};
use crate::module::{AttrKind, ModuleExt, ModuleView, Tree, Value};
use crate::module::{DynTensor, Evolution};

/// Converts tensor data to an `f32` numpy array of the same shape.
pub fn data_to_npy(data: &TensorData) -> NpyArray {
    let d = data.clone().convert::<f32>();
    let v = d.try_to_vec_as::<f32>().expect("converted to f32");
    NpyArray::F32(
        ArrayD::from_shape_vec(IxDyn(d.shape().as_slice()), v).expect("shape matches data"),
    )
}

/// Converts a numpy array (any numeric dtype) to `f32` tensor data.
pub fn npy_to_data(a: &NpyArray) -> TensorData {
    let arr = a.to_f32();
    let shape = arr.shape().to_vec();
    let v: Vec<f32> = arr.iter().copied().collect();
    TensorData::new(v, shape)
}

/// The tensor-valued parameters of a module (trainable ones, and constants held as
/// simulation parameters), flattened to `(dotted path, array)` pairs.
pub fn parameter_arrays(module: &dyn ModuleView) -> Vec<(String, NpyArray)> {
    module
        .attributes()
        .leaves()
        .into_iter()
        .filter(|(_, a)| a.kind != AttrKind::State)
        .filter_map(|(path, a)| match &a.value {
            Value::Tensor(t) => Some((path, data_to_npy(&t.to_data()))),
            _ => None,
        })
        .collect()
}

/// Saves the module's parameters to an `.npz` file that numpy and Python Rockpool can read
/// (`np.load(path)["1_Rate.tau"]`).
pub fn save_parameters(module: &dyn ModuleView, path: impl AsRef<Path>) -> Result<()> {
    write_npz(path.as_ref(), &parameter_arrays(module))?;
    Ok(())
}

/// What [`load_parameters`] did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoadReport {
    /// Paths that were set.
    pub loaded: Vec<String>,
    /// Parameters of the module that the file did not contain (left unchanged).
    pub missing: Vec<String>,
}

/// Loads parameters saved by [`save_parameters`] (or by numpy from a Rockpool parameter
/// dict flattened with dots). Every key must name an attribute of the module with a matching
/// shape (a one-element array fills a whole per-neuron parameter); otherwise nothing is changed
/// and the error names the key. Parameters absent from the file are listed in the report.
///
/// Values are checked the same way as from any other source: every element must be finite
/// (NaN, ±inf and `f64` values beyond the `f32` range are refused here, naming the file, the
/// key and the element), and the values then go through the module's
/// [`set_attributes`](crate::module::ModuleExt::set_attributes), which applies its own checks (shapes,
/// positive time constants, …); its error is reported with the file name.
pub fn load_parameters(module: &mut dyn ModuleView, path: impl AsRef<Path>) -> Result<LoadReport> {
    let path = path.as_ref();
    let arrays = read_npz(path)?;
    let known = parameter_arrays(module);
    let all_attrs = module.attributes();
    let mut values: Tree<Value> = Tree::new();
    for (key, arr) in &arrays {
        if all_attrs.get(key).is_none() {
            let names: Vec<&str> = known.iter().map(|(k, _)| k.as_str()).collect();
            return Err(Error::value(
                format!("{}: key '{key}'", path.display()),
                format!(
                    "the module has no attribute at that path; its parameters are: {}",
                    names.join(", ")
                ),
            ));
        }
        let checked = finite_f32(arr)
            .map_err(|message| Error::value(format!("{}: key '{key}'", path.display()), message))?;
        let shape = checked.shape().to_vec();
        let data = TensorData::new(checked.into_iter().collect::<Vec<f32>>(), shape);
        values.insert_path(key, Value::Data(data));
    }
    // Validate on a copy first so that a bad entry leaves the module untouched.
    let before = module.attributes();
    if let Err(e) = module.set_attributes(&values) {
        let restore = before.filter_map(&mut |a| match &a.value {
            Value::Tensor(_) => Some(a.value.clone()),
            _ => None,
        });
        let _ = module.set_attributes(&restore);
        return Err(Error::value(format!("{}", path.display()), e.to_string()));
    }
    let loaded: Vec<String> = arrays.iter().map(|(k, _)| k.clone()).collect();
    let missing = known
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| !loaded.contains(k))
        .collect();
    Ok(LoadReport { loaded, missing })
}

/// The array as `f32`, refused if any element is NaN or infinite, or a finite `f64` that
/// does not fit in `f32` (it would become infinite); the message names the element's index.
fn finite_f32(arr: &NpyArray) -> std::result::Result<ArrayD<f32>, String> {
    let converted = arr.to_f32();
    let bad = converted.indexed_iter().find(|(_, v)| !v.is_finite());
    let Some((index, &value)) = bad else {
        return Ok(converted);
    };
    let at = format!("{:?}", index.slice());
    let original = match arr {
        NpyArray::F64(a) => a.get(index.slice()).copied(),
        _ => None,
    };
    Err(match original {
        Some(v) if v.is_finite() => format!(
            "element {at} = {v:e} does not fit in f32 (largest magnitude {:e}); \
             parameters must be finite",
            f32::MAX
        ),
        _ => format!("element {at} is {value}; parameters must be finite (no NaN or ±inf)"),
    })
}

/// Writes a Burn checkpoint (burnpack) of the module atomically. It keeps parameter ids, so an
/// optimiser can resume.
pub fn save_checkpoint<M: Module>(module: &M, path: impl AsRef<Path>) -> Result<()> {
    let bytes = module
        .clone()
        .into_record()
        .into_bytes()
        .map_err(|e| Error::Backend(format!("cannot serialise checkpoint: {e:?}")))?;
    write_atomic(path.as_ref(), &bytes)?;
    Ok(())
}

/// Loads a checkpoint written by [`save_checkpoint`] into a module of the same structure.
pub fn load_checkpoint<M: Module>(module: M, path: impl AsRef<Path>) -> Result<M> {
    let path = path.as_ref();
    let record = burn::store::ModuleRecord::load(path).map_err(|e| {
        Error::value(
            path.display().to_string(),
            format!("not a readable checkpoint: {e:?}"),
        )
    })?;
    // Burn panics (instead of returning an error) on some damaged records, e.g. an entry whose
    // dtype does not match the parameter's ("Expected float dtype, got I32"). A damaged file is
    // the user's input, not a bug: the panic is caught, kept off the terminal, and reported as
    // an error naming the file.
    let loaded = quietly_catch_unwind(std::panic::AssertUnwindSafe(|| {
        module.try_load_record(record)
    }));
    match loaded {
        Ok(result) => result.map_err(|e| {
            Error::value(
                path.display().to_string(),
                format!("checkpoint does not fit this network: {e:?}"),
            )
        }),
        Err(message) => Err(Error::value(
            path.display().to_string(),
            format!("not a readable checkpoint (damaged record: {message})"),
        )),
    }
}

/// Runs `f`, turning a panic into `Err(message)` without printing it: the process's panic
/// hook is swapped for a silent one for the duration (serialised, so concurrent callers do
/// not restore each other's hooks).
fn quietly_catch_unwind<R>(
    f: impl FnOnce() -> R + std::panic::UnwindSafe,
) -> std::result::Result<R, String> {
    static HOOK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = HOOK.lock().unwrap_or_else(|e| e.into_inner());
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(f);
    std::panic::set_hook(previous);
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown fault".into())
    })
}

/// The arrays of an evolution: `output`, then `state.<path>` and `record.<path>` entries.
pub fn evolution_arrays(ev: &Evolution) -> Vec<(String, NpyArray)> {
    let mut out = vec![("output".to_string(), data_to_npy(&ev.output.to_data()))];
    let mut push = |prefix: &str, tree: &Tree<DynTensor>| {
        for (path, t) in tree.leaves() {
            out.push((format!("{prefix}.{path}"), data_to_npy(&t.to_data())));
        }
    };
    push("state", &ev.state);
    push("record", &ev.record);
    out
}

/// Saves an evolution result (see [`evolution_arrays`]) as `.npz`.
pub fn save_evolution(ev: &Evolution, path: impl AsRef<Path>) -> Result<()> {
    write_npz(path.as_ref(), &evolution_arrays(ev))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::ModuleExt;
    use crate::nn::{Layer, LinearConfig, RateConfig, Sequential};
    use crate::test_util::{close, device};

    fn net(dev: &burn::tensor::Device) -> Sequential {
        Sequential::from_modules([
            Layer::from(LinearConfig::new(2, 3).init(dev)),
            Layer::from(
                RateConfig::new(3)
                    .with_tau(vec![0.01, 0.02, 0.03])
                    .init(dev)
                    .unwrap(),
            ),
        ])
        .unwrap()
    }

    #[test]
    fn npz_round_trip_with_rockpool_keys() {
        let dev = device();
        let dir = std::env::temp_dir().join(format!("rockpool-persist-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("p.npz");
        let a = net(&dev);
        save_parameters(&a, &path).unwrap();
        let keys: Vec<String> = read_npz(&path)
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            keys,
            [
                "0_Linear.weight",
                "1_Rate.tau",
                "1_Rate.bias",
                "1_Rate.threshold"
            ]
        );
        let mut b = net(&dev);
        let report = load_parameters(&mut b, &path).unwrap();
        assert!(report.missing.is_empty());
        let w = |s: &Sequential| match s.get(0) {
            Some(Layer::Linear(l)) => l.weight.val().to_data().try_to_vec_as::<f32>().unwrap(),
            _ => unreachable!(),
        };
        close(&w(&b), &w(&a), 0.0);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn bad_keys_and_shapes_are_refused_without_changes() {
        let dev = device();
        let dir = std::env::temp_dir().join(format!("rockpool-persist-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut m = net(&dev);
        let before = parameter_arrays(&m);
        let bad_key = dir.join("k.npz");
        let arr = |shape: &[usize]| NpyArray::F32(ArrayD::zeros(IxDyn(shape)));
        write_npz(&bad_key, &[("1_Rate.tua".to_string(), arr(&[3]))]).unwrap();
        let err = load_parameters(&mut m, &bad_key).unwrap_err().to_string();
        assert!(
            err.contains("1_Rate.tua") && err.contains("1_Rate.tau"),
            "{err}"
        );
        let bad_shape = dir.join("s.npz");
        write_npz(
            &bad_shape,
            &[
                ("1_Rate.bias".to_string(), arr(&[3])),
                ("0_Linear.weight".to_string(), arr(&[3, 2])),
            ],
        )
        .unwrap();
        let err = load_parameters(&mut m, &bad_shape).unwrap_err().to_string();
        assert!(
            err.contains("weight") && err.contains("(2, 3)") && err.contains("(3, 2)"),
            "{err}"
        );
        let after = parameter_arrays(&m);
        for ((k, a), (_, b)) in before.iter().zip(&after) {
            assert_eq!(a.to_f32(), b.to_f32(), "{k} changed by a failed load");
        }
        let missing = load_parameters(&mut m, dir.join("none.npz"))
            .unwrap_err()
            .to_string();
        assert!(missing.contains("none.npz"), "{missing}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn non_finite_values_are_refused_naming_file_key_and_element() {
        let dev = device();
        let dir = std::env::temp_dir().join(format!("rockpool-persist-nan-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut m = net(&dev);
        let before = parameter_arrays(&m);
        let path = dir.join("nan.npz");
        let cases: [(NpyArray, &str); 4] = [
            (
                NpyArray::F32(ArrayD::from_elem(IxDyn(&[3]), f32::NAN)),
                "[0] is NaN",
            ),
            (
                NpyArray::F64(
                    ArrayD::from_shape_vec(IxDyn(&[3]), vec![0.01, 0.02, f64::NEG_INFINITY])
                        .unwrap(),
                ),
                "[2] is -inf",
            ),
            (
                NpyArray::F64(ArrayD::from_shape_vec(IxDyn(&[3]), vec![0.01, 3e39, 0.03]).unwrap()),
                "[1] = 3e39 does not fit in f32",
            ),
            (
                NpyArray::F32(ArrayD::from_elem(IxDyn(&[1]), f32::INFINITY)),
                "[0] is inf",
            ),
        ];
        for (array, problem) in cases {
            // A good entry first: it must not be applied either.
            write_npz(
                &path,
                &[
                    (
                        "1_Rate.bias".to_string(),
                        NpyArray::F32(ArrayD::ones(IxDyn(&[3]))),
                    ),
                    ("1_Rate.tau".to_string(), array),
                ],
            )
            .unwrap();
            let err = load_parameters(&mut m, &path).unwrap_err().to_string();
            assert!(
                err.contains("nan.npz: key '1_Rate.tau'")
                    && err.contains(problem)
                    && err.contains("must be finite"),
                "{err}"
            );
        }
        let after = parameter_arrays(&m);
        for ((k, a), (_, b)) in before.iter().zip(&after) {
            assert_eq!(a.to_f32(), b.to_f32(), "{k} changed by a failed load");
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn damaged_checkpoints_are_errors_naming_the_file() {
        let dev = device();
        let dir = std::env::temp_dir().join(format!("rockpool-ckpt-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.bpk");
        save_checkpoint(&net(&dev), &good).unwrap();
        let bytes = std::fs::read(&good).unwrap();
        let bad = dir.join("bad.bpk");
        // Truncations and flipped bytes spread over the file, the header densely.
        let step = (bytes.len() / 40).max(1);
        let mut cases: Vec<Vec<u8>> = (0..bytes.len())
            .step_by(step)
            .map(|n| bytes[..n].to_vec())
            .collect();
        let positions = (0..bytes.len().min(64)).chain((64..bytes.len()).step_by(step));
        for i in positions {
            let mut b = bytes.clone();
            b[i] ^= 0xff;
            cases.push(b);
        }
        for case in cases {
            std::fs::write(&bad, &case).unwrap();
            let result = std::panic::catch_unwind(|| load_checkpoint(net(&dev), &bad).map(|_| ()));
            match result {
                Ok(Ok(())) => {}
                Ok(Err(e)) => assert!(e.to_string().contains("bad.bpk"), "{e}"),
                Err(_) => panic!("panic on a damaged checkpoint of {} bytes", case.len()),
            }
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn checkpoint_round_trip() {
        let dev = device();
        let dir = std::env::temp_dir().join(format!("rockpool-ckpt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("net.bpk");
        let a = net(&dev);
        save_checkpoint(&a, &path).unwrap();
        let b = load_checkpoint(net(&dev), &path).unwrap();
        let pa = parameter_arrays(&a);
        let pb = parameter_arrays(&b);
        for ((k, x), (_, y)) in pa.iter().zip(&pb) {
            assert_eq!(x.to_f32(), y.to_f32(), "{k}");
        }
        assert!(b.parameters(()).get("1_Rate.tau").is_some());
        std::fs::remove_dir_all(&dir).ok();
    }
}
