//! Serviceability > Control Center: per server, the state of Cisco CallManager, Cisco TFTP,
//! Cisco CTL Provider and CAPF (Not Activated, Stopped, Starting, Started) with Start, Stop and
//! Restart. On this node a service is real work (the TFTP listener, the CTL Provider's port,
//! registrations and resets); a restart completes the pending restart it fulfils.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::jobs::{get_control_center, OperateService};
use crate::components::form::{last_error, ErrorBox};
use crate::domain::services::ServiceOp;
use crate::model::jobs::ServiceStatus;

/// Control Center.
#[component]
pub fn ControlCenterPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| get_control_center());
    let operate = ServerAction::<OperateService>::new();
    Effect::new(move |_| {
        if operate.value().get().is_some() {
            data.refetch();
        }
    });
    // A service that is starting is followed until it runs.
    #[cfg(feature = "hydrate")]
    {
        let handle = set_interval_with_handle(
            move || {
                if data.get_untracked().is_some_and(|d| {
                    d.is_ok_and(|c| {
                        c.services
                            .iter()
                            .any(|s| s.state == crate::domain::services::ServiceState::Starting)
                    })
                }) {
                    data.refetch();
                }
            },
            std::time::Duration::from_millis(500),
        );
        on_cleanup(move || {
            if let Ok(h) = handle {
                h.clear();
            }
        });
    }
    view! {
        <Title text="Control Center" />
        <h1>"Control Center"</h1>
        <p class="hint">"Start, stop and restart the services of each server. This node runs the services of the server marked “this node”: stopping Cisco TFTP there stops the TFTP server; the state of the other servers is kept for the nodes that run them."</p>
        <ErrorBox error=last_error(operate.value()) />
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(c) => {
                        let mut servers: Vec<(String, bool)> = Vec::new();
                        for s in &c.services {
                            if !servers.iter().any(|(n, _)| *n == s.server) {
                                servers.push((s.server.clone(), s.this_node));
                            }
                        }
                        let can = c.can_control;
                        Either::Left(view! {
                            <Show when=move || !can>
                                <p class="note read-only-note" role="note">"Read Only: you can see the services but not start, stop or restart them."</p>
                            </Show>
                            {servers.into_iter().map(|(server, here)| {
                                let mine: Vec<ServiceStatus> = c.services.iter().filter(|s| s.server == server).cloned().collect();
                                view! {
                                    <table class="data-table" data-server=server.clone()>
                                        <caption>{if here { format!("{server} (this node)") } else { server.clone() }}</caption>
                                        <thead>
                                            <tr>
                                                <th scope="col">"Service"</th>
                                                <th scope="col">"Status"</th>
                                                <th scope="col">"Last start"</th>
                                                <th scope="col">"Actions"</th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {mine.into_iter().map(|s| view! { <ServiceRow s can operate /> }).collect_view()}
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

#[component]
fn ServiceRow(s: ServiceStatus, can: bool, operate: ServerAction<OperateService>) -> impl IntoView {
    let buttons = [ServiceOp::Start, ServiceOp::Stop, ServiceOp::Restart]
        .into_iter()
        .map(|op| {
            let allowed = can && op.apply(s.state).is_ok();
            let (server, service, version) = (s.server.clone(), s.service.key().to_owned(), s.version);
            let label = format!("{} {} on {}", op.label(), s.service.label(), s.server);
            view! {
                <button type="button" class="secondary" aria-label=label disabled=move || !allowed || operate.pending().get()
                    data-op=op.key()
                    on:click=move |_| {
                        operate.dispatch(OperateService { server: server.clone(), service: service.clone(), op: op.key().to_owned(), version });
                    }>
                    {op.label()}
                </button>
            }
        })
        .collect_view();
    view! {
        <tr id=s.service.key() data-service=s.service.key()>
            <th scope="row">{s.service.label()}</th>
            <td data-testid="service-state" data-state=s.state.key()>
                {s.state.label()}
                {(!s.detail.is_empty()).then(|| view! { <br /><small>{s.detail.clone()}</small> })}
            </td>
            <td>{s.restarted_at.map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string()).unwrap_or_default()}</td>
            <td class="button-row">{buttons}</td>
        </tr>
    }
}
