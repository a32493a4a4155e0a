//! `Sequential`: modules evolved one after the other, each output feeding the next input
//! (Rockpool's `Sequential`).
//!
//! Children are named `"{index}_{Class}"` unless given names; names are unique. Shapes are
//! checked as modules are added (`size_out` of one must equal `size_in` of the next). The
//! state is nested by child name; with recording, the record holds each child's record under
//! its name and its output `[B, T, N]` under `"{name}_output"`.
//!
//! `Sequential<M>` is generic over its element type: the default [`Layer`] holds any built-in
//! module (and nested containers); a user's own enum or module type works the same way.

use burn::module::Module;
use burn::tensor::Tensor;

use crate::error::{Error, Result, fmt_shape};
use crate::module::{DynModule, Evolution, Evolve, ModuleExt, ModuleView, StateTree, Tree, Value};
use crate::nn::Layer;

/// A chain of modules (Rockpool's `Sequential`).
#[doc(alias = "ModSequential")]
#[doc(alias = "TorchSequential")]
#[derive(Module, Debug)]
#[module(custom_display)]
pub struct Sequential<M: DynModule = Layer> {
    layers: Vec<M>,
    #[module(skip)]
    names: Vec<String>,
}

impl<M: DynModule> Default for Sequential<M> {
    fn default() -> Self {
        Self {
            layers: Vec::new(),
            names: Vec::new(),
        }
    }
}

impl<M: DynModule> Sequential<M> {
    /// An empty chain.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a chain from modules, auto-naming them `"{index}_{Class}"`.
    pub fn from_modules(modules: impl IntoIterator<Item = impl Into<M>>) -> Result<Self> {
        let mut s = Self::new();
        for m in modules {
            s.push(m)?;
        }
        Ok(s)
    }

    /// Builds a chain from `(name, module)` pairs, in order (Rockpool's `OrderedDict` form).
    pub fn from_named(
        modules: impl IntoIterator<Item = (impl Into<String>, impl Into<M>)>,
    ) -> Result<Self> {
        let mut s = Self::new();
        for (name, m) in modules {
            s.append(m, Some(name.into()))?;
        }
        Ok(s)
    }

    /// Appends a module named `"{index}_{Class}"`.
    pub fn push(&mut self, module: impl Into<M>) -> Result<&mut Self> {
        self.append(module, None)
    }

    /// Appends a module with a name (or an automatic one), checking that its input size
    /// matches the current output size and that the name is unused.
    pub fn append(&mut self, module: impl Into<M>, name: Option<String>) -> Result<&mut Self> {
        let module = module.into();
        let name = name.unwrap_or_else(|| format!("{}_{}", self.layers.len(), module.class_name()));
        if name.is_empty() || name.contains('.') {
            return Err(Error::value(
                "module name",
                format!("'{name}' must be non-empty and contain no '.' (dots separate paths)"),
            ));
        }
        if self.names.contains(&name) {
            return Err(Error::value(
                "module name",
                format!("'{name}' is already used in this Sequential"),
            ));
        }
        if let Some(last) = self.layers.last() {
            let (out, inp) = (last.size_out(), module.size_in());
            if out != inp {
                return Err(Error::Shape {
                    what: format!(
                        "module '{name}' appended after '{}'",
                        self.names.last().expect("names follow layers")
                    ),
                    expected: format!("size_in {out} (the previous module's size_out)"),
                    got: format!("size_in {inp} (shape {})", fmt_shape(&module.shape())),
                });
            }
        }
        self.layers.push(module);
        self.names.push(name);
        Ok(self)
    }

    /// Number of modules.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// Module names in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The module at `index`.
    pub fn get(&self, index: usize) -> Option<&M> {
        self.layers.get(index)
    }

    /// Mutable access to the module at `index`.
    pub fn get_mut(&mut self, index: usize) -> Option<&mut M> {
        self.layers.get_mut(index)
    }

    /// The module named `name`.
    pub fn get_named(&self, name: &str) -> Option<&M> {
        let i = self.names.iter().position(|n| n == name)?;
        self.layers.get(i)
    }

    /// Mutable access to the module named `name`.
    pub fn get_named_mut(&mut self, name: &str) -> Option<&mut M> {
        let i = self.names.iter().position(|n| n == name)?;
        self.layers.get_mut(i)
    }

    /// The modules in order.
    pub fn layers(&self) -> &[M] {
        &self.layers
    }

