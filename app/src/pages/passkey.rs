//! Passkeys and security keys (issue 17): "Add a passkey or security key" on the token page and
//! "Use a passkey or security key" at the second step of signing in. Both run the browser's
//! WebAuthn prompt, which needs JavaScript: without it the controls are not there and the page
//! says so (the other sign-in methods still work as plain forms).

use leptos::prelude::*;

use crate::{
    api::{add_passkey_finish, add_passkey_start, passkey_sign_in_finish, passkey_sign_in_start},
    AppError,
};

/// Why the browser's prompt gave no answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub enum PromptError {
    /// This browser has no WebAuthn (or not the JSON helpers MAYI ID uses).
    Unsupported,
    /// The person cancelled, or the prompt timed out.
    Cancelled,
    /// Adding: this authenticator is on the account already.
    AlreadyAdded,
    /// Anything else the browser refused.
    Failed,
}

impl PromptError {
    fn message(self) -> &'static str {
        match self {
            Self::Unsupported => tr!(tokens.passkey_unsupported),
            Self::Cancelled => tr!(tokens.passkey_cancelled),
            Self::AlreadyAdded => tr!(tokens.passkey_already_added),
            Self::Failed => tr!(tokens.passkey_failed),
        }
    }
}

/// What the prompt is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prompt {
    /// `navigator.credentials.create`: a new passkey.
    Create,
    /// `navigator.credentials.get`: signing in with one.
    Get,
}

/// Runs the browser's WebAuthn prompt with the server's `options` (the `publicKey` member, as
/// JSON) and returns the browser's answer as JSON (`PublicKeyCredential.toJSON()`).
#[cfg(feature = "hydrate")]
pub async fn browser_prompt(prompt: Prompt, options: &str) -> Result<String, PromptError> {
    use js_sys::{Function, Object, Promise, Reflect, JSON};
    use wasm_bindgen::{JsCast, JsValue};
    let window = web_sys::window().ok_or(PromptError::Unsupported)?;
    let class = Reflect::get(&window, &JsValue::from_str("PublicKeyCredential"))
        .ok()
        .filter(|c| !c.is_undefined())
        .ok_or(PromptError::Unsupported)?;
    let (parse, method) = match prompt {
        Prompt::Create => ("parseCreationOptionsFromJSON", "create"),
        Prompt::Get => ("parseRequestOptionsFromJSON", "get"),
    };
    let parse: Function = Reflect::get(&class, &JsValue::from_str(parse))
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or(PromptError::Unsupported)?;
    let json = JSON::parse(options).map_err(|_| PromptError::Failed)?;
    let public_key = parse
        .call1(&class, &json)
        .map_err(|_| PromptError::Failed)?;
    let request = Object::new();
    Reflect::set(&request, &JsValue::from_str("publicKey"), &public_key)
        .map_err(|_| PromptError::Failed)?;
    let container = Reflect::get(&window.navigator(), &JsValue::from_str("credentials"))
        .map_err(|_| PromptError::Unsupported)?;
    let call: Function = Reflect::get(&container, &JsValue::from_str(method))
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or(PromptError::Unsupported)?;
    let promise: Promise = call
        .call1(&container, &request)
        .map_err(|e| prompt_error(&e))?
        .dyn_into()
        .map_err(|_| PromptError::Failed)?;
    let credential = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|e| prompt_error(&e))?;
    if credential.is_null() || credential.is_undefined() {
        return Err(PromptError::Cancelled);
    }
    JSON::stringify(&credential)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or(PromptError::Unsupported)
}

/// The browser's refusal by its DOMException name.
#[cfg(feature = "hydrate")]
fn prompt_error(error: &wasm_bindgen::JsValue) -> PromptError {
    let name = js_sys::Reflect::get(error, &wasm_bindgen::JsValue::from_str("name"))
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_default();
    match name.as_str() {
        "NotAllowedError" | "AbortError" => PromptError::Cancelled,
        "InvalidStateError" => PromptError::AlreadyAdded,
        "NotSupportedError" | "SecurityError" => PromptError::Unsupported,
        _ => PromptError::Failed,
    }
}

/// Without the browser side (the server's render), there is no prompt.
#[cfg(not(feature = "hydrate"))]
pub async fn browser_prompt(_prompt: Prompt, _options: &str) -> Result<String, PromptError> {
    Err(PromptError::Unsupported)
}

/// What went wrong in a ceremony: the server's refusal or the browser's.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Failure {
    Server(AppError),
    Browser(PromptError),
}

impl Failure {
    fn message(&self) -> String {
        match self {
            Self::Server(error) => error.to_string(),
            Self::Browser(error) => error.message().to_string(),
        }
    }
}

