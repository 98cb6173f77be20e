//! Checks shared by both macros on the annotated function's signature, and small queries on
//! it.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::{ReturnType, Signature, Type};

/// Which macro is checking, so each error can say what to do instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Test,
    Main,
}

impl Role {
    fn attribute(self) -> &'static str {
        match self {
            Role::Test => "#[anyio::test]",
            Role::Main => "#[anyio::main]",
        }
    }
}

/// Rejects what the expansion cannot call: the generated code calls the function with no
/// arguments and no type arguments, outside any `unsafe` block, and awaits its result. Every
/// problem is reported at once, each at the offending tokens.
pub(crate) fn check_signature(sig: &Signature, role: Role) -> syn::Result<()> {
    let attribute = role.attribute();
    let mut errors: Vec<syn::Error> = Vec::new();

    if sig.asyncness.is_none() {
        errors.push(syn::Error::new(
            sig.fn_token.span,
            format!("{attribute} applies to an `async fn`; add `async` before `fn`"),
        ));
    }
    if let Some(constness) = &sig.constness {
        errors.push(syn::Error::new(
            constness.span,
            format!("{attribute} cannot be used on a `const fn`"),
        ));
    }
    if let Some(unsafety) = &sig.unsafety {
        errors.push(syn::Error::new(
            unsafety.span,
            format!(
                "{attribute} cannot be used on an `unsafe fn`; use an `unsafe` block inside the body"
            ),
        ));
    }
    if let Some(abi) = &sig.abi {
        errors.push(syn::Error::new_spanned(
            abi,
            format!("{attribute} cannot be used on an `extern` function"),
        ));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        let what = match role {
            Role::Test => "a test",
            Role::Main => "the entry point",
        };
        let message = format!(
            "{attribute} cannot be used on a generic function: {what} is called without type arguments"
        );
        // `new_spanned` underlines the whole list; `Generics` does not print its where clause.
        errors.push(match &sig.generics.where_clause {
            Some(where_clause) if sig.generics.params.is_empty() => {
                syn::Error::new_spanned(where_clause, message)
            }
            _ => syn::Error::new_spanned(&sig.generics, message),
        });
    }
    if !sig.inputs.is_empty() || sig.variadic.is_some() {
        let hint = match role {
            Role::Test => "build what the test needs inside its body",
            Role::Main => "read command-line arguments with `std::env::args()`",
        };
        let message = format!("{attribute} functions take no arguments; {hint}");
        errors.push(match &sig.variadic {
            Some(variadic) if sig.inputs.is_empty() => syn::Error::new_spanned(variadic, message),
            _ => syn::Error::new_spanned(&sig.inputs, message),
        });
    }

    let mut errors = errors.into_iter();
    match errors.next() {
        None => Ok(()),
        Some(mut first) => {
            first.extend(errors);
            Err(first)
        }
    }
}

/// Whether the function returns `()`, written or not. `#[should_panic]` tests must, and a unit
/// test needs no return type at all.
pub(crate) fn returns_unit(output: &ReturnType) -> bool {
    match output {
        ReturnType::Default => true,
        ReturnType::Type(_, ty) => is_unit(ty),
    }
}

fn is_unit(ty: &Type) -> bool {
    match ty {
        Type::Tuple(tuple) => tuple.elems.is_empty(),
        Type::Paren(paren) => is_unit(&paren.elem),
        Type::Group(group) => is_unit(&group.elem),
        _ => false,
    }
}

/// Whether `impl Trait` appears anywhere in the type. A token scan is enough: `impl` is a
/// keyword, so it cannot be a type's name.
pub(crate) fn mentions_impl_trait(ty: &Type) -> bool {
    fn scan(tokens: TokenStream) -> bool {
        tokens.into_iter().any(|tree| match tree {
            TokenTree::Ident(ident) => ident == "impl",
            TokenTree::Group(group) => scan(group.stream()),
            _ => false,
        })
    }
    scan(ty.to_token_stream())
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::{parse_quote, ItemFn};

    fn messages(item: ItemFn, role: Role) -> Vec<String> {
        match check_signature(&item.sig, role) {
            Ok(()) => Vec::new(),
            Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn plain_async_fns_are_accepted() {
        assert!(messages(
            parse_quote!(
                async fn t() {}
            ),
            Role::Test
        )
        .is_empty());
        assert!(messages(
            parse_quote!(
                pub async fn t() -> Result<(), E> {
                    Ok(())
                }
            ),
            Role::Test
        )
        .is_empty());
    }

    #[test]
    fn sync_fn_is_rejected() {
        assert_eq!(
            messages(
                parse_quote!(
                    fn t() {}
                ),
                Role::Test
            ),
            ["#[anyio::test] applies to an `async fn`; add `async` before `fn`"]
        );
        assert_eq!(
            messages(
                parse_quote!(
                    fn main() {}
                ),
                Role::Main
            ),
            ["#[anyio::main] applies to an `async fn`; add `async` before `fn`"]
        );
    }

    #[test]
    fn arguments_are_rejected_with_a_role_specific_hint() {
        let test = messages(
            parse_quote!(
                async fn t(x: u32) {}
            ),
            Role::Test,
        );
        assert_eq!(
            test,
            ["#[anyio::test] functions take no arguments; build what the test needs inside its body"]
        );
        let main = messages(
            parse_quote!(
                async fn main(args: Vec<String>) {}
            ),
            Role::Main,
        );
        assert!(main[0].contains("std::env::args()"), "{main:?}");
    }

    #[test]
    fn generics_are_rejected() {
        for item in [
            parse_quote!(
                async fn t<T>() {}
            ),
            parse_quote!(
                async fn t<'a>() {}
            ),
            parse_quote!(
                async fn t()
                where
                    u8: Copy,
                {
                }
            ),
        ] {
            let errors = messages(item, Role::Test);
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert!(errors[0].contains("generic function"), "{errors:?}");
        }
    }

    #[test]
    fn all_problems_are_reported_together() {
        let errors = messages(
            parse_quote!(
                unsafe fn t<T>(x: T) {}
            ),
            Role::Test,
        );
        assert_eq!(errors.len(), 4, "{errors:?}");
    }

    #[test]
    fn unit_returns_are_recognised() {
        let unit: Vec<ReturnType> =
            vec![parse_quote!(), parse_quote!(-> ()), parse_quote!(-> (()))];
        for output in &unit {
            assert!(returns_unit(output));
        }
        let not_unit: ReturnType = parse_quote!(-> Result<(), E>);
        assert!(!returns_unit(&not_unit));
    }

    #[test]
    fn impl_trait_is_found_anywhere_in_a_type() {
        assert!(mentions_impl_trait(&parse_quote!(impl Termination)));
        assert!(mentions_impl_trait(
            &parse_quote!(Result<(), Box<impl Debug>>)
        ));
        assert!(!mentions_impl_trait(
            &parse_quote!(Result<(), Box<dyn Error>>)
        ));
    }
}
