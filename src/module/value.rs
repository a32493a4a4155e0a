//! Attribute values of the Rockpool view: families, kinds, values of any rank, and the
//! [`AttrField`] trait that lets a struct field take part in the view.

use std::fmt;
use std::str::FromStr;

use burn::module::Param;
use burn::tensor::{Device, Tensor, TensorData};

use crate::error::{Error, Result, fmt_shape};

/// A parameter family, as Rockpool uses them to select parameters (`parameters("taus")`).
///
/// Parses from Rockpool's spellings: `weights`/`weight`, `taus`/`tau`, `bias`/`biases`,
/// `threshold`/`thresholds`, `decays`, `bitshifts`; anything else is a [`Family::Custom`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// Weight matrices.
    Weights,
    /// Time constants (seconds).
    Taus,
    /// Biases.
    Biases,
    /// Firing thresholds.
    Thresholds,
    /// Decay factors `exp(-dt/tau)`.
    Decays,
    /// Bit-shift decays (`dash`).
    Bitshifts,
    /// Any other family name.
    Custom(String),
}

impl FromStr for Family {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "weights" | "weight" => Family::Weights,
            "taus" | "tau" => Family::Taus,
            "bias" | "biases" => Family::Biases,
            "threshold" | "thresholds" => Family::Thresholds,
            "decays" | "decay" => Family::Decays,
            "bitshifts" | "bitshift" => Family::Bitshifts,
            other => Family::Custom(other.to_string()),
        })
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Family::Weights => "weights",
            Family::Taus => "taus",
            Family::Biases => "biases",
            Family::Thresholds => "thresholds",
            Family::Decays => "decays",
            Family::Bitshifts => "bitshifts",
            Family::Custom(s) => s,
        })
    }
}

/// Which families to select: all, or any of a list.
#[derive(Clone, Debug, PartialEq)]
pub enum FamilyFilter {
    /// No filter.
    All,
    /// Attributes whose family is one of these.
    Any(Vec<Family>),
}

impl FamilyFilter {
    /// Whether an attribute of family `f` passes.
    pub fn matches(&self, f: Option<&Family>) -> bool {
        match self {
            FamilyFilter::All => true,
            FamilyFilter::Any(list) => f.is_some_and(|f| list.contains(f)),
        }
    }
}

impl From<()> for FamilyFilter {
    fn from(_: ()) -> Self {
        FamilyFilter::All
    }
}
impl From<Family> for FamilyFilter {
    fn from(f: Family) -> Self {
        FamilyFilter::Any(vec![f])
    }
}
impl From<&str> for FamilyFilter {
    fn from(s: &str) -> Self {
        FamilyFilter::Any(vec![s.parse().expect("infallible")])
    }
}
impl From<Option<&str>> for FamilyFilter {
    fn from(s: Option<&str>) -> Self {
        s.map_or(FamilyFilter::All, FamilyFilter::from)
    }
}
impl<const N: usize> From<[&str; N]> for FamilyFilter {
    fn from(s: [&str; N]) -> Self {
        FamilyFilter::Any(s.iter().map(|x| x.parse().expect("infallible")).collect())
    }
}
impl From<Vec<Family>> for FamilyFilter {
    fn from(v: Vec<Family>) -> Self {
        FamilyFilter::Any(v)
    }
}

/// Rockpool's three kinds of registered attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrKind {
    /// Trainable configuration (weights, time constants, biases, thresholds).
    Parameter,
    /// Transient dynamical state.
    State,
    /// Simulation settings and constants (`dt`, `noise_std`, activation functions …).
    SimulationParameter,
}

/// A tensor of rank 1 to 4, as attributes, states and records have different ranks.
#[derive(Clone, Debug)]
pub enum DynTensor {
    /// Rank 1.
    D1(Tensor<1>),
    /// Rank 2.
    D2(Tensor<2>),
    /// Rank 3.
    D3(Tensor<3>),
    /// Rank 4.
    D4(Tensor<4>),
}

