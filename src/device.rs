//! Which backend and device computations run on.
//!
//! Backends are compiled in by cargo features (`flex`, the default pure-Rust CPU backend;
//! `ndarray`; `wgpu`; `cuda`). [`default_device`] takes the first compiled-in backend, GPUs
//! first, unless the `BURN_DEVICE` environment variable or an explicit name (the CLI's
//! `--device`, a [`DeviceName`]) picks another one. Training runs on the autodiff form of a device
//! ([`autodiff`]). [`seed`] makes every random initialisation and noise draw reproducible.

pub use burn::tensor::Device;

use rockpool_io::TextEnum;

use crate::error::{Error, Result};

/// A tensor backend rockpool can be built with; each is the cargo feature of the same name.
/// Parses case-insensitively from its name (`gpu` is an alias of `wgpu`, `cpu` of `flex`);
/// declared with [`rockpool_io::text_enum!`], so it is also a serde value and a clap argument
/// type. The variants are in order of preference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BackendKind {
    /// NVIDIA GPUs through CUDA (feature `cuda`).
    Cuda,
    /// GPUs through wgpu: Vulkan, Metal, DX12, GL (feature `wgpu`).
    Wgpu,
    /// Burn's pure-Rust CPU backend (feature `flex`, the default).
    Flex,
    /// The older ndarray CPU backend (feature `ndarray`).
    Ndarray,
}

rockpool_io::text_enum! {
    BackendKind("backend") {
        Cuda => "cuda",
        Wgpu => "wgpu" | "gpu",
        Flex => "flex" | "cpu",
        Ndarray => "ndarray",
    }
}

impl BackendKind {
    /// Whether this build has the backend (its cargo feature was on).
    pub const fn is_compiled(self) -> bool {
        match self {
            BackendKind::Cuda => cfg!(feature = "cuda"),
            BackendKind::Wgpu => cfg!(feature = "wgpu"),
            BackendKind::Flex => cfg!(feature = "flex"),
            BackendKind::Ndarray => cfg!(feature = "ndarray"),
        }
    }
}

/// The backends this build of rockpool was compiled with, in order of preference.
pub fn compiled_backends() -> Vec<BackendKind> {
    BackendKind::VARIANTS
        .iter()
        .copied()
        .filter(|b| b.is_compiled())
        .collect()
}

fn compiled_list() -> String {
    compiled_backends()
        .iter()
        .map(|b| b.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A device as a user names it (the CLI's `--device`, `BURN_DEVICE`): `default`, or a backend
/// with an optional device index, `flex`, `wgpu`, `cuda`, `cuda:1`. Parses case-insensitively
/// ([`FromStr`](std::str::FromStr)) and prints back the same way; as a command-line argument
/// only `default` and the compiled-in backends are accepted (see [`DeviceNameParser`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum DeviceName {
    /// The first compiled-in backend ([`compiled_backends`]).
    #[default]
    Default,
    /// One backend's device.
    Backend {
        /// The backend.
        kind: BackendKind,
        /// The device index (CUDA; ignored by the others); `None` is device 0.
        index: Option<usize>,
    },
}

impl std::str::FromStr for DeviceName {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let name = text.trim().to_ascii_lowercase();
        let (kind, index) = match name.split_once(':') {
            Some((k, i)) => (
                k,
                Some(i.parse::<usize>().map_err(|_| {
                    Error::value("device", format!("bad device index in '{name}'"))
                })?),
            ),
            None => (name.as_str(), None),
        };
        if kind.is_empty() || kind == "default" {
            return match index {
                None => Ok(DeviceName::Default),
                Some(_) => Err(Error::value(
                    "device",
                    format!("'{name}': the default device takes no index"),
                )),
            };
        }
        let kind = kind.parse::<BackendKind>().map_err(|_| {
            Error::value(
                "device",
                format!(
                    "unknown device '{kind}'; choose one of: default, {}",
                    compiled_list()
                ),
            )
        })?;
        Ok(DeviceName::Backend { kind, index })
    }
}

impl std::fmt::Display for DeviceName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeviceName::Default => f.write_str("default"),
            DeviceName::Backend { kind, index: None } => write!(f, "{kind}"),
            DeviceName::Backend {
                kind,
                index: Some(i),
            } => write!(f, "{kind}:{i}"),
        }
    }
}

impl DeviceName {
    /// Checks that the named backend is compiled into this build; the error names the cargo
    /// feature that enables it.
    pub fn check_compiled(self) -> Result<Self> {
        match self {
            DeviceName::Backend { kind, .. } if !kind.is_compiled() => Err(Error::value(
                "device",
                format!(
                    "backend '{kind}' is not compiled into this build (compiled: {}); \
                     rebuild with `--features {kind}`",
                    compiled_list()
                ),
            )),
            _ => Ok(self),
        }
    }

    /// The device. Errors when the backend was not compiled in, naming the cargo feature that
    /// enables it. A `wgpu` device is initialised eagerly, so a machine without a usable
    /// adapter gets an error here rather than a panic at the first tensor operation.
    pub fn device(self) -> Result<Device> {
        match self.check_compiled()? {
            DeviceName::Default => default_device_ignoring_env(),
            DeviceName::Backend { kind, index } => backend_device(kind, index),
        }
    }
}

