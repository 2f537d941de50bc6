//! Form parts that several pages share: the username and password of a front-door form, a
//! one-time code's field, and a form's error message.

use leptos::prelude::*;

use crate::AppError;

/// The username and password fields of a front-door form (sign-in, Emergency Access step 1,
/// "Block my lost phone now"): labelled, with the browser's autocomplete hints, and described by
/// the form's error message (`error_id`) while `has_error` is true.
#[component]
pub fn CredentialsFields(
    /// Prefix of the fields' ids (`<prefix>-username`, `<prefix>-password`); without one, the
    /// ids are `username` and `password`.
    #[prop(optional)]
    prefix: Option<&'static str>,
    /// The id of the form's error message.
    error_id: &'static str,
    has_error: Signal<bool>,
    /// Offers "Show password", once the page is hydrated (nothing that needs JavaScript shows
    /// without it).
    #[prop(optional)]
    show_password: bool,
) -> impl IntoView {
    let described = move || has_error.get().then_some(error_id);
    let id = move |field: &str| match prefix {
        Some(prefix) => format!("{prefix}-{field}"),
        None => field.to_string(),
    };
    let (username_id, password_id) = (id("username"), id("password"));
    let shown = RwSignal::new(false);
    let toggle = show_password.then(|| view! { <ShowPassword shown /> });
    view! {
        <div class="field">
            <label for=username_id.clone()>{tr!(common.username)}</label>
            <input
                id=username_id
                name="username"
                type="text"
                autocomplete="username"
                autocapitalize="none"
                spellcheck="false"
                required
                maxlength="256"
                aria-describedby=described
            />
        </div>
        <div class="field">
            <label for=password_id.clone()>{tr!(common.password)}</label>
            <input
                id=password_id
                name="password"
                type=move || if shown.get() { "text" } else { "password" }
                autocomplete="current-password"
                required
                aria-describedby=described
            />
            {toggle}
        </div>
    }
}

/// The "Show password" checkbox; it exists only once the page is hydrated.
#[component]
fn ShowPassword(shown: RwSignal<bool>) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <Show when=move || hydrated.get()>
            <label class="checkbox">
                <input
                    type="checkbox"
                    prop:checked=move || shown.get()
                    on:change=move |ev| shown.set(event_target_checked(&ev))
                />
                {tr!(common.show_password)}
            </label>
        </Show>
    }
}

/// A one-time code's field (`name="code"`): digits and spaces, filled in by the browser from a
/// message where it can, and described by the form's error message (`error_id`) while
/// `has_error` is true.
#[component]
pub fn CodeField(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    /// The id of the form's error message, when the form shows one for this field.
    #[prop(optional, into)]
    error_id: Option<String>,
    #[prop(optional)] has_error: Signal<bool>,
    /// Sign-in's second step: the field takes an emergency access code too (letters, hyphens,
    /// up to its grouped length with spaces), and says so under it.
    #[prop(optional)]
    or_emergency_code: bool,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    let described = move || {
        let error = has_error.get().then(|| error_id.clone()).flatten();
        let hint = or_emergency_code.then(|| hint_id.clone());
        let ids: Vec<String> = error.into_iter().chain(hint).collect();
        (!ids.is_empty()).then(|| ids.join(" "))
    };
    let hint = or_emergency_code.then(|| {
        view! { <p class="hint" id=format!("{id}-hint")>{tr!(emergency.code_field_emergency_hint)}</p> }
    });
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                id=id.clone()
                name="code"
                type="text"
                inputmode="numeric"
                autocomplete="one-time-code"
                pattern=(!or_emergency_code).then_some("[0-9 ]*")
                maxlength=if or_emergency_code { "40" } else { "7" }
                required
                aria-describedby=described
            />
            {hint}
        </div>
    }
}

/// The error of a form's last submission, while there is one: announced (`role="alert"`), with
/// `id` when fields point at it.
#[component]
pub fn FormError(
    error: Signal<Option<AppError>>,
    #[prop(optional, into)] id: Option<String>,
) -> impl IntoView {
    view! {
        <Show when=move || error.with(Option::is_some)>
            <p class="error" role="alert" id=id.clone()>
                {move || error.get().map(|e| e.to_string())}
            </p>
        </Show>
    }
}

/// A new token's name: its label (`default_label` filled in) and the device it is on, either
/// `device` (the suggestion, this browser) or empty with an example as the placeholder. With
/// `device_hint`, a hint under the device field says it was suggested.
#[component]
pub fn TokenNameFields(
    /// Prefix of the fields' ids (`<prefix>-label`, `<prefix>-device`).
    #[prop(into)]
    prefix: String,
    default_label: &'static str,
    #[prop(optional)] device: Option<String>,
    #[prop(optional)] device_hint: bool,
) -> impl IntoView {
    let (label_id, device_id) = (format!("{prefix}-label"), format!("{prefix}-device"));
    let hint_id = device_hint.then(|| format!("{prefix}-device-hint"));
    let placeholder = device.is_none().then_some(tr!(common.enrol_device_example));
    let hint = hint_id
        .clone()
        .map(|id| view! { <p id=id class="hint">{tr!(selfservice.enrol_device_suggested)}</p> });
    view! {
        <div class="field">
            <label for=label_id.clone()>{tr!(common.enrol_label)}</label>
            <input id=label_id name="label" type="text" value=default_label required maxlength="64" />
        </div>
        <div class="field">
            <label for=device_id.clone()>{tr!(common.enrol_device)}</label>
            <input id=device_id name="device" type="text" value=device placeholder=placeholder maxlength="64" aria-describedby=hint_id />
            {hint}
        </div>
    }
}

/// A dangerous action behind a disclosure: `summary` opens it, `explained` (if any) says what
/// it does, and `children` is its form.
#[component]
pub fn Confirm(
    #[prop(into)] summary: String,
    #[prop(into, optional)] explained: Option<String>,
    children: Children,
) -> impl IntoView {
    view! {
        <details class="confirm">
            <summary>{summary}</summary>
            {explained.map(|text| view! { <p>{text}</p> })}
            {children()}
        </details>
    }
}

/// The inside of a form that acts on one thing: the thing as a hidden field (`name`, `value`)
/// and a danger button saying `caption`, unusable while the form is `busy`.
#[component]
pub fn DangerButton(
    name: &'static str,
    #[prop(into)] value: String,
    #[prop(into)] caption: String,
    #[prop(into)] busy: Signal<bool>,
) -> impl IntoView {
    view! {
        <input type="hidden" name=name value=value />
        <button type="submit" class="danger" disabled=move || busy.get()>
            {caption}
        </button>
    }
}
