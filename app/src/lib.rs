//! The ccmadmin application, compiled twice: with `ssr` into the server (pages rendered to HTML,
//! server functions, services, store) and with `hydrate` into the browser's WASM.

pub mod api;
#[cfg(feature = "ssr")]
pub mod backup;
#[cfg(feature = "ssr")]
pub mod capf;
pub mod components;
pub mod domain;
pub mod error;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod tftp;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

use crate::components::layout::Layout;
use crate::pages::device::bulk_admin::BulkAdministrationPage;
use crate::pages::device::jobs::{JobPage, JobsPage};
use crate::pages::device::pending::PendingActionsPage;
use crate::pages::device::phone::{AddPhonePage, PhonePage};
use crate::pages::device::phones::FindPhonesPage;
use crate::pages::security::certificates::CertificatesPage;
use crate::pages::security::ctl::CtlPage;
use crate::pages::security::tftp_files::TftpFilesPage;
use crate::pages::service::parameters::ServiceParametersPage;
use crate::pages::serviceability::activation::ServiceActivationPage;
use crate::pages::serviceability::control_center::ControlCenterPage;
use crate::pages::serviceability::disaster_recovery::DisasterRecoveryPage;
use crate::pages::system::callmanager_groups::{
    AddCallManagerGroupPage, CallManagerGroupPage, CallManagerGroupsPage,
};
use crate::pages::system::device_pools::{AddDevicePoolPage, DevicePoolPage, DevicePoolsPage};
use crate::pages::system::parameters::EnterpriseParametersPage;
use crate::pages::system::regions::{AddRegionPage, RegionPage, RegionsPage};
use crate::pages::system::servers::{AddServerPage, ServerPage, ServersPage};
use crate::pages::system::srst::{AddSrstPage, SrstListPage, SrstPage};
use crate::pages::user::access::{
    AddUserGroupPage, AssignPrivilegesPage, FunctionalGroupsPage, PrivilegeReportPage,
    UserGroupPage, UserGroupsPage,
};
use crate::pages::user::audit::AuditPage;
use crate::pages::user::tokens::TokensPage;
use crate::pages::user::users::{AddUserPage, UserPage, UsersPage};
use crate::pages::{
    change_password::ChangePasswordPage, home::HomePage, login::LoginPage, not_found::NotFound,
};

/// The product name shown in the banner and the title.
pub const PRODUCT_NAME: &str = "CCM Admin";

/// The HTML document around the application, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.ico" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The application: routes to every page.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/ccmadmin.css" />
        <Title formatter=|page: String| format!("{page} — {PRODUCT_NAME}") />
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/login") view=LoginPage />
                <ParentRoute path=path!("") view=Layout>
                    <Route path=path!("/") view=HomePage />
                    <Route path=path!("/change-password") view=ChangePasswordPage />
                    <Route path=path!("/tokens") view=TokensPage />
                    <Route path=path!("/users") view=UsersPage />
                    <Route path=path!("/users/:name") view=UserPage />
                    <Route path=path!("/add-user") view=AddUserPage />
                    <Route
                        path=path!("/access-rights/functional-groups")
                        view=FunctionalGroupsPage
                    />
                    <Route path=path!("/access-rights/user-groups") view=UserGroupsPage />
                    <Route path=path!("/access-rights/user-groups/:name") view=UserGroupPage />
                    <Route path=path!("/access-rights/add-user-group") view=AddUserGroupPage />
                    <Route
                        path=path!("/access-rights/assign-privileges")
                        view=AssignPrivilegesPage
                    />
                    <Route
                        path=path!("/access-rights/privilege-report")
                        view=PrivilegeReportPage
                    />
                    <Route path=path!("/audit") view=AuditPage />
                    <Route path=path!("/phones") view=FindPhonesPage />
                    <Route path=path!("/phones/:name") view=PhonePage />
                    <Route path=path!("/add-phone") view=AddPhonePage />
                    <Route path=path!("/bulk-administration") view=BulkAdministrationPage />
                    <Route path=path!("/srst") view=SrstListPage />
                    <Route path=path!("/srst/:name") view=SrstPage />
                    <Route path=path!("/add-srst") view=AddSrstPage />
                    <Route path=path!("/enterprise-parameters") view=EnterpriseParametersPage />
                    <Route path=path!("/servers") view=ServersPage />
                    <Route path=path!("/servers/:name") view=ServerPage />
                    <Route path=path!("/add-server") view=AddServerPage />
                    <Route path=path!("/callmanager-groups") view=CallManagerGroupsPage />
                    <Route path=path!("/callmanager-groups/:name") view=CallManagerGroupPage />
                    <Route path=path!("/add-callmanager-group") view=AddCallManagerGroupPage />
                    <Route path=path!("/device-pools") view=DevicePoolsPage />
                    <Route path=path!("/device-pools/:name") view=DevicePoolPage />
                    <Route path=path!("/add-device-pool") view=AddDevicePoolPage />
                    <Route path=path!("/regions") view=RegionsPage />
                    <Route path=path!("/regions/:name") view=RegionPage />
                    <Route path=path!("/add-region") view=AddRegionPage />
                    <Route path=path!("/service-parameters") view=ServiceParametersPage />
                    <Route path=path!("/service-activation") view=ServiceActivationPage />
                    <Route path=path!("/certificates") view=CertificatesPage />
                    <Route path=path!("/ctl") view=CtlPage />
                    <Route path=path!("/tftp-files") view=TftpFilesPage />
                    <Route path=path!("/pending-actions") view=PendingActionsPage />
                    <Route path=path!("/jobs") view=JobsPage />
                    <Route path=path!("/jobs/:id") view=JobPage />
                    <Route path=path!("/control-center") view=ControlCenterPage />
                    <Route path=path!("/disaster-recovery") view=DisasterRecoveryPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
