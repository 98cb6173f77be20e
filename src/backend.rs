//! Backend selection: which runtime `anyio::run` starts.

use std::fmt;
use std::future::Future;
use std::str::FromStr;

use anyio_core::backend::{NestedRun, Runtime as _};

use crate::runtime::AnyRuntime;

/// The environment variable [`run`] reads to pick a backend.
const ENV_VAR: &str = "ANYIO_BACKEND";

/// One of the runtimes anyio can run on.
///
/// Every variant exists whatever cargo features are enabled, so code naming a backend compiles
/// everywhere; [`Backend::is_enabled`] says whether this build can run it. The names used by
/// [`Display`](fmt::Display), [`FromStr`] and the `ANYIO_BACKEND` variable are `tokio`,
/// `async-std` and `smol`, which are also the names of the cargo features.
///
/// # Examples
///
/// ```
/// use anyio::Backend;
///
/// let backend: Backend = "async-std".parse().unwrap();
/// assert_eq!(backend, Backend::AsyncStd);
/// assert_eq!(backend.to_string(), "async-std");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// [tokio](https://docs.rs/tokio), feature `tokio` (on by default).
    Tokio,
    /// [async-std](https://docs.rs/async-std), feature `async-std`. Discontinued upstream in
    /// favour of smol; supported for code bases that already use it.
    AsyncStd,
    /// [smol](https://docs.rs/smol), feature `smol`.
    Smol,
}

impl Backend {
    /// Every backend, enabled or not, in the default order of preference.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::Backend;
    ///
    /// let names: Vec<&str> = Backend::ALL.iter().map(|b| b.name()).collect();
    /// assert_eq!(names, ["tokio", "smol", "async-std"]);
    /// ```
    pub const ALL: [Backend; 3] = [Backend::Tokio, Backend::Smol, Backend::AsyncStd];

    /// The backends enabled in this build, in the order [`run`] prefers them: tokio, smol,
    /// async-std.
    ///
    /// # Examples
    ///
    /// Running the same code on every enabled backend:
    ///
    /// ```
    /// for backend in anyio::Backend::available() {
    ///     let ran_on = anyio::run_with(backend, async { anyio::Backend::current() }).unwrap();
    ///     assert_eq!(ran_on, Some(backend));
    /// }
    /// ```
    pub fn available() -> Vec<Backend> {
        Backend::ALL
            .into_iter()
            .filter(|backend| backend.is_enabled())
            .collect()
    }

    /// Whether this build can run the backend (its cargo feature is enabled).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::Backend;
    ///
    /// assert_eq!(Backend::Smol.is_enabled(), Backend::available().contains(&Backend::Smol));
    /// ```
    pub const fn is_enabled(self) -> bool {
        match self {
            Backend::Tokio => cfg!(feature = "tokio"),
            Backend::AsyncStd => cfg!(feature = "async-std"),
            Backend::Smol => cfg!(feature = "smol"),
        }
    }

    /// The backend serving the caller, detected as [`AnyRuntime::current`] does; `None` when
    /// no enabled backend can serve it.
    ///
    /// With the `smol` feature enabled this is never `None`: smol serves any thread, so it is
    /// the fallback wherever no other runtime is detected.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::Backend;
    ///
    /// let backend = Backend::available()[0];
    /// let inside = anyio::run_with(backend, async { Backend::current() }).unwrap();
    /// assert_eq!(inside, Some(backend));
    /// ```
    pub fn current() -> Option<Backend> {
        AnyRuntime::current().ok().map(AnyRuntime::backend)
    }

    /// The backend's name, which is also the name of its cargo feature.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::Backend;
    ///
    /// assert_eq!(Backend::AsyncStd.name(), "async-std");
    /// assert_eq!(Backend::AsyncStd.name().parse(), Ok(Backend::AsyncStd));
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Backend::Tokio => "tokio",
            Backend::AsyncStd => "async-std",
            Backend::Smol => "smol",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Accepts the names `tokio`, `async-std` (or `async_std`) and `smol`, in any ASCII case.
impl FromStr for Backend {
    type Err = UnknownBackend;

    fn from_str(name: &str) -> Result<Self, UnknownBackend> {
        let name_is = |expected: &str| name.eq_ignore_ascii_case(expected);
        if name_is("tokio") {
            Ok(Backend::Tokio)
        } else if name_is("async-std") || name_is("async_std") {
            Ok(Backend::AsyncStd)
        } else if name_is("smol") {
            Ok(Backend::Smol)
        } else {
            Err(UnknownBackend {
                name: name.to_owned(),
            })
        }
    }
}

/// The error returned when parsing a [`Backend`] from a name that is not a backend's.
///
/// # Examples
///
/// ```
/// let error = "glommio".parse::<anyio::Backend>().unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "unknown backend `glommio`: expected one of tokio, async-std, smol"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownBackend {
    name: String,
}

