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
        <Title text=tr!(freeze.freeze_title) />
        <section class="card" aria-labelledby="freeze-heading">
            <h1 id="freeze-heading">{tr!(freeze.freeze_title)}</h1>
            <p class="lead">{tr!(freeze.freeze_intro)}</p>
            <ActionForm action=start>
                <CredentialsFields prefix="freeze" error_id="freeze-error" has_error=Signal::derive(move || error().is_some()) />
                <FormError error=Signal::derive(error) id="freeze-error" />
                <button type="submit" class="primary" disabled=move || pending.get() aria-busy=move || pending.get().to_string()>
                    {tr!(freeze.freeze_continue)}
                </button>
            </ActionForm>
            <p class="muted">{tr!(freeze.freeze_not_sign_in)}</p>
            <p class="help-link"><a href="/help/lost-phone">{tr!(freeze.freeze_help_link)}</a></p>
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
        <Title text=tr!(freeze.freeze_title) />
        <section class="card" aria-labelledby="freeze-heading">
            <h1 id="freeze-heading">{tr!(freeze.freeze_choose_heading)}</h1>
            <FormError error=Signal::derive(error) />
            <Suspense fallback=|| view! { <p>{tr!(common.loading)}</p> }>
                {move || Suspend::new(async move {
                    match choice.await {
                        Ok(choice) => {
                            let none = choice.devices.is_empty();
                            let without = choice.without_device;
                            view! {
                                <p class="lead">{tr!(freeze.freeze_choose_intro)}</p>
                                {none.then(|| view! { <p>{tr!(freeze.freeze_no_devices)}</p> })}
                                <ul class="freeze-devices" aria-label=tr!(freeze.freeze_devices_label)>
                                    {choice
                                        .devices
                                        .into_iter()
                                        .map(|device| view! { <DeviceChoice device freeze /> })
                                        .collect_view()}
                                </ul>
                                {(without > 0).then(|| view! { <p class="muted">{text::freeze_without_device(without)}</p> })}
                                <p><a href="/emergency">{tr!(emergency.lost_phone_link)}</a></p>
                            }
                                .into_any()
                        }
                        Err(error) => view! {
                            <p class="error" role="alert">{error.to_string()}</p>
                            <p><a href="/freeze">{tr!(freeze.freeze_start_again)}</a></p>
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
    let caption = format!("{} {}", tr!(freeze.freeze_button), device.name);
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
        <Title text=tr!(freeze.freeze_title) />
        <section class="card" aria-labelledby="freeze-heading">
            <h1 id="freeze-heading">{tr!(freeze.freeze_done_heading)}</h1>
            <p class="success" role="status">{tr!(freeze.freeze_done)}</p>
            <p>{tr!(freeze.freeze_next)}</p>
            <ul>
                <li><a href="/login">{tr!(freeze.freeze_next_sign_in)}</a></li>
                <li><a href="/emergency">{tr!(freeze.freeze_next_emergency)}</a></li>
            </ul>
        </section>
    }
}
