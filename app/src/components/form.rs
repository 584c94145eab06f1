//! Form helpers: the error box that explains a refused submission.

use leptos::prelude::*;

use crate::error::AppError;

/// The error of the last submission of a form, if it failed.
pub fn last_error<T, S>(value: S) -> Signal<Option<AppError>>
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    Signal::derive(move || value.get().and_then(Result::err))
}

/// Shows a refused submission: the field it concerns and why, announced to screen readers.
#[component]
pub fn ErrorBox(
    /// The error to show, when there is one.
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    move || {
        error.get().map(|err| {
            view! {
                <p class="error-box" role="alert">
                    <strong>"Error: "</strong>
                    {err.to_string()}
                </p>
            }
        })
    }
}