macro_rules! each_rank {
    ($self:expr, $t:ident => $e:expr) => {
        match $self {
            DynTensor::D1($t) => $e,
            DynTensor::D2($t) => $e,
            DynTensor::D3($t) => $e,
            DynTensor::D4($t) => $e,
        }
    };
}

impl DynTensor {
    /// The shape.
    pub fn shape(&self) -> Vec<usize> {
        each_rank!(self, t => t.dims().to_vec())
    }

    /// The rank.
    pub fn rank(&self) -> usize {
        self.shape().len()
    }

    /// The device the tensor lives on.
    pub fn device(&self) -> Device {
        each_rank!(self, t => t.device())
    }

    /// Copies the values to host memory.
    pub fn to_data(&self) -> TensorData {
        each_rank!(self, t => t.to_data())
    }

    /// Values as `f32`, row-major.
    pub fn to_vec_f32(&self) -> Vec<f32> {
        self.to_data()
            .try_to_vec_as::<f32>()
            .expect("converted data is f32")
    }

    /// Builds a tensor of the data's rank on `device`.
    pub fn from_data(data: TensorData, device: &Device) -> Result<Self> {
        let data = data.convert::<f32>();
        Ok(match data.shape().len() {
            1 => DynTensor::D1(Tensor::from_data(data, device)),
            2 => DynTensor::D2(Tensor::from_data(data, device)),
            3 => DynTensor::D3(Tensor::from_data(data, device)),
            4 => DynTensor::D4(Tensor::from_data(data, device)),
            r => {
                return Err(Error::value(
                    "tensor",
                    format!("rank {r} is not supported (ranks 1 to 4 are)"),
                ));
            }
        })
    }

    /// The tensor as rank `D`, or an error naming both ranks.
    pub fn into_rank<const D: usize>(self) -> Result<Tensor<D>> {
        let shape = self.shape();
        if shape.len() != D {
            return Err(Error::value(
                "tensor",
                format!("expected rank {D}, got shape {}", fmt_shape(&shape)),
            ));
        }
        let t = each_rank!(self, t => t.reshape(to_array::<D>(&shape)));
        Ok(t)
    }

    /// The same shape, filled with zeros.
    pub fn zeros_like(&self) -> Self {
        match self {
            DynTensor::D1(t) => DynTensor::D1(t.zeros_like()),
            DynTensor::D2(t) => DynTensor::D2(t.zeros_like()),
            DynTensor::D3(t) => DynTensor::D3(t.zeros_like()),
            DynTensor::D4(t) => DynTensor::D4(t.zeros_like()),
        }
    }

    /// Adds a leading batch dimension of size `batch`, replicating the values.
    pub fn expand_batch(&self, batch: usize) -> Self {
        if batch == 0 {
            // Burn's `expand` refuses a zero dimension: an empty batch is built directly.
            let mut shape = vec![0];
            shape.extend(self.shape());
            let d = self.device();
            return match shape.len() {
                2 => DynTensor::D2(Tensor::zeros([0, shape[1]], &d)),
                3 => DynTensor::D3(Tensor::zeros([0, shape[1], shape[2]], &d)),
                _ => DynTensor::D4(Tensor::zeros([0, shape[1], shape[2], shape[3]], &d)),
            };
        }
        match self {
            DynTensor::D1(t) => {
                let [n] = t.dims();
                DynTensor::D2(t.clone().unsqueeze_dim::<2>(0).expand([batch, n]))
            }
            DynTensor::D2(t) => {
                let [a, b] = t.dims();
                DynTensor::D3(t.clone().unsqueeze_dim::<3>(0).expand([batch, a, b]))
            }
            DynTensor::D3(t) => {
                let [a, b, c] = t.dims();
                DynTensor::D4(t.clone().unsqueeze_dim::<4>(0).expand([batch, a, b, c]))
            }
            DynTensor::D4(_) => panic!("cannot add a batch dimension to a rank-4 tensor"),
        }
    }

