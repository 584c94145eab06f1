//! System > Cisco CallManager: Find and List servers with the devices registered to each, and
//! the server configuration (ports, auto-registration under R2). Reset Devices (R11) sits in the
//! button row once device resets exist.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::api::system::{get_server, list_servers, DeleteServer, SaveServer};
use crate::components::field::TextField;
use crate::components::form::{last_error, query_escape, AddLink, ErrorBox};
use crate::components::layout::use_current_user;
use crate::components::reset::{ResetChoice, ResetPanel};
use crate::domain::access::{Access, FunctionalGroup};
use crate::domain::numbers::whole_number;
use crate::domain::servers::{validate_server, ServerFields};
use crate::domain::services::ServerRole;
use crate::error::AppError;
use crate::model::system::{ServerDetail, ServerSaved};
use crate::model::PhoneFilter;

fn devices_href(server: &str) -> String {
    format!("/phones?server={}", query_escape(server))
}

/// Find and List Cisco CallManagers.
#[component]
pub fn ServersPage() -> impl IntoView {
    let servers = Resource::new(|| (), |_| list_servers());
    let me = use_current_user();
    view! {
        <Title text="Find and List Cisco CallManagers" />
        <h1>"Find and List Cisco CallManagers"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let may_write = me.await.map(|u| u.may(FunctionalGroup::System, Access::Write)).unwrap_or(false);
                match servers.await {
                    Ok(list) => Either::Left(view! {
                        <AddLink href="/add-server" label="Add a New Cisco CallManager" may_write />
                        <div class="table-scroll">
                            <table class="data-table" data-testid="servers">
                                <caption>{format!("{} servers", list.len())}</caption>
                                <thead>
                                    <tr>
                                        <th scope="col">"Name"</th>
                                        <th scope="col">"IP Address"</th>
                                        <th scope="col">"Role"</th>
                                        <th scope="col">"Description"</th>
                                        <th scope="col">"Auto-registration"</th>
                                        <th scope="col">"Registered Devices"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|s| {
                                        let href = format!("/servers/{}", query_escape(&s.fields.name));
                                        let devices = devices_href(&s.fields.name);
                                        view! {
                                            <tr>
                                                <td><A href=href>{s.fields.name.clone()}</A></td>
                                                <td>{s.fields.address.clone()}</td>
                                                <td>{s.fields.role.label()}</td>
                                                <td>{s.fields.description.clone()}</td>
                                                <td>{if s.fields.auto_registration { "On" } else { "Off" }}</td>
                                                <td class="number"><A href=devices>{s.devices.to_string()}</A></td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }),
                    Err(e) => Either::Right(view! { <p class="error-box" role="alert">{e.to_string()}</p> }),
                }
            })}
        </Suspense>
    }
}

/// Cisco CallManager Configuration of an existing server.
#[component]
pub fn ServerPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.with(|p| p.get("name").unwrap_or_default());
    let server = Resource::new(name, get_server);
    let me = use_current_user();
    view! {
        <Title text="Cisco CallManager Configuration" />
        <h1>"Cisco CallManager Configuration"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let user = me.await;
                let may_write = user.as_ref().map(|u| u.may(FunctionalGroup::System, Access::Write)).unwrap_or(false);
                let may_reset = user.as_ref().map(|u| u.may(FunctionalGroup::Phone, Access::Write)).unwrap_or(false);
                match server.await {
                    Ok(detail) => {
                        let server_name = detail.fields.name.clone();
                        let label = format!("every device registered to {server_name} ({})", detail.devices);
                        let reset = ResetChoice {
                            label: Signal::derive(move || label.clone()),
                            target: Callback::new(move |_| (Some(PhoneFilter { server: Some(server_name.clone()), ..Default::default() }), None)),
                        };
                        Either::Left(view! {
                            <ServerForm fields=detail.fields.clone() detail=Some(detail) may_write />
                            <ResetPanel title="Reset Devices" id="server-reset" choices=vec![reset] enabled=may_reset />
                        })
                    }
                    Err(e) => Either::Right(view! { <p class="error-box" role="alert">{e.to_string()}</p> }),
                }
            })}
        </Suspense>
    }
}

/// Add a server.
#[component]
pub fn AddServerPage() -> impl IntoView {
    view! {
        <Title text="Add Cisco CallManager" />
        <h1>"Cisco CallManager Configuration — Add"</h1>
        <ServerForm fields=ServerFields::new("", "") detail=None may_write=true />
    }
}

