//! Enums that travel as text: one list of names gives parsing, printing, serde and (with the
//! `clap` feature) command-line values that all agree.
//!
//! Configuration files, command lines and reports name things like chip families, quantisation
//! methods or output modes as words. Writing `FromStr`, `Display`, serde and clap support by
//! hand for each enum gives four lists of names that drift apart; [`text_enum!`](crate::text_enum!) writes them
//! from one list. The rules, the same for every enum:
//!
//! - **Parsing** ([`FromStr`](std::str::FromStr), serde, clap) ignores case and surrounding
//!   white space, and also any character in the enum's `ignore` set (e.g. `"-_ "` makes
//!   `xylo-audio-2`, `Xylo_Audio 2` and `xyloaudio2` one name). It accepts the primary name
//!   and every alias. A name that matches nothing is an [`UnknownName`] error that lists the
//!   primary names.
//! - **Printing** ([`Display`](std::fmt::Display), serde) writes the primary name, so printed
//!   values parse back.
//! - **clap** (feature `clap`): the enum implements clap's `ValueParserFactory` with
//!   [`TextEnumParser`], so a clap argument of the enum's type (no attribute needed) parses with
//!   the rules above, lists the primary names as possible values in `--help`, and reports an
//!   unknown name as clap's `invalid value … [possible values: …]`: `--family XyloAudio2`
//!   works on the command line exactly as `family = "XyloAudio2"` does in a file.
//!
//!   It deliberately does not implement `clap::ValueEnum`: clap's `value_parser!` prefers a
//!   `ValueEnum`'s own matcher over a `ValueParserFactory`, and that matcher compares names
//!   exactly (or ignoring ASCII case only when the argument asks), so `SYNS61201` or
//!   `xylo_audio_2` would parse in a file and fail on the command line.
//!
//! ```
//! #[derive(Clone, Copy, Debug, PartialEq, Eq)]
//! pub enum Quantization {
//!     Global,
//!     Channel,
//! }
//!
//! rockpool_io::text_enum! {
//!     Quantization("quantisation") {
//!         Global => "global",
//!         Channel => "channel" | "per_channel",
//!     }
//! }
//!
//! assert_eq!(" Channel ".parse::<Quantization>().unwrap(), Quantization::Channel);
//! assert_eq!("PER_CHANNEL".parse::<Quantization>().unwrap(), Quantization::Channel);
//! assert_eq!(Quantization::Global.to_string(), "global");
//! let err = "layer".parse::<Quantization>().unwrap_err().to_string();
//! assert_eq!(err, "unknown quantisation 'layer' (expected one of: global, channel)");
//! ```

use std::fmt;
use std::marker::PhantomData;

/// What [`text_enum!`](crate::text_enum!) implements: the names of an enum's variants. Use the generated
/// `FromStr`/`Display` in ordinary code; this trait is for generic code (serde, clap, help
/// texts) that needs the whole list.
pub trait TextEnum: Sized + Clone + 'static {
    /// What the values are, for messages: `"Xylo family"`.
    const WHAT: &'static str;
    /// Characters dropped from a name before it is compared (case and surrounding white space
    /// are always ignored).
    const IGNORE: &'static str = "";
    /// Every variant, in the order of [`NAMES`](Self::NAMES).
    const VARIANTS: &'static [Self];
    /// For each variant, its primary name followed by its aliases.
    const NAMES: &'static [&'static [&'static str]];

    /// The primary name of this value (what `Display` and serde write).
    fn name(&self) -> &'static str;

    /// The primary name of every variant, in order.
    fn primary_names() -> Vec<&'static str> {
        Self::NAMES.iter().map(|names| names[0]).collect()
    }

    /// Parses a name with the rules of the [module](self): any case, surrounding white space
    /// and the [`IGNORE`](Self::IGNORE) characters do not matter; aliases are accepted.
    fn parse_name(text: &str) -> Result<Self, UnknownName> {
        let key = normalise(text, Self::IGNORE);
        Self::NAMES
            .iter()
            .position(|names| names.iter().any(|n| normalise(n, Self::IGNORE) == key))
            .map(|i| Self::VARIANTS[i].clone())
            .ok_or_else(|| UnknownName {
                what: Self::WHAT,
                got: text.trim().to_string(),
                expected: Self::primary_names(),
            })
    }
}

/// Lower case, without surrounding white space and without the `ignore` characters.
fn normalise(text: &str, ignore: &str) -> String {
    text.trim()
        .chars()
        .filter(|c| !ignore.contains(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// A name that is none of an enum's names (see [`TextEnum::parse_name`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName {
    /// What was being named, e.g. `"Xylo family"`.
    pub what: &'static str,
    /// The text given (trimmed).
    pub got: String,
    /// The primary names that are accepted.
    pub expected: Vec<&'static str>,
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown {} '{}' (expected one of: {})",
            self.what,
            self.got,
            self.expected.join(", ")
        )
    }
}

impl std::error::Error for UnknownName {}

