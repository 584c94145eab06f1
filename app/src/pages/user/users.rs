//! User > Users: find and list, add, and the user configuration page.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use crate::api::access::list_user_groups;
use crate::api::users::{
    get_user, list_users, CreateUser, DeleteUser, EndUserSessions, UpdateUser,
};
use crate::components::form::{last_error, query_escape, ErrorBox, Pagination, StatusLine};
use crate::components::layout::use_current_user;
use crate::domain::access::{Access, FunctionalGroup};
use crate::domain::account::{PASSWORD_MAX_CHARS, USER_ID_MAX_CHARS};
use crate::model::{NewUser, UserChange, UserInfo};

/// Find and List Users: search by user ID, server-side pages, the search in the address.
#[component]
pub fn UsersPage() -> impl IntoView {
    let query = use_query_map();
    let search = move || query.with(|q| q.get("search").unwrap_or_default());
    let page = move || {
        query.with(|q| {
            q.get("page")
                .and_then(|p| p.parse::<u64>().ok())
                .unwrap_or(1)
        })
    };
    let users = Resource::new(move || (search(), page()), |(s, p)| list_users(s, p));
    let me = use_current_user();
    view! {
        <Title text="Find and List Users" />
        <h1>"Find and List Users"</h1>
        <Form method="GET" action="/users" attr:class="search-form">
            <label for="search">"User ID contains"</label>
            <input id="search" name="search" type="search" value=search maxlength=USER_ID_MAX_CHARS />
            <button type="submit">"Find"</button>
        </Form>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let may_write = me
                    .await
                    .map(|u| u.may(FunctionalGroup::UserManagement, Access::Write))
                    .unwrap_or(false);
                let result = users.await;
                view! {
                    <p class="toolbar">
                        {if may_write {
                            Either::Left(view! { <A href="/add-user" attr:class="button">"Add New User"</A> })
                        } else {
                            Either::Right(view! {
                                <button type="button" disabled title="Read Only: you cannot add users">
                                    "Add New User"
                                </button>
                            })
                        }}
                    </p>
                    {match result {
                        Ok(list) => {
                            let s = search();
                            let pages = list.pages();
                            Either::Left(view! {
                                <table class="data-table">
                                    <caption>{format!("{} matching users", list.total)}</caption>
                                    <thead>
                                        <tr>
                                            <th scope="col">"User ID"</th>
                                            <th scope="col">"User Groups"</th>
                                            <th scope="col">"Status"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {list.items.into_iter().map(|u| {
                                            let href = format!("/users/{}", query_escape(&u.name));
                                            view! {
                                                <tr>
                                                    <td><A href=href>{u.name.clone()}</A></td>
                                                    <td>{u.groups.join(", ")}</td>
                                                    <td>{if u.disabled { "Disabled" } else { "Enabled" }}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                <Pagination page=list.page pages total=list.total
                                    href=move |n| format!("/users?search={}&page={n}", query_escape(&s)) />
                            })
                        }
                        Err(err) => Either::Right(view! { <p class="error-box" role="alert">{err.to_string()}</p> }),
                    }}
                }
            })}
        </Transition>
    }
}

/// Add a user: user ID, password (twice), groups, and whether the password must be changed.
#[component]
pub fn AddUserPage() -> impl IntoView {
    let create = ServerAction::<CreateUser>::new();
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let must_change = RwSignal::new(true);
    let groups = RwSignal::new(Vec::<String>::new());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(user)) = create.value().get() {
            navigate(
                &format!("/users/{}", query_escape(&user.name)),
                Default::default(),
            );
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateUser {
            user: NewUser {
                name: name.get_untracked(),
                password: password.get_untracked(),
                groups: groups.get_untracked(),
                must_change_password: must_change.get_untracked(),
            },
            confirm: confirm.get_untracked(),
        });
    };
    view! {
        <Title text="Add User" />
        <h1>"User Configuration — Add"</h1>
        <form class="form" on:submit=submit>
            <label for="user-id">"User ID"</label>
            <input id="user-id" type="text" bind:value=name maxlength=USER_ID_MAX_CHARS required />
            <label for="user-password">"Password"</label>
            <input id="user-password" type="password" autocomplete="new-password" bind:value=password maxlength=PASSWORD_MAX_CHARS required />
            <label for="user-confirm">"Confirm Password"</label>
            <input id="user-confirm" type="password" autocomplete="new-password" bind:value=confirm maxlength=PASSWORD_MAX_CHARS required />
            <label class="check">
                <input type="checkbox" bind:checked=must_change />
                "User must change the password at next login"
            </label>
            <GroupChoice selected=groups enabled=Signal::derive(|| true) />
            <button type="submit" disabled=create.pending()>"Insert"</button>
        </form>
        <ErrorBox error=last_error(create.value()) />
    }
}

