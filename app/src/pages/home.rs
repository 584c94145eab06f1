//! The home page: who is logged in, the console's version and the cluster.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::get_home_info;
use crate::domain::access::{Access, FunctionalGroup};
use crate::pages::system::dashboard::SecurityDashboard;

/// The logged-in user, the version and the cluster's name.
#[component]
pub fn HomePage() -> impl IntoView {
    let info = Resource::new(|| (), |_| get_home_info());
    view! {
        <Title text="Home" />
        <h1>"Cisco CallManager Administration"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                info.await
                    .map(|info| {
                        view! {
                            {if info.devices == 0 {
                                Either::Left(view! { <NextSteps may_add=info.user.may(FunctionalGroup::Phone, Access::Write) /> })
                            } else {
                                Either::Right(info.user.may(FunctionalGroup::System, Access::Read).then(|| view! { <SecurityDashboard /> }))
                            }}
                            <dl class="facts">
                                <dt>"User"</dt>
                                <dd data-testid="home-user">{info.user.name}</dd>
                                <dt>"User Groups"</dt>
                                <dd>{info.user.groups.join(", ")}</dd>
                                <dt>"Cluster"</dt>
                                <dd data-testid="cluster-name">{info.cluster_name}</dd>
                                <dt>"Cluster Security Mode"</dt>
                                <dd>{info.cluster_security_mode}</dd>
                                <dt>"Version"</dt>
                                <dd data-testid="version">{info.version}</dd>
                            </dl>
                        }
                    })
                    .map_err(|err| err.to_string())
            })}
        </Suspense>
    }
}

/// What an admin of an empty cluster does next: the publisher, the group `Default` and the pool
/// `Default` exist, so phones can be added or imported at once.
#[component]
fn NextSteps(may_add: bool) -> impl IntoView {
    view! {
        <section class="next-steps" data-testid="next-steps" aria-labelledby="next-steps-title">
            <h2 id="next-steps-title">"This cluster has no devices yet"</h2>
            <p>
                "This node is the publisher, in the CallManager group Default, which the device pool Default uses: a phone can be added at once."
            </p>
            <ol>
                <li>
                    <A href="/add-phone">"Add a phone"</A>
                    {(!may_add).then_some(" (your access rights allow reading only)")}
                </li>
                <li><A href="/bulk-administration">"Import phones from a CSV file"</A>" (Device > Bulk Administration)"</li>
                <li>
                    "Shape the cluster: "<A href="/servers">"servers"</A>", "
                    <A href="/callmanager-groups">"CallManager groups"</A>", "
                    <A href="/device-pools">"device pools"</A>" and "<A href="/regions">"regions"</A>"."
                </li>
                <li>"Secure it step by step: "<A href="/ctl">"Security > CTL"</A>" and the "<A href="/enterprise-parameters">"enterprise parameters"</A>"."</li>
            </ol>
        </section>
    }
}