    /// Names and modules in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &M)> {
        self.names.iter().map(String::as_str).zip(&self.layers)
    }
}

impl<M: DynModule> ModuleView for Sequential<M> {
    fn class_name(&self) -> String {
        "Sequential".into()
    }

    fn shape(&self) -> Vec<usize> {
        match (self.layers.first(), self.layers.last()) {
            (Some(f), Some(l)) => vec![f.size_in(), l.size_out()],
            _ => vec![0, 0],
        }
    }

    fn spiking_input(&self) -> bool {
        self.layers.first().is_some_and(|m| m.spiking_input())
    }

    fn spiking_output(&self) -> bool {
        self.layers.last().is_some_and(|m| m.spiking_output())
    }

    fn time_ratio(&self) -> f64 {
        self.layers.iter().map(|m| m.time_ratio()).product()
    }

    fn own_attributes(&self) -> Vec<(String, crate::module::Attr)> {
        Vec::new()
    }

    fn set_own_attribute(&mut self, name: &str, _value: Value) -> Result<()> {
        Err(self.unknown_attribute(name))
    }

    fn submodules(&self) -> Vec<(String, &dyn ModuleView)> {
        self.names
            .iter()
            .cloned()
            .zip(self.layers.iter().map(|m| m as &dyn ModuleView))
            .collect()
    }

    fn submodules_mut(&mut self) -> Vec<(String, &mut dyn ModuleView)> {
        self.names
            .iter()
            .cloned()
            .zip(self.layers.iter_mut().map(|m| m as &mut dyn ModuleView))
            .collect()
    }
}

impl<M: DynModule> burn::module::ModuleDisplay for Sequential<M> {
    fn format(&self, _settings: burn::module::DisplaySettings) -> String {
        self.describe()
    }
}

impl<M: DynModule> Sequential<M> {
    /// Evolves the chain with `step` standing in for each module's own evolution:
    /// `step(index, module, input, state, record)` evolves module `index` on its input and
    /// its part of the state. The chain threads outputs, nests states and records by name (as
    /// [`Evolve::evolve_with`] does, which is this with `step = Evolve::evolve_with`).
    ///
    /// This is how a transform evolves ordinary modules differently without their knowing,
    /// e.g. quantisation-aware training ([`crate::quant`]) with fake-quantised weights.
    pub fn evolve_each(
        &self,
        input: Tensor<3>,
        state: StateTree,
        record: bool,
        mut step: impl FnMut(usize, &M, Tensor<3>, StateTree, bool) -> Result<Evolution>,
    ) -> Result<Evolution> {
        if self.layers.is_empty() {
            return Err(Error::value(
                "Sequential",
                "cannot evolve an empty Sequential",
            ));
        }
        let mut x = input;
        let mut new_state = Tree::new();
        let mut rec = Tree::new();
        let mut state = state;
        for (i, (name, layer)) in self.names.iter().zip(&self.layers).enumerate() {
            let sub_state = match state.remove(name) {
                Some(crate::module::Node::Branch(t)) => t,
                Some(crate::module::Node::Leaf(_)) => {
                    return Err(Error::value(
                        format!("state of Sequential entry '{name}'"),
                        "expected a nested state tree, found a single tensor",
                    ));
                }
                // A module without state may be missing from the tree.
                None => Tree::new(),
            };
            let ev = step(i, layer, x, sub_state, record)?;
            new_state.insert_branch(name.clone(), ev.state);
            if record {
                rec.insert_branch(name.clone(), ev.record);
                rec.insert(format!("{name}_output"), ev.output.clone().into());
            }
            x = ev.output;
        }
        Ok(Evolution {
            output: x,
            state: new_state,
            record: rec,
        })
    }
}

