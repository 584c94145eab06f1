//! The bulk change panel of Find and List Phones: which phones, which field and value, a preview
//! of what would change and what is refused, then one confirmation and a progress bar.

use std::time::Duration;

use leptos::prelude::*;

use crate::api::phones::{get_job, PreviewBulk, StartBulk};
use crate::components::form::{last_error, ErrorBox};
use crate::domain::device::{AuthenticationMode, CertificateOperation};
use crate::domain::jobs::JobStatus;
use crate::domain::security::ConfiguredMode;
use crate::model::{BulkRequest, JobInfo, PhoneFilter};

const FIELDS: [(&str, &str); 8] = [
    ("security_mode", "Device Security Mode"),
    ("certificate_operation", "Certificate Operation (CAPF)"),
    ("authentication_mode", "Authentication Mode (CAPF)"),
    ("gratuitous_arp", "Gratuitous ARP"),
    ("web_access", "Web Access"),
    ("pc_voice_vlan_access", "PC Voice VLAN Access"),
    ("settings_access", "Settings Access"),
    ("pc_port", "PC Port"),
];

fn values_of(field: &str) -> Vec<String> {
    match field {
        "security_mode" => ConfiguredMode::ALL
            .iter()
            .map(|m| m.label().to_owned())
            .collect(),
        "certificate_operation" => CertificateOperation::ALL
            .iter()
            .map(|o| o.label().to_owned())
            .collect(),
        // By Authentication String is set phone by phone (a string each).
        "authentication_mode" => AuthenticationMode::ALL
            .iter()
            .filter(|a| **a != AuthenticationMode::ByAuthenticationString)
            .map(|a| a.label().to_owned())
            .collect(),
        _ => vec!["Enabled".to_owned(), "Disabled".to_owned()],
    }
}

/// Bulk change of the selected phones or of all that match `filter`.
#[component]
pub fn BulkPanel(
    /// The names ticked in the list.
    selected: RwSignal<Vec<String>>,
    /// The list's filter.
    filter: PhoneFilter,
    /// How many phones match it.
    total: u64,
) -> impl IntoView {
    let all_matching = RwSignal::new(false);
    let field = RwSignal::new("security_mode".to_owned());
    let value = RwSignal::new(ConfiguredMode::ALL[0].label().to_owned());
    let preview = ServerAction::<PreviewBulk>::new();
    let start = ServerAction::<StartBulk>::new();
    let job = RwSignal::new(None::<JobInfo>);
    let filter = StoredValue::new(filter);
    let request = move || BulkRequest {
        filter: all_matching.get_untracked().then(|| filter.get_value()),
        names: (!all_matching.get_untracked()).then(|| selected.get_untracked()),
        field: field.get_untracked(),
        value: value.get_untracked(),
    };
    // A new choice invalidates the preview.
    Effect::new(move |_| {
        let _ = (all_matching.get(), field.get(), value.get(), selected.get());
        preview.value().set(None);
    });
    Effect::new(move |_| {
        if let Some(Ok(started)) = start.value().get() {
            job.set(Some(started));
        }
    });
    // Poll the job until it ends.
    Effect::new(move |_| {
        let Some(id) = job.with(|j| {
            j.as_ref()
                .filter(|j| j.status == JobStatus::Running)
                .map(|j| j.id)
        }) else {
            return;
        };
        set_timeout(
            move || {
                leptos::task::spawn_local(async move {
                    if let Ok(progress) = get_job(id).await {
                        job.set(Some(progress));
                    }
                });
            },
            Duration::from_millis(400),
        );
    });
    view! {
        <section class="bulk-panel" aria-labelledby="bulk-title">
            <h2 id="bulk-title">"Bulk Change"</h2>
            <fieldset class="choices">
                <legend>"Phones"</legend>
                <label class="check">
                    <input type="radio" name="bulk-scope" prop:checked=move || !all_matching.get()
                        on:change=move |_| all_matching.set(false) />
                    {move || format!("Selected phones ({})", selected.with(Vec::len))}
                </label>
                <label class="check">
                    <input type="radio" name="bulk-scope" prop:checked=move || all_matching.get()
                        on:change=move |_| all_matching.set(true) />
                    {format!("All {total} phones that match the filter")}
                </label>
            </fieldset>
            <div class="inline-row">
                <label for="bulk-field">"Field"</label>
                <select id="bulk-field" on:change=move |ev| {
                    let f = event_target_value(&ev);
                    value.set(values_of(&f)[0].clone());
                    field.set(f);
                }>
                    {FIELDS.into_iter().map(|(key, label)| view! { <option value=key>{label}</option> }).collect_view()}
                </select>
                <label for="bulk-value">"New Value"</label>
                <select id="bulk-value" on:change=move |ev| value.set(event_target_value(&ev))>
                    {move || values_of(&field.get()).into_iter().map(|v| {
                        let shown = v.clone();
                        let current = v.clone();
                        view! { <option value=v selected=move || value.get() == current>{shown}</option> }
                    }).collect_view()}
                </select>
                <button type="button" on:click=move |_| { job.set(None); preview.dispatch(PreviewBulk { request: request() }); }>
                    "Preview"
                </button>
            </div>
            {move || preview.value().get().and_then(Result::ok).map(|p| {
                let can_apply = p.will_change > 0;
                view! {
                    <div class="status-box" role="status" data-testid="bulk-preview">
                        <p>{format!("{} phones match: {} will change, {} already have this value, {} refused.",
                            p.matched, p.will_change, p.unchanged, p.refused.iter().map(|(_, n)| n).sum::<u64>())}</p>
                        <ul>
                            {p.refused.into_iter().map(|(reason, n)| view! { <li>{format!("{n} refused — {reason}")}</li> }).collect_view()}
                        </ul>
                        <button type="button" class="primary" disabled=move || !can_apply || start.pending().get()
                            on:click=move |_| { preview.value().set(None); start.dispatch(StartBulk { request: request() }); }>
                            "Apply to the phones that will change"
                        </button>
                    </div>
                }
            })}
            {move || job.get().map(|j| {
                let max = j.total.max(1);
                view! {
                    <div class="job-progress" data-testid="bulk-job" data-status=j.status.key()>
                        <label for="bulk-progress">{format!("Job {}: {}", j.id, j.status.key())}</label>
                        <progress id="bulk-progress" max=max value=j.processed>{format!("{} of {}", j.processed, j.total)}</progress>
                        <span>{format!("{} of {} processed, {} changed, {} refused. {}", j.processed, j.total, j.changed, j.refused, j.message)}</span>
                    </div>
                }
            })}
            <ErrorBox error=last_error(preview.value()) />
            <ErrorBox error=last_error(start.value()) />
        </section>
    }
}
