//! Which backend and device computations run on.
//!
//! Backends are compiled in by cargo features (`flex`, the default pure-Rust CPU backend;
//! `ndarray`; `wgpu`; `cuda`). [`default_device`] takes the first compiled-in backend, GPUs
//! first, unless the `BURN_DEVICE` environment variable or an explicit name (the CLI's
//! `--device`) picks another one. Training runs on the autodiff form of a device
//! ([`autodiff`]). [`seed`] makes every random initialisation and noise draw reproducible.

pub use burn::tensor::Device;

use crate::error::{Error, Result};

/// The backends this build of rockpool was compiled with, in order of preference.
pub fn compiled_backends() -> Vec<&'static str> {
    let mut v = Vec::new();
    if cfg!(feature = "cuda") {
        v.push("cuda");
    }
    if cfg!(feature = "wgpu") {
        v.push("wgpu");
    }
    if cfg!(feature = "flex") {
        v.push("flex");
    }
    if cfg!(feature = "ndarray") {
        v.push("ndarray");
    }
    v
}

/// The device named `name` (`flex`, `ndarray`, `wgpu`, `cuda`, `cuda:1`, or `default`).
///
/// Errors when the backend was not compiled in, naming the cargo feature that enables it.
/// A `wgpu` device is initialised eagerly, so a machine without a usable adapter gets an error
/// here rather than a panic at the first tensor operation.
pub fn device_from_name(name: &str) -> Result<Device> {
    let name = name.trim().to_ascii_lowercase();
    let (kind, index) = match name.split_once(':') {
        Some((k, i)) => (
            k.to_string(),
            Some(
                i.parse::<usize>()
                    .map_err(|_| Error::value("device", format!("bad device index in '{name}'")))?,
            ),
        ),
        None => (name.clone(), None),
    };
    let missing = |feature: &str| {
        Error::value(
            "device",
            format!(
                "backend '{feature}' is not compiled into this build (compiled: {}); \
                 rebuild with `--features {feature}`",
                compiled_backends().join(", ")
            ),
        )
    };
    match kind.as_str() {
        "default" | "" => default_device_ignoring_env(),
        "flex" | "cpu" => {
            #[cfg(feature = "flex")]
            {
                Ok(Device::flex())
            }
            #[cfg(not(feature = "flex"))]
            {
                Err(missing("flex"))
            }
        }
        "ndarray" => {
            #[cfg(feature = "ndarray")]
            {
                #[allow(deprecated)]
                Ok(Device::ndarray())
            }
            #[cfg(not(feature = "ndarray"))]
            {
                Err(missing("ndarray"))
            }
        }
        "wgpu" | "gpu" => {
            #[cfg(feature = "wgpu")]
            {
                let _ = index;
                // The runtime can be initialised once per process (a second `init` fails
                // with "Service already initialized"): every later call gets the same device.
                static WGPU: std::sync::OnceLock<std::result::Result<Device, String>> =
                    std::sync::OnceLock::new();
                WGPU.get_or_init(|| Device::wgpu_options().init().map_err(|e| e.to_string()))
                    .clone()
                    .map_err(|e| Error::Backend(format!("no usable wgpu adapter: {e}")))
            }
            #[cfg(not(feature = "wgpu"))]
            {
                Err(missing("wgpu"))
            }
        }
        "cuda" => {
            #[cfg(feature = "cuda")]
            {
                Ok(Device::cuda(index.unwrap_or(0)))
            }
            #[cfg(not(feature = "cuda"))]
            {
                let _ = index;
                Err(missing("cuda"))
            }
        }
        other => Err(Error::value(
            "device",
            format!(
                "unknown device '{other}'; choose one of: default, {}",
                compiled_backends().join(", ")
            ),
        )),
    }
}

fn default_device_ignoring_env() -> Result<Device> {
    match compiled_backends().first() {
        Some(name) => device_from_name(name),
        None => Err(Error::Backend(
            "no backend compiled in: enable one of the features flex, ndarray, wgpu, cuda".into(),
        )),
    }
}

/// The default device: `BURN_DEVICE` if set, else the first compiled-in backend
/// (cuda, wgpu, flex, ndarray in that order).
pub fn default_device() -> Result<Device> {
    match std::env::var("BURN_DEVICE") {
        Ok(name) if !name.trim().is_empty() => device_from_name(&name),
        _ => default_device_ignoring_env(),
    }
}

/// Picks a device from an optional explicit name (the CLI's `--device`), falling back to
/// [`default_device`].
pub fn select_device(name: Option<&str>) -> Result<Device> {
    match name {
        Some(n) => device_from_name(n),
        None => default_device(),
    }
}

/// The autodiff form of `device`, on which tensors record operations for backpropagation.
pub fn autodiff(device: &Device) -> Device {
    device.clone().autodiff()
}

/// Seeds the random number generators: this thread's initialisation generator
/// ([`crate::rng`]) and the backend's generator behind `device` (noise). Initialisations drawn
/// on this thread afterwards are reproducible whatever other threads do; noise is reproducible
/// when one thread simulates at a time (the backend's generator may be process-wide).
pub fn seed(device: &Device, seed: u64) {
    crate::rng::seed(seed);
    device.seed(seed);
}

/// The device a module's tensors live on (the default device for a module without tensors).
pub fn device_of<M: burn::module::Module>(module: &M) -> Result<Device> {
    match module.devices().into_iter().next() {
        Some(d) => Ok(d),
        None => default_device(),
    }
}
