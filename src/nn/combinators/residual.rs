//! `Residual`: a block of modules whose input is added to its output,
//! `y = block(x) + x` (Rockpool's `Residual`). The block must keep the channel count.
//! Its children are listed, named and evolved exactly as in a [`Sequential`].

use burn::module::Module;
use burn::tensor::Tensor;

use crate::error::{Error, Result, fmt_shape};
use crate::module::{DynModule, Evolution, Evolve, ModuleExt, ModuleView, StateTree, Value};
use crate::nn::{Layer, Sequential};

/// A residual block (Rockpool's `Residual`).
#[derive(Module, Debug)]
#[module(custom_display)]
pub struct Residual<M: DynModule = Layer> {
    block: Sequential<M>,
}

impl<M: DynModule> Residual<M> {
    /// Wraps a chain whose `size_in` equals its `size_out`.
    pub fn new(block: Sequential<M>) -> Result<Self> {
        let shape = block.shape();
        if block.is_empty() {
            return Err(Error::value("Residual", "the block is empty"));
        }
        if shape[0] != shape[1] {
            return Err(Error::Shape {
                what: "Residual block".into(),
                expected: "size_in == size_out".into(),
                got: fmt_shape(&shape),
            });
        }
        Ok(Self { block })
    }

    /// Builds the block from modules (auto-named).
    pub fn from_modules(modules: impl IntoIterator<Item = impl Into<M>>) -> Result<Self> {
        Self::new(Sequential::from_modules(modules)?)
    }

    /// The inner chain.
    pub fn block(&self) -> &Sequential<M> {
        &self.block
    }

    /// Mutable access to the inner chain.
    pub fn block_mut(&mut self) -> &mut Sequential<M> {
        &mut self.block
    }
}

impl<M: DynModule> ModuleView for Residual<M> {
    fn class_name(&self) -> String {
        "Residual".into()
    }
    fn shape(&self) -> Vec<usize> {
        self.block.shape()
    }
    fn spiking_input(&self) -> bool {
        self.block.spiking_input()
    }
    fn spiking_output(&self) -> bool {
        self.block.spiking_output()
    }
    fn own_attributes(&self) -> Vec<(String, crate::module::Attr)> {
        Vec::new()
    }
    fn set_own_attribute(&mut self, name: &str, _value: Value) -> Result<()> {
        Err(self.unknown_attribute(name))
    }
    fn submodules(&self) -> Vec<(String, &dyn ModuleView)> {
        self.block.submodules()
    }
    fn submodules_mut(&mut self) -> Vec<(String, &mut dyn ModuleView)> {
        self.block.submodules_mut()
    }
}

impl<M: DynModule> burn::module::ModuleDisplay for Residual<M> {
    fn format(&self, _settings: burn::module::DisplaySettings) -> String {
        self.describe()
    }
}

impl<M: DynModule> Evolve for Residual<M> {
    fn evolve_with(&self, input: Tensor<3>, state: StateTree, record: bool) -> Result<Evolution> {
        let mut ev = self.block.evolve_with(input.clone(), state, record)?;
        ev.output = ev.output + input;
        Ok(ev)
    }
}
