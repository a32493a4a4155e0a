//! The module model: Rockpool's `Module` contract on top of Burn modules.
//!
//! Every rockpool module is a Burn [`Module`](burn::module::Module) (so Burn traverses its
//! parameters, moves it between devices, saves checkpoints and trains it) and also implements
//! two rockpool traits:
//!
//! - [`ModuleView`] — the Rockpool view, object-safe: the module's class name and shape, its own
//!   attributes (parameters, simulation parameters and state, each with a [`Family`]) and its
//!   named submodules. Everything else — `parameters(family)`, `state()`,
//!   `simulation_parameters()`, `set_attributes(tree)`, `reset_state()`, `.npz` persistence and
//!   the Rockpool-style `Display` — is derived from that one view by [`ModuleExt`], so a new
//!   module gets all of it by describing its fields (see [`module_view!`](crate::module_view)).
//! - [`Evolve`] — the dynamics, in pure form: `evolve_with(input [B,T,Nin], state, record)`
//!   returns the output `[B,T,Nout]`, the new (batched) state and the records. The convenient,
//!   Rockpool-style [`ModuleExt::evolve`] auto-batches the input, starts from the state stored
//!   in the module, and stores batch 0 of the final state back, as Rockpool's numpy and torch
//!   modules do.
//!
//! States and records are [`Tree`]s of [`DynTensor`]s keyed by attribute and submodule names.

pub mod check;
mod tree;
mod value;

pub use tree::{Node, Tree};
pub use value::{Attr, AttrField, AttrKind, DynTensor, Family, FamilyFilter, Value, constant};

use burn::tensor::Tensor;

use crate::error::{Error, Result, fmt_shape};

/// A module's state or records: batched tensors keyed by attribute and submodule names.
pub type StateTree = Tree<DynTensor>;

/// The result of evolving a module over time.
#[derive(Clone, Debug)]
pub struct Evolution {
    /// Output `[batch, time, size_out]`.
    pub output: Tensor<3>,
    /// Final state, batched (`[batch, …]` per entry), keyed like [`ModuleExt::state`].
    pub state: StateTree,
    /// Recorded internal traces `[batch, time, …]` (empty unless recording was asked for).
    pub record: StateTree,
}

/// The Rockpool view of a module: what it is called, its shape, its own attributes and its
/// submodules. Object-safe; implement it with [`module_view!`](crate::module_view).
pub trait ModuleView {
    /// Class name as printed (`"Rate"`, `"Linear"`, `"Sequential"`).
    fn class_name(&self) -> String;

    /// Rockpool's shape tuple: `(N,)` for a square module, `(Nin, Nout)` otherwise.
    fn shape(&self) -> Vec<usize>;

    /// Whether the module expects spike counts as input (used by `.timed()` and plotting).
    fn spiking_input(&self) -> bool {
        false
    }

    /// Whether the module emits spike counts.
    fn spiking_output(&self) -> bool {
        false
    }

    /// This module's own attributes (not those of submodules), in declaration order.
    fn own_attributes(&self) -> Vec<(String, Attr)>;

    /// Sets one of this module's own attributes, checking its shape.
    fn set_own_attribute(&mut self, name: &str, value: Value) -> Result<()>;

    /// Model-specific rules for a value about to be set as attribute `name` (e.g. a LIF
    /// threshold must be positive), beyond the generic ones of [`check::check_value`] that
    /// [`ModuleExt::set_attributes`] applies to every attribute. Default: none.
    fn check_own_attribute(&self, name: &str, value: &Value) -> Result<()> {
        let _ = (name, value);
        Ok(())
    }

    /// Direct submodules with their names, in order.
    fn submodules(&self) -> Vec<(String, &dyn ModuleView)> {
        Vec::new()
    }

    /// Mutable access to the direct submodules.
    fn submodules_mut(&mut self) -> Vec<(String, &mut dyn ModuleView)> {
        Vec::new()
    }

