//! Device > Phone > Find and List Phones: filters and sort in the address, server-side pages.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;

use crate::api::phones::{get_phone_context, list_phones};
use crate::components::form::{query_escape, AddLink, Pagination};
use crate::components::layout::use_current_user;
use crate::components::reset::{ResetChoice, ResetPanel};
use crate::domain::access::{Access, FunctionalGroup};
use crate::domain::capf::LscFilter;
use crate::domain::dashboard::DeviceFinding;
use crate::domain::security::{ConfiguredMode, SecurityMode};
use crate::model::PhoneFilter;
use crate::pages::device::bulk::BulkPanel;

/// Rows per page.
const PER_PAGE: u64 = 50;

/// Find and List Phones.
#[component]
pub fn FindPhonesPage() -> impl IntoView {
    let query = use_query_map();
    let field = move |name: &'static str| query.with(|q| q.get(name).filter(|v| !v.is_empty()));
    let filter = move || PhoneFilter {
        name: field("name"),
        description: field("description"),
        model: field("model"),
        device_pool: field("device_pool"),
        configured: field("configured"),
        effective: field("effective"),
        lsc_status: field("lsc_status"),
        secure_srst: field("secure_srst"),
        server: field("server"),
        finding: field("finding"),
        sort: field("sort"),
        desc: field("desc").map(|d| d == "true"),
        page: field("page").and_then(|p| p.parse().ok()),
        per_page: Some(PER_PAGE),
    };
    let context = Resource::new(|| (), |_| get_phone_context());
    let phones = Resource::new(filter, list_phones);
    let me = use_current_user();
    let selected = RwSignal::new(Vec::<String>::new());
    let address = move |f: &PhoneFilter, sort: Option<&str>, desc: bool, page: u64| {
        let pairs = [
            ("name", f.name.clone()),
            ("description", f.description.clone()),
            ("model", f.model.clone()),
            ("device_pool", f.device_pool.clone()),
            ("configured", f.configured.clone()),
            ("effective", f.effective.clone()),
            ("lsc_status", f.lsc_status.clone()),
            ("secure_srst", f.secure_srst.clone()),
            ("server", f.server.clone()),
            ("finding", f.finding.clone()),
            ("sort", sort.map(str::to_owned)),
            ("desc", desc.then(|| "true".to_owned())),
            ("page", (page > 1).then(|| page.to_string())),
        ];
        let q: Vec<String> = pairs
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| format!("{k}={}", query_escape(&v))))
            .collect();
        format!("/phones?{}", q.join("&"))
    };
    view! {
        <Title text="Find and List Phones" />
        <h1>"Find and List Phones"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let ctx = match context.await {
                    Ok(ctx) => ctx,
                    Err(e) => return Either::Right(view! { <p class="error-box" role="alert">{e.to_string()}</p> }),
                };
                let may_write = me.await.map(|u| u.may(FunctionalGroup::Phone, Access::Write)).unwrap_or(false);
                let selected = move |name: &'static str, value: String| field(name).as_deref() == Some(value.as_str());
                Either::Left(view! {
                    <Form method="GET" action="/phones" attr:class="filter-form">
                        <div>
                            <label for="f-name">"Device Name contains"</label>
                            <input id="f-name" name="name" type="search" value=move || field("name").unwrap_or_default() />
                        </div>
                        <div>
                            <label for="f-description">"Description contains"</label>
                            <input id="f-description" name="description" type="search" value=move || field("description").unwrap_or_default() />
                        </div>
                        <div>
                            <label for="f-model">"Model"</label>
                            <select id="f-model" name="model">
                                <option value="">"Any"</option>
                                {ctx.models.iter().map(|m| { let n = m.name.clone(); let v = n.clone(); view! {
                                    <option value=n.clone() selected=move || selected("model", v.clone())>{n.clone()}</option>
                                }}).collect_view()}
                            </select>
                        </div>
                        <div>
                            <label for="f-pool">"Device Pool"</label>
                            <select id="f-pool" name="device_pool">
                                <option value="">"Any"</option>
                                {ctx.pools.iter().map(|p| { let n = p.clone(); let v = n.clone(); view! {
                                    <option value=n.clone() selected=move || selected("device_pool", v.clone())>{n.clone()}</option>
                                }}).collect_view()}
                            </select>
                        </div>
                        <div>
                            <label for="f-configured">"Device Security Mode"</label>
                            <select id="f-configured" name="configured">
                                <option value="">"Any"</option>
                                {ConfiguredMode::ALL.into_iter().map(|m| view! {
                                    <option value=m.key() selected=move || selected("configured", m.key().to_owned())>{m.label()}</option>
                                }).collect_view()}
                            </select>
                        </div>
                        <div>
                            <label for="f-effective">"Effective Mode"</label>
                            <select id="f-effective" name="effective">
                                <option value="">"Any"</option>
                                {SecurityMode::ALL.into_iter().map(|m| view! {
                                    <option value=m.key() selected=move || selected("effective", m.key().to_owned())>{m.label()}</option>
                                }).collect_view()}
                            </select>
                        </div>
                        <div>
                            <label for="f-lsc">"LSC Status"</label>
                            <select id="f-lsc" name="lsc_status">
                                <option value="">"Any"</option>
                                {LscFilter::ALL.into_iter().map(|f| view! {
                                    <option value=f.label() selected=move || selected("lsc_status", f.label().to_owned())>{f.label()}</option>
                                }).collect_view()}
                            </select>
                        </div>
                        <div>
                            <label for="f-srst">"Secure SRST"</label>
                            <select id="f-srst" name="secure_srst">
                                <option value="">"Any"</option>
                                <option value="yes" selected=move || selected("secure_srst", "yes".to_owned())>"Yes"</option>
                                <option value="no" selected=move || selected("secure_srst", "no".to_owned())>"No"</option>
                            </select>
                        </div>
                        {field("server").map(|server| view! {
                            <div class="kept-filter">
                                <input type="hidden" name="server" value=server.clone() />
                                <span>{format!("Registered to {server}")}</span>
                            </div>
                        })}
                        {field("finding").map(|finding| {
                            let title = DeviceFinding::parse(&finding).map_or_else(|| finding.clone(), |f| format!("{} ({})", f.title(), f.rule()));
                            view! {
                                <div class="kept-filter">
                                    <input type="hidden" name="finding" value=finding />
                                    <span>{format!("Finding: {title}")}</span>
                                </div>
                            }
                        })}
                        <button type="submit">"Find"</button>
                        {(field("server").is_some() || field("finding").is_some()).then(|| view! {
                            <A href="/phones" attr:class="button secondary-link">"Clear"</A>
                        })}
                    </Form>
                    <AddLink href="/add-phone" label="Add a New Phone" may_write />
                })
            })}
        </Suspense>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let f = filter();
                let may_write = me.await.map(|u| u.may(FunctionalGroup::Phone, Access::Write)).unwrap_or(false);
                match phones.await {
                    Ok(page) => {
                        let pages = page.pages();
                        let sort = f.sort.clone().unwrap_or_else(|| "name".to_owned());
                        let desc = f.desc.unwrap_or(false);
                        let header = {
                            let f = f.clone();
                            move |key: &'static str, label: &'static str| {
                                let active = sort == key;
                                let next_desc = active && !desc;
                                let arrow = if !active { "" } else if desc { " ▼" } else { " ▲" };
                                let aria = if !active { "none" } else if desc { "descending" } else { "ascending" };
                                view! {
                                    <th scope="col" aria-sort=aria>
                                        <A href=address(&f, Some(key), next_desc, 1)>{label}{arrow}</A>
                                    </th>
                                }
                            }
                        };
                        let f2 = f.clone();
                        let sort_key = f.sort.clone();
                        let bulk_filter = f.clone();
                        Either::Left(view! {
                            {may_write.then(|| view! { <BulkPanel selected filter=bulk_filter.clone() total=page.total /> })}
                            {may_write.then(|| {
                                let all = bulk_filter.clone();
                                let total = page.total;
                                view! {
                                    <ResetPanel title="Reset Phones" id="list-reset" enabled=true choices=vec![
                                        ResetChoice {
                                            label: Signal::derive(move || format!("the selected phones ({})", selected.with(Vec::len))),
                                            target: Callback::new(move |_| (None, Some(selected.get_untracked()))),
                                        },
                                        ResetChoice {
                                            label: Signal::derive(move || format!("all {total} phones that match the filter")),
                                            target: Callback::new(move |_| (Some(all.clone()), None)),
                                        },
                                    ] />
                                }
                            })}
                            <div class="table-scroll">
                                <table class="data-table" data-testid="phones">
                                    <caption>{format!("{} matching phones", page.total)}</caption>
                                    <thead>
                                        <tr>
                                            {may_write.then(|| view! { <th scope="col"><span class="visually-hidden">"Select"</span></th> })}
                                            {header("name", "Device Name")}
                                            {header("description", "Description")}
                                            {header("model", "Model")}
                                            <th scope="col">"Protocol"</th>
                                            {header("device_pool", "Device Pool")}
                                            {header("configured", "Device Security Mode")}
                                            <th scope="col">"Effective Mode"</th>
                                            <th scope="col">"LSC Status"</th>
                                            <th scope="col">"Secure SRST"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {page.items.into_iter().map(|p| {
                                            let href = format!("/phones/{}", query_escape(&p.name));
                                            let differs = p.overridden;
                                            let name = p.name.clone();
                                            let checked = p.name.clone();
                                            let label = format!("Select {}", p.name);
                                            view! {
                                                <tr>
                                                    {may_write.then(|| view! {
                                                        <td>
                                                            <input type="checkbox" aria-label=label
                                                                prop:checked=move || selected.with(|s| s.contains(&checked))
                                                                on:change=move |ev| {
                                                                    let on = event_target_checked(&ev);
                                                                    let name = name.clone();
                                                                    selected.update(|s| { s.retain(|x| *x != name); if on { s.push(name); } });
                                                                } />
                                                        </td>
                                                    })}
                                                    <td><A href=href>{p.name.clone()}</A></td>
                                                    <td>{p.description}</td>
                                                    <td>{p.model}</td>
                                                    <td>{p.protocol}</td>
                                                    <td>{p.device_pool}</td>
                                                    <td>{p.configured.label()}</td>
                                                    <td class="effective">
                                                        {p.effective.label()}
                                                        {differs.then_some(" *")}
                                                    </td>
                                                    <td>{p.lsc_status.label()}</td>
                                                    <td class="secure-srst">{if p.secure_srst { "Yes" } else { "No" }}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <p class="note">"* The effective mode differs from the configured one; open the phone to see why (R7, R8)."</p>
                            <Pagination page=page.page pages total=page.total
                                href=move |n| address(&f2, sort_key.as_deref(), desc, n) />
                        })
                    }
                    Err(e) => Either::Right(view! { <p class="error-box" role="alert">{e.to_string()}</p> }),
                }
            })}
        </Transition>
    }
}
