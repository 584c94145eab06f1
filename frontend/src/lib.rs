//! Browser entry point: hydrates the HTML that the server rendered.

/// Called by the generated JS glue once the WASM module is loaded. When hydration is done, the
/// body carries `data-hydrated`, which browser tests wait for.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    if let Some(body) = leptos::prelude::document().body() {
        // Only a marker for tests and tooling; hydration itself has succeeded either way.
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
