//! User > Access Rights: functional groups, user groups, assign privileges, privilege report.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use crate::api::access::{
    get_privilege_report, get_user_group, list_functional_groups, list_user_groups,
    DeleteUserGroup, SaveUserGroup,
};
use crate::api::users::list_users;
use crate::components::form::{last_error, query_escape, ErrorBox, StatusLine};
use crate::components::layout::use_current_user;
use crate::domain::access::{Access, AccessLevel, FunctionalGroup};
use crate::model::{UserGroupChange, UserGroupInfo};

fn may_manage(user: &Result<crate::model::CurrentUser, crate::error::AppError>) -> bool {
    user.as_ref()
        .map(|u| u.may(FunctionalGroup::UserPrivilegeManagement, Access::Write))
        .unwrap_or(false)
}

/// Functional Groups (view): each group and the pages and operations it covers.
#[component]
pub fn FunctionalGroupsPage() -> impl IntoView {
    let groups = Resource::new(|| (), |_| list_functional_groups());
    view! {
        <Title text="Functional Groups" />
        <h1>"Functional Groups"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                groups.await.map(|groups| view! {
                    <table class="data-table">
                        <thead><tr><th scope="col">"Functional Group"</th><th scope="col">"Covers"</th></tr></thead>
                        <tbody>
                            {groups.into_iter().map(|g| view! {
                                <tr><td>{g.name}</td><td>{g.covers}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }).map_err(|e| e.to_string())
            })}
        </Suspense>
    }
}

/// User Groups: every group with its members.
#[component]
pub fn UserGroupsPage() -> impl IntoView {
    let groups = Resource::new(|| (), |_| list_user_groups());
    let me = use_current_user();
    view! {
        <Title text="User Groups" />
        <h1>"User Groups"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let may_write = may_manage(&me.await);
                let groups = match groups.await {
                    Ok(groups) => groups,
                    Err(e) => return Either::Right(view! { <p class="error-box" role="alert">{e.to_string()}</p> }),
                };
                Either::Left(view! {
                    <p class="toolbar">
                        {if may_write {
                            Either::Left(view! { <A href="/access-rights/add-user-group" attr:class="button">"Add New User Group"</A> })
                        } else {
                            Either::Right(view! { <button type="button" disabled>"Add New User Group"</button> })
                        }}
                    </p>
                    <table class="data-table">
                        <thead>
                            <tr>
                                <th scope="col">"Name"</th>
                                <th scope="col">"Description"</th>
                                <th scope="col">"Members"</th>
                                <th scope="col">"Kind"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {groups.into_iter().map(|g| {
                                let href = format!("/access-rights/user-groups/{}", query_escape(&g.name));
                                view! {
                                    <tr>
                                        <td><A href=href>{g.name.clone()}</A></td>
                                        <td>{g.description}</td>
                                        <td>{g.members.join(", ")}</td>
                                        <td>{if g.built_in { "Standard" } else { "Custom" }}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                })
            })}
        </Suspense>
    }
}

/// Add a user group.
#[component]
pub fn AddUserGroupPage() -> impl IntoView {
    let save = ServerAction::<SaveUserGroup>::new();
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(group)) = save.value().get() {
            navigate(
                &format!("/access-rights/user-groups/{}", query_escape(&group.name)),
                Default::default(),
            );
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(SaveUserGroup {
            existing: None,
            change: UserGroupChange {
                name: Some(name.get_untracked()),
                description: Some(description.get_untracked()),
                ..Default::default()
            },
        });
    };
    view! {
        <Title text="Add User Group" />
        <h1>"User Group Configuration — Add"</h1>
        <form class="form" on:submit=submit>
            <label for="group-name">"Name"</label>
            <input id="group-name" type="text" bind:value=name maxlength=64 required />
            <label for="group-description">"Description"</label>
            <input id="group-description" type="text" bind:value=description maxlength=256 />
            <button type="submit" disabled=save.pending()>"Insert"</button>
        </form>
        <ErrorBox error=last_error(save.value()) />
    }
}