/// Implements [`TextEnum`], `FromStr` (error [`UnknownName`]), `Display`, serde's `Serialize`
/// and `Deserialize` and, with this crate's `clap` feature, clap's `ValueParserFactory`
/// ([`TextEnumParser`]), all from one list of names, for an enum of unit variants declared
/// beside it.
///
/// ```text
/// rockpool_io::text_enum! {
///     EnumName("what it is, for messages", ignore = "-_ ") {
///         Variant => "primary" | "alias" | "another alias",
///         Other => "other",
///     }
/// }
/// ```
///
/// - `"what it is"` appears in errors: `unknown what it is 'x' (expected one of: primary, other)`.
/// - `ignore = "…"` (optional) lists characters that do not count when names are compared;
///   case and surrounding white space never count.
/// - Every variant must be listed (the generated `match` is exhaustive), each with its
///   primary name first. `Display`, serde and clap's help write the primary name; parsing
///   accepts the primary name and every alias.
/// - The enum must be `Clone` (`Copy` is typical) and may not carry data. The crate using the
///   macro needs no serde or clap dependency of its own.
///
/// Rules and an example: [the module documentation](mod@crate::text_enum).
#[macro_export]
macro_rules! text_enum {
    (
        $ty:ident ( $what:literal $(, ignore = $ignore:literal)? $(,)? ) {
            $( $variant:ident => $name:literal $(| $alias:literal)* ),+ $(,)?
        }
    ) => {
        impl $crate::TextEnum for $ty {
            const WHAT: &'static str = $what;
            $(const IGNORE: &'static str = $ignore;)?
            const VARIANTS: &'static [Self] = &[$(Self::$variant),+];
            const NAMES: &'static [&'static [&'static str]] = &[$(&[$name $(, $alias)*]),+];

            fn name(&self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)+
                }
            }
        }

        impl ::core::str::FromStr for $ty {
            type Err = $crate::UnknownName;

            fn from_str(text: &str) -> ::core::result::Result<Self, $crate::UnknownName> {
                <Self as $crate::TextEnum>::parse_name(text)
            }
        }

        impl ::core::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str($crate::TextEnum::name(self))
            }
        }

        impl $crate::__private::serde::Serialize for $ty {
            fn serialize<S: $crate::__private::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                serializer.serialize_str($crate::TextEnum::name(self))
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $ty {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::core::result::Result<Self, D::Error> {
                $crate::__private::deserialize(deserializer)
            }
        }

        $crate::__text_enum_clap!($ty);
    };
}

/// The clap half of [`text_enum!`](crate::text_enum!), present when this crate's `clap` feature is on (the
/// feature is decided here, not in the crate that expands the macro).
#[cfg(feature = "clap")]
#[doc(hidden)]
#[macro_export]
macro_rules! __text_enum_clap {
    ($ty:ident) => {
        impl $crate::__private::clap::builder::ValueParserFactory for $ty {
            type Parser = $crate::TextEnumParser<Self>;

            fn value_parser() -> Self::Parser {
                $crate::TextEnumParser::new()
            }
        }
    };
}

/// Without the `clap` feature the clap half of [`text_enum!`](crate::text_enum!) is empty.
#[cfg(not(feature = "clap"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __text_enum_clap {
    ($ty:ident) => {};
}

/// clap's value parser for a [`TextEnum`]: parses with the enum's own rules (any case,
/// ignored characters, aliases) and lists the primary names as possible values in help and
/// errors. [`text_enum!`](crate::text_enum!) makes it the default parser of the enum, so an argument of that type
/// needs no `value_parser` attribute.
#[cfg(feature = "clap")]
pub struct TextEnumParser<E>(PhantomData<fn() -> E>);

#[cfg(feature = "clap")]
impl<E> TextEnumParser<E> {
    /// The parser.
    pub fn new() -> Self {
        Self(PhantomData)
    }
}

#[cfg(feature = "clap")]
impl<E> Default for TextEnumParser<E> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(feature = "clap")]
impl<E> Clone for TextEnumParser<E> {
    fn clone(&self) -> Self {
        Self::new()
    }
}

#[cfg(feature = "clap")]
impl<E: TextEnum + Send + Sync> clap::builder::TypedValueParser for TextEnumParser<E> {
    type Value = E;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<E, clap::Error> {
        use clap::error::{ContextKind, ContextValue, ErrorKind};
        let text = value.to_string_lossy();
        E::parse_name(&text).map_err(|e| {
            let mut err = clap::Error::new(ErrorKind::InvalidValue).with_cmd(cmd);
            let arg = arg.map_or_else(|| "...".to_string(), ToString::to_string);
            err.insert(ContextKind::InvalidArg, ContextValue::String(arg));
            err.insert(ContextKind::InvalidValue, ContextValue::String(e.got));
            err.insert(
                ContextKind::ValidValue,
                ContextValue::Strings(e.expected.iter().map(|s| s.to_string()).collect()),
            );
            err
        })
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(E::VARIANTS.iter().map(possible_value)))
    }
}