impl UnknownBackend {
    /// The name that was not recognised.
    ///
    /// # Examples
    ///
    /// ```
    /// let error = "uring".parse::<anyio::Backend>().unwrap_err();
    /// assert_eq!(error.name(), "uring");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for UnknownBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown backend `{}`: expected one of tokio, async-std, smol",
            self.name
        )
    }
}

impl std::error::Error for UnknownBackend {}

/// The error returned by [`run`] and [`run_with`] when they cannot start a runtime.
///
/// Every message says what to do.
///
/// # Examples
///
/// ```
/// use anyio::RunError;
///
/// let nested = anyio::run(async { anyio::run(async {}) }).unwrap();
/// assert!(matches!(nested, Err(RunError::Nested(_))));
///
/// let missing = RunError::NotEnabled(anyio::Backend::Smol);
/// assert_eq!(
///     missing.to_string(),
///     "the smol backend is not enabled: enable the `smol` feature of anyio"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RunError {
    /// `ANYIO_BACKEND` names no backend.
    UnknownBackend(UnknownBackend),
    /// The requested backend's cargo feature is not enabled.
    NotEnabled(Backend),
    /// No backend feature is enabled at all.
    NoBackend,
    /// The calling thread already runs a runtime, where blocking on another would deadlock.
    Nested(NestedRun),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::UnknownBackend(unknown) => write!(
                f,
                "{ENV_VAR} names an unknown backend `{}`: set it to one of tokio, async-std, \
                 smol, or unset it",
                unknown.name()
            ),
            RunError::NotEnabled(backend) => write!(
                f,
                "the {backend} backend is not enabled: enable the `{backend}` feature of anyio"
            ),
            RunError::NoBackend => f.write_str(
                "no anyio backend is enabled: enable the `tokio`, `smol` or `async-std` feature \
                 of anyio",
            ),
            RunError::Nested(nested) => nested.fmt(f),
        }
    }
}

impl std::error::Error for RunError {}

impl From<UnknownBackend> for RunError {
    fn from(unknown: UnknownBackend) -> Self {
        RunError::UnknownBackend(unknown)
    }
}

impl From<NestedRun> for RunError {
    fn from(nested: NestedRun) -> Self {
        RunError::Nested(nested)
    }
}

/// Runs `future` to completion on the default backend, blocking the calling thread.
///
/// The backend is the one named by the `ANYIO_BACKEND` environment variable if it is set and
/// not empty, else the first enabled of tokio, smol and async-std. So any program started
/// through `run` can be moved to another enabled backend without recompiling:
/// `ANYIO_BACKEND=smol cargo run`.
///
/// # Examples
///
/// ```
/// let answer = anyio::run(async { 6 * 7 }).unwrap();
/// assert_eq!(answer, 42);
/// ```
///
/// # Errors
///
/// Returns [`RunError::UnknownBackend`] or [`RunError::NotEnabled`] when `ANYIO_BACKEND` names
/// no backend or one this build does not include, [`RunError::NoBackend`] when no backend
/// feature is enabled, and [`RunError::Nested`] when called from inside a running runtime
/// (await the future there instead).
pub fn run<F: Future>(future: F) -> Result<F::Output, RunError> {
    let value = std::env::var_os(ENV_VAR);
    let backend = select(value.as_ref().map(|v| v.to_string_lossy()).as_deref())?;
    run_with(backend, future)
}

/// Runs `future` to completion on `backend`, blocking the calling thread.
///
/// The runtime is multi-threaded on every backend. While `future` runs, anyio knows which
/// backend serves the thread, so [`Backend::current`] and [`AnyRuntime::current`] find it.
///
/// # Examples
///
/// ```
/// use anyio::Backend;
///
/// let backend = Backend::available()[0];
/// let inside = anyio::run_with(backend, async { Backend::current() }).unwrap();
/// assert_eq!(inside, Some(backend));
/// ```
///
/// # Errors
///
/// Returns [`RunError::NotEnabled`] when `backend`'s feature is not enabled and
/// [`RunError::Nested`] when called from inside a running runtime of any enabled backend.
pub fn run_with<F: Future>(backend: Backend, future: F) -> Result<F::Output, RunError> {
    let runtime = AnyRuntime::try_from(backend)?;
    Ok(runtime.block_on(future)?)
}