/// Check boxes of every user group, when the user may read user groups; otherwise nothing.
#[component]
fn GroupChoice(selected: RwSignal<Vec<String>>, enabled: Signal<bool>) -> impl IntoView {
    let me = use_current_user();
    let groups = Resource::new(|| (), |_| list_user_groups());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let may_read = me
                    .await
                    .map(|u| u.may(FunctionalGroup::UserPrivilegeManagement, Access::Read))
                    .unwrap_or(false);
                if !may_read {
                    return Either::Left(view! {
                        <p class="note">"User groups are managed by administrators with access to UserPrivilegeManagement."</p>
                    });
                }
                let groups = groups.await.unwrap_or_default();
                Either::Right(view! {
                    <fieldset class="choices">
                        <legend>"User Groups"</legend>
                        {groups.into_iter().map(|g| {
                            let name = g.name.clone();
                            let checked_name = name.clone();
                            let id = format!("group-{}", name.replace(' ', "-"));
                            let label_for = id.clone();
                            view! {
                                <label class="check" for=label_for>
                                    <input
                                        id=id
                                        type="checkbox"
                                        prop:checked=move || selected.with(|s| s.contains(&checked_name))
                                        disabled=move || !enabled.get()
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            let name = name.clone();
                                            selected.update(|s| {
                                                s.retain(|x| *x != name);
                                                if on {
                                                    s.push(name);
                                                    s.sort();
                                                }
                                            });
                                        }
                                    />
                                    {g.name.clone()}
                                </label>
                            }
                        }).collect_view()}
                    </fieldset>
                })
            })}
        </Transition>
    }
}

/// User Configuration: enable or disable, groups, password reset, end sessions, delete. Read Only
/// users see the values with every modifying control disabled.
#[component]
pub fn UserPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.with(|p| p.get("name").unwrap_or_default());
    let user = Resource::new(name, get_user);
    let me = use_current_user();
    view! {
        <Title text="User Configuration" />
        <h1>"User Configuration"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let may_write = me
                    .await
                    .map(|u| u.may(FunctionalGroup::UserManagement, Access::Write))
                    .unwrap_or(false);
                match user.await {
                    Ok(user) => Either::Left(view! { <UserForm user may_write /> }),
                    Err(err) => Either::Right(view! { <p class="error-box" role="alert">{err.to_string()}</p> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn UserForm(user: UserInfo, may_write: bool) -> impl IntoView {
    let update = ServerAction::<UpdateUser>::new();
    let end_sessions = ServerAction::<EndUserSessions>::new();
    let delete = ServerAction::<DeleteUser>::new();
    let version = RwSignal::new(user.version);
    let disabled = RwSignal::new(user.disabled);
    let groups = RwSignal::new(user.groups.clone());
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let must_change = RwSignal::new(true);
    let message = RwSignal::new(None::<String>);
    let name = user.name.clone();
    Effect::new(move |_| {
        if let Some(Ok(saved)) = update.value().get() {
            version.set(saved.version);
            password.set(String::new());
            confirm.set(String::new());
            message.set(Some(format!("User {} saved.", saved.name)));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(n)) = end_sessions.value().get() {
            message.set(Some(format!("{n} session(s) ended.")));
        }
    });
    let submit = {
        let name = name.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            message.set(None);
            let new_password = password.get_untracked();
            let reset = !new_password.is_empty();
            update.dispatch(UpdateUser {
                name: name.clone(),
                change: UserChange {
                    password: reset.then_some(new_password),
                    groups: Some(groups.get_untracked()),
                    disabled: Some(disabled.get_untracked()),
                    must_change_password: reset.then(|| must_change.get_untracked()),
                    version: Some(version.get_untracked()),
                },
                confirm: reset.then(|| confirm.get_untracked()),
            });
        }
    };
    let end = {
        let name = name.clone();
        move |_| {
            message.set(None);
            end_sessions.dispatch(EndUserSessions { name: name.clone() });
        }
    };
    let remove = {
        let name = name.clone();
        move |_| {
            let confirmed = window()
                .confirm_with_message(&format!(
                    "Delete user {name}? Their sessions and tokens end with it."
                ))
                .unwrap_or(false);
            if confirmed {
                delete.dispatch(DeleteUser {
                    name: name.clone(),
                    version: version.get_untracked(),
                });
            }
        }
    };
    let read_only = !may_write;
    let enabled = Signal::derive(move || may_write);
    view! {
        <Show when=move || read_only>
            <p class="note read-only-note" role="note">"Read Only: you can see this user but not change it."</p>
        </Show>
        <form class="form" on:submit=submit>
            <p><strong>"User ID: "</strong><span data-testid="user-name">{user.name.clone()}</span></p>
            <label class="check">
                <input id="user-disabled" type="checkbox" bind:checked=disabled disabled=read_only />
                "Disabled (the user cannot log in; their sessions end at once)"
            </label>
            <GroupChoice selected=groups enabled />
            <fieldset class="choices">
                <legend>"Reset Password"</legend>
                <label for="new-password">"New Password"</label>
                <input id="new-password" type="password" autocomplete="new-password" bind:value=password maxlength=PASSWORD_MAX_CHARS disabled=read_only />
                <label for="new-confirm">"Confirm Password"</label>
                <input id="new-confirm" type="password" autocomplete="new-password" bind:value=confirm maxlength=PASSWORD_MAX_CHARS disabled=read_only />
                <label class="check">
                    <input type="checkbox" bind:checked=must_change disabled=read_only />
                    "User must change the password at next login"
                </label>
            </fieldset>
            <div class="button-row">
                <button type="submit" disabled=move || read_only || update.pending().get()>"Save"</button>
                <button type="button" class="secondary" on:click=end disabled=read_only>"End Sessions"</button>
                <button type="button" class="danger" on:click=remove disabled=read_only>"Delete"</button>
            </div>
        </form>
        <StatusLine message=message.into() />
        <ErrorBox error=last_error(update.value()) />
        <ErrorBox error=last_error(end_sessions.value()) />
        <ErrorBox error=last_error(delete.value()) />
    }
}
