use leptos::prelude::*;

/// A button that copies `value` to the clipboard. It exists only once the page is hydrated, so
/// without JavaScript there is no button that does nothing; the text stays selectable anyway.
#[component]
pub fn CopyButton(value: String, label: &'static str) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let copied = RwSignal::new(false);
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(window) = web_sys::window() {
            let _ = window.navigator().clipboard().write_text(&value);
            copied.set(true);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &value;
    };
    view! {
        <Show when=move || hydrated.get()>
            <button type="button" class="secondary copy" on:click=copy.clone()>
                {move || if copied.get() { tr!(emergency.code_copied) } else { label }}
            </button>
        </Show>
    }
}
