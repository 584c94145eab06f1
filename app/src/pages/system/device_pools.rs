//! System > Device Pool: Find and List device pools with the count of their devices, and the
//! pool configuration (CallManager group, region, SRST reference) with Copy. A pool that devices
//! use cannot be deleted.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use crate::api::system::{get_pool, list_pools, pool_form_choices, DeletePool, SavePool};
use crate::components::field::TextField;
use crate::components::form::{last_error, query_escape, AddLink, ErrorBox};
use crate::components::layout::use_current_user;
use crate::domain::access::{Access, FunctionalGroup};
use crate::domain::pools::{validate_pool, PoolFields, SrstChoice, DATE_TIME_GROUP, DEFAULT_NAME};
use crate::error::AppError;
use crate::model::system::{PoolChoices, PoolDetail, PoolSaved};

fn devices_href(pool: &str) -> String {
    format!("/phones?device_pool={}", query_escape(pool))
}

/// `wanted` when `offered` has it, else the Default one, else the first offered.
fn preferred(offered: &[String], wanted: &str) -> String {
    [wanted, DEFAULT_NAME]
        .into_iter()
        .find(|w| !w.is_empty() && offered.iter().any(|o| o == w))
        .map(str::to_owned)
        .or_else(|| offered.first().cloned())
        .unwrap_or_default()
}

/// Find and List Device Pools.
#[component]
pub fn DevicePoolsPage() -> impl IntoView {
    let pools = Resource::new(|| (), |_| list_pools());
    let me = use_current_user();
    view! {
        <Title text="Find and List Device Pools" />
        <h1>"Find and List Device Pools"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let may_write = me.await.map(|u| u.may(FunctionalGroup::System, Access::Write)).unwrap_or(false);
                match pools.await {
                    Ok(list) => Either::Left(view! {
                        <AddLink href="/add-device-pool" label="Add a New Device Pool" may_write />
                        <div class="table-scroll">
                            <table class="data-table" data-testid="device-pools">
                                <caption>{format!("{} device pools", list.len())}</caption>
                                <thead>
                                    <tr>
                                        <th scope="col">"Name"</th>
                                        <th scope="col">"Cisco CallManager Group"</th>
                                        <th scope="col">"Region"</th>
                                        <th scope="col">"SRST Reference"</th>
                                        <th scope="col">"Devices"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|p| {
                                        let href = format!("/device-pools/{}", query_escape(&p.fields.name));
                                        let group = format!("/callmanager-groups/{}", query_escape(&p.fields.callmanager_group));
                                        let region = format!("/regions/{}", query_escape(&p.fields.region));
                                        let devices = devices_href(&p.fields.name);
                                        view! {
                                            <tr>
                                                <td><A href=href>{p.fields.name.clone()}</A></td>
                                                <td><A href=group>{p.fields.callmanager_group.clone()}</A></td>
                                                <td><A href=region>{p.fields.region.clone()}</A></td>
                                                <td>{p.fields.srst.label()}</td>
                                                <td class="number"><A href=devices>{p.devices.to_string()}</A></td>
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

/// Device Pool Configuration of an existing pool.
#[component]
pub fn DevicePoolPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.with(|p| p.get("name").unwrap_or_default());
    let pool = Resource::new(name, get_pool);
    let choices = Resource::new(|| (), |_| pool_form_choices());
    let me = use_current_user();
    view! {
        <Title text="Device Pool Configuration" />
        <h1>"Device Pool Configuration"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let may_write = me.await.map(|u| u.may(FunctionalGroup::System, Access::Write)).unwrap_or(false);
                match (choices.await, pool.await) {
                    (Ok(choices), Ok(detail)) => Either::Left(view! {
                        <PoolForm fields=detail.fields.clone() detail=Some(detail) choices may_write />
                    }),
                    (Err(e), _) | (_, Err(e)) => Either::Right(view! { <p class="error-box" role="alert">{e.to_string()}</p> }),
                }
            })}
        </Suspense>
    }
}

/// Add a device pool, or copy one (`?copy=NAME` starts from that pool's fields with no name).
#[component]
pub fn AddDevicePoolPage() -> impl IntoView {
    let query = use_query_map();
    let copy = move || query.with(|q| q.get("copy").unwrap_or_default());
    let source = Resource::new(copy, |name| async move {
        if name.is_empty() {
            Ok(None)
        } else {
            get_pool(name).await.map(Some)
        }
    });
    let choices = Resource::new(|| (), |_| pool_form_choices());
    view! {
        <Title text="Add Device Pool" />
        <h1>"Device Pool Configuration — Add"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match (choices.await, source.await) {
                    (Ok(choices), Ok(source)) => {
                        let fields = match source {
                            Some(detail) => PoolFields { name: String::new(), ..detail.fields },
                            None => PoolFields {
                                name: String::new(),
                                callmanager_group: preferred(&choices.groups, ""),
                                region: preferred(&choices.regions, ""),
                                srst: SrstChoice::Disable,
                            },
                        };
                        Either::Left(view! { <PoolForm fields detail=None choices may_write=true /> })
                    }
                    (Err(e), _) | (_, Err(e)) => Either::Right(view! { <p class="error-box" role="alert">{e.to_string()}</p> }),
                }
            })}
        </Suspense>
    }
}

