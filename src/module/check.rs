//! The checks every attribute value passes on its way into a module, whichever way it comes
//! (`set_attributes`, a parameter `.npz`, a state tree): every number finite (±inf is refused
//! like NaN), time constants positive, decays in `[0, 1]`, bit-shift decays non-negative, and
//! the simulation parameters Rockpool's models share by name (`dt` positive, `noise_std`
//! non-negative, `max_spikes_per_dt` at least 1). Model-specific rules (a LIF threshold must be
//! positive) come from [`ModuleView::check_own_attribute`](super::ModuleView::check_own_attribute).
//! Errors name the attribute (`Lif.tau_mem`), the offending value and its index.
//!
//! Inputs to an evolution are checked by [`check_input`] (used by
//! [`ModuleExt::evolve`](super::ModuleExt::evolve)); the pure
//! [`Evolve::evolve_with`](super::Evolve::evolve_with) does no extra pass.

use burn::tensor::Tensor;

use super::value::{Attr, AttrKind, Family, Value};
use crate::error::{Error, Result};

/// The numbers held by `value` (none for names and flags), read to the host.
pub fn numbers(value: &Value) -> Vec<f64> {
    match value {
        Value::Float(x) => vec![*x],
        Value::Int(x) => vec![*x as f64],
        Value::Tensor(_) | Value::Data(_) => value
            .to_data()
            .convert::<f64>()
            .try_to_vec_as::<f64>()
            .unwrap_or_default(),
        Value::Bool(_) | Value::Text(_) => Vec::new(),
    }
}

/// A number as a message shows it: huge magnitudes in exponent form (`3e38`, not 39 digits).
pub fn fmt_number(x: f64) -> String {
    if x.is_finite() && x.abs() >= 1e16 {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// Where a value sits in a list, for messages: `""` for a scalar, `" (entry 3)"` otherwise.
fn at(values: &[f64], i: usize) -> String {
    if values.len() == 1 {
        String::new()
    } else {
        format!(" (entry {i})")
    }
}

/// Refuses the first value of `values` for which `ok` is false with `"{rule}, got {x}"`.
pub fn require(what: &str, values: &[f64], rule: &str, ok: impl Fn(f64) -> bool) -> Result<()> {
    match values.iter().position(|&x| !ok(x)) {
        Some(i) => Err(Error::value(
            what,
            format!("{rule}, got {}{}", fmt_number(values[i]), at(values, i)),
        )),
        None => Ok(()),
    }
}

/// Every value finite (NaN and ±inf refused).
pub fn require_finite(what: &str, values: &[f64]) -> Result<()> {
    require(what, values, "must be finite", f64::is_finite)
}

/// Every value finite and positive.
pub fn require_positive(what: &str, values: &[f64]) -> Result<()> {
    require_finite(what, values)?;
    require(what, values, "must be positive", |x| x > 0.0)
}

/// A spiking model's rule for its `threshold` attribute: positive (a zero threshold would
/// spike without bound). For [`ModuleView::check_own_attribute`](super::ModuleView::check_own_attribute)
/// of the LIF family; `class` names the model in errors.
pub fn positive_threshold(class: &str, name: &str, value: &Value) -> Result<()> {
    if name == "threshold" {
        require_positive(&format!("{class}.{name}"), &numbers(value))?;
    }
    Ok(())
}

/// The generic rules for attribute `name` (described by `attr`, its current form) taking
/// `value`; `what` names it in errors (`"Lif.tau_mem"`).
pub fn check_value(what: &str, name: &str, attr: &Attr, value: &Value) -> Result<()> {
    let v = numbers(value);
    if v.is_empty() {
        return Ok(());
    }
    require_finite(what, &v)?;
    match (&attr.family, attr.kind) {
        (Some(Family::Taus), _) => {
            require(what, &v, "time constants must be positive", |x| x > 0.0)
        }
        (Some(Family::Decays), _) => require(what, &v, "decays must lie in [0, 1]", |x| {
            (0.0..=1.0).contains(&x)
        }),
        (Some(Family::Bitshifts), _) => {
            require(what, &v, "bit-shift decays must be non-negative", |x| {
                x >= 0.0
            })
        }
        (None, AttrKind::SimulationParameter) => check_simulation_value(what, name, &v),
        _ => Ok(()),
    }
}

/// The rules for the simulation parameters Rockpool's models share by name, whichever way
/// they come (a config's builder or `set_attributes`): finite, and `dt` positive, `noise_std`
/// non-negative, `max_spikes_per_dt` at least 1; other names have no rule here.
pub fn check_simulation_value(what: &str, name: &str, values: &[f64]) -> Result<()> {
    require_finite(what, values)?;
    match name {
        "dt" => require(what, values, "the time step must be positive", |x| x > 0.0),
        "noise_std" => require(what, values, "must be non-negative", |x| x >= 0.0),
        "max_spikes_per_dt" => require(what, values, "must be at least 1", |x| x >= 1.0),
        _ => Ok(()),
    }
}

/// The largest input magnitude [`check_input`] accepts: beyond it, sums of a few inputs
/// overflow `f32` (an infinite membrane, the spike cap every step).
pub const MAX_INPUT_MAGNITUDE: f32 = 1e30;

/// Refuses an evolution input holding NaN, ±inf or a magnitude above [`MAX_INPUT_MAGNITUDE`],
/// naming the index `[b, t, c]` of the first such entry and its value. One host read of the input; used by the checked entry points
/// ([`ModuleExt::evolve`](super::ModuleExt::evolve), `.timed()`), not by the training path.
pub fn check_input(input: &Tensor<3>, what: &str) -> Result<()> {
    let [_, t, c] = input.dims();
    let data = input.to_data().convert::<f32>();
    let values = data
        .as_slice::<f32>()
        .map_err(|e| Error::Backend(format!("{e:?}")))?;
    let bad = |x: &f32| !x.is_finite() || x.abs() > MAX_INPUT_MAGNITUDE;
    if let Some(i) = values.iter().position(bad) {
        let (b, rest) = (i / (t * c), i % (t * c));
        let rule = if values[i].is_finite() {
            format!("must be at most {MAX_INPUT_MAGNITUDE:e} in magnitude")
        } else {
            "must be finite".to_string()
        };
        return Err(Error::value(
            format!("input of {what}"),
            format!(
                "{rule}, got {} at [batch {b}, time step {}, channel {}]",
                if values[i].is_finite() && values[i].abs() >= 1e16 {
                    format!("{:e}", values[i])
                } else {
                    format!("{}", values[i])
                },
                rest / c,
                rest % c
            ),
        ));
    }
    Ok(())
}
