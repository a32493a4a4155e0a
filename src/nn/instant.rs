//! `Instant`: an element-wise function applied at every time step, `y[t] = f(x[t])`
//! (Rockpool's `Instant`). Named functions come from configs; any Rust closure can be used
//! from code. No parameters, no state.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use burn::module::Module;
use burn::tensor::{Tensor, activation};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::module::{Evolution, Evolve, StateTree, Tree, auto_batch};

/// A user function on `[B, T, N]` tensors.
pub type InstantClosure = Arc<dyn Fn(Tensor<3>) -> Tensor<3> + Send + Sync>;

/// The function an [`Instant`] module applies.
#[derive(Clone, Default)]
pub enum InstantFn {
    /// `f(x) = x` (Rockpool's default).
    #[default]
    Identity,
    /// `max(x, 0)`.
    Relu,
    /// `tanh(x)`.
    Tanh,
    /// Logistic `1 / (1 + e^{-x})`.
    Sigmoid,
    /// `|x|`.
    Abs,
    /// `e^x`.
    Exp,
    /// Any function; `name` is what is printed.
    Custom {
        /// Printed name.
        name: String,
        /// The function.
        f: InstantClosure,
    },
}

impl InstantFn {
    /// Wraps a closure.
    pub fn custom(
        name: impl Into<String>,
        f: impl Fn(Tensor<3>) -> Tensor<3> + Send + Sync + 'static,
    ) -> Self {
        InstantFn::Custom {
            name: name.into(),
            f: Arc::new(f),
        }
    }

    /// Applies the function.
    pub fn apply(&self, x: Tensor<3>) -> Tensor<3> {
        match self {
            InstantFn::Identity => x,
            InstantFn::Relu => activation::relu(x),
            InstantFn::Tanh => x.tanh(),
            InstantFn::Sigmoid => activation::sigmoid(x),
            InstantFn::Abs => x.abs(),
            InstantFn::Exp => x.exp(),
            InstantFn::Custom { f, .. } => f(x),
        }
    }
}

impl fmt::Debug for InstantFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for InstantFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InstantFn::Identity => "identity",
            InstantFn::Relu => "relu",
            InstantFn::Tanh => "tanh",
            InstantFn::Sigmoid => "sigmoid",
            InstantFn::Abs => "abs",
            InstantFn::Exp => "exp",
            InstantFn::Custom { name, .. } => name,
        })
    }
}

impl FromStr for InstantFn {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "identity" | "id" | "linear" => InstantFn::Identity,
            "relu" => InstantFn::Relu,
            "tanh" => InstantFn::Tanh,
            "sigmoid" | "logistic" => InstantFn::Sigmoid,
            "abs" => InstantFn::Abs,
            "exp" => InstantFn::Exp,
            other => {
                return Err(format!(
                    "unknown function '{other}' (identity, relu, tanh, sigmoid, abs, exp)"
                ));
            }
        })
    }
}

crate::text_attr_field!(InstantFn);

impl Serialize for InstantFn {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for InstantFn {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Hyper-parameters of an [`Instant`] module (also its TOML form).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstantConfig {
    /// Number of channels (input = output).
    pub n: usize,
    /// The function (default identity).
    #[serde(default)]
    pub function: InstantFn,
}

impl InstantConfig {
    /// `n` channels, identity.
    pub fn new(n: usize) -> Self {
        Self {
            n,
            function: InstantFn::Identity,
        }
    }

    /// Chooses the function.
    pub fn with_function(mut self, function: InstantFn) -> Self {
        self.function = function;
        self
    }

    /// Builds the module.
    pub fn init(&self) -> Result<Instant> {
        if self.n == 0 {
            return Err(Error::value("Instant.n", "needs at least one channel"));
        }
        // An input of one channel is broadcast to all `n` at evolution time.
        crate::nn::defaults::check_elements("Instant channels", &[self.n])?;
        Ok(Instant {
            n: self.n,
            function: self.function.clone(),
        })
    }
}

/// An element-wise function module (Rockpool's `Instant`).
#[doc(alias = "InstantTorch")]
#[derive(Module, Debug)]
#[module(custom_display)]
pub struct Instant {
    /// Number of channels.
    pub n: usize,
    /// The function.
    #[module(skip)]
    pub function: InstantFn,
}

crate::module_view!(Instant {
    class: "Instant",
    shape: |s| vec![s.n],
    parameters: {},
    simulation_parameters: { function },
    state: {},
    submodules: {},
});

impl Evolve for Instant {
    fn evolve_with(&self, input: Tensor<3>, state: StateTree, record: bool) -> Result<Evolution> {
        let _ = (state, record);
        let input = auto_batch(input, self.n, "Instant")?;
        if let Some(ev) = crate::module::empty_evolution(&input, self.n, &StateTree::new()) {
            return Ok(ev);
        }
        let output = self.function.apply(input);
        let [_, _, n_out] = output.dims();
        if n_out != self.n {
            return Err(Error::shape(
                format!("output of Instant function '{}'", self.function),
                format!("(B, T, {})", self.n),
                &output.dims(),
            ));
        }
        Ok(Evolution {
            output,
            state: Tree::new(),
            record: Tree::new(),
        })
    }
}
