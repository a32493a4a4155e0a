//! Network files: a TOML description of a network as a chain of named modules, each with its
//! hyper-parameters, composed with nested `sequential` and `residual` blocks. The CLI and the
//! training configurations read them.
//!
//! ```toml
//! seed = 42            # optional: seeds the random initialisation
//!
//! [[layers]]
//! type = "linear"      # linear | rate | instant | sequential | residual
//! size_in = 1
//! size_out = 10
//!
//! [[layers]]
//! type = "rate"
//! name = "hidden"      # optional; default "{index}_{Class}"
//! n = 10
//! tau = 0.05           # seconds; a scalar or one value per neuron
//!
//! [[layers]]
//! type = "linear"
//! size_in = 10
//! size_out = 1
//! ```
//!
//! A residual block lists its own layers: `[[layers]] type = "residual"` followed by
//! `[[layers.layers]]` tables.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::device::Device;
use crate::error::{Error, Result};
use crate::nn::{Layer, NamedLayerConfig, Sequential, layer::ChainConfig};

/// A network file.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    /// Seed for the random initialisation (weights drawn reproducibly).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// The modules, in order.
    pub layers: Vec<NamedLayerConfig>,
}

impl NetworkConfig {
    /// Parses a network from TOML text; `file` names the source in errors. A training
    /// configuration is accepted too: its `[network]` table is the network.
    pub fn from_toml_str(text: &str, file: &str) -> Result<Self> {
        let err = |e: toml::de::Error| Error::config(file, e.to_string().trim_end());
        let table: toml::Table = toml::from_str(text).map_err(err)?;
        let cfg: NetworkConfig = match table.get("network") {
            Some(toml::Value::Table(net)) if !table.contains_key("layers") => {
                net.clone().try_into().map_err(err)?
            }
            _ => toml::from_str(text).map_err(err)?,
        };
        if cfg.layers.is_empty() {
            return Err(Error::config(
                file,
                "the network has no layers ([[layers]] tables)",
            ));
        }
        Ok(cfg)
    }

    /// Reads a network file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = crate::error::read_text(path)?;
        Self::from_toml_str(&text, &path.display().to_string())
    }

    /// The network as TOML text.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("network configs serialise")
    }

    /// Builds the network on `device` (seeding it first if the file has a seed).
    pub fn build(&self, device: &Device) -> Result<Sequential<Layer>> {
        if let Some(seed) = self.seed {
            crate::device::seed(device, seed);
        }
        ChainConfig {
            layers: self.layers.clone(),
        }
        .init_sequential(device)
    }
}

/// Reads a network file and builds it on `device`, naming the file in any error.
pub fn load_network(path: impl AsRef<Path>, device: &Device) -> Result<Sequential<Layer>> {
    let path = path.as_ref();
    NetworkConfig::load(path)?
        .build(device)
        .map_err(|e| Error::config(path.display().to_string(), e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::ModuleExt;
    use crate::test_util::device;

    const NET: &str = r#"
seed = 5

[[layers]]
type = "linear"
size_in = 2
size_out = 4

[[layers]]
type = "residual"

[[layers.layers]]
type = "rate"
name = "inner"
n = 4
tau = [0.01, 0.02, 0.03, 0.04]
act_fn = "tanh"

[[layers]]
type = "instant"
n = 4
function = "relu"
"#;

    #[test]
    fn builds_nested_networks_reproducibly() {
        let dev = device();
        let cfg = NetworkConfig::from_toml_str(NET, "net.toml").unwrap();
        let a = cfg.build(&dev).unwrap();
        assert_eq!(
            a.describe(),
            "Sequential with shape (2, 4) {\n    Linear '0_Linear' with shape (2, 4)\n    Residual '1_Residual' with shape (4, 4) {\n        Rate 'inner' with shape (4,)\n    }\n    Instant '2_Instant' with shape (4,)\n}"
        );
        let b = cfg.build(&dev).unwrap();
        let w = |s: &Sequential<Layer>| match s.get(0) {
            Some(Layer::Linear(l)) => l.weight.val().to_data().try_to_vec_as::<f32>().unwrap(),
            _ => unreachable!(),
        };
        assert_eq!(w(&a), w(&b), "the seed makes initialisation reproducible");
        let tau = a.parameters("taus");
        assert!(tau.get("1_Residual.inner.tau").is_some());
        // Round trip through TOML text.
        let again = NetworkConfig::from_toml_str(&cfg.to_toml(), "x").unwrap();
        assert_eq!(again.layers.len(), 3);
    }

    #[test]
    fn bad_files_name_the_problem() {
        let dev = device();
        let unknown_field = "[[layers]]\ntype = \"rate\"\nn = 3\ntaus = 0.1\n";
        let err = NetworkConfig::from_toml_str(unknown_field, "a.toml")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("a.toml:") && err.contains("taus"), "{err}");
        let unknown_type = "[[layers]]\ntype = \"lstm\"\nn = 3\n";
        let err = NetworkConfig::from_toml_str(unknown_type, "b.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("lstm"), "{err}");
        let wrong_type = "[[layers]]\ntype = \"rate\"\nn = \"three\"\n";
        let err = NetworkConfig::from_toml_str(wrong_type, "c.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("c.toml") && err.contains("three"), "{err}");
        let err = NetworkConfig::from_toml_str("", "d.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("layers"), "{err}");
        let mismatch = "[[layers]]\ntype = \"linear\"\nsize_in = 2\nsize_out = 3\n[[layers]]\ntype = \"rate\"\nn = 4\n";
        let err = NetworkConfig::from_toml_str(mismatch, "e.toml")
            .unwrap()
            .build(&dev)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("layer 1") && err.contains("size_in 3"),
            "{err}"
        );
        let bad_value = "[[layers]]\ntype = \"rate\"\nn = 2\ntau = [0.1, 0.2, 0.3]\n";
        let err = NetworkConfig::from_toml_str(bad_value, "f.toml")
            .unwrap()
            .build(&dev)
            .unwrap_err()
            .to_string();
        assert!(err.contains("Rate.tau") && err.contains("(3,)"), "{err}");
    }
}