    /// Resets this module's own state to its initial value (zeros). Submodules are handled by
    /// [`ModuleExt::reset_state`].
    fn reset_own_state(&mut self) {}

    /// Re-initialises this module's own parameters from their initialisers (random draws are
    /// repeated; values given explicitly at construction are restored).
    fn reset_own_parameters(&mut self) {}

    /// The duration of one output step over that of one input step: 1 for every module that
    /// keeps the time base (all neuron and weight modules); more for a module that decimates in
    /// time, e.g. a front end turning audio samples into 1.024 ms spike-count bins (50). A
    /// chain multiplies the ratios of its modules. `.timed()` stamps the output with it.
    fn time_ratio(&self) -> f64 {
        1.0
    }
}

/// The dynamics of a module, in pure form.
pub trait Evolve: ModuleView {
    /// Evolves the module over `input` `[batch, time, size_in]` from `state` (batched, as
    /// returned by [`ModuleExt::batched_state`] or a previous evolution).
    ///
    /// Never mutates the module; with `record` the result carries internal traces.
    fn evolve_with(&self, input: Tensor<3>, state: StateTree, record: bool) -> Result<Evolution>;
}

/// What a container ([`Sequential`](crate::nn::Sequential), [`Residual`](crate::nn::Residual))
/// can hold: a Burn module with dynamics and a display. Implemented for every such type.
pub trait DynModule: burn::module::Module + burn::module::ModuleDisplay + Evolve {}

impl<T: burn::module::Module + burn::module::ModuleDisplay + Evolve> DynModule for T {}

/// Input accepted by [`ModuleExt::evolve`]: `[T]`, `[T, N]` or `[B, T, N]` tensors, auto-batched
/// as Rockpool does.
pub trait IntoBatched {
    /// Converts to `[B, T, N]`.
    fn into_batched(self) -> Tensor<3>;
}

impl IntoBatched for Tensor<1> {
    fn into_batched(self) -> Tensor<3> {
        let t = self.dims()[0];
        if t == 0 {
            // Burn's reshape reads a 0 as "keep this axis": an empty input is built directly.
            return Tensor::zeros([1, 0, 1], &self.device());
        }
        self.reshape([1, t, 1])
    }
}

impl IntoBatched for Tensor<2> {
    fn into_batched(self) -> Tensor<3> {
        let [t, n] = self.dims();
        if t == 0 || n == 0 {
            // Burn's unsqueeze and reshape fail on a zero-length axis; nothing to keep.
            return Tensor::zeros([1, t, n], &self.device());
        }
        self.unsqueeze_dim(0)
    }
}

impl IntoBatched for Tensor<3> {
    fn into_batched(self) -> Tensor<3> {
        self
    }
}

/// Checks the channel dimension of `input` against `size_in`, broadcasting a single channel to
/// all inputs as Rockpool does.
pub fn auto_batch(input: Tensor<3>, size_in: usize, what: &str) -> Result<Tensor<3>> {
    let [b, t, n] = input.dims();
    if n == size_in {
        Ok(input)
    } else if n == 1 {
        Ok(input.expand([b, t, size_in]))
    } else {
        Err(Error::Shape {
            what: format!("input of {what}"),
            expected: format!("(batch, time, {size_in}) or one channel to broadcast"),
            got: fmt_shape(&[b, t, n]),
        })
    }
}

/// The result of evolving over an input with no time steps or no batch rows: output
/// `[B, T, size_out]` (one dimension zero), the given state unchanged and no records. Every
/// built-in module's [`Evolve::evolve_with`] returns it for such an input (so nothing empty
/// reaches the kernels); `None` when the input is not empty.
pub fn empty_evolution(input: &Tensor<3>, size_out: usize, state: &StateTree) -> Option<Evolution> {
    let [b, t, _] = input.dims();
    (b == 0 || t == 0).then(|| Evolution {
        output: Tensor::zeros([b, t, size_out], &input.device()),
        state: state.clone(),
        record: StateTree::new(),
    })
}