/// The device named `name` (`flex`, `ndarray`, `wgpu`, `cuda`, `cuda:1`, or `default`; see
/// [`DeviceName`]).
///
/// Errors when the name is unknown or the backend was not compiled in, naming the cargo
/// feature that enables it.
pub fn device_from_name(name: &str) -> Result<Device> {
    name.parse::<DeviceName>()?.device()
}

/// The device of a compiled-in backend (checked by the caller).
fn backend_device(kind: BackendKind, index: Option<usize>) -> Result<Device> {
    let _ = index;
    match kind {
        #[cfg(feature = "flex")]
        BackendKind::Flex => Ok(Device::flex()),
        #[cfg(feature = "ndarray")]
        #[allow(deprecated)]
        BackendKind::Ndarray => Ok(Device::ndarray()),
        #[cfg(feature = "wgpu")]
        BackendKind::Wgpu => {
            // The runtime can be initialised once per process (a second `init` fails
            // with "Service already initialized"): every later call gets the same device.
            static WGPU: std::sync::OnceLock<std::result::Result<Device, String>> =
                std::sync::OnceLock::new();
            WGPU.get_or_init(|| Device::wgpu_options().init().map_err(|e| e.to_string()))
                .clone()
                .map_err(|e| Error::Backend(format!("no usable wgpu adapter: {e}")))
        }
        #[cfg(feature = "cuda")]
        BackendKind::Cuda => Ok(Device::cuda(index.unwrap_or(0))),
        #[allow(unreachable_patterns)]
        other => Err(Error::Backend(format!(
            "backend '{other}' is not compiled into this build"
        ))),
    }
}

fn default_device_ignoring_env() -> Result<Device> {
    match compiled_backends().first() {
        Some(&kind) => backend_device(kind, None),
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
/// [`default_device`] (which reads `BURN_DEVICE`).
pub fn select_device(name: Option<DeviceName>) -> Result<Device> {
    match name {
        Some(n) => n.device(),
        None => default_device(),
    }
}

/// clap's parser of a [`DeviceName`] (its default: an argument of that type needs no
/// `value_parser` attribute). Help lists `default` and the compiled-in backends; a backend that
/// is not compiled in is refused with the cargo feature that enables it.
#[derive(Clone, Copy, Debug, Default)]
pub struct DeviceNameParser;

impl clap::builder::TypedValueParser for DeviceNameParser {
    type Value = DeviceName;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> std::result::Result<DeviceName, clap::Error> {
        value
            .to_string_lossy()
            .parse::<DeviceName>()
            .and_then(DeviceName::check_compiled)
            .map_err(|e| {
                let arg = arg.map_or_else(|| "--device".to_string(), ToString::to_string);
                let why = match e {
                    Error::Value { message, .. } => message,
                    other => other.to_string(),
                };
                clap::Error::raw(
                    clap::error::ErrorKind::InvalidValue,
                    format!(
                        "invalid value '{}' for '{arg}': {why}\n",
                        value.to_string_lossy()
                    ),
                )
                .with_cmd(cmd)
            })
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        let names = std::iter::once("default")
            .chain(compiled_backends().into_iter().map(|b| TextEnum::name(&b)));
        Some(Box::new(names.map(clap::builder::PossibleValue::new)))
    }
}

impl clap::builder::ValueParserFactory for DeviceName {
    type Parser = DeviceNameParser;

    fn value_parser() -> DeviceNameParser {
        DeviceNameParser
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names_parse_and_print_back() {
        for (text, want) in [
            ("default", DeviceName::Default),
            ("", DeviceName::Default),
            (
                " FLEX ",
                DeviceName::Backend {
                    kind: BackendKind::Flex,
                    index: None,
                },
            ),
            (
                "cpu",
                DeviceName::Backend {
                    kind: BackendKind::Flex,
                    index: None,
                },
            ),
            (
                "cuda:1",
                DeviceName::Backend {
                    kind: BackendKind::Cuda,
                    index: Some(1),
                },
            ),
        ] {
            let name: DeviceName = text.parse().unwrap();
            assert_eq!(name, want, "{text}");
            assert_eq!(name.to_string().parse::<DeviceName>().unwrap(), name);
        }
        let err = "tpu".parse::<DeviceName>().unwrap_err().to_string();
        assert!(
            err.contains("unknown device 'tpu'") && err.contains("default"),
            "{err}"
        );
        let err = "cuda:x".parse::<DeviceName>().unwrap_err().to_string();
        assert!(err.contains("bad device index"), "{err}");
    }

    #[test]
    fn only_compiled_backends_make_devices() {
        assert_eq!(
            compiled_backends(),
            BackendKind::VARIANTS
                .iter()
                .copied()
                .filter(|b| b.is_compiled())
                .collect::<Vec<_>>()
        );
        assert!(device_from_name("flex").is_ok(), "tests build with flex");
        if !BackendKind::Cuda.is_compiled() {
            let err = device_from_name("cuda").unwrap_err().to_string();
            assert!(err.contains("--features cuda"), "{err}");
        }
    }
}
