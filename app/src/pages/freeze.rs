//! "Block my lost phone now" (`/freeze`, `/freeze/device`, `/freeze/done`): the username and
//! password, then the device, then what to do next. Plain HTML forms (JavaScript only avoids the
//! reloads), linked from the sign-in page and from Emergency Access step 1.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::freeze::{freeze_devices, DeviceToBlock, FreezeDevice, FreezeStart},
    pages::{CredentialsFields, DangerButton, FormError},
    text,
};

/// Step 1: the username and password (sign-in's limits and answers).
#[component]
pub fn FreezeStartPage() -> impl IntoView {
    let start = ServerAction::<FreezeStart>::new();
    let pending = start.pending();
    let error = move || start.value().get().and_then(|result| result.err());
    view! {
        <Title text=text::FREEZE_TITLE />
        <section class="card" aria-labelledby="freeze-heading">
            <h1 id="freeze-heading">{text::FREEZE_TITLE}</h1>
            <p class="lead">{text::FREEZE_INTRO}</p>
            <ActionForm action=start>
                <CredentialsFields prefix="freeze" error_id="freeze-error" has_error=Signal::derive(move || error().is_some()) />
                <FormError error=Signal::derive(error) id="freeze-error" />
                <button type="submit" class="primary" disabled=move || pending.get() aria-busy=move || pending.get().to_string()>
                    {text::FREEZE_CONTINUE}
                </button>
            </ActionForm>
            <p class="muted">{text::FREEZE_NOT_SIGN_IN}</p>
            <p class="help-link"><a href="/help/lost-phone">{text::FREEZE_HELP_LINK}</a></p>
        </section>
    }
}

/// Step 2: the devices with sign-in methods; one button each.
#[component]
pub fn FreezeDevicePage() -> impl IntoView {
    let freeze = ServerAction::<FreezeDevice>::new();
    let choice = Resource::new(|| (), |_| freeze_devices());
    let error = move || freeze.value().get().and_then(|result| result.err());
    view! {
        <Title text=text::FREEZE_TITLE />
        <section class="card" aria-labelledby="freeze-heading">
            <h1 id="freeze-heading">{text::FREEZE_CHOOSE_HEADING}</h1>
            <FormError error=Signal::derive(error) />
            <Suspense fallback=|| view! { <p>{text::LOADING}</p> }>
                {move || Suspend::new(async move {
                    match choice.await {
                        Ok(choice) => {
                            let none = choice.devices.is_empty();
                            let without = choice.without_device;
                            view! {
                                <p class="lead">{text::FREEZE_CHOOSE_INTRO}</p>
                                {none.then(|| view! { <p>{text::FREEZE_NO_DEVICES}</p> })}
                                <ul class="freeze-devices" aria-label=text::FREEZE_DEVICES_LABEL>
                                    {choice
                                        .devices
                                        .into_iter()
                                        .map(|device| view! { <DeviceChoice device freeze /> })
                                        .collect_view()}
                                </ul>
                                {(without > 0).then(|| view! { <p class="muted">{text::freeze_without_device(without)}</p> })}
                                <p><a href="/emergency">{text::LOST_PHONE_LINK}</a></p>
                            }
                                .into_any()
                        }
                        Err(error) => view! {
                            <p class="error" role="alert">{error.to_string()}</p>
                            <p><a href="/freeze">{text::FREEZE_START_AGAIN}</a></p>
                        }
                            .into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn DeviceChoice(device: DeviceToBlock, freeze: ServerAction<FreezeDevice>) -> impl IntoView {
    let busy = freeze.pending();
    let caption = format!("{} {}", text::FREEZE_BUTTON, device.name);
    view! {
        <li>
            <p>{text::freeze_device_line(&device.name, device.tokens)}</p>
            <ActionForm action=freeze>
                <DangerButton name="device" caption value=device.name busy />
            </ActionForm>
        </li>
    }
}

/// Done: what was blocked and the ways back in.
#[component]
pub fn FreezeDonePage() -> impl IntoView {
    view! {
        <Title text=text::FREEZE_TITLE />
        <section class="card" aria-labelledby="freeze-heading">
            <h1 id="freeze-heading">{text::FREEZE_DONE_HEADING}</h1>
            <p class="success" role="status">{text::FREEZE_DONE}</p>
            <p>{text::FREEZE_NEXT}</p>
            <ul>
                <li><a href="/login">{text::FREEZE_NEXT_SIGN_IN}</a></li>
                <li><a href="/emergency">{text::FREEZE_NEXT_EMERGENCY}</a></li>
            </ul>
        </section>
    }
}
