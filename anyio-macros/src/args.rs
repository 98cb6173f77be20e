//! Parsing of the arguments inside `#[anyio::test(...)]` and `#[anyio::main(...)]`.

use std::fmt;

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Lit, LitStr, Path, Token};

use crate::backend::Backend;

/// The arguments of `#[anyio::test]`.
pub(crate) struct TestArgs {
    /// The backends to generate tests for, deduplicated, in [`Backend::ALL`] order.
    pub(crate) backends: Vec<Backend>,
    /// Path of the facade crate in generated code.
    pub(crate) krate: Path,
    /// Run the body under a fresh virtual clock (`virtual_time`).
    pub(crate) virtual_time: bool,
}

/// The arguments of `#[anyio::main]`.
pub(crate) struct MainArgs {
    /// `None` lets `anyio::run` choose (`ANYIO_BACKEND`, else the default backend).
    pub(crate) backend: Option<Backend>,
    /// Path of the facade crate in generated code.
    pub(crate) krate: Path,
}

// By hand: syn's `Debug` impls need its `extra-traits` feature, a compile-time cost for
// every user just so that tests can print a `Path`.
impl fmt::Debug for TestArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestArgs")
            .field("backends", &self.backends)
            .field("krate", &self.krate.to_token_stream().to_string())
            .field("virtual_time", &self.virtual_time)
            .finish()
    }
}

impl fmt::Debug for MainArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MainArgs")
            .field("backend", &self.backend)
            .field("krate", &self.krate.to_token_stream().to_string())
            .finish()
    }
}

pub(crate) fn parse_test_args(tokens: TokenStream) -> syn::Result<TestArgs> {
    let mut backends: Option<Vec<Backend>> = None;
    let mut krate: Option<Path> = None;
    let mut virtual_time = false;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("backends") {
            reject_repeat(&meta, backends.is_some())?;
            backends = Some(parse_backend_list(meta.value()?)?);
            Ok(())
        } else if meta.path.is_ident("virtual_time") {
            reject_repeat(&meta, virtual_time)?;
            virtual_time = true;
            Ok(())
        } else if meta.path.is_ident("crate") {
            reject_repeat(&meta, krate.is_some())?;
            krate = Some(parse_crate_path(&meta)?);
            Ok(())
        } else if meta.path.is_ident("backend") {
            Err(meta.error("unknown argument `backend`; to narrow the backends of a test write `backends = [\"tokio\", \"smol\"]`"))
        } else {
            Err(meta.error(
                "unknown argument; #[anyio::test] accepts `backends = [\"tokio\", \"async-std\", \"smol\"]`, `virtual_time` and `crate = \"path::to::anyio\"`",
            ))
        }
    });
    parser.parse2(tokens)?;
    Ok(TestArgs {
        backends: backends.unwrap_or_else(|| Backend::ALL.to_vec()),
        krate: krate.unwrap_or_else(default_crate_path),
        virtual_time,
    })
}

pub(crate) fn parse_main_args(tokens: TokenStream) -> syn::Result<MainArgs> {
    let mut backend: Option<Backend> = None;
    let mut krate: Option<Path> = None;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("backend") {
            reject_repeat(&meta, backend.is_some())?;
            backend = Some(parse_backend_name(&meta.value()?.parse()?)?);
            Ok(())
        } else if meta.path.is_ident("crate") {
            reject_repeat(&meta, krate.is_some())?;
            krate = Some(parse_crate_path(&meta)?);
            Ok(())
        } else if meta.path.is_ident("backends") {
            Err(meta.error(
                "unknown argument `backends`; a program runs on one backend: write `backend = \"smol\"`",
            ))
        } else {
            Err(meta.error(
                "unknown argument; #[anyio::main] accepts `backend = \"tokio\" | \"async-std\" | \"smol\"` and `crate = \"path::to::anyio\"`",
            ))
        }
    });
    parser.parse2(tokens)?;
    Ok(MainArgs {
        backend,
        krate: krate.unwrap_or_else(default_crate_path),
    })
}

