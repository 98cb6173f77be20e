//! `#[anyio::main]`: an `async fn main` becomes a sync `main` that starts a backend.
//!
//! ```text
//! #[anyio::main]
//! async fn main() -> T { body }
//! ```
//!
//! becomes
//!
//! ```text
//! fn main() -> T {
//!     async fn __anyio_main() -> T { body }
//!     match ::anyio::run(__anyio_main()) {
//!         Ok(output) => output,
//!         Err(error) => { eprintln!("error: {error}"); std::process::exit(1) }
//!     }
//! }
//! ```

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::ItemFn;

use crate::args::{parse_main_args, MainArgs};
use crate::signature::{check_signature, Role};

/// The whole macro: arguments and item in, code or spanned `compile_error!`s out.
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let item = match syn::parse2::<ItemFn>(item) {
        Ok(item) => item,
        Err(error) => {
            return syn::Error::new(
                error.span(),
                "#[anyio::main] applies to an `async fn main()`",
            )
            .to_compile_error()
        }
    };
    let result = parse_main_args(args).and_then(|args| expand_main(&args, &item));
    result.unwrap_or_else(|error| {
        // A stub with the same name keeps the error list short: without it every error would
        // come with "`main` function not found".
        let ItemFn { vis, sig, .. } = &item;
        let name = &sig.ident;
        let error = error.to_compile_error();
        quote! {
            #error
            #vis fn #name() {}
        }
    })
}

pub(crate) fn expand_main(args: &MainArgs, item: &ItemFn) -> syn::Result<TokenStream> {
    check_signature(&item.sig, Role::Main)?;
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = item;
    let name = &sig.ident;
    let output = &sig.output;
    let krate = &args.krate;

    // The body stays an `async fn` rather than an `async` block so that `return` and `?`
    // keep the declared return type; a block would leave `?`'s error type to inference.
    let (assert_enabled, run) = match args.backend {
        None => (
            TokenStream::new(),
            quote_spanned!(sig.span()=> #krate::run(__anyio_main())),
        ),
        Some(backend) => {
            let cfg_macro = backend.cfg_macro();
            let variant = backend.variant();
            (
                // The proc macro cannot see the facade's features; the facade's macro turns a
                // disabled backend into a compile error instead of a failure at startup.
                quote!(#krate::#cfg_macro!(@assert_enabled);),
                quote_spanned!(sig.span()=> #krate::run_with(#krate::Backend::#variant, __anyio_main())),
            )
        }
    };

    Ok(quote! {
        #(#attrs)*
        #vis fn #name() #output {
            #assert_enabled
            async fn __anyio_main() #output #block
            match #run {
                ::core::result::Result::Ok(output) => output,
                ::core::result::Result::Err(error) => {
                    ::std::eprintln!("error: {}", error);
                    ::std::process::exit(1)
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Backend;
    use syn::parse_quote;

    #[test]
    fn main_runs_the_body_on_the_default_backend() {
        let args = MainArgs {
            backend: None,
            krate: parse_quote!(::anyio),
        };
        let item: ItemFn = parse_quote! {
            /// The program.
            async fn main() -> Result<(), Box<dyn std::error::Error>> {
                work().await?;
                Ok(())
            }
        };
        // `> >`: syn reprints a parsed `>>` as two lone `>`s.
        let expected = quote! {
            #[doc = r" The program."]
            fn main() -> Result<(), Box<dyn std::error::Error> > {
                async fn __anyio_main() -> Result<(), Box<dyn std::error::Error> > {
                    work().await?;
                    Ok(())
                }
                match ::anyio::run(__anyio_main()) {
                    ::core::result::Result::Ok(output) => output,
                    ::core::result::Result::Err(error) => {
                        ::std::eprintln!("error: {}", error);
                        ::std::process::exit(1)
                    }
                }
            }
        };
        assert_eq!(
            expand_main(&args, &item).unwrap().to_string(),
            expected.to_string()
        );
    }

    #[test]
    fn explicit_backend_uses_run_with_and_asserts_the_feature() {
        let args = MainArgs {
            backend: Some(Backend::Smol),
            krate: parse_quote!(::anyio),
        };
        let item: ItemFn = parse_quote!(
            async fn main() {}
        );
        let expanded = expand_main(&args, &item).unwrap().to_string();
        assert!(
            expanded.contains(&quote!(::anyio::__cfg_smol!(@assert_enabled);).to_string()),
            "{expanded}"
        );
        assert!(
            expanded.contains(
                &quote!(::anyio::run_with(::anyio::Backend::Smol, __anyio_main())).to_string()
            ),
            "{expanded}"
        );
    }

    #[test]
    fn errors_come_with_a_stub_main() {
        let out = expand(
            TokenStream::new(),
            quote!(
                async fn main(x: u8) {}
            ),
        )
        .to_string();
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("take no arguments"), "{out}");
        assert!(
            out.contains(
                &quote!(
                    fn main() {}
                )
                .to_string()
            ),
            "{out}"
        );

        let out = expand(
            quote!(backend = "tokyo"),
            quote!(
                async fn main() {}
            ),
        )
        .to_string();
        assert!(out.contains("unknown backend"), "{out}");
    }

    #[test]
    fn non_functions_are_rejected() {
        let out = expand(
            TokenStream::new(),
            quote!(
                struct Main;
            ),
        )
        .to_string();
        assert!(out.contains("applies to an `async fn main()`"), "{out}");
    }
}
