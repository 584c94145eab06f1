//! Security > TFTP Files: the file pipeline's progress (counts, last build, errors) and the built
//! files, each downloadable over HTTPS.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::security::get_tftp_status;
use crate::components::form::query_escape;
use crate::domain::builds::BuildStatus;
use crate::model::security::{TftpStatus, MAX_LISTED};

/// Security > TFTP Files.
#[component]
pub fn TftpFilesPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || query.with(|q| q.get("name").unwrap_or_default());
    let data = Resource::new(filter, get_tftp_status);
    // A running build is followed until it ends.
    #[cfg(feature = "hydrate")]
    {
        let handle = set_interval_with_handle(
            move || {
                if data.get_untracked().is_some_and(|d| {
                    d.is_ok_and(|s| s.status == BuildStatus::Running || !s.up_to_date)
                }) {
                    data.refetch();
                }
            },
            std::time::Duration::from_millis(1000),
        );
        on_cleanup(move || {
            if let Ok(h) = handle {
                h.clear();
            }
        });
    }
    view! {
        <Title text="TFTP Files" />
        <h1>"TFTP Files"</h1>
        <Form method="GET" action="/tftp-files" attr:class="filter-form">
            <div>
                <label for="tf-name">"File name contains"</label>
                <input id="tf-name" name="name" type="search" value=filter />
            </div>
            <button type="submit">"Find"</button>
        </Form>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(s) => Either::Left(view! { <TftpView s /> }),
                    Err(e) => Either::Right(view! { <p class="error-box" role="alert">{e.to_string()}</p> }),
                }
            })}
        </Transition>
    }
}

#[component]
fn TftpView(s: TftpStatus) -> impl IntoView {
    let state = if s.status == BuildStatus::Running {
        format!(
            "Building: {} of {} files written, {} signed",
            s.written, s.total, s.signed
        )
    } else if s.status == BuildStatus::Failed {
        "The last build failed".to_owned()
    } else if s.up_to_date {
        "Up to date".to_owned()
    } else {
        "A change is waiting to be built".to_owned()
    };
    let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
            .unwrap_or_else(|| "—".to_owned())
    };
    let running = s.status == BuildStatus::Running;
    let total = s.total.max(1);
    view! {
        <dl class="facts tiles" data-testid="tftp-state">
            <div><dt>"State"</dt><dd data-testid="tftp-status">{state}</dd></div>
            <div><dt>"Files in the folder"</dt><dd data-testid="tftp-files-count">{s.files_in_folder.to_string()}</dd></div>
            <div><dt>"Signed files"</dt><dd data-testid="tftp-signed-count">{s.signed_in_folder.to_string()}</dd></div>
            <div><dt>"CTL file"</dt><dd>{if s.ctl_present { "Present" } else { "None" }}</dd></div>
            <div><dt>"Last build"</dt><dd>{format!("{} files: {} written, {} signed, {} removed", s.total, s.written, s.signed, s.removed)}</dd></div>
            <div><dt>"Finished"</dt><dd>{when(s.finished_at)}</dd></div>
        </dl>
        {running.then(|| view! {
            <p class="job-progress"><label for="tftp-progress">"Build progress"</label>
                <progress id="tftp-progress" max=total value=s.written.min(total)></progress>
            </p>
        })}
        // One line per device whose file was not rebuilt.
        {s.last_error.map(|e| view! { <p class="error-box" role="alert" style="white-space: pre-line" data-testid="tftp-error"><strong>"Error: "</strong>{e}</p> })}
        <div class="table-scroll">
            <table class="data-table" data-testid="tftp-files">
                <caption>{if s.matching as usize > MAX_LISTED { format!("{} matching files (the first {MAX_LISTED} shown)", s.matching) } else { format!("{} matching files", s.matching) }}</caption>
                <thead>
                    <tr><th scope="col">"File"</th><th scope="col">"Size (bytes)"</th><th scope="col">"Signed"</th></tr>
                </thead>
                <tbody>
                    {s.files.into_iter().map(|f| {
                        let href = format!("/api/v1/tftp-files/{}", query_escape(&f.name));
                        view! {
                            <tr>
                                <td><a href=href download>{f.name.clone()}</a></td>
                                <td class="number">{f.size.to_string()}</td>
                                <td>{if f.signed { "Yes" } else { "No" }}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