    /// Drops the leading batch dimension, keeping batch 0.
    pub fn first_batch(&self) -> Self {
        match self {
            DynTensor::D1(t) => DynTensor::D1(t.clone()),
            DynTensor::D2(t) => {
                let [_, n] = t.dims();
                DynTensor::D1(t.clone().slice([0..1, 0..n]).reshape([n]))
            }
            DynTensor::D3(t) => {
                let [_, a, b] = t.dims();
                DynTensor::D2(t.clone().slice([0..1, 0..a, 0..b]).reshape([a, b]))
            }
            DynTensor::D4(t) => {
                let [_, a, b, c] = t.dims();
                DynTensor::D3(t.clone().slice([0..1, 0..a, 0..b, 0..c]).reshape([a, b, c]))
            }
        }
    }
}

fn to_array<const D: usize>(shape: &[usize]) -> [usize; D] {
    let mut a = [0; D];
    a.copy_from_slice(shape);
    a
}

impl fmt::Display for DynTensor {
    /// Shape and the first few values: `(4,) [0.0200, 0.0200, 0.0200, 0.0200]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}",
            fmt_shape(&self.shape()),
            fmt_values(&self.to_vec_f32())
        )
    }
}

impl<const D: usize> From<Tensor<D>> for DynTensor {
    fn from(t: Tensor<D>) -> Self {
        let shape = t.dims().to_vec();
        match D {
            1 => DynTensor::D1(t.reshape(to_array::<1>(&shape))),
            2 => DynTensor::D2(t.reshape(to_array::<2>(&shape))),
            3 => DynTensor::D3(t.reshape(to_array::<3>(&shape))),
            4 => DynTensor::D4(t.reshape(to_array::<4>(&shape))),
            _ => panic!("DynTensor supports ranks 1 to 4, got {D}"),
        }
    }
}

/// An attribute value.
#[allow(clippy::large_enum_variant)] // short-lived; boxing would only add allocations
#[derive(Clone, Debug)]
pub enum Value {
    /// A tensor on a device.
    Tensor(DynTensor),
    /// Host data (from a file); converted onto the module's device when set.
    Data(TensorData),
    /// A real number (`dt` in seconds, `noise_std` …).
    Float(f64),
    /// An integer.
    Int(i64),
    /// A flag.
    Bool(bool),
    /// A name (activation function, surrogate …).
    Text(String),
}

impl Value {
    /// The tensor shape (`()` for scalars).
    pub fn shape(&self) -> Vec<usize> {
        match self {
            Value::Tensor(t) => t.shape(),
            Value::Data(d) => d.shape().to_vec(),
            _ => Vec::new(),
        }
    }

    /// Host data of a tensor value (scalars as 0-d data).
    pub fn to_data(&self) -> TensorData {
        match self {
            Value::Tensor(t) => t.to_data(),
            Value::Data(d) => d.clone(),
            Value::Float(x) => TensorData::new(vec![*x], [0usize; 0]),
            Value::Int(x) => TensorData::new(vec![*x], [0usize; 0]),
            Value::Bool(x) => TensorData::new(vec![*x], [0usize; 0]),
            Value::Text(_) => TensorData::new(Vec::<f32>::new(), [0]),
        }
    }

    /// A real number, from a float, an integer or a one-element tensor.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Float(x) => Some(*x),
            Value::Int(x) => Some(*x as f64),
            Value::Tensor(_) | Value::Data(_) => {
                let d = self.to_data().convert::<f64>();
                let v = d.try_to_vec_as::<f64>().ok()?;
                (v.len() == 1).then(|| v[0])
            }
            _ => None,
        }
    }
}

