//! System > Cisco CallManager Group: Find and List groups with their servers in order, and the
//! group configuration (the ordered list of up to three servers, the auto-registration group).
//! A group that device pools use cannot be deleted.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::api::system::{get_group, list_groups, pool_form_choices, DeleteGroup, SaveGroup};
use crate::components::field::TextField;
use crate::components::form::{last_error, query_escape, AddLink, ErrorBox};
use crate::components::layout::use_current_user;
use crate::domain::access::{Access, FunctionalGroup};
use crate::domain::pools::{validate_group, GroupFields, MAX_GROUP_MEMBERS};
use crate::error::AppError;
use crate::model::system::{GroupDetail, GroupSaved};

/// The field the member list's refusals name.
const MEMBERS_FIELD: &str = "Selected Cisco CallManagers";
/// The field the auto-registration checkbox's refusals name.
const AUTO_REG_FIELD: &str = "Auto-registration Cisco CallManager Group";
/// The member selects, in order: id and label.
const MEMBER_SLOTS: [(&str, &str); MAX_GROUP_MEMBERS] = [
    ("group-member-0", "Primary"),
    ("group-member-1", "Secondary"),
    ("group-member-2", "Tertiary"),
];

/// Links to the device pools named in `pools`, separated by commas; "None" when there are none.
pub(crate) fn pool_links(pools: Vec<String>) -> impl IntoView {
    if pools.is_empty() {
        Either::Left("None")
    } else {
        Either::Right(
            pools
                .into_iter()
                .enumerate()
                .map(|(i, pool)| {
                    let href = format!("/device-pools/{}", query_escape(&pool));
                    view! { {(i > 0).then_some(", ")}<A href=href>{pool}</A> }
                })
                .collect_view(),
        )
    }
}

