//! Runtime-independent core of [anyio](https://docs.rs/anyio).
//!
//! Everything here is written once against the [`backend::Runtime`] waist; the `anyio` facade
//! crate instantiates it with the runtimes enabled by cargo features and is what applications
//! and libraries depend on. See the facade's documentation for the concept tour.

#![forbid(unsafe_code)]

pub mod backend;
pub mod cancel;
mod context;
pub mod error;
pub mod task;
pub mod time;
