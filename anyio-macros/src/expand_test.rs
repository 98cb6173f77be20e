//! `#[anyio::test]`: one `async fn` becomes one `#[test]` per enabled backend.
//!
//! ```text
//! #[anyio::test]
//! async fn name() -> T { body }
//! ```
//!
//! becomes
//!
//! ```text
//! async fn __anyio_test_name() -> T { body }   // same scope: sees the same imports
//! type __anyio_test_output_name = T;           // only when T is not ()
//! mod name {
//!     ::anyio::__cfg_tokio! { #[test] fn tokio() -> super::__anyio_test_output_name { .. } }
//!     ::anyio::__cfg_async_std! { #[test] fn async_std() -> .. { .. } }
//!     ::anyio::__cfg_smol! { #[test] fn smol() -> .. { .. } }
//! }
//! ```

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, ItemFn, ReturnType};

use crate::args::{parse_test_args, TestArgs};
use crate::signature::{check_signature, mentions_impl_trait, returns_unit, Role};

/// The whole macro: arguments and item in, code or spanned `compile_error!`s out.
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let args = parse_test_args(args);
    let item = syn::parse2::<ItemFn>(item).map_err(|error| {
        syn::Error::new(
            error.span(),
            "#[anyio::test] applies to an `async fn` with no arguments",
        )
    });
    match (args, item) {
        (Ok(args), Ok(item)) => expand_test(&args, item).unwrap_or_else(|e| e.to_compile_error()),
        (Err(mut args_error), Err(item_error)) => {
            args_error.combine(item_error);
            args_error.to_compile_error()
        }
        (Err(error), _) | (_, Err(error)) => error.to_compile_error(),
    }
}

/// The attributes written on the test function, sorted by where they must go.
#[derive(Default)]
pub(crate) struct SortedAttrs {
    /// `#[cfg]`: on everything generated, so a test compiled out leaves nothing behind.
    pub(crate) cfg: Vec<Attribute>,
    /// Lint levels: on the body, where the user's code is. Not on the generated tests, which
    /// hold no user code (and an `#[expect]` there would go unfulfilled).
    pub(crate) body: Vec<Attribute>,
    /// Everything else (`#[should_panic]`, `#[ignore]`, docs, `#[cfg_attr(..., ignore)]`,
    /// third-party test attributes): on each generated `#[test]`, which is what the harness and
    /// those attributes act on. Docs are copied onto the module as well.
    pub(crate) tests: Vec<Attribute>,
}

pub(crate) fn sort_attrs(attrs: Vec<Attribute>) -> syn::Result<SortedAttrs> {
    const LINT_LEVELS: [&str; 5] = ["allow", "warn", "deny", "forbid", "expect"];
    let mut sorted = SortedAttrs::default();
    for attr in attrs {
        let path = attr.path();
        if path.is_ident("cfg") {
            sorted.cfg.push(attr);
        } else if LINT_LEVELS.iter().any(|level| path.is_ident(level)) {
            sorted.body.push(attr);
        } else if path
            .segments
            .last()
            .is_some_and(|last| last.ident == "test")
        {
            // A second test attribute (`#[test]`, `#[tokio::test]`, a repeated `#[anyio::test]`)
            // would run the body outside anyio or register it twice.
            return Err(syn::Error::new_spanned(
                attr,
                "#[anyio::test] generates the `#[test]` functions itself; remove this attribute",
            ));
        } else {
            sorted.tests.push(attr);
        }
    }
    Ok(sorted)
}