impl<const D: usize> From<Tensor<D>> for Value {
    fn from(t: Tensor<D>) -> Self {
        Value::Tensor(t.into())
    }
}
impl From<f64> for Value {
    fn from(x: f64) -> Self {
        Value::Float(x)
    }
}
impl From<&str> for Value {
    fn from(x: &str) -> Self {
        Value::Text(x.to_string())
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Tensor(_) | Value::Data(_) => {
                let d = self.to_data().convert::<f32>();
                let v = d.try_to_vec_as::<f32>().unwrap_or_default();
                write!(f, "{} {}", fmt_shape(d.shape()), fmt_values(&v))
            }
            Value::Float(x) => write!(f, "{x}"),
            Value::Int(x) => write!(f, "{x}"),
            Value::Bool(x) => write!(f, "{x}"),
            Value::Text(s) => write!(f, "{s}"),
        }
    }
}

fn fmt_values(v: &[f32]) -> String {
    const MAX: usize = 8;
    let shown: Vec<String> = v.iter().take(MAX).map(|x| format!("{x:.4}")).collect();
    if v.len() > MAX {
        format!("[{}, … ({} values)]", shown.join(", "), v.len())
    } else {
        format!("[{}]", shown.join(", "))
    }
}

/// One attribute of the Rockpool view.
#[derive(Clone, Debug)]
pub struct Attr {
    /// Parameter, state or simulation parameter.
    pub kind: AttrKind,
    /// The family, for parameters.
    pub family: Option<Family>,
    /// The current value.
    pub value: Value,
}

impl fmt::Display for Attr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

/// A struct field that takes part in the Rockpool view: it can be read as a [`Value`] and set
/// from one with a shape check.
pub trait AttrField {
    /// The current value.
    fn get_value(&self) -> Value;
    /// Sets the value; `what` names the attribute in error messages.
    fn set_value(&mut self, value: Value, what: &str) -> Result<()>;
    /// Whether the optimiser trains it (false for constants and plain values).
    fn is_trainable(&self) -> bool {
        false
    }
    /// Resets a state field to zeros.
    fn reset_zero(&mut self) {}
    /// Whether the attribute exists (an optional bias may be absent).
    fn present(&self) -> bool {
        true
    }
}

impl<T: AttrField> AttrField for Option<T> {
    fn get_value(&self) -> Value {
        match self {
            Some(v) => v.get_value(),
            None => Value::Text("None".into()),
        }
    }
    fn set_value(&mut self, value: Value, what: &str) -> Result<()> {
        match self {
            Some(v) => v.set_value(value, what),
            None => Err(Error::value(
                what,
                "this module was built without it (e.g. `has_bias = false`); rebuild the module with it enabled",
            )),
        }
    }
    fn is_trainable(&self) -> bool {
        self.as_ref().is_some_and(|v| v.is_trainable())
    }
    fn reset_zero(&mut self) {
        if let Some(v) = self {
            v.reset_zero()
        }
    }
    fn present(&self) -> bool {
        self.is_some()
    }
}

fn tensor_from_value<const D: usize>(
    value: Value,
    shape: [usize; D],
    device: &Device,
    what: &str,
) -> Result<Tensor<D>> {
    let data = match value {
        Value::Tensor(t) => {
            let got = t.shape();
            if got == shape {
                return Ok(t.into_rank::<D>()?.to_device(device));
            }
            t.to_data()
        }
        Value::Data(d) => d,
        v @ (Value::Float(_) | Value::Int(_)) => {
            let x = v.as_f64().expect("numeric");
            return Ok(Tensor::full(shape, x, device));
        }
        other => {
            return Err(Error::value(
                what,
                format!(
                    "expected an array of shape {}, got '{other}'",
                    fmt_shape(&shape)
                ),
            ));
        }
    };
    let got = data.shape().to_vec();
    let data = data.convert::<f32>();
    if got == shape {
        Ok(Tensor::from_data(data, device))
    } else if got.iter().product::<usize>() == 1 {
        // A scalar (or one-element array) fills the whole attribute, as Rockpool's
        // scalar-shaped parameters broadcast.
        let v = data
            .try_to_vec_as::<f32>()
            .map_err(|e| Error::Backend(format!("{e:?}")))?;
        Ok(Tensor::full(shape, v[0], device))
    } else {
        Err(Error::shape(what, fmt_shape(&shape), &got))
    }
}