/// Says that passkeys need JavaScript, where the controls would be.
#[component]
fn NeedsJavaScript(hydrated: RwSignal<bool>) -> impl IntoView {
    view! {
        <Show when=move || !hydrated.get()>
            <p class="hint passkey-needs-js">{tr!(tokens.passkey_needs_js)}</p>
        </Show>
    }
}

/// "Add a passkey or security key": its name and device, and the button that opens the
/// browser's prompt. After each passkey added, `done` gets its name (the page says so: this
/// component is drawn again with the list) and `added` is bumped (the page refetches its list).
#[component]
pub fn AddPasskey(
    device: String,
    added: RwSignal<u32>,
    done: RwSignal<Option<String>>,
) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let label = RwSignal::new(tr!(tokens.passkey_default_name).to_string());
    let device = RwSignal::new(device);
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<Failure>);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        failure.set(None);
        done.set(None);
        let (name, on) = (label.get_untracked(), device.get_untracked());
        leptos::task::spawn_local(async move {
            let result = async {
                let options = add_passkey_start(name, on).await.map_err(Failure::Server)?;
                let answer = browser_prompt(Prompt::Create, &options)
                    .await
                    .map_err(Failure::Browser)?;
                add_passkey_finish(answer).await.map_err(Failure::Server)
            }
            .await;
            busy.set(false);
            match result {
                Ok(name) => {
                    done.set(Some(name));
                    added.update(|n| *n += 1);
                }
                Err(error) => failure.set(Some(error)),
            }
        });
    };
    view! {
        <section class="add-token" aria-labelledby="add-passkey-heading">
            <h2 id="add-passkey-heading">{tr!(tokens.passkey_add_heading)}</h2>
            <p>{tr!(tokens.passkey_add_intro)}</p>
            <NeedsJavaScript hydrated />
            <Show when=move || hydrated.get()>
                <form on:submit=add>
                    <div class="field">
                        <label for="passkey-label">{tr!(tokens.passkey_label)}</label>
                        <input id="passkey-label" name="label" type="text" required maxlength="64"
                            prop:value=move || label.get()
                            on:input=move |ev| label.set(event_target_value(&ev)) />
                    </div>
                    <div class="field">
                        <label for="passkey-device">{tr!(tokens.passkey_device)}</label>
                        <input id="passkey-device" name="device" type="text" maxlength="64"
                            aria-describedby="passkey-device-hint"
                            placeholder=tr!(tokens.passkey_device_example)
                            prop:value=move || device.get()
                            on:input=move |ev| device.set(event_target_value(&ev)) />
                        <p id="passkey-device-hint" class="hint">{tr!(tokens.passkey_device_hint)}</p>
                    </div>
                    {move || failure.get().map(|f| view! {
                        <p class="error" role="alert" id="passkey-add-error">{f.message()}</p>
                    })}
                    <button type="submit" class="primary" disabled=move || busy.get() aria-busy=move || busy.get().to_string()>
                        {move || if busy.get() { tr!(tokens.passkey_waiting) } else { tr!(tokens.passkey_add_button) }}
                    </button>
                </form>
            </Show>
        </section>
    }
}

/// "Use a passkey or security key" at the second step: the button that opens the browser's
/// prompt (any of the account's passkeys answers it), then signs in.
#[component]
pub fn PasskeyChoice() -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<Failure>);
    let use_passkey = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        failure.set(None);
        leptos::task::spawn_local(async move {
            let result = async {
                let options = passkey_sign_in_start().await.map_err(Failure::Server)?;
                let answer = browser_prompt(Prompt::Get, &options)
                    .await
                    .map_err(Failure::Browser)?;
                passkey_sign_in_finish(answer)
                    .await
                    .map_err(Failure::Server)
            }
            .await;
            busy.set(false);
            match result {
                Ok(()) => crate::pages::go_to("/account"),
                Err(error) => failure.set(Some(error)),
            }
        });
    };
    view! {
        <section class="token-choice" aria-labelledby="passkey-heading">
            <h2 id="passkey-heading">{tr!(common.kind_webauthn)}</h2>
            <p class="muted">{tr!(tokens.passkey_sign_in_intro)}</p>
            <NeedsJavaScript hydrated />
            {move || failure.get().map(|f| {
                let expired = matches!(f, Failure::Server(AppError::SignInExpired));
                view! {
                    <p class="error" role="alert">{f.message()}</p>
                    {expired.then(|| view! { <p><a href="/login">{tr!(common.start_again)}</a></p> })}
                }
            })}
            <Show when=move || hydrated.get()>
                <button type="button" class="primary" on:click=use_passkey disabled=move || busy.get() aria-busy=move || busy.get().to_string()>
                    {move || if busy.get() { tr!(tokens.passkey_waiting) } else { tr!(tokens.passkey_use_button) }}
                </button>
            </Show>
        </section>
    }
}
