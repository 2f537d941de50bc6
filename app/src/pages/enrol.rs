use leptos::prelude::*;

use crate::{api::EnrolmentView, pages::CopyButton, text};

/// How to add a new authenticator app: scan the QR code, or open the `otpauth://` link on the
/// phone itself (a phone cannot scan its own screen), or type the key.
#[component]
pub fn EnrolInstructions(enrolment: EnrolmentView) -> impl IntoView {
    view! {
        <p>{text::ENROL_SCAN}</p>
        <div class="qr" role="img" aria-label=text::ENROL_QR_LABEL inner_html=enrolment.qr_svg></div>
        <p>
            {text::ENROL_ON_THIS_PHONE}" "
            <a class="button" href=enrolment.otpauth_uri>{text::ENROL_OPEN_APP}</a>
        </p>
        <p>
            {text::ENROL_TYPE_KEY}" "
            <code class="secret" aria-label=text::ENROL_KEY_LABEL>{enrolment.secret_groups.clone()}</code>
        </p>
        <CopyButton value=enrolment.secret_groups.replace(' ', "") label=text::ENROL_COPY_KEY />
    }
}