/// The backend [`run`] starts, given the value of `ANYIO_BACKEND` (`None` when unset).
fn select(env_value: Option<&str>) -> Result<Backend, RunError> {
    match env_value.map(str::trim).filter(|value| !value.is_empty()) {
        Some(name) => {
            let backend: Backend = name.parse()?;
            if backend.is_enabled() {
                Ok(backend)
            } else {
                Err(RunError::NotEnabled(backend))
            }
        }
        None => Backend::ALL
            .into_iter()
            .find(|backend| backend.is_enabled())
            .ok_or(RunError::NoBackend),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for backend in Backend::ALL {
            assert_eq!(backend.to_string().parse::<Backend>(), Ok(backend));
        }
        assert_eq!("async_std".parse::<Backend>(), Ok(Backend::AsyncStd));
        assert_eq!("Tokio".parse::<Backend>(), Ok(Backend::Tokio));
        assert_eq!("SMOL".parse::<Backend>(), Ok(Backend::Smol));
    }

    #[test]
    fn unknown_names_say_what_is_valid() {
        let err = "glommio".parse::<Backend>().unwrap_err();
        assert_eq!(err.name(), "glommio");
        assert_eq!(
            err.to_string(),
            "unknown backend `glommio`: expected one of tokio, async-std, smol"
        );
        assert!(" tokio".parse::<Backend>().is_err());
    }

    #[test]
    fn available_lists_enabled_backends_in_preference_order() {
        let expected: Vec<Backend> = [
            #[cfg(feature = "tokio")]
            Backend::Tokio,
            #[cfg(feature = "smol")]
            Backend::Smol,
            #[cfg(feature = "async-std")]
            Backend::AsyncStd,
        ]
        .into();
        assert_eq!(Backend::available(), expected);
        assert_eq!(Backend::Tokio.is_enabled(), cfg!(feature = "tokio"));
        assert_eq!(Backend::AsyncStd.is_enabled(), cfg!(feature = "async-std"));
        assert_eq!(Backend::Smol.is_enabled(), cfg!(feature = "smol"));
    }

    #[test]
    fn select_without_env_takes_the_first_enabled() {
        let expected = Backend::available()
            .first()
            .copied()
            .ok_or(RunError::NoBackend);
        assert_eq!(select(None), expected);
        assert_eq!(select(Some("")), expected);
        assert_eq!(select(Some("  ")), expected);
    }

    #[test]
    fn select_with_env_names_a_backend() {
        for backend in Backend::ALL {
            let expected = if backend.is_enabled() {
                Ok(backend)
            } else {
                Err(RunError::NotEnabled(backend))
            };
            assert_eq!(select(Some(backend.name())), expected);
            assert_eq!(select(Some(&format!(" {backend}\n"))), expected);
        }
        assert_eq!(
            select(Some("uring")),
            Err(RunError::UnknownBackend(UnknownBackend {
                name: "uring".into()
            }))
        );
    }

    #[test]
    fn run_errors_say_what_to_do() {
        let unknown = RunError::from("uring".parse::<Backend>().unwrap_err());
        assert_eq!(
            unknown.to_string(),
            "ANYIO_BACKEND names an unknown backend `uring`: set it to one of tokio, async-std, \
             smol, or unset it"
        );
        assert_eq!(
            RunError::NotEnabled(Backend::Smol).to_string(),
            "the smol backend is not enabled: enable the `smol` feature of anyio"
        );
        assert_eq!(
            RunError::NotEnabled(Backend::AsyncStd).to_string(),
            "the async-std backend is not enabled: enable the `async-std` feature of anyio"
        );
        assert_eq!(
            RunError::NoBackend.to_string(),
            "no anyio backend is enabled: enable the `tokio`, `smol` or `async-std` feature of \
             anyio"
        );
        let nested = NestedRun::new("tokio");
        assert_eq!(
            RunError::from(nested.clone()).to_string(),
            nested.to_string()
        );
    }

    #[test]
    fn run_with_a_disabled_backend_is_an_error() {
        for backend in Backend::ALL.into_iter().filter(|b| !b.is_enabled()) {
            assert_eq!(
                run_with(backend, async {}),
                Err(RunError::NotEnabled(backend))
            );
        }
    }

    #[test]
    fn run_with_sets_the_current_backend_and_rejects_nesting() {
        for backend in Backend::available() {
            let inside = run_with(backend, async move {
                let nested = Backend::available()
                    .into_iter()
                    .map(|other| run_with(other, async {}))
                    .collect::<Vec<_>>();
                (Backend::current(), nested)
            });
            let (current, nested) = inside.unwrap();
            assert_eq!(current, Some(backend));
            for result in nested {
                assert_eq!(
                    result,
                    Err(RunError::Nested(NestedRun::new(backend.name())))
                );
            }
        }
    }
}