/// `::anyio`: absolute, so a local module named `anyio` cannot capture the expansion.
fn default_crate_path() -> Path {
    syn::parse_quote!(::anyio)
}

fn reject_repeat(meta: &ParseNestedMeta<'_>, seen: bool) -> syn::Result<()> {
    if seen {
        let name = meta
            .path
            .get_ident()
            .map_or_else(String::new, ToString::to_string);
        Err(meta.error(format!("`{name}` is given more than once")))
    } else {
        Ok(())
    }
}

/// `crate = "some::path"`, the escape hatch for a renamed dependency (`my_anyio = { package =
/// "anyio", ... }`) or a re-export, since the expansion otherwise names `::anyio`.
fn parse_crate_path(meta: &ParseNestedMeta<'_>) -> syn::Result<Path> {
    let lit: LitStr = meta.value()?.parse()?;
    lit.parse::<Path>().map_err(|_| {
        syn::Error::new(
            lit.span(),
            format!(
                "`crate` must be a path such as \"::anyio\", not \"{}\"",
                lit.value()
            ),
        )
    })
}

/// `["tokio", "smol"]`. Every bad entry is reported, not just the first, so one compile shows
/// everything to fix.
pub(crate) fn parse_backend_list(input: ParseStream<'_>) -> syn::Result<Vec<Backend>> {
    if !input.peek(syn::token::Bracket) {
        return Err(input.error("expected a list of backend names such as `[\"tokio\", \"smol\"]`"));
    }
    let content;
    let brackets = syn::bracketed!(content in input);
    let entries = Punctuated::<Expr, Token![,]>::parse_terminated(&content)?;
    if entries.is_empty() {
        return Err(syn::Error::new(
            brackets.span.join(),
            format!(
                "the list of backends is empty; name at least one of {}",
                Backend::valid_names()
            ),
        ));
    }

    let mut chosen = Vec::new();
    let mut errors: Option<syn::Error> = None;
    let mut push_error = |error: syn::Error| match &mut errors {
        Some(errors) => errors.combine(error),
        None => errors = Some(error),
    };
    for entry in &entries {
        let lit = match entry {
            Expr::Lit(ExprLit {
                lit: Lit::Str(lit), ..
            }) => lit,
            other => {
                push_error(syn::Error::new_spanned(
                    other,
                    format!(
                        "expected a backend name as a string; valid backends are {}",
                        Backend::valid_names()
                    ),
                ));
                continue;
            }
        };
        match parse_backend_name(lit) {
            Ok(backend) if chosen.contains(&backend) => push_error(syn::Error::new(
                lit.span(),
                format!("backend \"{}\" is listed more than once", backend.name()),
            )),
            Ok(backend) => chosen.push(backend),
            Err(error) => push_error(error),
        }
    }
    if let Some(errors) = errors {
        return Err(errors);
    }
    // The order written does not matter to the user; a canonical order keeps expansions stable.
    Ok(Backend::ALL
        .into_iter()
        .filter(|backend| chosen.contains(backend))
        .collect())
}