/// Find and List Cisco CallManager Groups.
#[component]
pub fn CallManagerGroupsPage() -> impl IntoView {
    let groups = Resource::new(|| (), |_| list_groups());
    let me = use_current_user();
    view! {
        <Title text="Find and List Cisco CallManager Groups" />
        <h1>"Find and List Cisco CallManager Groups"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let may_write = me.await.map(|u| u.may(FunctionalGroup::System, Access::Write)).unwrap_or(false);
                match groups.await {
                    Ok(list) => Either::Left(view! {
                        <AddLink href="/add-callmanager-group" label="Add a New Cisco CallManager Group" may_write />
                        <div class="table-scroll">
                            <table class="data-table" data-testid="callmanager-groups">
                                <caption>{format!("{} Cisco CallManager groups", list.len())}</caption>
                                <thead>
                                    <tr>
                                        <th scope="col">"Name"</th>
                                        <th scope="col">"Cisco CallManagers"</th>
                                        <th scope="col">"Auto-registration"</th>
                                        <th scope="col">"Device Pools"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|g| {
                                        let href = format!("/callmanager-groups/{}", query_escape(&g.fields.name));
                                        view! {
                                            <tr>
                                                <td><A href=href>{g.fields.name.clone()}</A></td>
                                                <td>{g.fields.members.join(", ")}</td>
                                                <td>{if g.fields.auto_registration { "Yes" } else { "No" }}</td>
                                                <td class="number"><A href="/device-pools">{g.pools.len().to_string()}</A></td>
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

/// Cisco CallManager Group Configuration of an existing group.
#[component]
pub fn CallManagerGroupPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.with(|p| p.get("name").unwrap_or_default());
    let group = Resource::new(name, get_group);
    let choices = Resource::new(|| (), |_| pool_form_choices());
    let me = use_current_user();
    view! {
        <Title text="Cisco CallManager Group Configuration" />
        <h1>"Cisco CallManager Group Configuration"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let may_write = me.await.map(|u| u.may(FunctionalGroup::System, Access::Write)).unwrap_or(false);
                match (choices.await, group.await) {
                    (Ok(choices), Ok(detail)) => Either::Left(view! {
                        <GroupForm fields=detail.fields.clone() detail=Some(detail) servers=choices.servers may_write />
                    }),
                    (Err(e), _) | (_, Err(e)) => Either::Right(view! { <p class="error-box" role="alert">{e.to_string()}</p> }),
                }
            })}
        </Suspense>
    }
}

/// Add a Cisco CallManager group.
#[component]
pub fn AddCallManagerGroupPage() -> impl IntoView {
    let choices = Resource::new(|| (), |_| pool_form_choices());
    view! {
        <Title text="Add Cisco CallManager Group" />
        <h1>"Cisco CallManager Group Configuration — Add"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match choices.await {
                    Ok(choices) => {
                        let fields = GroupFields {
                            name: String::new(),
                            auto_registration: false,
                            members: Vec::new(),
                        };
                        Either::Left(view! { <GroupForm fields detail=None servers=choices.servers may_write=true /> })
                    }
                    Err(e) => Either::Right(view! { <p class="error-box" role="alert">{e.to_string()}</p> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn GroupForm(
    fields: GroupFields,
    detail: Option<GroupDetail>,
    servers: Vec<String>,
    may_write: bool,
) -> impl IntoView {
    let original = detail.as_ref().map(|d| d.fields.name.clone());
    let version = RwSignal::new(detail.as_ref().map_or(0, |d| d.version));
    let name = RwSignal::new(fields.name.clone());
    let auto_registration = RwSignal::new(fields.auto_registration);
    let members: [RwSignal<String>; MAX_GROUP_MEMBERS] =
        std::array::from_fn(|i| RwSignal::new(fields.members.get(i).cloned().unwrap_or_default()));
    // A member the server list no longer names stays selectable, so the form shows what is stored.
    let mut offered = servers;
    for m in &fields.members {
        if !offered.contains(m) {
            offered.push(m.clone());
        }
    }
    let touched = RwSignal::new(detail.is_some());
    let current = move || GroupFields {
        name: name.get(),
        auto_registration: auto_registration.get(),
        members: members
            .iter()
            .map(|m| m.get())
            .filter(|m| !m.is_empty())
            .collect(),
    };
    let save = ServerAction::<SaveGroup>::new();
    let delete = ServerAction::<DeleteGroup>::new();
    let problem = Signal::derive(move || {
        if let Some(Err(e)) = save.value().get() {
            if e.field().is_some() {
                return Some(e);
            }
        }
        touched
            .get()
            .then(|| validate_group(&current()).err())
            .flatten()
    });
    let is_new = original.is_none();
    let navigate = use_navigate();
    // A new or renamed object lives at its new address (the next save names it).
    let original_name = original.clone();
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            version.set(saved.group.version);
            if is_new || original_name.as_deref() != Some(saved.group.fields.name.as_str()) {
                navigate(
                    &format!(
                        "/callmanager-groups/{}",
                        query_escape(&saved.group.fields.name)
                    ),
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
            if validate_group(&fields).is_err() {
                return;
            }
            save.dispatch(SaveGroup {
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
                .confirm_with_message(&format!("Delete Cisco CallManager group {name}?"))
                .unwrap_or(false)
            {
                delete.dispatch(DeleteGroup {
                    name,
                    version: version.get_untracked(),
                });
            }
        }
    };
    let disabled = Signal::derive(move || !may_write);
    let result: Signal<Option<GroupSaved>> =
        Signal::derive(move || save.value().get().and_then(Result::ok));
    let other_error: Signal<Option<AppError>> = Signal::derive(move || {
        last_error(save.value())
            .get()
            .filter(|e| e.field().is_none())
    });
    let facts = detail.map(|d| {
        view! {
            <dl class="facts">
                <dt>"Device Pools"</dt>
                <dd data-testid="group-pools">{pool_links(d.pools)}</dd>
            </dl>
        }
    });
    let slots = MEMBER_SLOTS
        .iter()
        .zip(members)
        .map(|(&(id, label), member)| {
            let options = offered.clone();
            view! {
                <label for=id>{label}</label>
                <div class="field">
                    <select id=id disabled=move || !may_write on:change=move |ev| {
                        touched.set(true);
                        member.set(event_target_value(&ev));
                    }>
                        <option value="" selected=move || member.with(String::is_empty)>"(none)"</option>
                        {options.into_iter().map(|server| {
                            let this = server.clone();
                            let value = server.clone();
                            view! {
                                <option value=value selected=move || member.with(|m| *m == this)>{server}</option>
                            }
                        }).collect_view()}
                    </select>
                </div>
            }
        })
        .collect_view();
    view! {
        <Show when=move || !may_write>
            <p class="note read-only-note" role="note">"Read Only: you can see this group but not change it."</p>
        </Show>
        {facts}
        <form class="form" on:submit=submit>
            <fieldset class="choices">
                <legend>"Cisco CallManager Group Settings"</legend>
                <TextField id="group-name" label="Cisco CallManager Group Name" value=name problem disabled touched />
                <label for="group-auto-reg">"Auto-registration Cisco CallManager Group"</label>
                <div class="field">
                    <input id="group-auto-reg" type="checkbox" prop:checked=move || auto_registration.get()
                        disabled=move || !may_write
                        on:change=move |ev| auto_registration.set(event_target_checked(&ev)) />
                    {move || problem.get().filter(|e| e.field() == Some(AUTO_REG_FIELD)).map(|e| view! { <span class="field-error">{e.to_string()}</span> })}
                </div>
            </fieldset>
            <fieldset class="choices" aria-describedby="group-members-note">
                <legend>"Cisco CallManager Group Members"</legend>
                <p class="note" id="group-members-note">
                    "Phones register to the first server listed and fail over to the next ones in order."
                </p>
                {slots}
                {move || problem.get().filter(|e| e.field() == Some(MEMBERS_FIELD)).map(|e| view! {
                    <p class="field-error" id="group-members-error">{e.to_string()}</p>
                })}
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
                <p><strong>"Done: "</strong>{format!("Cisco CallManager group {} saved.", s.group.fields.name)}</p>
                {s.required_actions.into_iter().map(|a| view! { <p><strong>"Required: "</strong>{a}</p> }).collect_view()}
            </div>
        })}
        <ErrorBox error=other_error />
        <ErrorBox error=last_error(delete.value()) />
    }
}
