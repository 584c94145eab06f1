//! Service > Service Parameters: choose a server and a service, then its parameters — typed, with
//! their defaults; updating Built In Bridge Enable shows the R5 message, ports and CAPF parameters
//! record their restarts (R10).

use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::services::{get_service_parameters, SetServiceParameters};
use crate::api::system::list_servers;
use crate::components::form::{last_error, ErrorBox};
use crate::components::layout::use_current_user;
use crate::components::parameter::ParameterRow;
use crate::domain::access::{Access, FunctionalGroup};
use crate::domain::parameters::{service_parameter, ParameterDef};
use crate::domain::services::Service;
use crate::model::system::{ParameterSaved, ServiceParameters};

/// Service > Service Parameters.
#[component]
pub fn ServiceParametersPage() -> impl IntoView {
    let query = use_query_map();
    let chosen = move || {
        query.with(|q| {
            (
                q.get("server").unwrap_or_default(),
                q.get("service")
                    .unwrap_or_else(|| Service::CallManager.key().to_owned()),
            )
        })
    };
    let servers = Resource::new(|| (), |_| list_servers());
    let parameters = Resource::new(chosen, |(server, service)| async move {
        if server.is_empty() {
            Ok(None)
        } else {
            get_service_parameters(server, service).await.map(Some)
        }
    });
    let me = use_current_user();
    let result = RwSignal::new(None::<ParameterSaved>);
    view! {
        <Title text="Service Parameters Configuration" />
        <h1>"Service Parameters Configuration"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (server, service) = chosen();
                match servers.await {
                    Ok(list) if list.is_empty() => EitherOf3::B(view! {
                        <p>"No server is configured yet: add one under System > Cisco CallManager."</p>
                    }),
                    Ok(list) => EitherOf3::A(view! {
                        <Form method="GET" action="/service-parameters" attr:class="filter-form">
                            <div>
                                <label for="sp-server">"Server"</label>
                                <select id="sp-server" name="server">
                                    <option value="">"Choose a server"</option>
                                    {list.into_iter().map(|s| {
                                        let n = s.fields.name.clone();
                                        let is = n == server;
                                        view! { <option value=n.clone() selected=is>{n.clone()}</option> }
                                    }).collect_view()}
                                </select>
                            </div>
                            <div>
                                <label for="sp-service">"Service"</label>
                                <select id="sp-service" name="service">
                                    {Service::ALL.into_iter().map(|s| view! {
                                        <option value=s.key() selected=s.key() == service>{s.label()}</option>
                                    }).collect_view()}
                                </select>
                            </div>
                            <button type="submit">"Go"</button>
                        </Form>
                    }),
                    Err(e) => EitherOf3::C(view! { <p class="error-box" role="alert">{e.to_string()}</p> }),
                }
            })}
        </Suspense>
        {move || result.get().map(|s| view! {
            <div class="status-box" role="status" data-testid="save-result">
                <p><strong>"Done: "</strong>"Service parameters updated."</p>
                {s.warnings.into_iter().map(|w| view! { <p class="warning" data-testid="saved-warning"><strong>"Warning: "</strong>{w}</p> }).collect_view()}
                {s.required_actions.into_iter().map(|a| view! { <p><strong>"Required: "</strong>{a}</p> }).collect_view()}
            </div>
        })}
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let may_write = me.await.map(|u| u.may(FunctionalGroup::Service, Access::Write)).unwrap_or(false);
                match parameters.await {
                    Ok(Some(p)) => EitherOf3::A(view! {
                        <ParametersTable p may_write result reload=Callback::new(move |()| parameters.refetch()) />
                    }),
                    Ok(None) => EitherOf3::B(view! { <p>"Choose a server and a service."</p> }),
                    Err(e) => EitherOf3::C(view! { <p class="error-box" role="alert">{e.to_string()}</p> }),
                }
            })}
        </Transition>
    }
}

#[component]
fn ParametersTable(
    p: ServiceParameters,
    may_write: bool,
    result: RwSignal<Option<ParameterSaved>>,
    reload: Callback<()>,
) -> impl IntoView {
    let service = p.service;
    let server = p.server.clone();
    let rows: Vec<(&'static ParameterDef, bool, RwSignal<String>, String, i32)> = p
        .parameters
        .iter()
        .filter_map(|v| {
            service_parameter(service, &v.parameter.name).map(|d| {
                (
                    &d.def,
                    v.cluster_wide,
                    RwSignal::new(v.parameter.value.clone()),
                    v.parameter.value.clone(),
                    v.parameter.version,
                )
            })
        })
        .collect();
    let rows = StoredValue::new(rows);
    let update = ServerAction::<SetServiceParameters>::new();
    Effect::new(move |_| {
        if let Some(Ok(saved)) = update.value().get() {
            result.set(Some(saved));
            reload.run(());
        }
    });
    let send = {
        let server = server.clone();
        move |changes: Vec<(String, String, i32)>| {
            if changes.is_empty() {
                return;
            }
            update.dispatch(SetServiceParameters {
                server: server.clone(),
                service: service.key().to_owned(),
                changes,
            });
        }
    };
    let submit = {
        let send = send.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let invalid = rows.with_value(|r| {
                r.iter()
                    .any(|(d, _, v, _, _)| d.check(&v.get_untracked()).is_err())
            });
            if invalid {
                return;
            }
            let changes = rows.with_value(|r| {
                r.iter()
                    .filter(|(_, _, v, loaded, _)| v.get_untracked() != *loaded)
                    .map(|(d, _, v, _, version)| (d.name.to_owned(), v.get_untracked(), *version))
                    .collect()
            });
            send(changes);
        }
    };
    let caption = format!("{} on {}", service.label(), p.server);
    view! {
        <Show when=move || !may_write>
            <p class="note read-only-note" role="note">"Read Only: you can see these parameters but not change them."</p>
        </Show>
        {if rows.with_value(Vec::is_empty) {
            Either::Right(view! { <p>{format!("{} has no security parameters.", service.label())}</p> })
        } else {
            Either::Left(view! {
                <form class="form parameters-form" on:submit=submit>
                    <table class="data-table parameters" data-testid="service-parameters">
                        <caption>{caption}</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Parameter"</th>
                                <th scope="col">"Value"</th>
                                <th scope="col">"Default"</th>
                                <th scope="col"><span class="visually-hidden">"Set to Default"</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            {rows.with_value(|r| r.iter().map(|(def, cluster_wide, value, _, version)| {
                                let send = send.clone();
                                let (name, default, version) = (def.name, def.default, *version);
                                view! {
                                    <ParameterRow def=*def value=*value disabled=!may_write
                                        note=if *cluster_wide { "cluster-wide" } else { "" }
                                        on_default=Callback::new(move |()| send(vec![(name.to_owned(), default.to_owned(), version)])) />
                                }
                            }).collect_view())}
                        </tbody>
                    </table>
                    <div class="button-row">
                        <button type="submit" class="primary" disabled=move || !may_write || update.pending().get()>"Update"</button>
                    </div>
                </form>
            })
        }}
        <ErrorBox error=last_error(update.value()) />
    }
}
