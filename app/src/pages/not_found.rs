//! The page for an address that names no page (HTTP 404).

use leptos::prelude::*;
use leptos_meta::Title;

/// Says that the page does not exist and offers the way home.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page Not Found" />
        <main class="not-found">
            <h1>"Page Not Found"</h1>
            <p>"No page of the console has this address."</p>
            <p>
                <a href="/">"Go to the home page"</a>
            </p>
        </main>
    }
}
