//! The WebAssembly entry point. The server renders every page; this only hydrates it.

#![forbid(unsafe_code)]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Pages are lazily loaded routes (`app::routes`): hydration waits for the page's chunks.
    leptos::mount::hydrate_lazy(app::App);
}
