//! The attribute macros of [anyio](https://docs.rs/anyio): `#[anyio::main]` and
//! `#[anyio::test]`.
//!
//! Depend on `anyio` and use the macros through it (`#[anyio::main]`, `#[anyio::test]`); this
//! crate is an implementation detail. The code the macros generate names `::anyio`, so it only
//! compiles in a crate that depends on `anyio` under that name (otherwise see
//! [`crate = "..."`](#the-crate-argument)).
//!
//! # `#[anyio::test]`
//!
//! Turns one `async fn` into one `#[test]` per backend, each running the body to completion
//! on a fresh runtime of that backend:
//!
//! ```text
//! #[anyio::test]
//! async fn sleeps() {
//!     anyio::sleep(Duration::from_millis(1)).await;
//! }
//! ```
//!
//! declares the tests `sleeps::tokio`, `sleeps::async_std` and `sleeps::smol`, minus those
//! whose cargo feature of `anyio` is off. `cargo test smol` runs the smol runs of every test,
//! `cargo test sleeps::` every backend of one test. See [`test`](macro@test) for the
//! arguments, return types and attributes.
//!
//! # `#[anyio::main]`
//!
//! Turns `async fn main()` into the program's sync `main`, which starts the backend with
//! `anyio::run` (the `ANYIO_BACKEND` environment variable, else the default backend):
//!
//! ```text
//! #[anyio::main]
//! async fn main() -> std::io::Result<()> {
//!     anyio::sleep(Duration::from_millis(1)).await;
//!     Ok(())
//! }
//! ```
//!
//! See [`main`](macro@main).
//!
//! # The `crate` argument
//!
//! Both macros accept `crate = "path"` for the path of the `anyio` crate in the generated code,
//! for a crate that renamed the dependency or reaches anyio through a re-export:
//!
//! ```text
//! #[my_anyio::test(crate = "my_anyio")]
//! async fn renamed() {}
//! ```
//!
//! The path must lead to a module exposing what the facade exposes: `run`, `run_with`,
//! `Backend` and its hidden `__cfg_tokio!`/`__cfg_async_std!`/`__cfg_smol!` macros.

mod args;
mod backend;
mod expand_main;
mod expand_test;
mod signature;

use proc_macro::TokenStream;

/// Runs an `async fn` test once on every enabled backend.
///
/// ```text
/// use std::time::Duration;
///
/// #[anyio::test]
/// async fn sleeps() {
///     anyio::sleep(Duration::from_millis(1)).await;
/// }
///
/// #[anyio::test(backends = ["tokio", "smol"])]
/// async fn parses() -> Result<(), std::num::ParseIntError> {
///     anyio::sleep(Duration::from_millis(1)).await;
///     assert_eq!("42".parse::<u32>()?, 42);
///     Ok(())
/// }
/// ```
///
/// # What it generates
///
/// A module named after the function, holding one `#[test]` per backend: `tokio`,
/// `async_std` and `smol`. Each starts a fresh runtime with
/// `anyio::run_with(anyio::Backend::X, ...)` and runs the body on it. The body itself stays in
/// the scope the function was written in, as a hidden `async fn`, so it sees the same imports.
/// Test names are `sleeps::tokio`, `sleeps::async_std`, `sleeps::smol`, so:
///
/// - `cargo test smol` runs every test on smol only (likewise `tokio`, `async_std` with an
///   underscore, since it is the function name);
/// - `cargo test sleeps::` runs one test on every backend.
///
/// A backend whose cargo feature of `anyio` is off generates nothing, so with the default
/// features only the `tokio` tests exist.
///
/// # Arguments
///
/// - `backends = ["tokio", "async-std", "smol"]`: generate tests for these backends only (still
///   only those enabled). Names are spelled as in `ANYIO_BACKEND`; an unknown name is a compile
///   error listing the valid ones.
/// - `virtual_time`: run the body under a fresh `anyio::testing::VirtualClock` (with
///   `anyio::testing::run_with_clock`): sleeps, deadlines and timeouts follow virtual time,
///   which moves when the body advances the clock (`anyio::testing::current_clock()`).
/// - `crate = "path"`: see [the crate docs](crate#the-crate-argument).
///
/// # The function
///
/// It must be an `async fn` with no arguments and no generics. It may return a value: a test
/// returning `Result<(), E>` (any `T: std::process::Termination`) fails when it returns
/// `Err`, so `?` works in the body. `-> impl Trait` is not accepted; name the type.
///
/// # Attributes on the function
///
/// - `#[should_panic]`, `#[ignore]`, doc comments, `#[cfg_attr(...)]` and any other attribute
///   go on each generated `#[test]` (doc comments on the module too). A `#[should_panic]` test
///   must return `()`.
/// - `#[cfg(...)]` goes on everything generated.
/// - Lint levels (`#[allow]`, `#[expect]`, ...) go on the body, where the code is.
/// - Another test attribute (`#[test]`, `#[tokio::test]`) is an error: this macro writes the
///   `#[test]`s.
///
/// # When the runtime cannot run
///
/// If `anyio::run_with` itself fails (it returns `anyio::RunError`, for example because the
/// runtime could not start), the test panics with `anyio could not run this test on <backend>:
/// <error>`. A panic in the body is the test's own panic.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_test::expand(args.into(), item.into()).into()
}

/// Makes `async fn main()` the program's entry point, run on an anyio backend.
///
/// ```text
/// use std::time::Duration;
///
/// #[anyio::main]
/// async fn main() {
///     anyio::sleep(Duration::from_millis(1)).await;
///     println!("slept");
/// }
/// ```
///
/// # What it generates
///
/// A sync function with the same name, visibility, attributes and return type, which runs the
/// body with `anyio::run` and returns its output. `anyio::run` picks the backend named by the
/// `ANYIO_BACKEND` environment variable, else the default backend, so
/// `ANYIO_BACKEND=smol cargo run` runs the same program on smol.
///
/// The function must be an `async fn` with no arguments and no generics. It may return any
/// type `main` may return, such as `Result<(), Box<dyn std::error::Error>>`, and `?` works
/// in the body.
///
/// # Arguments
///
/// - `backend = "tokio" | "async-std" | "smol"`: always run on this backend, with
///   `anyio::run_with`, ignoring `ANYIO_BACKEND`. Naming a backend whose cargo feature of
///   `anyio` is off is a compile error.
/// - `virtual_time`: run the body under a fresh `anyio::testing::VirtualClock` (with
///   `anyio::testing::run_with_clock`): sleeps, deadlines and timeouts follow virtual time,
///   which moves when the body advances the clock (`anyio::testing::current_clock()`).
/// - `crate = "path"`: see [the crate docs](crate#the-crate-argument).
///
/// # When the runtime cannot run
///
/// If `anyio::run` fails (it returns `anyio::RunError`, for example because `ANYIO_BACKEND`
/// names a backend that is not enabled), the program prints `error: <message>` to standard
/// error and exits with status 1, without a panic's backtrace noise: this is a configuration
/// problem for whoever runs the program, not a bug in it.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_main::expand(args.into(), item.into()).into()
}
