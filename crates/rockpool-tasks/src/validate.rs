//! Small helpers that check configuration fields and build [`TaskError::Config`] messages.

use std::fmt::Display;

use crate::error::{Result, TaskError};

/// Field checks for one task; the `&'static str` is the task name that starts every message.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Check(pub &'static str);

impl Check {
    /// A [`TaskError::Config`] for `field` = `value`.
    pub fn error(
        self,
        field: &'static str,
        value: impl Display,
        reason: impl Into<String>,
    ) -> TaskError {
        TaskError::Config {
            task: self.0,
            field,
            value: value.to_string(),
            reason: reason.into(),
        }
    }

    /// `value >= min`.
    pub fn at_least<T: PartialOrd + Display + Copy>(
        self,
        field: &'static str,
        value: T,
        min: T,
    ) -> Result<()> {
        if value >= min {
            Ok(())
        } else {
            Err(self.error(field, value, format!("must be at least {min}")))
        }
    }

    /// `value <= max`.
    pub fn at_most<T: PartialOrd + Display + Copy>(
        self,
        field: &'static str,
        value: T,
        max: T,
    ) -> Result<()> {
        if value <= max {
            Ok(())
        } else {
            Err(self.error(field, value, format!("must be at most {max}")))
        }
    }

    /// A finite number `> 0`.
    pub fn positive(self, field: &'static str, value: f64) -> Result<()> {
        if value.is_finite() && value > 0.0 {
            Ok(())
        } else {
            Err(self.error(field, value, "must be a positive, finite number"))
        }
    }

    /// A finite number `>= 0`.
    pub fn non_negative(self, field: &'static str, value: f64) -> Result<()> {
        if value.is_finite() && value >= 0.0 {
            Ok(())
        } else {
            Err(self.error(field, value, "must be a finite number >= 0"))
        }
    }

    /// A probability in `[0, 1)`.
    pub fn probability_below_one(self, field: &'static str, value: f64) -> Result<()> {
        if (0.0..1.0).contains(&value) {
            Ok(())
        } else {
            Err(self.error(field, value, "must be a probability in [0, 1)"))
        }
    }

    /// `lo <= hi` for a range given as two fields.
    pub fn ordered(self, field: &'static str, lo: f64, hi: f64) -> Result<()> {
        if lo <= hi {
            Ok(())
        } else {
            Err(self.error(
                field,
                format!("[{lo}, {hi}]"),
                "the lower end must not exceed the upper",
            ))
        }
    }
}

/// The most spikes per channel and step a task may ask for (its cap, or its mean rate × dt):
/// far above Xylo's 15, low enough that drawing spikes one by one always finishes.
pub(crate) const MAX_SPIKES_PER_STEP: u32 = 1000;

/// The most elements one generated or loaded array may hold: 2³⁰ (4 GiB of `f32`). Sizes are
/// computed with checked arithmetic and compared with this before anything is allocated.
pub const MAX_ELEMENTS: usize = 1 << 30;

/// The product of `dims` (name, length), or an error naming the sizes and [`MAX_ELEMENTS`]
/// when it overflows or exceeds the limit. `what` names the array, `field`/`value` the setting
/// that made it so large.
pub(crate) fn checked_elements(
    check: Check,
    field: &'static str,
    value: impl Display,
    what: &str,
    dims: &[(&str, usize)],
) -> Result<usize> {
    let total = dims
        .iter()
        .try_fold(1usize, |acc, &(_, d)| acc.checked_mul(d));
    match total {
        Some(n) if n <= MAX_ELEMENTS => Ok(n),
        _ => {
            let names: Vec<&str> = dims.iter().map(|&(n, _)| n).collect();
            let values: Vec<String> = dims.iter().map(|&(_, d)| d.to_string()).collect();
            let size =
                total.map_or_else(|| "more than fits in memory".to_string(), |n| n.to_string());
            Err(check.error(
                field,
                value,
                format!(
                    "{what} would hold {} = {} = {size} elements, over the limit of \
                     {MAX_ELEMENTS} (4 GiB of f32); use fewer samples, steps or channels",
                    names.join(" × "),
                    values.join(" × "),
                ),
            ))
        }
    }
}
