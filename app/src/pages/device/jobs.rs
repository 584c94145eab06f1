//! Reset jobs: the latest ones, and one job with its progress bar, counts per status, its devices,
//! and pause, resume, cancel and rate. A running job's page follows it until it ends.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::jobs::{get_reset_job, list_reset_jobs, ControlJob, SetJobRate};
use crate::components::form::{last_error, ErrorBox};
use crate::components::layout::use_current_user;
use crate::domain::access::{Access, FunctionalGroup};
use crate::domain::jobs::{DeviceStatus, JobControl, JobStatus};
use crate::model::jobs::ResetJob;

/// The latest reset and restart jobs.
#[component]
pub fn JobsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| list_reset_jobs());
    view! {
        <Title text="Reset Jobs" />
        <h1>"Reset Jobs"</h1>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(jobs) if jobs.is_empty() => Either::Left(Either::Left(view! { <p>"No reset job yet."</p> })),
                    Ok(jobs) => Either::Left(Either::Right(view! {
                        <table class="data-table">
                            <caption>"The latest 50 jobs, newest first"</caption>
                            <thead>
                                <tr>
                                    <th scope="col">"Job"</th>
                                    <th scope="col">"Action"</th>
                                    <th scope="col">"Devices"</th>
                                    <th scope="col">"Status"</th>
                                    <th scope="col">"Progress"</th>
                                    <th scope="col">"Started"</th>
                                    <th scope="col">"By"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {jobs.into_iter().map(|j| view! {
                                    <tr>
                                        <th scope="row"><A href=format!("/jobs/{}", j.id)>{format!("Job {}", j.id)}</A></th>
                                        <td>{j.action.label()}</td>
                                        <td>{j.scope.clone()}</td>
                                        <td>{j.status.label()}</td>
                                        <td>{format!("{} of {}", j.counts.finished(), j.total)}</td>
                                        <td>{j.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string()}</td>
                                        <td>{j.created_by.clone()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    })),
                    Err(e) => Either::Right(view! { <p class="error-box" role="alert">{e.to_string()}</p> }),
                }
            })}
        </Transition>
    }
}

/// One job.
#[component]
pub fn JobPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.with(|p| p.get("id").and_then(|v| v.parse::<i32>().ok()).unwrap_or(0));
    let status = move || query.with(|q| q.get("status").filter(|s| !s.is_empty()));
    let job = Resource::new(
        move || (id(), status()),
        |(id, status)| get_reset_job(id, status),
    );
    let control = ServerAction::<ControlJob>::new();
    let rate = ServerAction::<SetJobRate>::new();
    let me = use_current_user();
    Effect::new(move |_| {
        if control.value().get().is_some_and(|r| r.is_ok())
            || rate.value().get().is_some_and(|r| r.is_ok())
        {
            job.refetch();
        }
    });
    // A job that has not ended is followed.
    #[cfg(feature = "hydrate")]
    {
        let handle = set_interval_with_handle(
            move || {
                if job
                    .get_untracked()
                    .is_some_and(|j| j.is_ok_and(|j| !j.status.is_final() || j.counts.sent > 0))
                {
                    job.refetch();
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
        <Title text="Reset Job" />
        <h1>{move || format!("Reset Job {}", id())}</h1>
        <p><A href="/jobs">"All reset jobs"</A></p>
        <ErrorBox error=last_error(control.value()) />
        <ErrorBox error=last_error(rate.value()) />
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let may_write = me.await.map(|u| u.may(FunctionalGroup::Phone, Access::Write)).unwrap_or(false);
                match job.await {
                    Ok(j) => Either::Left(view! { <JobView j may_write control rate filter=status() /> }),
                    Err(e) => Either::Right(view! { <p class="error-box" role="alert">{e.to_string()}</p> }),
                }
            })}
        </Transition>
    }
}