/// Takes the tensor entry `name` of rank `D` from a batched state tree, checking its shape
/// against `expected` (full shape including the batch dimension).
pub fn state_entry<const D: usize>(
    state: &StateTree,
    name: &str,
    expected: [usize; D],
    module: &str,
) -> Result<Tensor<D>> {
    let t = state.get(name).ok_or_else(|| Error::UnknownAttribute {
        module: module.to_string(),
        name: name.to_string(),
        hint: format!(
            " in the state passed to evolve (state has: {})",
            state.names().join(", ")
        ),
    })?;
    let got = t.shape();
    if got != expected {
        return Err(Error::shape(
            format!("state '{name}' of {module}"),
            fmt_shape(&expected),
            &got,
        ));
    }
    t.clone().into_rank::<D>()
}

/// Everything derived from [`ModuleView`]: nested attribute trees, family filtering,
/// `set_attributes`, resets, display — and, for [`Evolve`] modules, Rockpool-style `evolve`.
pub trait ModuleExt: ModuleView {
    /// `size_in = shape[0]`.
    fn size_in(&self) -> usize {
        self.shape()[0]
    }

    /// `size_out = shape[-1]`.
    fn size_out(&self) -> usize {
        *self.shape().last().expect("a module shape is never empty")
    }

    /// Every attribute of this module and its submodules, nested by submodule name.
    fn attributes(&self) -> Tree<Attr> {
        let mut t = Tree::new();
        for (name, attr) in self.own_attributes() {
            t.insert(name, attr);
        }
        for (name, sub) in self.submodules() {
            t.insert_branch(name, sub.attributes());
        }
        t
    }

    /// Trainable parameters, optionally restricted to families (Rockpool's `parameters()`).
    ///
    /// `family` is `()` for all, a [`Family`], a family name (`"weights"`, `"taus"`, `"bias"`,
    /// …, Rockpool's spellings accepted) or a list of those.
    fn parameters(&self, family: impl Into<FamilyFilter>) -> Tree<Attr> {
        filter_kind(&self.attributes(), AttrKind::Parameter, &family.into())
    }

    /// Simulation parameters (`dt`, `noise_std`, constants …), optionally by family.
    fn simulation_parameters(&self, family: impl Into<FamilyFilter>) -> Tree<Attr> {
        filter_kind(
            &self.attributes(),
            AttrKind::SimulationParameter,
            &family.into(),
        )
    }

    /// The stored state (batch 0 of the last evolution), Rockpool's `state()`.
    fn state(&self) -> Tree<Attr> {
        filter_kind(&self.attributes(), AttrKind::State, &FamilyFilter::All)
    }

    /// Attributes with the given name anywhere in the tree (Rockpool's `attributes_named`).
    fn attributes_named(&self, name: &str) -> Tree<Attr> {
        let mut t = Tree::new();
        for (n, attr) in self.own_attributes() {
            if n == name {
                t.insert(n, attr);
            }
        }
        for (n, sub) in self.submodules() {
            let s = sub.attributes_named(name);
            if !s.is_empty() {
                t.insert_branch(n, s);
            }
        }
        t
    }

    /// Names and class names of the direct submodules (Rockpool's `modules()`).
    fn modules(&self) -> Vec<(String, String)> {
        self.submodules()
            .into_iter()
            .map(|(n, m)| (n, m.class_name()))
            .collect()
    }

    /// Sets any attributes named in `values` (nested by submodule name), checking each shape
    /// and value ([`check::check_value`]: finite, positive time constants, …, and the module's
    /// own [`ModuleView::check_own_attribute`]). Unknown names are errors that list the names
    /// the module has. Values are checked one attribute at a time: on an error, attributes
    /// set before it keep their new values.
    fn set_attributes(&mut self, values: &Tree<Value>) -> Result<()> {
        self.set_attributes_checked(values, true)
    }

