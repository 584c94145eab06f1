//! The Audit Log: filters in the address, server-side pages.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::audit::list_audit;
use crate::components::form::{query_escape, Pagination};
use crate::domain::audit::AuditAction;
use crate::model::AuditFilter;

/// Rows per page of the audit log.
const PER_PAGE: u64 = 50;

/// Who did what, when, from where, to which object, with the values before and after.
#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let field = move |name: &'static str| query.with(|q| q.get(name).filter(|v| !v.is_empty()));
    let filter = move || AuditFilter {
        user: field("user"),
        object_type: field("object_type"),
        action: field("action"),
        from: field("from"),
        to: field("to"),
        page: field("page").and_then(|p| p.parse().ok()),
        per_page: Some(PER_PAGE),
    };
    let rows = Resource::new(filter, list_audit);
    view! {
        <Title text="Audit Log" />
        <h1>"Audit Log"</h1>
        <Form method="GET" action="/audit" attr:class="filter-form">
            <div>
                <label for="audit-user">"User"</label>
                <input id="audit-user" name="user" type="text" value=move || field("user").unwrap_or_default() />
            </div>
            <div>
                <label for="audit-type">"Object Type"</label>
                <select id="audit-type" name="object_type">
                    <option value="">"Any"</option>
                    {["User", "UserGroup", "EnterpriseParameter", "ApiToken", "Session", "Route"].into_iter().map(|t| view! {
                        <option value=t selected=move || field("object_type").as_deref() == Some(t)>{t}</option>
                    }).collect_view()}
                </select>
            </div>
            <div>
                <label for="audit-action">"Action"</label>
                <select id="audit-action" name="action">
                    <option value="">"Any"</option>
                    {AuditAction::ALL.into_iter().map(|a| view! {
                        <option value=a.key() selected=move || field("action").as_deref() == Some(a.key())>{a.label()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div>
                <label for="audit-from">"From (UTC)"</label>
                <input id="audit-from" name="from" type="datetime-local" value=move || field("from").unwrap_or_default() />
            </div>
            <div>
                <label for="audit-to">"To (UTC)"</label>
                <input id="audit-to" name="to" type="datetime-local" value=move || field("to").unwrap_or_default() />
            </div>
            <button type="submit">"Filter"</button>
        </Form>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let f = filter();
                match rows.await {
                    Ok(page) => {
                        let pages = page.pages();
                        let base = format!(
                            "/audit?user={}&object_type={}&action={}&from={}&to={}",
                            query_escape(f.user.as_deref().unwrap_or_default()),
                            query_escape(f.object_type.as_deref().unwrap_or_default()),
                            query_escape(f.action.as_deref().unwrap_or_default()),
                            query_escape(f.from.as_deref().unwrap_or_default()),
                            query_escape(f.to.as_deref().unwrap_or_default()),
                        );
                        Either::Left(view! {
                            <div class="table-scroll">
                            <table class="data-table audit">
                                <thead>
                                    <tr>
                                        <th scope="col">"When (UTC)"</th>
                                        <th scope="col">"User"</th>
                                        <th scope="col">"Address"</th>
                                        <th scope="col">"Action"</th>
                                        <th scope="col">"Object"</th>
                                        <th scope="col">"Detail"</th>
                                        <th scope="col">"Before"</th>
                                        <th scope="col">"After"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {page.items.into_iter().map(|e| {
                                        let action = AuditAction::from_key(&e.action).map_or(e.action.clone(), |a| a.label().to_owned());
                                        view! {
                                            <tr>
                                                <td>{e.at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                                                <td>{e.actor.unwrap_or_default()}</td>
                                                <td>{e.address.unwrap_or_default()}</td>
                                                <td>{action}</td>
                                                <td>{format!("{} {}", e.object_type, e.object_name)}</td>
                                                <td>{e.detail}</td>
                                                <td><code>{e.before.unwrap_or_default()}</code></td>
                                                <td><code>{e.after.unwrap_or_default()}</code></td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                            </div>
                            <Pagination page=page.page pages total=page.total href=move |n| format!("{base}&page={n}") />
                        })
                    }
                    Err(e) => Either::Right(view! { <p class="error-box" role="alert">{e.to_string()}</p> }),
                }
            })}
        </Transition>
    }
}