impl<M: DynModule> Evolve for Sequential<M> {
    fn evolve_with(&self, input: Tensor<3>, state: StateTree, record: bool) -> Result<Evolution> {
        self.evolve_each(input, state, record, |_, m, x, s, r| m.evolve_with(x, s, r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::{ModuleExt, Value};
    use crate::nn::{InstantConfig, InstantFn, LinearConfig, RateConfig, Residual};
    use crate::test_util::{close, device, vec3};

    fn net(dev: &burn::tensor::Device) -> Sequential {
        Sequential::from_modules([
            Layer::from(LinearConfig::new(1, 3).init(dev)),
            Layer::from(RateConfig::new(3).init(dev).unwrap()),
            Layer::from(LinearConfig::new(3, 1).init(dev)),
        ])
        .unwrap()
    }

    #[test]
    fn names_lookup_and_nested_views() {
        let dev = device();
        let mut s = net(&dev);
        assert_eq!(s.names(), ["0_Linear", "1_Rate", "2_Linear"]);
        assert_eq!(s.shape(), [1, 1]);
        assert!(matches!(s.get_named("1_Rate"), Some(Layer::Rate(_))));
        assert!(matches!(s.get(2), Some(Layer::Linear(_))));
        assert_eq!(s.parameters("weights").names(), ["0_Linear", "2_Linear"]);
        assert_eq!(s.state().names(), ["1_Rate"]);
        let mods: Vec<String> = s
            .modules()
            .into_iter()
            .map(|(n, c)| format!("{n}:{c}"))
            .collect();
        assert_eq!(mods, ["0_Linear:Linear", "1_Rate:Rate", "2_Linear:Linear"]);
        // Nested set_attributes reaches the children.
        let ones = Tensor::<2>::ones([1, 3], &dev);
        s.set_attributes(
            &Tree::new().with_branch("0_Linear", Tree::new().with("weight", Value::from(ones))),
        )
        .unwrap();
        let err = s
            .set_attributes(&Tree::new().with_branch("9_Rate", Tree::new()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("'9_Rate'") && err.contains("1_Rate"), "{err}");
    }

    #[test]
    fn records_and_state_are_nested() {
        let dev = device();
        let mut s = net(&dev);
        let ev = s.evolve(Tensor::<2>::ones([5, 1], &dev), true).unwrap();
        let names = ev.record.names();
        assert_eq!(
            names,
            [
                "0_Linear",
                "0_Linear_output",
                "1_Rate",
                "1_Rate_output",
                "2_Linear",
                "2_Linear_output"
            ]
        );
        assert_eq!(ev.record.get("1_Rate.x").unwrap().shape(), [1, 5, 3]);
        assert_eq!(ev.state.get("1_Rate.x").unwrap().shape(), [1, 3]);
        // Without recording, nothing is kept.
        let ev = s.evolve(Tensor::<2>::ones([5, 1], &dev), false).unwrap();
        assert!(ev.record.is_empty());
    }

    #[test]
    fn shape_and_name_errors() {
        let dev = device();
        let mut s: Sequential = Sequential::new();
        s.push(LinearConfig::new(2, 4).init(&dev)).unwrap();
        let err = s
            .push(RateConfig::new(5).init(&dev).unwrap())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("1_Rate") && err.contains("size_in 4") && err.contains("size_in 5"),
            "{err}"
        );
        s.append(
            RateConfig::new(4).init(&dev).unwrap(),
            Some("hidden".into()),
        )
        .unwrap();
        let err = s
            .append(InstantConfig::new(4).init().unwrap(), Some("hidden".into()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("already used"), "{err}");
        assert!(
            s.append(InstantConfig::new(4).init().unwrap(), Some("a.b".into()))
                .is_err()
        );
    }

    #[test]
    fn residual_adds_its_input() {
        let dev = device();
        let w = Tensor::<2>::from_floats([[2.0, 0.0], [0.0, 3.0]], &dev);
        let block: Residual = Residual::from_modules([
            Layer::from(crate::nn::Linear::from_weights(w, None)),
            Layer::from(
                InstantConfig::new(2)
                    .with_function(InstantFn::Relu)
                    .init()
                    .unwrap(),
            ),
        ])
        .unwrap();
        let mut outer: Sequential = Sequential::from_modules([Layer::from(block)]).unwrap();
        let ev = outer
            .evolve(Tensor::<2>::from_floats([[1.0, -1.0]], &dev), false)
            .unwrap();
        // relu([2, -3]) + [1, -1] = [3, -1]
        close(&vec3(&ev.output), &[3.0, -1.0], 1e-6);
        assert_eq!(
            outer.describe(),
            "Sequential with shape (2, 2) {\n    Residual '0_Residual' with shape (2, 2) {\n        Linear '0_Linear' with shape (2, 2)\n        Instant '1_Instant' with shape (2,)\n    }\n}"
        );
        // The block must keep its width.
        let err =
            Residual::<Layer>::from_modules([Layer::from(LinearConfig::new(2, 3).init(&dev))])
                .unwrap_err()
                .to_string();
        assert!(err.contains("(2, 3)"), "{err}");
    }
}