pub(crate) fn expand_test(args: &TestArgs, item: ItemFn) -> syn::Result<TokenStream> {
    check_signature(&item.sig, Role::Test)?;
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = item;
    let sorted = sort_attrs(attrs)?;
    let unit = returns_unit(&sig.output);

    if !unit {
        if let ReturnType::Type(_, ty) = &sig.output {
            if mentions_impl_trait(ty) {
                return Err(syn::Error::new_spanned(
                    ty,
                    "#[anyio::test] needs a nameable return type such as `Result<(), E>`, not `impl Trait`",
                ));
            }
        }
        if let Some(should_panic) = sorted
            .tests
            .iter()
            .find(|attr| attr.path().is_ident("should_panic"))
        {
            // rustc would reject this too, but at the generated function, far from the cause.
            let mut error =
                syn::Error::new_spanned(&sig.output, "a `#[should_panic]` test must return `()`");
            error.combine(syn::Error::new_spanned(
                should_panic,
                "`#[should_panic]` is here",
            ));
            return Err(error);
        }
    }

    let name = &sig.ident;
    let body_fn = format_ident!("__anyio_test_{}", name, span = name.span());
    let output_alias = format_ident!("__anyio_test_output_{}", name, span = name.span());
    let krate = &args.krate;
    let SortedAttrs { cfg, body, tests } = &sorted;

    // The return type is named through an alias declared next to the body, because inside
    // `mod name` the user's imports are out of scope; the alias resolves in theirs.
    let (alias_item, test_output) = match &sig.output {
        ReturnType::Type(arrow, ty) if !unit => (
            quote! {
                #(#cfg)*
                #[doc(hidden)]
                #[allow(dead_code, non_camel_case_types)]
                type #output_alias = #ty;
            },
            quote!(#arrow super::#output_alias),
        ),
        _ => (TokenStream::new(), TokenStream::new()),
    };

    let generated_tests = args.backends.iter().map(|backend| {
        let cfg_macro = backend.cfg_macro();
        let test_fn = backend.test_fn();
        let variant = backend.variant();
        let backend_name = backend.name();
        // Spanned at the user's signature, so type errors in the glue (a body that is not
        // `Send`, an output that is not `Termination`) point at their function.
        let call = if args.virtual_time {
            quote_spanned! {sig.span()=>
                #krate::testing::run_with_clock(
                    #krate::Backend::#variant,
                    &#krate::testing::VirtualClock::new(),
                    super::#body_fn(),
                )
            }
        } else {
            quote_spanned! {sig.span()=>
                #krate::run_with(#krate::Backend::#variant, super::#body_fn())
            }
        };
        quote! {
            #krate::#cfg_macro! {
                #(#tests)*
                #[::core::prelude::v1::test]
                fn #test_fn() #test_output {
                    match #call {
                        ::core::result::Result::Ok(output) => output,
                        ::core::result::Result::Err(error) => ::core::panic!(
                            "anyio could not run this test on {}: {}",
                            #backend_name,
                            error,
                        ),
                    }
                }
            }
        }
    });

    // Docs also go on the module: with `pub async fn` the module is public, and the user's doc
    // comment is what documents it.
    let docs = tests.iter().filter(|attr| attr.path().is_ident("doc"));
    let output = &sig.output;
    Ok(quote! {
        #(#cfg)*
        #(#body)*
        #[doc(hidden)]
        // Unused when none of this test's backends is enabled, or outside `cfg(test)`.
        #[allow(dead_code)]
        async fn #body_fn() #output #block

        #alias_item

        #(#cfg)*
        #(#docs)*
        #vis mod #name {
            #(#generated_tests)*
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Backend;
    use syn::parse_quote;

    fn args(backends: &[Backend]) -> TestArgs {
        TestArgs {
            backends: backends.to_vec(),
            krate: parse_quote!(::anyio),
            virtual_time: false,
        }
    }

    fn expand_str(backends: &[Backend], item: ItemFn) -> String {
        expand_test(&args(backends), item).unwrap().to_string()
    }

    fn error_of(args: TokenStream, item: TokenStream) -> String {
        expand(args, item).to_string()
    }

    #[test]
    fn unit_test_expands_to_a_module_of_backend_tests() {
        let expanded = expand_str(
            &[Backend::Tokio, Backend::Smol],
            parse_quote! {
                /// Checks things.
                #[should_panic(expected = "boom")]
                async fn checks_things() {
                    panic!("boom");
                }
            },
        );
        let expected = quote! {
            #[doc(hidden)]
            #[allow(dead_code)]
            async fn __anyio_test_checks_things() {
                panic!("boom");
            }

            #[doc = r" Checks things."]
            mod checks_things {
                ::anyio::__cfg_tokio! {
                    #[doc = r" Checks things."]
                    #[should_panic(expected = "boom")]
                    #[::core::prelude::v1::test]
                    fn tokio() {
                        match ::anyio::run_with(::anyio::Backend::Tokio, super::__anyio_test_checks_things()) {
                            ::core::result::Result::Ok(output) => output,
                            ::core::result::Result::Err(error) => ::core::panic!(
                                "anyio could not run this test on {}: {}",
                                "tokio",
                                error,
                            ),
                        }
                    }
                }
                ::anyio::__cfg_smol! {
                    #[doc = r" Checks things."]
                    #[should_panic(expected = "boom")]
                    #[::core::prelude::v1::test]
                    fn smol() {
                        match ::anyio::run_with(::anyio::Backend::Smol, super::__anyio_test_checks_things()) {
                            ::core::result::Result::Ok(output) => output,
                            ::core::result::Result::Err(error) => ::core::panic!(
                                "anyio could not run this test on {}: {}",
                                "smol",
                                error,
                            ),
                        }
                    }
                }
            }
        };
        assert_eq!(expanded, expected.to_string());
    }

    #[test]
    fn fallible_test_returns_its_output_through_an_alias() {
        let expanded = expand_str(
            &[Backend::AsyncStd],
            parse_quote! {
                async fn reads() -> io::Result<()> { Ok(()) }
            },
        );
        let alias = quote! {
            #[doc(hidden)]
            #[allow(dead_code, non_camel_case_types)]
            type __anyio_test_output_reads = io::Result<()>;
        };
        assert!(expanded.contains(&alias.to_string()), "{expanded}");
        assert!(
            expanded
                .contains(&quote!(fn async_std() -> super::__anyio_test_output_reads).to_string()),
            "{expanded}"
        );
        assert!(
            expanded.contains(&quote!(async fn __anyio_test_reads() -> io::Result<()>).to_string()),
            "{expanded}"
        );
    }

    #[test]
    fn explicit_unit_return_needs_no_alias() {
        let expanded = expand_str(
            &Backend::ALL,
            parse_quote!(
                async fn t() -> () {}
            ),
        );
        assert!(!expanded.contains("__anyio_test_output_t"), "{expanded}");
        assert!(expanded.contains("fn tokio () {"), "{expanded}");
    }

    #[test]
    fn only_the_listed_backends_are_generated() {
        let expanded = expand_str(
            &[Backend::Smol],
            parse_quote!(
                async fn t() {}
            ),
        );
        assert!(expanded.contains("__cfg_smol"));
        assert!(!expanded.contains("__cfg_tokio"));
        assert!(!expanded.contains("__cfg_async_std"));
    }

    #[test]
    fn attributes_are_sorted_by_destination() {
        let item: ItemFn = parse_quote! {
            #[cfg(unix)]
            #[allow(unused_variables)]
            #[ignore = "slow"]
            #[cfg_attr(windows, ignore)]
            /// doc
            async fn t() {}
        };
        let sorted = sort_attrs(item.attrs).unwrap();
        let names = |attrs: &[Attribute]| -> Vec<String> {
            attrs
                .iter()
                .map(|a| a.path().get_ident().unwrap().to_string())
                .collect()
        };
        assert_eq!(names(&sorted.cfg), ["cfg"]);
        assert_eq!(names(&sorted.body), ["allow"]);
        assert_eq!(names(&sorted.tests), ["ignore", "cfg_attr", "doc"]);
    }

    #[test]
    fn cfg_guards_body_alias_and_module() {
        let expanded = expand_str(
            &[Backend::Tokio],
            parse_quote!(
                #[cfg(unix)]
                async fn t() -> Result<(), E> {
                    Ok(())
                }
            ),
        );
        assert_eq!(
            expanded.matches(&quote!(#[cfg(unix)]).to_string()).count(),
            3
        );
    }

    #[test]
    fn virtual_time_runs_the_body_under_a_fresh_clock() {
        let mut virtual_args = args(&[Backend::Tokio]);
        virtual_args.virtual_time = true;
        let expanded = expand_test(
            &virtual_args,
            parse_quote!(
                async fn t() {}
            ),
        )
        .unwrap()
        .to_string();
        let call = quote!(::anyio::testing::run_with_clock(
            ::anyio::Backend::Tokio,
            &::anyio::testing::VirtualClock::new(),
            super::__anyio_test_t(),
        ))
        .to_string();
        assert!(expanded.contains(&call), "{expanded}");
        assert!(!expanded.contains("run_with ("), "{expanded}");
    }

    #[test]
    fn custom_crate_path_is_used_everywhere() {
        let args = TestArgs {
            backends: vec![Backend::Tokio],
            krate: parse_quote!(crate::fake),
            virtual_time: false,
        };
        let expanded = expand_test(
            &args,
            parse_quote!(
                async fn t() {}
            ),
        )
        .unwrap()
        .to_string();
        assert!(expanded.contains(&quote!(crate::fake::__cfg_tokio!).to_string()));
        let call = quote!(crate::fake::run_with(
            crate::fake::Backend::Tokio,
            super::__anyio_test_t()
        ));
        assert!(expanded.contains(&call.to_string()), "{expanded}");
        assert!(!expanded.contains("anyio ::"), "{expanded}");
    }

    #[test]
    fn bad_items_become_compile_errors() {
        let sync = error_of(
            TokenStream::new(),
            quote!(
                fn t() {}
            ),
        );
        assert!(sync.contains("compile_error"), "{sync}");
        assert!(sync.contains("applies to an `async fn`"), "{sync}");

        let not_fn = error_of(
            TokenStream::new(),
            quote!(
                struct S;
            ),
        );
        assert!(
            not_fn.contains("applies to an `async fn` with no arguments"),
            "{not_fn}"
        );

        let unknown = error_of(
            quote!(backends = ["tokio", "glommio"]),
            quote!(
                async fn t() {}
            ),
        );
        assert!(
            unknown.contains("unknown backend \\\"glommio\\\""),
            "{unknown}"
        );
        assert!(
            !unknown.contains("__anyio_test_t"),
            "no code next to an error: {unknown}"
        );
    }

    #[test]
    fn second_test_attribute_is_rejected() {
        for attr in [
            quote!(#[test]),
            quote!(#[tokio::test]),
            quote!(#[anyio::test]),
        ] {
            let out = error_of(TokenStream::new(), quote!(#attr async fn t() {}));
            assert!(out.contains("remove this attribute"), "{out}");
        }
    }

    #[test]
    fn should_panic_with_an_output_is_rejected() {
        let out = error_of(
            TokenStream::new(),
            quote!(
                #[should_panic]
                async fn t() -> Result<(), E> {
                    Ok(())
                }
            ),
        );
        assert!(out.contains("must return `()`"), "{out}");
    }

    #[test]
    fn impl_trait_output_is_rejected() {
        let out = error_of(
            TokenStream::new(),
            quote!(
                async fn t() -> impl Termination {}
            ),
        );
        assert!(out.contains("nameable return type"), "{out}");
    }

    #[test]
    fn raw_identifiers_keep_a_valid_body_name() {
        let expanded = expand_str(
            &[Backend::Tokio],
            parse_quote!(
                async fn r#match() {}
            ),
        );
        assert!(
            expanded.contains("async fn __anyio_test_match"),
            "{expanded}"
        );
        assert!(expanded.contains("mod r#match"), "{expanded}");
    }
}
