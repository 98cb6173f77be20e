//! Runtime-independent core of [anyio](https://docs.rs/anyio).
//!
//! Everything here is written once against the [`backend::Runtime`] waist; the `anyio` facade
//! crate instantiates it with the runtimes enabled by cargo features and is what applications
//! and libraries depend on. See the facade's documentation for the concept tour.
//!
//! # Examples
//!
//! The generic items here, instantiated with the facade's runtime:
//!
//! ```
//! use std::time::Duration;
//! use anyio::AnyRuntime;
//! use anyio_core::{cancel, time};
//!
//! # anyio::run(async {
//! let outcome = cancel::move_on_after::<_, AnyRuntime>(
//!     Duration::from_millis(5),
//!     time::sleep::<AnyRuntime>(Duration::from_secs(5)),
//! )
//! .await;
//! assert_eq!(outcome, None);
//! # }).unwrap();
//! ```

#![forbid(unsafe_code)]

pub mod backend;
pub mod cancel;
mod context;
mod drive;
pub mod error;
pub mod fs;
mod instant;
#[allow(unused_imports)] // until every shimmed type has a user
mod loom;
pub mod lowlevel;
#[cfg(unix)]
pub mod net;
pub mod portal;
#[cfg(unix)]
pub mod process;
#[cfg(unix)]
pub mod signal;
pub mod streams;
pub mod sync;
pub mod task;
pub mod testing;
pub mod thread;
pub mod time;
mod tree;
mod wait;