    #[doc(hidden)]
    /// [`ModuleExt::set_attributes`], with the value checks on or off (off for a state the
    /// module computed itself).
    fn set_attributes_checked(&mut self, values: &Tree<Value>, check: bool) -> Result<()> {
        for (name, node) in values.iter() {
            match node {
                Node::Leaf(v) => {
                    let attrs = self.own_attributes();
                    let Some((_, attr)) = attrs.iter().find(|(n, _)| n == name) else {
                        return Err(self.unknown_attribute(name));
                    };
                    if check {
                        let what = format!("{}.{name}", self.class_name());
                        check::check_value(&what, name, attr, v)?;
                        self.check_own_attribute(name, v)?;
                    }
                    self.set_own_attribute(name, v.clone())?;
                }
                Node::Branch(sub_values) => {
                    let class = self.class_name();
                    let hint = self.known_names();
                    let mut subs = self.submodules_mut();
                    let Some((_, sub)) = subs.iter_mut().find(|(n, _)| n == name) else {
                        return Err(Error::UnknownAttribute {
                            module: class,
                            name: name.to_string(),
                            hint,
                        });
                    };
                    sub.set_attributes_checked(sub_values, check)?;
                }
            }
        }
        Ok(())
    }

    /// Applies a batched state (as returned in [`Evolution::state`]) to the module, keeping
    /// batch 0 as Rockpool does.
    fn set_state_from_batched(&mut self, state: &StateTree) -> Result<()> {
        let values = state.map(&mut |t: &DynTensor| Value::Tensor(t.first_batch()));
        self.set_attributes_checked(&values, false)
    }

    /// The stored state replicated to `batch` rows: the starting state of [`ModuleExt::evolve`].
    fn batched_state(&self, batch: usize) -> StateTree {
        self.state().filter_map(&mut |a: &Attr| match &a.value {
            Value::Tensor(t) => Some(t.expand_batch(batch)),
            _ => None,
        })
    }

    /// A zero (initial) state with `batch` rows, whatever is stored: the usual start for
    /// training.
    fn zero_state(&self, batch: usize) -> StateTree {
        self.state().filter_map(&mut |a: &Attr| match &a.value {
            Value::Tensor(t) => Some(t.zeros_like().expand_batch(batch)),
            _ => None,
        })
    }

    /// Resets the state of this module and all submodules.
    fn reset_state(&mut self) {
        self.reset_own_state();
        for (_, sub) in self.submodules_mut() {
            sub.reset_state();
        }
    }

    /// Re-initialises the parameters of this module and all submodules.
    fn reset_parameters(&mut self) {
        self.reset_own_parameters();
        for (_, sub) in self.submodules_mut() {
            sub.reset_parameters();
        }
    }

    /// Rockpool's printout: `Rate with shape (4,)`, and for containers the children in braces,
    /// each as `Class 'name' with shape (…)`.
    fn describe(&self) -> String {
        let mut s = String::new();
        describe_into(self.as_view(), None, 0, &mut s);
        s
    }

    /// Upcast helper for the default methods.
    #[doc(hidden)]
    fn as_view(&self) -> &dyn ModuleView;

    #[doc(hidden)]
    fn known_names(&self) -> String {
        let mut names: Vec<String> = self.own_attributes().into_iter().map(|(n, _)| n).collect();
        names.extend(self.submodules().into_iter().map(|(n, _)| n));
        format!(" (it has: {})", names.join(", "))
    }

    #[doc(hidden)]
    fn unknown_attribute(&self, name: &str) -> Error {
        Error::UnknownAttribute {
            module: self.class_name(),
            name: name.to_string(),
            hint: self.known_names(),
        }
    }

