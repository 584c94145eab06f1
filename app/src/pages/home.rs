//! The home page: who is logged in, the console's version and the cluster.

use leptos::prelude::*;
use leptos_meta::Title;

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
                            {info.user.may(FunctionalGroup::System, Access::Read).then(|| view! { <SecurityDashboard /> })}
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
