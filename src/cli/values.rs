//! Parsers of numeric flag values that say why a value is refused. Numeric flags take
//! values that start with a hyphen (`allow_hyphen_values`: `--dt -1` and `--dt -1e-3` are
//! numbers, not unknown flags; clap's `allow_negative_numbers` misses the exponent form), so
//! a value out of range reaches these checks and is refused with its reason instead of a
//! confusing "unexpected argument". A flag given where a value belongs (`--dt --record`) is
//! then refused as "not a number".

/// A time in seconds that must be positive and finite (`--dt`, `--duration`).
pub fn positive_seconds(text: &str) -> Result<f64, String> {
    let v = number(text)?;
    if v > 0.0 && v.is_finite() {
        Ok(v)
    } else {
        Err(format!(
            "must be a positive, finite number of seconds (such as 0.001), got {text}"
        ))
    }
}

/// Any finite number (`--stagger`; negative values draw the channels downwards).
pub fn finite(text: &str) -> Result<f64, String> {
    let v = number(text)?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!("must be a finite number, got {text}"))
    }
}

/// A whole number of at least 1 (`--epochs`).
pub fn at_least_one(text: &str) -> Result<usize, String> {
    let reason = || format!("must be a whole number of at least 1, got {text}");
    match text.trim().parse::<usize>() {
        Ok(0) | Err(_) => Err(reason()),
        Ok(n) => Ok(n),
    }
}

fn number(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .map_err(|_| format!("not a number: '{text}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_name_the_value() {
        assert_eq!(positive_seconds("1e-3"), Ok(1e-3));
        for bad in ["-1", "0", "nan", "inf", "x"] {
            let e = positive_seconds(bad).unwrap_err();
            assert!(e.contains(bad), "{e}");
        }
        assert_eq!(finite("-0.5"), Ok(-0.5));
        assert!(finite("-inf").unwrap_err().contains("finite"));
        assert_eq!(at_least_one("3"), Ok(3));
        for bad in ["0", "-1", "2.5"] {
            assert!(at_least_one(bad).unwrap_err().contains("at least 1"));
        }
    }
}