    /// Rockpool-style evolution, the checked entry point: auto-batches `input` (`[T]`,
    /// `[T, N]` or `[B, T, N]`; one channel is broadcast to all inputs), refuses NaN, ±inf and
    /// huge values ([`check::check_input`]), starts from the stored state, stores batch 0 of the
    /// final state back and returns output `[B, T, size_out]`, the batched final state and, if
    /// `record`, the records. An input with zero time steps or zero batch rows gives an empty
    /// output and leaves the stored state unchanged (see [`empty_evolution`]).
    fn evolve(&mut self, input: impl IntoBatched, record: bool) -> Result<Evolution>
    where
        Self: Evolve + Sized,
    {
        let input = input.into_batched();
        // Before any broadcast of one channel, so that the check reads the user's values only.
        check::check_input(&input, &self.class_name())?;
        let input = auto_batch(input, self.size_in(), &self.class_name())?;
        let batch = input.dims()[0];
        let state = self.batched_state(batch);
        let ev = self.evolve_with(input, state, record)?;
        if batch > 0 {
            self.set_state_from_batched(&ev.state)?;
        }
        Ok(ev)
    }
}

impl<T: ModuleView> ModuleExt for T {
    fn as_view(&self) -> &dyn ModuleView {
        self
    }
}

impl ModuleExt for dyn ModuleView + '_ {
    fn as_view(&self) -> &dyn ModuleView {
        self
    }
}

fn filter_kind(tree: &Tree<Attr>, kind: AttrKind, family: &FamilyFilter) -> Tree<Attr> {
    tree.filter_map(&mut |a: &Attr| {
        (a.kind == kind && family.matches(a.family.as_ref())).then(|| a.clone())
    })
}

fn describe_into(m: &dyn ModuleView, name: Option<&str>, level: usize, out: &mut String) {
    let indent = "    ".repeat(level);
    out.push_str(&indent);
    out.push_str(&m.class_name());
    if let Some(n) = name {
        out.push_str(&format!(" '{n}'"));
    }
    out.push_str(&format!(" with shape {}", fmt_shape(&m.shape())));
    let subs = m.submodules();
    if !subs.is_empty() {
        out.push_str(" {\n");
        for (n, sub) in subs {
            describe_into(sub, Some(&n), level + 1, out);
            out.push('\n');
        }
        out.push_str(&indent);
        out.push('}');
    }
}