/// The clap value of one variant: its primary name, its aliases hidden (clap's suggestions
/// still find them).
#[cfg(feature = "clap")]
fn possible_value<E: TextEnum>(value: &E) -> clap::builder::PossibleValue {
    let names = E::NAMES
        .iter()
        .find(|names| names[0] == value.name())
        .copied()
        .unwrap_or(&[]);
    clap::builder::PossibleValue::new(value.name()).aliases(names.iter().skip(1).copied())
}

/// What the expansion of [`text_enum!`](crate::text_enum!) refers to; not part of the API.
#[doc(hidden)]
pub mod __private {
    #[cfg(feature = "clap")]
    pub use clap;
    pub use serde;

    use super::TextEnum;

    /// Deserialises a [`TextEnum`] from a string with [`TextEnum::parse_name`].
    pub fn deserialize<'de, E: TextEnum, D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> Result<E, D::Error> {
        deserializer.deserialize_str(NameVisitor::<E>(super::PhantomData))
    }

    struct NameVisitor<E>(super::PhantomData<fn() -> E>);

    impl<E: TextEnum> serde::de::Visitor<'_> for NameVisitor<E> {
        type Value = E;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "a {} ({})", E::WHAT, E::primary_names().join(", "))
        }

        fn visit_str<Err: serde::de::Error>(self, text: &str) -> Result<E, Err> {
            E::parse_name(text).map_err(Err::custom)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Family {
        Audio2,
        Imu,
    }

    crate::text_enum! {
        Family("chip family", ignore = "-_ ") {
            Audio2 => "syns61201" | "xylo-audio-2" | "vA2",
            Imu => "syns63300" | "imu",
        }
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Mode {
        Spike,
        Vmem,
    }

    crate::text_enum! {
        Mode("output mode") {
            Spike => "Spike" | "spikes",
            Vmem => "Vmem",
        }
    }

    #[test]
    fn parses_any_case_aliases_and_ignored_characters() {
        for (text, want) in [
            ("syns61201", Family::Audio2),
            ("SYNS61201", Family::Audio2),
            ("  va2 ", Family::Audio2),
            ("Xylo_Audio 2", Family::Audio2),
            ("xyloaudio2", Family::Audio2),
            ("IMU", Family::Imu),
            ("syns-63300", Family::Imu),
        ] {
            assert_eq!(text.parse::<Family>(), Ok(want), "{text}");
        }
        assert_eq!("SPIKES".parse::<Mode>(), Ok(Mode::Spike));
        // Without an ignore set, separators count.
        assert!("v-mem".parse::<Mode>().is_err());
    }

    #[test]
    fn unknown_names_list_the_primary_names() {
        let err = "syns65300".parse::<Family>().unwrap_err();
        assert_eq!(err.what, "chip family");
        assert_eq!(err.expected, ["syns61201", "syns63300"]);
        assert_eq!(
            err.to_string(),
            "unknown chip family 'syns65300' (expected one of: syns61201, syns63300)"
        );
    }

    #[test]
    fn display_and_serde_write_the_primary_name_and_read_back() {
        assert_eq!(Family::Audio2.to_string(), "syns61201");
        assert_eq!(Mode::Spike.to_string(), "Spike");
        for f in Family::VARIANTS {
            assert_eq!(f.to_string().parse::<Family>(), Ok(*f));
        }
        let json = |text: &str| serde_json::from_str::<Family>(text);
        assert_eq!(json("\"XYLO-AUDIO-2\"").unwrap(), Family::Audio2);
        let err = json("\"audio9\"").unwrap_err().to_string();
        assert!(
            err.contains("audio9") && err.contains("syns61201, syns63300"),
            "{err}"
        );
        let err = json("3").unwrap_err().to_string();
        assert!(
            err.contains("a chip family (syns61201, syns63300)"),
            "{err}"
        );
        assert_eq!(serde_json::to_string(&Mode::Vmem).unwrap(), "\"Vmem\"");
    }

    #[cfg(feature = "clap")]
    #[test]
    fn clap_parses_with_the_same_rules_and_lists_primary_names() {
        use clap::builder::TypedValueParser;
        use clap::{Arg, Command};
        let cmd = || {
            Command::new("t").arg(
                Arg::new("family")
                    .long("family")
                    .value_parser(clap::value_parser!(Family)),
            )
        };
        assert_eq!("Xylo_Audio-2".parse::<Family>(), Ok(Family::Audio2));
        let m = cmd()
            .try_get_matches_from(["t", "--family", "Xylo_Audio-2"])
            .unwrap();
        assert_eq!(m.get_one::<Family>("family"), Some(&Family::Audio2));
        let err = cmd()
            .try_get_matches_from(["t", "--family", "audio9"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("audio9") && err.contains("syns61201") && err.contains("syns63300"),
            "{err}"
        );
        let names: Vec<String> = TextEnumParser::<Family>::new()
            .possible_values()
            .unwrap()
            .map(|v| v.get_name().to_string())
            .collect();
        assert_eq!(names, ["syns61201", "syns63300"]);
        let parser = clap::value_parser!(Family);
        assert!(std::any::type_name_of_val(&parser).contains("TextEnumParser"));
    }
}
