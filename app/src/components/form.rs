//! Form helpers: the error box that explains a refused submission, the success line, pagination.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::components::{Redirect, A};

use crate::error::AppError;

/// The error of the last submission of a form, if it failed.
pub fn last_error<T, S>(value: S) -> Signal<Option<AppError>>
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    Signal::derive(move || value.get().and_then(Result::err))
}

/// Shows a refused submission: the field it concerns and why, announced to screen readers. A
/// conflict (someone else saved first) offers to reload the page; an ended session goes to the
/// login page.
#[component]
pub fn ErrorBox(
    /// The error to show, when there is one.
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    move || {
        error.get().map(|err| {
            if err == AppError::Unauthenticated {
                return Either::Left(view! { <Redirect path="/login" /> });
            }
            let conflict = matches!(err, AppError::Conflict(_));
            Either::Right(view! {
                <p class="error-box" role="alert">
                    <strong>"Error: "</strong>
                    {err.to_string()}
                    <Show when=move || conflict>
                        " "
                        <button
                            type="button"
                            class="inline-button"
                            on:click=|_| {
                                let _ = window().location().reload();
                            }
                        >
                            "Reload"
                        </button>
                    </Show>
                </p>
            })
        })
    }
}

/// A line that confirms a saved change, announced to screen readers.
#[component]
pub fn StatusLine(
    /// The message, when there is one.
    message: Signal<Option<String>>,
) -> impl IntoView {
    move || {
        message.get().map(|text| {
            view! {
                <p class="status-box" role="status">
                    <strong>"Done: "</strong>
                    {text}
                </p>
            }
        })
    }
}

/// "Page N of M" with links to the previous and next pages; `href` builds a page's address.
#[component]
pub fn Pagination(
    /// This page, from 1.
    page: u64,
    /// How many pages.
    pages: u64,
    /// How many rows match.
    total: u64,
    /// The address of page `n`.
    href: impl Fn(u64) -> String + 'static,
) -> impl IntoView {
    let prev = (page > 1).then(|| href(page - 1));
    let next = (page < pages).then(|| href(page + 1));
    view! {
        <nav class="pagination" aria-label="Pages">
            {prev.map(|h| view! { <A href=h attr:rel="prev">"‹ Previous"</A> })}
            <span>{format!("Page {page} of {pages} ({total} rows)")}</span>
            {next.map(|h| view! { <A href=h attr:rel="next">"Next ›"</A> })}
        </nav>
    }
}

/// The toolbar's "Add a New …" link; a disabled button for a user who may only read.
#[component]
pub fn AddLink(
    /// Where the add page is.
    href: &'static str,
    /// The label, e.g. "Add a New Phone".
    label: &'static str,
    /// Whether the user may add.
    may_write: bool,
) -> impl IntoView {
    view! {
        <p class="toolbar">
            {if may_write {
                Either::Left(view! { <A href=href attr:class="button">{label}</A> })
            } else {
                Either::Right(view! { <button type="button" disabled>{label}</button> })
            }}
        </p>
    }
}

/// Escapes a value for a query string.
pub fn query_escape(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::query_escape;

    #[test]
    fn query_values_are_escaped() {
        assert_eq!(query_escape("a b&c=d"), "a%20b%26c%3Dd");
        assert_eq!(query_escape("Admin_1"), "Admin_1");
    }
}
