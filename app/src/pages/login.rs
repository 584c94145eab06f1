//! The login page.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::Login;
use crate::components::form::{last_error, ErrorBox};
use crate::domain::account::{PASSWORD_MAX_CHARS, USER_ID_MAX_CHARS};
use crate::PRODUCT_NAME;

/// User ID and password; one generic message for every refusal.
#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let show_password = RwSignal::new(false);
    let pending = login.pending();
    view! {
        <Title text="Log In" />
        <main class="login-page">
            <section class="login-card" aria-labelledby="login-title">
                <h1 id="login-title">{PRODUCT_NAME}</h1>
                <p class="subtitle">"Cisco CallManager Administration"</p>
                <ActionForm action=login attr:class="form login-form">
                    <label for="username">"User ID"</label>
                    <input
                        id="username"
                        name="username"
                        type="text"
                        autocomplete="username"
                        maxlength=USER_ID_MAX_CHARS
                        required
                    />
                    <label for="password">"Password"</label>
                    <input
                        id="password"
                        name="password"
                        type=move || if show_password.get() { "text" } else { "password" }
                        autocomplete="current-password"
                        maxlength=PASSWORD_MAX_CHARS
                        required
                    />
                    <label class="check">
                        <input
                            id="show-password"
                            type="checkbox"
                            prop:checked=show_password
                            on:change=move |ev| show_password.set(event_target_checked(&ev))
                        />
                        "Show password"
                    </label>
                    <button type="submit" disabled=pending>
                        {move || if pending.get() { "Logging in…" } else { "Log In" }}
                    </button>
                </ActionForm>
                <ErrorBox error=last_error(login.value()) />
            </section>
        </main>
    }
}