/// User Group Configuration: description and members; delete a custom group.
#[component]
pub fn UserGroupPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.with(|p| p.get("name").unwrap_or_default());
    let group = Resource::new(name, get_user_group);
    let users = Resource::new(|| (), |_| list_users(String::new(), 1));
    let me = use_current_user();
    view! {
        <Title text="User Group Configuration" />
        <h1>"User Group Configuration"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let may_write = may_manage(&me.await);
                let all_users: Vec<String> = users
                    .await
                    .map(|p| p.items.into_iter().map(|u| u.name).collect())
                    .unwrap_or_default();
                match group.await {
                    Ok(group) => Either::Left(view! { <GroupForm group all_users may_write /> }),
                    Err(e) => Either::Right(view! { <p class="error-box" role="alert">{e.to_string()}</p> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn GroupForm(group: UserGroupInfo, all_users: Vec<String>, may_write: bool) -> impl IntoView {
    let save = ServerAction::<SaveUserGroup>::new();
    let delete = ServerAction::<DeleteUserGroup>::new();
    let version = RwSignal::new(group.version);
    let description = RwSignal::new(group.description.clone());
    let members = RwSignal::new(group.members.clone());
    let message = RwSignal::new(None::<String>);
    let name = group.name.clone();
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            version.set(saved.version);
            message.set(Some(format!("User group {} saved.", saved.name)));
        }
    });
    let mut candidates = all_users;
    for m in &group.members {
        if !candidates.contains(m) {
            candidates.push(m.clone());
        }
    }
    candidates.sort();
    let submit = {
        let name = name.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            message.set(None);
            save.dispatch(SaveUserGroup {
                existing: Some(name.clone()),
                change: UserGroupChange {
                    description: Some(description.get_untracked()),
                    members: Some(members.get_untracked()),
                    version: Some(version.get_untracked()),
                    ..Default::default()
                },
            });
        }
    };
    let remove = {
        let name = name.clone();
        move |_| {
            if window()
                .confirm_with_message(&format!("Delete user group {name}?"))
                .unwrap_or(false)
            {
                delete.dispatch(DeleteUserGroup { name: name.clone() });
            }
        }
    };
    let read_only = !may_write;
    let built_in = group.built_in;
    view! {
        <Show when=move || read_only>
            <p class="note read-only-note" role="note">"Read Only: you can see this group but not change it."</p>
        </Show>
        <form class="form" on:submit=submit>
            <p><strong>"Name: "</strong>{group.name.clone()}{if built_in { " (standard group)" } else { "" }}</p>
            <label for="group-description">"Description"</label>
            <input id="group-description" type="text" bind:value=description maxlength=256 disabled=read_only />
            <fieldset class="choices">
                <legend>"Members"</legend>
                {candidates.into_iter().map(|user| {
                    let id = format!("member-{user}");
                    let label_for = id.clone();
                    let checked = user.clone();
                    view! {
                        <label class="check" for=label_for>
                            <input id=id type="checkbox" disabled=read_only
                                prop:checked=move || members.with(|m| m.contains(&checked))
                                on:change={
                                    let user = user.clone();
                                    move |ev| {
                                        let on = event_target_checked(&ev);
                                        let user = user.clone();
                                        members.update(|m| {
                                            m.retain(|x| *x != user);
                                            if on { m.push(user); m.sort(); }
                                        });
                                    }
                                } />
                            {user.clone()}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            <div class="button-row">
                <button type="submit" disabled=move || read_only || save.pending().get()>"Save"</button>
                <button type="button" class="danger" on:click=remove disabled=read_only || built_in
                    title=if built_in { "Standard groups cannot be deleted" } else { "" }>"Delete"</button>
            </div>
        </form>
        <p><A href=format!("/access-rights/assign-privileges?group={}", query_escape(&name))>"Assign privileges to this group"</A></p>
        <StatusLine message=message.into() />
        <ErrorBox error=last_error(save.value()) />
        <ErrorBox error=last_error(delete.value()) />
    }
}

/// Assign Privileges: choose a user group, then its access level on every functional group.
#[component]
pub fn AssignPrivilegesPage() -> impl IntoView {
    let query = use_query_map();
    let chosen = move || {
        query.with(|q| {
            q.get("group")
                .unwrap_or_else(|| "SuperUserGroup".to_owned())
        })
    };
    let groups = Resource::new(|| (), |_| list_user_groups());
    let me = use_current_user();
    view! {
        <Title text="Assign Privileges" />
        <h1>"Assign Privileges"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let may_write = may_manage(&me.await);
                let groups = match groups.await {
                    Ok(groups) => groups,
                    Err(e) => return Either::Right(view! { <p class="error-box" role="alert">{e.to_string()}</p> }),
                };
                let current = chosen();
                let selected = groups.iter().find(|g| g.name == current).cloned();
                let missing = format!("No user group is named {current}.");
                Either::Left(view! {
                    <Form method="GET" action="/access-rights/assign-privileges" attr:class="search-form">
                        <label for="group">"User Group"</label>
                        <select id="group" name="group">
                            {groups.iter().map(|g| {
                                let selected = g.name == current.as_str();
                                view! { <option value=g.name.clone() selected=selected>{g.name.clone()}</option> }
                            }).collect_view()}
                        </select>
                        <button type="submit">"Go"</button>
                    </Form>
                    {match selected {
                        Some(group) => Either::Left(view! { <PrivilegeGrid group may_write /> }),
                        None => Either::Right(view! { <p class="error-box" role="alert">{missing}</p> }),
                    }}
                })
            })}
        </Suspense>
    }
}

#[component]
fn PrivilegeGrid(group: UserGroupInfo, may_write: bool) -> impl IntoView {
    let save = ServerAction::<SaveUserGroup>::new();
    let version = RwSignal::new(group.version);
    let levels = RwSignal::new(group.privileges.clone());
    let message = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            version.set(saved.version);
            message.set(Some(format!("Privileges of {} saved.", saved.name)));
        }
    });
    let name = group.name.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        message.set(None);
        let pairs = levels
            .get_untracked()
            .into_iter()
            .map(|(g, l)| (g.name().to_owned(), l.label().to_owned()))
            .collect();
        save.dispatch(SaveUserGroup {
            existing: Some(name.clone()),
            change: UserGroupChange {
                privileges: Some(pairs),
                version: Some(version.get_untracked()),
                ..Default::default()
            },
        });
    };
    let read_only = !may_write;
    view! {
        <Show when=move || read_only>
            <p class="note read-only-note" role="note">"Read Only: you can see these privileges but not change them."</p>
        </Show>
        <form on:submit=submit>
            <table class="data-table">
                <caption>{format!("Access levels of {}", group.name)}</caption>
                <thead><tr><th scope="col">"Functional Group"</th><th scope="col">"Access Level"</th></tr></thead>
                <tbody>
                    {FunctionalGroup::ALL.into_iter().map(|fg| {
                        let id = format!("level-{}", fg.name());
                        let label_for = id.clone();
                        let current = move || levels.with(|l| l.iter().find(|(g, _)| *g == fg).map_or(AccessLevel::NoAccess, |(_, l)| *l));
                        view! {
                            <tr>
                                <th scope="row"><label for=label_for>{fg.name()}</label></th>
                                <td>
                                    <select id=id disabled=read_only
                                        on:change=move |ev| {
                                            if let Some(level) = AccessLevel::from_label(&event_target_value(&ev)) {
                                                levels.update(|l| {
                                                    l.retain(|(g, _)| *g != fg);
                                                    l.push((fg, level));
                                                });
                                            }
                                        }>
                                        {AccessLevel::ALL.into_iter().map(|level| view! {
                                            <option value=level.label() selected=move || current() == level>{level.label()}</option>
                                        }).collect_view()}
                                    </select>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <button type="submit" class="primary" disabled=move || read_only || save.pending().get()>"Save"</button>
        </form>
        <StatusLine message=message.into() />
        <ErrorBox error=last_error(save.value()) />
    }
}

/// Privilege Report: a user's effective access per functional group, and why, under the
/// overlapping-groups parameter in force and under its other value.
#[component]
pub fn PrivilegeReportPage() -> impl IntoView {
    let query = use_query_map();
    let chosen = move || query.with(|q| q.get("user").unwrap_or_default());
    let report = Resource::new(chosen, |user| async move {
        if user.is_empty() {
            Ok(None)
        } else {
            get_privilege_report(user).await.map(Some)
        }
    });
    view! {
        <Title text="Privilege Report" />
        <h1>"Privilege Report"</h1>
        <Form method="GET" action="/access-rights/privilege-report" attr:class="search-form">
            <label for="report-user">"User ID"</label>
            <input id="report-user" name="user" type="text" value=chosen required />
            <button type="submit">"Show"</button>
        </Form>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(Some(report)) => {
                        let policy = report.policy;
                        Either::Left(view! {
                            <p data-testid="report-summary">
                                {format!(
                                    "{} is in {}. Effective Access Privileges For Overlapping User Groups: {}.",
                                    report.user,
                                    if report.groups.is_empty() { "no user group".to_owned() } else { report.groups.join(", ") },
                                    policy.name()
                                )}
                            </p>
                            <table class="data-table report">
                                <thead>
                                    <tr>
                                        <th scope="col">"Functional Group"</th>
                                        <th scope="col">{format!("Effective ({})", policy.name())}</th>
                                        <th scope="col">"Why"</th>
                                        <th scope="col">{format!("Under {}", policy.other().name())}</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {report.rows.into_iter().map(|row| view! {
                                        <tr data-group=row.group.name()>
                                            <th scope="row">{row.group.name()}</th>
                                            <td class="level">{row.effective.level.label()}</td>
                                            <td>{row.effective.reason}</td>
                                            <td class="other-level">{row.under_other_policy.level.label()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        })
                    }
                    Ok(None) => Either::Right(Either::Left(view! { <p class="note">"Enter a user ID to see their effective access."</p> })),
                    Err(e) => Either::Right(Either::Right(view! { <p class="error-box" role="alert">{e.to_string()}</p> })),
                }
            })}
        </Suspense>
    }
}
