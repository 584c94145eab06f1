//! The security dashboard: what the cluster's security actually is right now. Shown on the home
//! page to users who may read System.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::system::get_dashboard;
use crate::components::chart::{BarChart, BarGroup};
use crate::components::form::query_escape;
use crate::domain::dashboard::Dashboard;

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "—".to_owned()
    } else {
        format!("{:.0} %", part as f64 * 100.0 / whole as f64)
    }
}

/// The dashboard's figures, chart and findings.
#[component]
pub fn SecurityDashboard() -> impl IntoView {
    let data = Resource::new(|| (), |_| get_dashboard());
    view! {
        <section class="dashboard" aria-labelledby="dashboard-heading">
            <h2 id="dashboard-heading">"Security Dashboard"</h2>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(d) => Either::Left(view! { <DashboardView d /> }),
                        Err(e) => Either::Right(view! { <p class="error-box" role="alert">{e.to_string()}</p> }),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn DashboardView(d: Dashboard) -> impl IntoView {
    let groups: Vec<BarGroup> = d
        .by_mode
        .iter()
        .map(|m| BarGroup {
            label: m.mode.label().to_owned(),
            values: vec![m.configured, m.effective],
        })
        .collect();
    let rows = d.by_mode.clone();
    let findings = d.findings.clone();
    view! {
        {d.backup_failure.clone().map(|why| view! {
            <p class="warning-box" data-testid="backup-failure"><strong>"The last scheduled backup failed: "</strong>
                {why} " " <a href="/disaster-recovery">"Disaster Recovery"</a>
            </p>
        })}
        <dl class="facts tiles" data-testid="dashboard-figures">
            <div>
                <dt>"Cluster Security Mode"</dt>
                <dd data-testid="dash-cluster-mode">{d.cluster_mode.label()}</dd>
            </div>
            <div>
                <dt>"Devices"</dt>
                <dd data-testid="dash-devices">{d.devices.to_string()}</dd>
            </div>
            <div>
                <dt>"Running Authenticated or Encrypted"</dt>
                <dd data-testid="dash-secure-devices">{d.secure_devices.to_string()}</dd>
            </div>
            <div>
                <dt>"Secure SRST coverage (R9)"</dt>
                <dd data-testid="dash-secure-srst">
                    {format!("{} of {} ({})", d.secure_srst_devices, d.secure_devices, percent(d.secure_srst_devices, d.secure_devices))}
                </dd>
            </div>
            <div>
                <dt>"SRST references marked secure"</dt>
                <dd data-testid="dash-secure-references">{format!("{} of {}", d.secure_references, d.references)}</dd>
            </div>
            <div>
                <dt>"Required actions pending"</dt>
                <dd data-testid="dash-pending">{d.pending_actions.to_string()}</dd>
            </div>
        </dl>
        <table class="data-table" data-testid="dash-lsc">
            <caption>"Devices by LSC status (CAPF)"</caption>
            <thead>
                <tr><th scope="col">"LSC status"</th><th scope="col">"Devices"</th></tr>
            </thead>
            <tbody>
                {d.lsc.iter().map(|(f, n)| {
                    let href = format!("/phones?lsc_status={}", query_escape(f.label()));
                    view! {
                        <tr>
                            <th scope="row"><a href=href>{f.label()}</a></th>
                            <td>{n.to_string()}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        <div class="dashboard-modes">
            <BarChart
                title="Devices by security mode: configured (solid) and effective (hatched)".to_owned()
                series=vec!["Configured", "Effective"]
                groups
            />
            <table class="data-table" data-testid="dash-modes">
                <caption>"Devices by security mode"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Mode"</th>
                        <th scope="col">"Configured"</th>
                        <th scope="col">"Effective"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|m| {
                        let href = format!("/phones?effective={}", m.mode.key());
                        view! {
                            <tr data-mode=m.mode.key()>
                                <th scope="row">{m.mode.label()}</th>
                                <td class="number configured">{m.configured.to_string()}</td>
                                <td class="number effective"><A href=href>{m.effective.to_string()}</A></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <table class="data-table findings" data-testid="dash-findings">
            <caption>"Findings"</caption>
            <thead>
                <tr>
                    <th scope="col">"Rule"</th>
                    <th scope="col">"Finding"</th>
                    <th scope="col">"Count"</th>
                </tr>
            </thead>
            <tbody>
                {findings.into_iter().map(|f| {
                    let rule = f.rule.clone();
                    view! {
                        <tr data-rule=rule>
                            <td>{f.rule.clone()}</td>
                            <td>{f.title.clone()}</td>
                            <td class="number"><A href=f.link.clone()>{f.count.to_string()}</A></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
