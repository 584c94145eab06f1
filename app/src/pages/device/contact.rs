//! The Registration part of Phone Configuration: where the phone can be reached (registered by
//! the phone itself, or entered by an administrator), and the security mode it reported after
//! fetching its files.

use leptos::either::Either;
use leptos::prelude::*;

use crate::api::jobs::SetPhoneContact;
use crate::components::form::{last_error, ErrorBox};
use crate::error::AppError;
use crate::model::jobs::DeviceContact;

/// The phone's contact, with the form to enter or remove one.
#[component]
pub fn ContactSection(
    /// The phone.
    name: String,
    /// Its contact, loaded by the page (a resource made outside any suspense, so that the
    /// browser finds it when it hydrates).
    contact: Resource<Result<Option<DeviceContact>, AppError>>,
    /// Whether the user may change it (Phone, Full Access).
    may_write: bool,
) -> impl IntoView {
    let device = StoredValue::new(name);
    let save = ServerAction::<SetPhoneContact>::new();
    Effect::new(move |_| {
        if save.value().get().is_some_and(|r| r.is_ok()) {
            contact.refetch();
        }
    });
    let address = RwSignal::new(String::new());
    let port = RwSignal::new("5060".to_owned());
    view! {
        <section class="contact-panel" aria-labelledby="contact-title">
            <h2 id="contact-title">"Registration"</h2>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match contact.await {
                        Ok(c) => {
                            let version = c.as_ref().map_or(0, |c| c.version);
                            if let Some(c) = &c {
                                address.set(c.address.clone());
                                port.set(c.port.to_string());
                            }
                            let facts = match c {
                                Some(c) => Either::Left(view! {
                                    <dl class="facts" data-testid="contact">
                                        <dt>"Contact"</dt><dd data-testid="contact-address">{format!("{}:{} ({})", c.address, c.port, c.transport.to_uppercase())}</dd>
                                        <dt>"Registered by"</dt><dd>{if c.source == "device" { "the device".to_owned() } else { c.source.clone() }}</dd>
                                        <dt>"Last seen"</dt><dd>{c.last_seen.format("%Y-%m-%d %H:%M:%S UTC").to_string()}</dd>
                                        <dt>"Registered over"</dt>
                                        <dd data-testid="registered-over">{if c.registration.is_empty() { "the HTTPS registration endpoint (no SIP REGISTER yet)".to_owned() } else { c.registration.clone() }}</dd>
                                        {(!c.refusal.is_empty()).then(|| view! {
                                            <dt>"Registration refused"</dt>
                                            <dd data-testid="registration-refused">{match c.refused_at {
                                                Some(at) => format!("{} ({})", c.refusal, at.format("%Y-%m-%d %H:%M:%S UTC")),
                                                None => c.refusal.clone(),
                                            }}</dd>
                                        })}
                                        <dt>"Running with"</dt>
                                        <dd data-testid="running-mode">{c.running_mode.clone().unwrap_or_else(|| "not reported".to_owned())}</dd>
                                        {c.config_file.clone().map(|f| view! {
                                            <dt>"Last config file"</dt>
                                            <dd>{format!("{f} (signature {})", c.signature.clone().unwrap_or_default())}</dd>
                                        })}
                                    </dl>
                                }),
                                None => Either::Right(view! { <p data-testid="contact">"Not registered: a reset marks this phone “not registered”."</p> }),
                            };
                            Either::Left(view! {
                                {facts}
                                <form class="inline-row" on:submit=move |ev| {
                                    ev.prevent_default();
                                    save.dispatch(SetPhoneContact { name: device.get_value(), address: address.get_untracked(), port: port.get_untracked(), version });
                                }>
                                    <label for="contact-address">"Contact Address"</label>
                                    <input id="contact-address" type="text" inputmode="decimal" placeholder="10.1.1.20" disabled=!may_write
                                        prop:value=move || address.get() on:input=move |ev| address.set(event_target_value(&ev)) />
                                    <label for="contact-port">"Contact Port"</label>
                                    <input id="contact-port" type="number" min="1" max="65535" disabled=!may_write
                                        prop:value=move || port.get() on:input=move |ev| port.set(event_target_value(&ev)) />
                                    <button type="submit" disabled=!may_write>"Save Contact"</button>
                                </form>
                                <p class="hint">"Leave the address empty to remove the contact."</p>
                            })
                        }
                        Err(e) => Either::Right(view! { <p class="error-box" role="alert">{e.to_string()}</p> }),
                    }
                })}
            </Transition>
            <ErrorBox error=last_error(save.value()) />
        </section>
    }
}
