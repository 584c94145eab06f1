//! Pending Actions: every action a change requires (R10, R17), merged (ten device changes are one
//! "reset 10 devices"; a cluster-wide reset includes the device resets), with why, since when,
//! and the way to carry it out. An action leaves the list only when it is done.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::jobs::get_pending_actions;
use crate::components::form::query_escape;
use crate::components::reset::{ResetChoice, ResetPanel};
use crate::domain::actions::{Pending, PendingGroup, RequiredAction};
use crate::model::PhoneFilter;

/// Pending Actions.
#[component]
pub fn PendingActionsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| get_pending_actions());
    view! {
        <Title text="Pending Actions" />
        <h1>"Pending Actions"</h1>
        <p class="hint">"What the changes made so far still require before they take effect (R10, R17). An action disappears when it is done: a reset job reached every device concerned, or the service was restarted."</p>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(p) if p.groups.is_empty() => Either::Left(Either::Left(view! {
                        <p class="status-box" role="status" data-testid="no-pending">"No action is pending."</p>
                    })),
                    Ok(p) => {
                        let all = p.groups.iter().any(|g| g.what == Pending::Action(RequiredAction::ResetAllDevices));
                        Either::Left(Either::Right(view! {
                            <table class="data-table" data-testid="pending-actions">
                                <caption>{if p.groups.len() == 1 { "1 action required".to_owned() } else { format!("{} actions required", p.groups.len()) }}</caption>
                                <thead>
                                    <tr>
                                        <th scope="col">"Action"</th>
                                        <th scope="col">"Why"</th>
                                        <th scope="col">"Since"</th>
                                        <th scope="col">"How"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {p.groups.into_iter().map(|g| view! { <PendingRow g can_restart=p.can_restart /> }).collect_view()}
                                </tbody>
                            </table>
                            {(all && p.can_reset).then(|| view! {
                                <ResetPanel title="Reset All Devices" id="reset-all" enabled=true choices=vec![ResetChoice {
                                    label: Signal::derive(|| "all devices of the cluster".to_owned()),
                                    target: Callback::new(|_| (Some(PhoneFilter::default()), None)),
                                }] />
                            })}
                        }))
                    }
                    Err(e) => Either::Right(view! { <p class="error-box" role="alert">{e.to_string()}</p> }),
                }
            })}
        </Transition>
    }
}

#[component]
fn PendingRow(g: PendingGroup, can_restart: bool) -> impl IntoView {
    let what = g.what.describe();
    let merged = (g.stored > 1).then(|| format!(" — {} changes merged", g.stored));
    let devices = match &g.what {
        Pending::ResetDevices { count, sample } => {
            let more = (*count as usize > sample.len())
                .then(|| format!(" and {} more", *count as usize - sample.len()));
            Some(format!("{}{}", sample.join(", "), more.unwrap_or_default()))
        }
        _ => None,
    };
    let how = match &g.what {
        Pending::ResetDevices { .. } | Pending::Action(RequiredAction::ResetDevice(_)) => view! {
            <span>"Reset them from "<A href="/phones">"Find and List Phones"</A>" or with Reset Devices on their "<A href="/servers">"server"</A>" (R11)."</span>
        }.into_any(),
        Pending::Action(RequiredAction::RestartService { service, .. }) if can_restart => view! {
            <A href=format!("/control-center#{}", query_escape(service.key()))>{format!("Restart {} in Control Center", service.label())}</A>
        }.into_any(),
        Pending::Action(RequiredAction::RestartService { .. }) => view! {
            <span>"Control Center (needs ServiceManagement)"</span>
        }.into_any(),
        Pending::Action(RequiredAction::UpdateCtl) => view! { <A href="/ctl">"Security > CTL"</A> }.into_any(),
        Pending::Action(RequiredAction::ResetAllDevices) => view! {
            <span>"Reset Devices on every "<A href="/servers">"server"</A>" (R11), or Reset All Devices below."</span>
        }.into_any(),
        _ => view! {
            <span>"Reset Devices on their "<A href="/servers">"server"</A>" (R11)."</span>
        }.into_any(),
    };
    view! {
        <tr data-kind=match &g.what { Pending::ResetDevices { .. } => "reset_devices".to_owned(), Pending::Action(a) => a.kind().to_owned() }>
            <th scope="row">
                <span data-testid="pending-what">{what}</span>
                {merged}
                {devices.map(|d| view! { <br /><small>{d}</small> })}
            </th>
            <td>
                <ul class="plain-list">
                    {g.reasons.into_iter().map(|r| view! {
                        <li>{format!("{} ({})", r.reason, r.rule)}
                            {r.audit_id.map(|id| view! { " " <A href=format!("/audit?from={}", r.at.format("%Y-%m-%d"))>{format!("audit #{id}")}</A> })}
                        </li>
                    }).collect_view()}
                </ul>
            </td>
            <td><time datetime=g.since.to_rfc3339()>{g.since.format("%Y-%m-%d %H:%M:%S UTC").to_string()}</time></td>
            <td>{how}</td>
        </tr>
    }
}
