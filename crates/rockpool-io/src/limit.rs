//! The size limit on arrays read from files: no size read from a file reserves memory before it
//! has been compared with this limit, so a corrupt or hostile file is refused instead of
//! exhausting memory or aborting the process.
//!
//! The limit is [`DEFAULT_MAX_ARRAY_BYTES`] (2 GiB of element data per array, and for the
//! arrays of one `.npz` archive together) unless the environment variable
//! [`MAX_ARRAY_BYTES_VAR`] (`ROCKPOOL_MAX_ARRAY_BYTES`) holds another whole number of bytes,
//! for users who legitimately load larger arrays.

use crate::error::{IoError, Result};

/// The default limit on the element data of one array read from a file: 2 GiB. Larger
/// parameter or input arrays are rare, and with this limit a 4 GiB entry (the size of a typical
/// decompression bomb) is refused before it is inflated.
pub const DEFAULT_MAX_ARRAY_BYTES: u64 = 2 << 30;

/// The environment variable that overrides [`DEFAULT_MAX_ARRAY_BYTES`]: a whole number of
/// bytes, e.g. `ROCKPOOL_MAX_ARRAY_BYTES=17179869184` for 16 GiB.
pub const MAX_ARRAY_BYTES_VAR: &str = "ROCKPOOL_MAX_ARRAY_BYTES";

/// The largest array (in bytes of element data) that [`read_npy`](crate::read_npy),
/// [`read_npz`](crate::read_npz) and their in-memory forms accept (for `.npz` archives, also
/// the most all their arrays together may take): the value of
/// `ROCKPOOL_MAX_ARRAY_BYTES` if set, else [`DEFAULT_MAX_ARRAY_BYTES`].
///
/// # Errors
/// [`IoError::Limit`] if the variable is set but is not a whole number of bytes.
pub fn max_array_bytes() -> Result<u64> {
    parse_limit(std::env::var_os(MAX_ARRAY_BYTES_VAR))
}

/// Interprets the variable's value (`None` when unset).
fn parse_limit(value: Option<std::ffi::OsString>) -> Result<u64> {
    let Some(value) = value else {
        return Ok(DEFAULT_MAX_ARRAY_BYTES);
    };
    let text = value.to_string_lossy();
    text.trim().parse::<u64>().map_err(|_| IoError::Limit {
        variable: MAX_ARRAY_BYTES_VAR,
        value: text.into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_and_override() {
        assert_eq!(parse_limit(None).unwrap(), 2 * 1024 * 1024 * 1024);
        assert_eq!(parse_limit(Some("1000".into())).unwrap(), 1000);
        assert_eq!(
            parse_limit(Some(" 17179869184\n".into())).unwrap(),
            16 << 30
        );
        for bad in ["", "4G", "-1", "1e9"] {
            let err = parse_limit(Some(bad.into())).unwrap_err().to_string();
            assert!(
                err.contains("ROCKPOOL_MAX_ARRAY_BYTES") && err.contains(&format!("'{bad}'")),
                "{err}"
            );
        }
    }
}
