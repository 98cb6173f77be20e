//! The smallest anyio program. `#[anyio::main]` starts the backend named by `ANYIO_BACKEND`,
//! else the default one:
//!
//! ```text
//! ANYIO_BACKEND=smol cargo run --example hello --features smol
//! ```

use std::time::Duration;

#[anyio::main]
async fn main() {
    let backend = anyio::Backend::current().expect("anyio::main starts a backend");
    anyio::sleep(Duration::from_millis(10)).await;
    println!("hello from {backend}");
}
