//! User > Change Password: the logged-in user's own password.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::ChangePassword;
use crate::components::form::{last_error, ErrorBox};
use crate::domain::account::{validate_new_password, PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS};

/// Current, new and confirmed password, with the length rule checked as the user types.
#[component]
pub fn ChangePasswordPage() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let new_password = RwSignal::new(String::new());
    let hint = move || {
        let typed = new_password.get();
        match validate_new_password("New Password", &typed) {
            Ok(()) => format!("{} characters: long enough.", typed.chars().count()),
            Err(err) => err.to_string(),
        }
    };
    view! {
        <Title text="Change Password" />
        <h1>"Change Password"</h1>
        <p class="note">
            "Choose a password of " {PASSWORD_MIN_CHARS} " to " {PASSWORD_MAX_CHARS}
            " characters. A passphrase of several words is easy to type and hard to guess."
        </p>
        <ActionForm action=change attr:class="form">
            <label for="current_password">"Current Password"</label>
            <input
                id="current_password"
                name="current_password"
                type="password"
                autocomplete="current-password"
                required
            />
            <label for="new_password">"New Password"</label>
            <input
                id="new_password"
                name="new_password"
                type="password"
                autocomplete="new-password"
                aria-describedby="new-password-hint"
                maxlength=PASSWORD_MAX_CHARS
                required
                on:input=move |ev| new_password.set(event_target_value(&ev))
            />
            <p id="new-password-hint" class="hint" aria-live="polite">
                {hint}
            </p>
            <label for="confirm_password">"Confirm Password"</label>
            <input
                id="confirm_password"
                name="confirm_password"
                type="password"
                autocomplete="new-password"
                maxlength=PASSWORD_MAX_CHARS
                required
            />
            <button type="submit" disabled=change.pending()>
                "Save"
            </button>
        </ActionForm>
        <ErrorBox error=last_error(change.value()) />
    }
}
