//! The error type of the front-end simulators.

/// Everything that can go wrong building or running a front end.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A constructor argument (Rockpool's name) is unknown, of the wrong type or out of range.
    #[error("front end {module}: parameter `{name}`: {message}")]
    Param {
        /// The front-end class, e.g. `AFESimExternal`.
        module: String,
        /// The argument's Rockpool name.
        name: String,
        /// What is wrong with it.
        message: String,
    },
    /// The input signal does not fit the block (shape, range, sample rate).
    #[error("front end {module}: input: {message}")]
    Input {
        /// The front-end class.
        module: String,
        /// What is wrong with the input.
        message: String,
    },
    /// A value left the range of the chip's registers (Rockpool raises `OverflowError`).
    #[error("front end {module}: overflow: {message}")]
    Overflow {
        /// The front-end class.
        module: String,
        /// Where the overflow happened.
        message: String,
    },
    /// No front end of this name exists for the family.
    #[error("no front-end module `{name}` for {family}; known: {known}")]
    UnknownModule {
        /// The requested name.
        name: String,
        /// The family's part number.
        family: String,
        /// The names that exist, comma separated.
        known: String,
    },
    /// Reading an input file (WAV or `.npy`) failed.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
}

/// Results of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// A parameter error for `module`'s argument `name`.
pub(crate) fn param_error(module: &str, name: &str, message: impl Into<String>) -> Error {
    Error::Param {
        module: module.into(),
        name: name.into(),
        message: message.into(),
    }
}

/// An input error for `module`.
pub(crate) fn input_error(module: &str, message: impl Into<String>) -> Error {
    Error::Input {
        module: module.into(),
        message: message.into(),
    }
}