/// A labelled select of `options` bound to `value` (each option's value is its text), with the
/// refusal naming `label` beside it.
#[component]
fn NameChoice(
    id: &'static str,
    label: &'static str,
    options: Vec<String>,
    value: RwSignal<String>,
    problem: Signal<Option<AppError>>,
    may_write: bool,
    touched: RwSignal<bool>,
) -> impl IntoView {
    view! {
        <label for=id>{label}</label>
        <div class="field">
            <select id=id disabled=move || !may_write on:change=move |ev| {
                touched.set(true);
                value.set(event_target_value(&ev));
            }>
                {options.into_iter().map(|option| {
                    let this = option.clone();
                    let option_value = option.clone();
                    view! {
                        <option value=option_value selected=move || value.with(|v| *v == this)>{option}</option>
                    }
                }).collect_view()}
            </select>
            {move || problem.get().filter(|e| e.field() == Some(label)).map(|e| view! { <span class="field-error">{e.to_string()}</span> })}
        </div>
    }
}

/// `offered` with `current` added when it is missing, so the form shows what is stored.
fn with_current(mut offered: Vec<String>, current: &str) -> Vec<String> {
    if !current.is_empty() && !offered.iter().any(|o| o == current) {
        offered.push(current.to_owned());
    }
    offered
}

#[component]
fn PoolForm(
    fields: PoolFields,
    detail: Option<PoolDetail>,
    choices: PoolChoices,
    may_write: bool,
) -> impl IntoView {
    let original = detail.as_ref().map(|d| d.fields.name.clone());
    let version = RwSignal::new(detail.as_ref().map_or(0, |d| d.version));
    let name = RwSignal::new(fields.name.clone());
    let group = RwSignal::new(fields.callmanager_group.clone());
    let region = RwSignal::new(fields.region.clone());
    let srst = RwSignal::new(fields.srst.label());
    let touched = RwSignal::new(detail.is_some());
    let current = move || PoolFields {
        name: name.get(),
        callmanager_group: group.get(),
        region: region.get(),
        srst: SrstChoice::from_label(&srst.get()),
    };
    let groups = with_current(choices.groups, &fields.callmanager_group);
    let regions = with_current(choices.regions, &fields.region);
    let mut srst_options = vec![
        SrstChoice::Disable.label(),
        SrstChoice::UseDefaultGateway.label(),
    ];
    srst_options.extend(choices.srst_references);
    let srst_options = with_current(srst_options, &fields.srst.label());
    let save = ServerAction::<SavePool>::new();
    let delete = ServerAction::<DeletePool>::new();
    let problem = Signal::derive(move || {
        if let Some(Err(e)) = save.value().get() {
            if e.field().is_some() {
                return Some(e);
            }
        }
        touched
            .get()
            .then(|| validate_pool(&current()).err())
            .flatten()
    });
    let is_new = original.is_none();
    let navigate = use_navigate();
    // A new or renamed object lives at its new address (the next save names it).
    let original_name = original.clone();
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            version.set(saved.pool.version);
            if is_new || original_name.as_deref() != Some(saved.pool.fields.name.as_str()) {
                navigate(
                    &format!("/device-pools/{}", query_escape(&saved.pool.fields.name)),
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
            if validate_pool(&fields).is_err() {
                return;
            }
            save.dispatch(SavePool {
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
                .confirm_with_message(&format!("Delete device pool {name}?"))
                .unwrap_or(false)
            {
                delete.dispatch(DeletePool {
                    name,
                    version: version.get_untracked(),
                });
            }
        }
    };
    let disabled = Signal::derive(move || !may_write);
    let result: Signal<Option<PoolSaved>> =
        Signal::derive(move || save.value().get().and_then(Result::ok));
    let other_error: Signal<Option<AppError>> = Signal::derive(move || {
        last_error(save.value())
            .get()
            .filter(|e| e.field().is_none())
    });
    let copy_href = original
        .as_ref()
        .map(|n| format!("/add-device-pool?copy={}", query_escape(n)));
    let facts = detail.map(|d| {
        let href = devices_href(&d.fields.name);
        view! {
            <dl class="facts">
                <dt>"Devices"</dt>
                <dd data-testid="pool-devices"><A href=href>{d.devices.to_string()}</A></dd>
            </dl>
        }
    });
    view! {
        <Show when=move || !may_write>
            <p class="note read-only-note" role="note">"Read Only: you can see this device pool but not change it."</p>
        </Show>
        {facts}
        <form class="form" on:submit=submit>
            <fieldset class="choices">
                <legend>"Device Pool Settings"</legend>
                <TextField id="pool-name" label="Device Pool Name" value=name problem disabled touched />
                <NameChoice id="pool-group" label="Cisco CallManager Group" options=groups value=group problem may_write touched />
                <label for="pool-date-time">"Date/Time Group"</label>
                <div class="field">
                    <input id="pool-date-time" type="text" value=DATE_TIME_GROUP readonly aria-describedby="pool-date-time-note" />
                    <span class="note" id="pool-date-time-note">{format!("Every device pool uses {DATE_TIME_GROUP}.")}</span>
                </div>
                <NameChoice id="pool-region" label="Region" options=regions value=region problem may_write touched />
                <NameChoice id="pool-srst" label="SRST Reference" options=srst_options value=srst problem may_write touched />
            </fieldset>
            <div class="button-row">
                <button type="submit" class="primary" disabled=move || !may_write || save.pending().get()>
                    {if is_new { "Insert" } else { "Update" }}
                </button>
                {copy_href.map(|href| view! { <A href=href attr:class="button secondary-link">"Copy"</A> })}
                {(!is_new).then(|| view! {
                    <button type="button" class="danger" on:click=remove.clone() disabled=move || !may_write>"Delete"</button>
                })}
            </div>
        </form>
        {move || result.get().map(|s| view! {
            <div class="status-box" role="status" data-testid="save-result">
                <p><strong>"Done: "</strong>{format!("Device pool {} saved.", s.pool.fields.name)}</p>
                {s.required_actions.into_iter().map(|a| view! { <p><strong>"Required: "</strong>{a}</p> }).collect_view()}
            </div>
        })}
        <ErrorBox error=other_error />
        <ErrorBox error=last_error(delete.value()) />
    }
}