impl<const D: usize> AttrField for Param<Tensor<D>> {
    fn get_value(&self) -> Value {
        Value::Tensor(self.val().into())
    }
    fn set_value(&mut self, value: Value, what: &str) -> Result<()> {
        let current = self.val();
        let t = tensor_from_value(value, current.dims(), &current.device(), what)?.detach();
        let track = current.is_autodiff() && self.is_trainable();
        // `map` keeps the parameter id (optimiser state stays attached) and its configured
        // trainability; on an autodiff device the fresh leaf must track gradients again.
        let p = self.clone();
        *self = p.map(|_| if track { t.require_grad() } else { t });
        Ok(())
    }
    fn is_trainable(&self) -> bool {
        // Burn keeps a parameter's configured trainability even on a plain device, where the
        // tensor itself never tracks gradients; `train()` reinstates it on the autodiff form.
        if self.val().is_autodiff() {
            self.is_require_grad()
        } else {
            burn::module::Module::train(self.clone()).is_require_grad()
        }
    }
}

impl<const D: usize> AttrField for Tensor<D> {
    fn get_value(&self) -> Value {
        Value::Tensor(self.clone().into())
    }
    fn set_value(&mut self, value: Value, what: &str) -> Result<()> {
        *self = tensor_from_value(value, self.dims(), &self.device(), what)?;
        Ok(())
    }
    fn reset_zero(&mut self) {
        *self = self.zeros_like();
    }
}

impl AttrField for f64 {
    fn get_value(&self) -> Value {
        Value::Float(*self)
    }
    fn set_value(&mut self, value: Value, what: &str) -> Result<()> {
        *self = value
            .as_f64()
            .ok_or_else(|| Error::value(what, format!("expected a number, got '{value}'")))?;
        Ok(())
    }
}

impl AttrField for usize {
    fn get_value(&self) -> Value {
        Value::Int(*self as i64)
    }
    fn set_value(&mut self, value: Value, what: &str) -> Result<()> {
        let x = value
            .as_f64()
            .ok_or_else(|| Error::value(what, format!("expected an integer, got '{value}'")))?;
        if x < 0.0 || x.fract() != 0.0 {
            return Err(Error::value(
                what,
                format!("expected a non-negative integer, got {x}"),
            ));
        }
        *self = x as usize;
        Ok(())
    }
}

impl AttrField for bool {
    fn get_value(&self) -> Value {
        Value::Bool(*self)
    }
    fn set_value(&mut self, value: Value, what: &str) -> Result<()> {
        *self = match value {
            Value::Bool(b) => b,
            other => other
                .as_f64()
                .map(|x| x != 0.0)
                .ok_or_else(|| Error::value(what, format!("expected a flag, got '{other}'")))?,
        };
        Ok(())
    }
}

/// Makes a parameter non-trainable, Rockpool's `Constant`: it is then listed among the
/// simulation parameters and the optimiser leaves it alone.
pub fn constant<const D: usize>(p: Param<Tensor<D>>) -> Param<Tensor<D>> {
    p.set_require_grad(false)
}

/// Implements [`AttrField`] for an enum that parses from and prints as a name.
#[macro_export]
macro_rules! text_attr_field {
    ($ty:ty) => {
        impl $crate::module::AttrField for $ty {
            fn get_value(&self) -> $crate::module::Value {
                $crate::module::Value::Text(self.to_string())
            }
            fn set_value(
                &mut self,
                value: $crate::module::Value,
                what: &str,
            ) -> $crate::error::Result<()> {
                match value {
                    $crate::module::Value::Text(s) => {
                        *self = s
                            .parse()
                            .map_err(|e| $crate::error::Error::value(what, format!("{e}")))?;
                        Ok(())
                    }
                    other => Err($crate::error::Error::value(
                        what,
                        format!("expected a name, got '{other}'"),
                    )),
                }
            }
        }
    };
}