#[component]
fn JobView(
    j: ResetJob,
    may_write: bool,
    control: ServerAction<ControlJob>,
    rate: ServerAction<SetJobRate>,
    filter: Option<String>,
) -> impl IntoView {
    let finished = j.counts.finished();
    let max = j.total.max(1);
    let (id, version) = (j.id, j.version);
    let button = move |c: JobControl, label: &'static str, class: &'static str| {
        let allowed = may_write && c.apply(j.status).is_ok();
        view! {
            <button type="button" class=class disabled=move || !allowed || control.pending().get()
                on:click=move |_| {
                    if c == JobControl::Cancel && !window().confirm_with_message("Cancel this job? Devices not reached yet will not be.").unwrap_or(false) {
                        return;
                    }
                    control.dispatch(ControlJob { id, control: c.key().to_owned(), version });
                }>
                {label}
            </button>
        }
    };
    let new_rate = RwSignal::new(j.rate.map_or("0".to_owned(), |r| r.to_string()));
    let rate_editable = may_write && !j.status.is_final();
    view! {
        <dl class="facts">
            <dt>"Action"</dt><dd data-testid="job-action">{j.action.label()}</dd>
            <dt>"Devices"</dt><dd>{j.scope.clone()}</dd>
            <dt>"Status"</dt><dd data-testid="job-status" data-status=j.status.key()>{j.status.label()}</dd>
            <dt>"Rate"</dt><dd>{j.rate.map_or("no limit".to_owned(), |r| format!("{r} devices per second"))}</dd>
            <dt>"Started"</dt><dd>{format!("{} by {}", j.created_at.format("%Y-%m-%d %H:%M:%S UTC"), j.created_by)}</dd>
            {(!j.message.is_empty()).then(|| view! { <dt>"Note"</dt><dd data-testid="job-message">{j.message.clone()}</dd> })}
        </dl>
        <div class="job-progress">
            <label for="job-progress">{format!("{finished} of {} devices done", j.total)}</label>
            <progress id="job-progress" data-testid="job-progress" max=max value=finished>{format!("{finished} of {}", j.total)}</progress>
        </div>
        <table class="data-table counts-table" data-testid="job-counts">
            <caption>"Devices by status"</caption>
            <thead><tr><th scope="col">"Status"</th><th scope="col">"Devices"</th></tr></thead>
            <tbody>
                {DeviceStatus::ALL.into_iter().map(|s| view! {
                    <tr data-status=s.key()>
                        <th scope="row"><A href=format!("/jobs/{id}?status={}", s.key())>{s.label()}</A></th>
                        <td data-testid=format!("count-{}", s.key())>{j.counts.of(s)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        <div class="button-row">
            {button(JobControl::Pause, "Pause", "secondary")}
            {button(JobControl::Resume, "Resume", "primary")}
            {button(JobControl::Cancel, "Cancel", "danger")}
        </div>
        <form class="inline-row" on:submit=move |ev| {
            ev.prevent_default();
            rate.dispatch(SetJobRate { id, rate: new_rate.get_untracked(), version });
        }>
            <label for="job-rate">"Rate (devices per second, 0 = no limit)"</label>
            <input id="job-rate" type="number" min="0" inputmode="numeric" disabled=!rate_editable
                prop:value=move || new_rate.get() on:input=move |ev| new_rate.set(event_target_value(&ev)) />
            <button type="submit" disabled=!rate_editable>"Set Rate"</button>
        </form>
        <table class="data-table" data-testid="job-devices">
            <caption>{match &filter {
                Some(s) => format!("The first devices with status {}", DeviceStatus::parse(s).map_or(s.as_str(), |d| d.label())),
                None => "The first devices, in the order they are reached".to_owned(),
            }}</caption>
            <thead>
                <tr>
                    <th scope="col">"Device"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Contact"</th>
                    <th scope="col">"NOTIFYs"</th>
                    <th scope="col">"Detail"</th>
                </tr>
            </thead>
            <tbody>
                {j.devices.into_iter().map(|d| view! {
                    <tr data-status=d.status.key()>
                        <th scope="row"><A href=format!("/phones/{}", d.name)>{d.name.clone()}</A></th>
                        <td>{d.status.label()}</td>
                        <td>{d.contact.unwrap_or_default()}</td>
                        <td>{d.attempts}</td>
                        <td>{d.detail}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        {(j.status == JobStatus::Running && j.counts.pending > 0 && !may_write).then(|| view! { <p class="note">"Read Only: you can follow the job but not control it."</p> })}
    }
}