/// Implements [`ModuleView`] (and a Rockpool-style `Display`) for a struct from a list of its
/// fields, so a user's module gets the whole module model with a few lines.
///
/// Fields listed under `parameters` must implement [`AttrField`] (e.g. `Param<Tensor<D>>`);
/// a parameter made non-trainable (Rockpool's `Constant`, [`constant`](crate::module::constant))
/// is shown among the simulation parameters. `simulation_parameters` are plain values (`f64`,
/// `bool`, `String`, enums implementing [`AttrField`]); `state` fields are `Tensor<D>`;
/// an optional `spiking: |s| (input, output)` says whether the module takes / emits spikes;
/// `submodules` implement [`ModuleView`]. The struct must derive Burn's `Module` with
/// `#[module(custom_display)]`.
///
/// ```ignore
/// #[derive(Module, Debug)]
/// #[module(custom_display)]
/// pub struct Net {
///     w_input: Param<Tensor<2>>,
///     rate: Rate,
///     w_output: Param<Tensor<2>>,
/// }
/// rockpool::module_view!(Net {
///     class: "Net",
///     shape: |s| vec![s.w_input.dims()[0], s.w_output.dims()[1]],
///     parameters: { w_input: Weights, w_output: Weights },
///     simulation_parameters: {},
///     state: {},
///     submodules: { rate },
/// });
/// ```
#[macro_export]
macro_rules! module_view {
    ($ty:ty {
        class: $class:expr,
        shape: |$s:ident| $shape:expr,
        $(spiking: |$sk:ident| ($sin:expr, $sout:expr),)?
        parameters: { $($p:ident : $pfam:ident),* $(,)? },
        simulation_parameters: { $($sp:ident),* $(,)? },
        state: { $($st:ident),* $(,)? },
        submodules: { $($sub:ident),* $(,)? }
        $(, reset_parameters: $reset:ident)?
        $(, check_attribute: $check:ident)?
        $(, time_ratio: |$tr:ident| $tre:expr)? $(,)?
    }) => {
        impl $crate::module::ModuleView for $ty {
            fn class_name(&self) -> String {
                String::from($class)
            }
            fn shape(&self) -> Vec<usize> {
                let $s = self;
                $shape
            }
            $(
            fn spiking_input(&self) -> bool {
                let $sk = self;
                let _ = $sk;
                $sin
            }
            fn spiking_output(&self) -> bool {
                let $sk = self;
                let _ = $sk;
                $sout
            }
            )?
            #[allow(clippy::vec_init_then_push)]
            fn own_attributes(&self) -> Vec<(String, $crate::module::Attr)> {
                #[allow(unused_mut)]
                let mut v: Vec<(String, $crate::module::Attr)> = Vec::new();
                $(
                    if $crate::module::AttrField::present(&self.$p) {
                    let kind = if $crate::module::AttrField::is_trainable(&self.$p) {
                        $crate::module::AttrKind::Parameter
                    } else {
                        $crate::module::AttrKind::SimulationParameter
                    };
                    v.push((stringify!($p).to_string(), $crate::module::Attr {
                        kind,
                        family: Some($crate::module::Family::$pfam),
                        value: $crate::module::AttrField::get_value(&self.$p),
                    }));
                    }
                )*
                $(
                    v.push((stringify!($sp).to_string(), $crate::module::Attr {
                        kind: $crate::module::AttrKind::SimulationParameter,
                        family: None,
                        value: $crate::module::AttrField::get_value(&self.$sp),
                    }));
                )*
                $(
                    v.push((stringify!($st).to_string(), $crate::module::Attr {
                        kind: $crate::module::AttrKind::State,
                        family: None,
                        value: $crate::module::AttrField::get_value(&self.$st),
                    }));
                )*
                v
            }
            #[allow(unused_variables)]
            fn set_own_attribute(&mut self, name: &str, value: $crate::module::Value) -> $crate::error::Result<()> {
                let what = format!("{}.{}", $crate::module::ModuleView::class_name(self), name);
                match name {
                    $( stringify!($p) => $crate::module::AttrField::set_value(&mut self.$p, value, &what), )*
                    $( stringify!($sp) => $crate::module::AttrField::set_value(&mut self.$sp, value, &what), )*
                    $( stringify!($st) => $crate::module::AttrField::set_value(&mut self.$st, value, &what), )*
                    _ => Err($crate::module::ModuleExt::unknown_attribute(self, name)),
                }
            }
            fn submodules(&self) -> Vec<(String, &dyn $crate::module::ModuleView)> {
                vec![$( (stringify!($sub).to_string(), &self.$sub as &dyn $crate::module::ModuleView) ),*]
            }
            fn submodules_mut(&mut self) -> Vec<(String, &mut dyn $crate::module::ModuleView)> {
                vec![$( (stringify!($sub).to_string(), &mut self.$sub as &mut dyn $crate::module::ModuleView) ),*]
            }
            fn reset_own_state(&mut self) {
                $( $crate::module::AttrField::reset_zero(&mut self.$st); )*
            }
            $(
            fn reset_own_parameters(&mut self) {
                self.$reset();
            }
            )?
            $(
            fn check_own_attribute(
                &self,
                name: &str,
                value: &$crate::module::Value,
            ) -> $crate::error::Result<()> {
                self.$check(name, value)
            }
            )?
            $(
            fn time_ratio(&self) -> f64 {
                let $tr = self;
                $tre
            }
            )?
        }

        impl burn::module::ModuleDisplay for $ty {
            fn format(&self, _settings: burn::module::DisplaySettings) -> String {
                $crate::module::ModuleExt::describe(self)
            }
        }
    };
}
