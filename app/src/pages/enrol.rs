use leptos::prelude::*;

use crate::{api::EnrolmentView, pages::CopyButton};

/// How to add a new authenticator app: scan the QR code, or open the `otpauth://` link on the
/// phone itself (a phone cannot scan its own screen), or type the key.
#[component]
pub fn EnrolInstructions(enrolment: EnrolmentView) -> impl IntoView {
    view! {
        <p>{tr!(tokens.enrol_scan)}</p>
        <div class="qr" role="img" aria-label=tr!(tokens.enrol_qr_label) inner_html=enrolment.qr_svg></div>
        <p>
            {tr!(tokens.enrol_on_this_phone)}" "
            <a class="button" href=enrolment.otpauth_uri>{tr!(tokens.enrol_open_app)}</a>
        </p>
        <p>
            {tr!(tokens.enrol_type_key)}" "
            <code class="secret" aria-label=tr!(tokens.enrol_key_label)>{enrolment.secret_groups.clone()}</code>
        </p>
        <CopyButton value=enrolment.secret_groups.replace(' ', "") label=tr!(tokens.enrol_copy_key) />
    }
}