#[component]
fn ServerForm(
    fields: ServerFields,
    detail: Option<ServerDetail>,
    may_write: bool,
) -> impl IntoView {
    let original = detail.as_ref().map(|d| d.fields.name.clone());
    let version = RwSignal::new(detail.as_ref().map_or(0, |d| d.version));
    let name = RwSignal::new(fields.name.clone());
    let description = RwSignal::new(fields.description.clone());
    let address = RwSignal::new(fields.address.clone());
    let role = RwSignal::new(fields.role);
    let phone_port = RwSignal::new(fields.ethernet_phone_port.to_string());
    let mgcp_listen = RwSignal::new(fields.mgcp_listen_port.to_string());
    let mgcp_keep_alive = RwSignal::new(fields.mgcp_keep_alive_port.to_string());
    let auto_registration = RwSignal::new(fields.auto_registration);
    let touched = RwSignal::new(detail.is_some());
    let current = move || ServerFields {
        name: name.get(),
        description: description.get(),
        address: address.get(),
        role: role.get(),
        ethernet_phone_port: whole_number(&phone_port.get()),
        mgcp_listen_port: whole_number(&mgcp_listen.get()),
        mgcp_keep_alive_port: whole_number(&mgcp_keep_alive.get()),
        auto_registration: auto_registration.get(),
    };
    let save = ServerAction::<SaveServer>::new();
    let delete = ServerAction::<DeleteServer>::new();
    let problem = Signal::derive(move || {
        if let Some(Err(e)) = save.value().get() {
            if e.field().is_some() {
                return Some(e);
            }
        }
        touched
            .get()
            .then(|| validate_server(&current()).err())
            .flatten()
    });
    let is_new = original.is_none();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            version.set(saved.server.version);
            if is_new {
                navigate(
                    &format!("/servers/{}", query_escape(&saved.server.fields.name)),
                    Default::default(),
                );
            }
        }
    });
    let submit = {
        let original = original.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            touched.set(true);
            let fields = current();
            if validate_server(&fields).is_err() {
                return;
            }
            save.dispatch(SaveServer {
                original: original.clone(),
                fields,
                version: version.get_untracked(),
            });
        }
    };
    let remove = {
        let original = original.clone();
        move |_| {
            let Some(name) = original.clone() else { return };
            if window()
                .confirm_with_message(&format!("Delete server {name}?"))
                .unwrap_or(false)
            {
                delete.dispatch(DeleteServer {
                    name,
                    version: version.get_untracked(),
                });
            }
        }
    };
    let disabled = Signal::derive(move || !may_write);
    let result: Signal<Option<ServerSaved>> =
        Signal::derive(move || save.value().get().and_then(Result::ok));
    let other_error: Signal<Option<AppError>> = Signal::derive(move || {
        last_error(save.value())
            .get()
            .filter(|e| e.field().is_none())
    });
    let facts = detail.map(|d| {
        let href = devices_href(&d.fields.name);
        view! {
            <dl class="facts">
                <dt>"GUID"</dt><dd class="fingerprint">{d.guid}</dd>
                <dt>"Registered Devices"</dt>
                <dd data-testid="registered-devices"><A href=href>{d.devices.to_string()}</A></dd>
            </dl>
        }
    });
    view! {
        <Show when=move || !may_write>
            <p class="note read-only-note" role="note">"Read Only: you can see this server but not change it."</p>
        </Show>
        {facts}
        <form class="form" on:submit=submit>
            <fieldset class="choices">
                <legend>"Server Information"</legend>
                <TextField id="server-name" label="Cisco CallManager Name" value=name problem disabled touched />
                <TextField id="server-description" label="Description" value=description problem disabled touched />
                <TextField id="server-address" label="IP Address" value=address problem disabled touched placeholder="10.10.0.10" />
                <label for="server-role">"Role"</label>
                <div class="field">
                    <select id="server-role" disabled=move || !may_write on:change=move |ev| {
                        role.set(ServerRole::parse(&event_target_value(&ev)).unwrap_or(ServerRole::Subscriber));
                    }>
                        <option value="subscriber" selected=move || role.get() == ServerRole::Subscriber>"Subscriber"</option>
                        <option value="publisher" selected=move || role.get() == ServerRole::Publisher>"Publisher"</option>
                    </select>
                    {move || problem.get().filter(|e| e.field() == Some("Role")).map(|e| view! { <span class="field-error">{e.to_string()}</span> })}
                </div>
            </fieldset>
            <fieldset class="choices">
                <legend>"Ports"</legend>
                <TextField id="server-phone-port" label="Ethernet Phone Port" value=phone_port problem disabled kind="number" touched />
                <TextField id="server-mgcp-listen" label="MGCP Listen Port" value=mgcp_listen problem disabled kind="number" touched />
                <TextField id="server-mgcp-keepalive" label="MGCP Keep-alive Port" value=mgcp_keep_alive problem disabled kind="number" touched />
            </fieldset>
            <fieldset class="choices">
                <legend>"Auto-registration"</legend>
                <label for="server-auto-reg">"Auto-registration Enabled"</label>
                <div class="field">
                    <input id="server-auto-reg" type="checkbox" prop:checked=move || auto_registration.get()
                        disabled=move || !may_write
                        on:change=move |ev| auto_registration.set(event_target_checked(&ev)) />
                    {move || problem.get().filter(|e| e.field() == Some("Auto-registration")).map(|e| view! { <span class="field-error">{e.to_string()}</span> })}
                </div>
            </fieldset>
            <div class="button-row">
                <button type="submit" class="primary" disabled=move || !may_write || save.pending().get()>
                    {if is_new { "Insert" } else { "Update" }}
                </button>
                {(!is_new).then(|| view! {
                    <button type="button" class="danger" on:click=remove.clone() disabled=move || !may_write>"Delete"</button>
                })}
            </div>
        </form>
        {move || result.get().map(|s| view! {
            <div class="status-box" role="status" data-testid="save-result">
                <p><strong>"Done: "</strong>{format!("Server {} saved.", s.server.fields.name)}</p>
                {s.required_actions.into_iter().map(|a| view! { <p><strong>"Required: "</strong>{a}</p> }).collect_view()}
            </div>
        })}
        <ErrorBox error=other_error />
        <ErrorBox error=last_error(delete.value()) />
    }
}
