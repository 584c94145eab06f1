//! Serviceability > Tools > Service Activation: per server, which services are activated. The CTL
//! operation reads it (R18: Cisco CTL Provider on every server).

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::services::{list_service_activations, SetServiceActivation};
use crate::components::form::{last_error, ErrorBox};
use crate::components::layout::use_current_user;
use crate::domain::access::{Access, FunctionalGroup};
use crate::model::system::ServiceActivation;

/// Service Activation.
#[component]
pub fn ServiceActivationPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| list_service_activations());
    let me = use_current_user();
    let toggle = ServerAction::<SetServiceActivation>::new();
    Effect::new(move |_| {
        if toggle.value().get().is_some_and(|r| r.is_ok()) {
            data.refetch();
        }
    });
    view! {
        <Title text="Service Activation" />
        <h1>"Service Activation"</h1>
        <p class="hint">"Cisco CTL Provider must be activated on every server before any CTL operation (R18); Cisco Certificate Authority Proxy Function runs on the publisher only."</p>
        <ErrorBox error=last_error(toggle.value()) />
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let may_write = me.await.map(|u| u.may(FunctionalGroup::Serviceability, Access::Write)).unwrap_or(false);
                match data.await {
                    Ok(rows) => {
                        let mut servers: Vec<String> = Vec::new();
                        for r in &rows {
                            if !servers.contains(&r.server) {
                                servers.push(r.server.clone());
                            }
                        }
                        Either::Left(view! {
                            <Show when=move || !may_write>
                                <p class="note read-only-note" role="note">"Read Only: you can see the activation but not change it."</p>
                            </Show>
                            {servers.into_iter().map(|server| {
                                let mine: Vec<ServiceActivation> = rows.iter().filter(|r| r.server == server).cloned().collect();
                                view! {
                                    <table class="data-table" data-server=server.clone()>
                                        <caption>{server.clone()}</caption>
                                        <thead>
                                            <tr>
                                                <th scope="col">"Service"</th>
                                                <th scope="col">"Activated"</th>
                                                <th scope="col">"Status"</th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {mine.into_iter().map(|a| {
                                                let id = format!("act-{}-{}", a.server, a.service.key());
                                                let (server, service, version, on) = (a.server.clone(), a.service.key().to_owned(), a.version, a.activated);
                                                let blocked = a.unavailable.is_some();
                                                view! {
                                                    <tr data-service=a.service.key()>
                                                        <th scope="row"><label for=id.clone()>{a.service.label()}</label></th>
                                                        <td>
                                                            <input id=id type="checkbox" prop:checked=on
                                                                disabled=!may_write || blocked || toggle.pending().get_untracked()
                                                                on:change=move |ev| {
                                                                    toggle.dispatch(SetServiceActivation {
                                                                        server: server.clone(),
                                                                        service: service.clone(),
                                                                        activated: event_target_checked(&ev),
                                                                        version,
                                                                    });
                                                                } />
                                                        </td>
                                                        <td>{a.unavailable.unwrap_or_else(|| if on { "Activated".to_owned() } else { "Not activated".to_owned() })}</td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                }
                            }).collect_view()}
                        })
                    }
                    Err(e) => Either::Right(view! { <p class="error-box" role="alert">{e.to_string()}</p> }),
                }
            })}
        </Transition>
    }
}
