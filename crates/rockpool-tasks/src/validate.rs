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
