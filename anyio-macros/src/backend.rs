//! The backends as the macros see them: names users write, and the identifiers the
//! expansion needs. The facade owns the real `anyio::Backend`; this mirror exists because a
//! proc-macro crate cannot depend on the crate it generates code for.

use proc_macro2::{Ident, Span};

/// One runtime anyio can run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Backend {
    Tokio,
    AsyncStd,
    Smol,
}

impl Backend {
    /// Every backend, in the order generated tests are emitted (the facade's preference order
    /// is a runtime concern; a fixed order here keeps expansions reproducible).
    pub(crate) const ALL: [Backend; 3] = [Backend::Tokio, Backend::AsyncStd, Backend::Smol];

    /// The spelling shared with `anyio::Backend`'s `FromStr`/`Display` and `ANYIO_BACKEND`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Backend::Tokio => "tokio",
            Backend::AsyncStd => "async-std",
            Backend::Smol => "smol",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|backend| backend.name() == name)
    }

    /// The `anyio::Backend` variant.
    pub(crate) fn variant(self) -> Ident {
        let name = match self {
            Backend::Tokio => "Tokio",
            Backend::AsyncStd => "AsyncStd",
            Backend::Smol => "Smol",
        };
        Ident::new(name, Span::call_site())
    }

    /// The generated `#[test]` fn; it is the last path segment, so `cargo test smol` filters on it.
    pub(crate) fn test_fn(self) -> Ident {
        let name = match self {
            Backend::Tokio => "tokio",
            Backend::AsyncStd => "async_std",
            Backend::Smol => "smol",
        };
        Ident::new(name, Span::call_site())
    }

    /// The facade's `macro_rules!` that keeps its input only when the backend's cargo feature is
    /// on; a proc macro cannot observe the features of the crate it expands into.
    pub(crate) fn cfg_macro(self) -> Ident {
        let name = match self {
            Backend::Tokio => "__cfg_tokio",
            Backend::AsyncStd => "__cfg_async_std",
            Backend::Smol => "__cfg_smol",
        };
        Ident::new(name, Span::call_site())
    }

    /// `"tokio", "async-std", "smol"`, for error messages.
    pub(crate) fn valid_names() -> String {
        Self::ALL
            .iter()
            .map(|backend| format!("\"{}\"", backend.name()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The error text for a name that is not a backend, with a hint for near misses such as
    /// `async_std` (the identifier spelling people type from habit).
    pub(crate) fn unknown_name_message(name: &str) -> String {
        let normalized = name.trim().to_ascii_lowercase().replace('_', "-");
        let normalized = if normalized == "asyncstd" {
            "async-std".to_owned()
        } else {
            normalized
        };
        let hint = match Self::from_name(&normalized) {
            Some(backend) => format!(" (did you mean \"{}\"?)", backend.name()),
            None => String::new(),
        };
        format!(
            "unknown backend \"{name}\"{hint}; valid backends are {}",
            Self::valid_names()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for backend in Backend::ALL {
            assert_eq!(Backend::from_name(backend.name()), Some(backend));
        }
        assert_eq!(Backend::from_name("async_std"), None);
        assert_eq!(Backend::from_name("Tokio"), None);
    }

    #[test]
    fn unknown_name_lists_valid_names() {
        assert_eq!(
            Backend::unknown_name_message("glommio"),
            "unknown backend \"glommio\"; valid backends are \"tokio\", \"async-std\", \"smol\""
        );
    }

    #[test]
    fn near_miss_gets_a_hint() {
        let message = Backend::unknown_name_message("async_std");
        assert!(
            message.contains("(did you mean \"async-std\"?);"),
            "{message}"
        );
        assert!(message.ends_with("valid backends are \"tokio\", \"async-std\", \"smol\""));
        let message = Backend::unknown_name_message("Smol");
        assert!(message.contains("did you mean \"smol\"?"), "{message}");
    }

    #[test]
    fn test_fn_names_are_filterable() {
        let names: Vec<String> = Backend::ALL
            .iter()
            .map(|b| b.test_fn().to_string())
            .collect();
        assert_eq!(names, ["tokio", "async_std", "smol"]);
    }
}