pub(crate) fn parse_backend_name(lit: &LitStr) -> syn::Result<Backend> {
    let name = lit.value();
    Backend::from_name(&name)
        .ok_or_else(|| syn::Error::new(lit.span(), Backend::unknown_name_message(&name)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn list(tokens: TokenStream) -> syn::Result<Vec<Backend>> {
        parse_backend_list.parse2(tokens)
    }

    fn error_text(error: syn::Error) -> Vec<String> {
        error.into_iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn no_arguments_means_every_backend_and_the_anyio_crate() {
        let args = parse_test_args(TokenStream::new()).unwrap();
        assert_eq!(args.backends, Backend::ALL);
        let krate = args.krate;
        assert_eq!(quote!(#krate).to_string(), quote!(::anyio).to_string());
    }

    #[test]
    fn backends_list_is_parsed_and_canonically_ordered() {
        let args = parse_test_args(quote!(backends = ["smol", "tokio"])).unwrap();
        assert_eq!(args.backends, [Backend::Tokio, Backend::Smol]);
        let args = parse_test_args(quote!(backends = ["async-std",])).unwrap();
        assert_eq!(args.backends, [Backend::AsyncStd]);
    }

    #[test]
    fn unknown_backend_is_rejected_with_the_valid_names() {
        let errors = error_text(list(quote!(["tokio", "glommio"])).unwrap_err());
        assert_eq!(
            errors,
            ["unknown backend \"glommio\"; valid backends are \"tokio\", \"async-std\", \"smol\""]
        );
    }

    #[test]
    fn every_bad_entry_is_reported() {
        let errors = error_text(list(quote!(["glommio", tokio, "smol", "smol"])).unwrap_err());
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].starts_with("unknown backend \"glommio\""));
        assert!(errors[1].starts_with("expected a backend name as a string"));
        assert_eq!(errors[2], "backend \"smol\" is listed more than once");
    }

    #[test]
    fn empty_or_unbracketed_lists_are_rejected() {
        let errors = error_text(list(quote!([])).unwrap_err());
        assert!(
            errors[0].starts_with("the list of backends is empty"),
            "{errors:?}"
        );
        let errors = error_text(list(quote!("tokio")).unwrap_err());
        assert!(
            errors[0].starts_with("expected a list of backend names"),
            "{errors:?}"
        );
    }

    #[test]
    fn unknown_or_repeated_test_arguments_are_rejected() {
        let error = parse_test_args(quote!(flavor = "multi_thread")).unwrap_err();
        assert!(error
            .to_string()
            .starts_with("unknown argument; #[anyio::test] accepts"));
        let error = parse_test_args(quote!(backend = "smol")).unwrap_err();
        assert!(error.to_string().contains("backends = ["), "{error}");
        let error = parse_test_args(quote!(backends = ["smol"], backends = ["tokio"])).unwrap_err();
        assert_eq!(error.to_string(), "`backends` is given more than once");
    }

    #[test]
    fn virtual_time_is_a_flag_given_at_most_once() {
        assert!(!parse_test_args(TokenStream::new()).unwrap().virtual_time);
        let args = parse_test_args(quote!(virtual_time, backends = ["smol"])).unwrap();
        assert!(args.virtual_time);
        assert_eq!(args.backends, [Backend::Smol]);
        let error = parse_test_args(quote!(virtual_time, virtual_time)).unwrap_err();
        assert_eq!(error.to_string(), "`virtual_time` is given more than once");
    }

    #[test]
    fn crate_path_is_parsed() {
        let args = parse_test_args(quote!(crate = "my_anyio", backends = ["tokio"])).unwrap();
        let krate = args.krate;
        assert_eq!(quote!(#krate).to_string(), "my_anyio");
        let error = parse_test_args(quote!(crate = "not a path")).unwrap_err();
        assert!(
            error.to_string().starts_with("`crate` must be a path"),
            "{error}"
        );
    }

    #[test]
    fn main_backend_is_optional_and_checked() {
        assert_eq!(parse_main_args(TokenStream::new()).unwrap().backend, None);
        let args = parse_main_args(quote!(backend = "async-std")).unwrap();
        assert_eq!(args.backend, Some(Backend::AsyncStd));
        let error = parse_main_args(quote!(backend = "tokyo")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown backend \"tokyo\"; valid backends are \"tokio\", \"async-std\", \"smol\""
        );
        let error = parse_main_args(quote!(backends = ["smol"])).unwrap_err();
        assert!(
            error.to_string().contains("write `backend = \"smol\"`"),
            "{error}"
        );
    }
}
