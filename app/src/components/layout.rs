//! The page shell of every logged-in page: banner with the user, menu bar by area (only what the
//! user may read), content.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};
use leptos_router::hooks::use_location;

use crate::api::jobs::pending_count;
use crate::api::{get_current_user, Logout};
use crate::domain::access::Access;
use crate::error::AppError;
use crate::model::CurrentUser;
use crate::pages::menu;
use crate::PRODUCT_NAME;

/// The logged-in user, loaded by the shell on every navigation; pages read it from context.
#[derive(Debug, Clone, Copy)]
pub struct UserResource(pub Resource<Result<CurrentUser, AppError>>);

/// The logged-in user resource of the shell.
pub fn use_current_user() -> Resource<Result<CurrentUser, AppError>> {
    match use_context::<UserResource>() {
        Some(UserResource(resource)) => resource,
        None => Resource::new(|| (), |_| get_current_user()),
    }
}

/// The shell around every logged-in page. The session is checked again on every navigation, so a
/// session that ended on the server sends the browser to the login page, and a user who must
/// change their password is kept on that page.
#[component]
pub fn Layout() -> impl IntoView {
    let location = use_location();
    let user = Resource::new(move || location.pathname.get(), |_| get_current_user());
    provide_context(UserResource(user));
    let tick = RwSignal::new(0u32);
    let pending = RwSignal::new(None::<usize>);
    let counted = LocalResource::new(move || {
        let _ = (location.pathname.get(), tick.get());
        pending_count()
    });
    Effect::new(move |_| {
        if let Some(Ok(n)) = counted.get() {
            pending.set(n);
        }
    });
    #[cfg(feature = "hydrate")]
    {
        let handle = set_interval_with_handle(
            move || tick.update(|t| *t = t.wrapping_add(1)),
            std::time::Duration::from_secs(2),
        );
        on_cleanup(move || {
            if let Ok(h) = handle {
                h.clear();
            }
        });
    }
    view! {
        <a class="skip-link" href="#content">"Skip to content"</a>
        <Transition fallback=|| view! { <header class="banner"></header> }>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(user) => {
                        let path = location.pathname.get_untracked();
                        let must_change = user.must_change_password && path != "/change-password";
                        Either::Left(
                            view! {
                                <Banner user=user.clone() />
                                <PendingBanner count=pending />
                                <MenuBar user />
                                <Show when=move || must_change>
                                    <Redirect path="/change-password" />
                                </Show>
                            },
                        )
                    }
                    Err(error) => Either::Right(view! { <SessionEnded error /> }),
                }
            })}
        </Transition>
        <main id="content" class="content">
            <Outlet />
        </main>
    }
}

/// The product name, the logged-in user, their own pages and the logout button.
#[component]
fn Banner(user: CurrentUser) -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    view! {
        <header class="banner">
            <div class="brand">
                <span class="product">{PRODUCT_NAME}</span>
                <span class="subtitle">"Cisco CallManager Administration"</span>
            </div>
            <div class="user-badge">
                <span class="logged-in">
                    "Logged in as " <strong data-testid="current-user">{user.name.clone()}</strong>
                </span>
                <A href="/change-password" attr:class="banner-link">
                    "Change Password"
                </A>
                <A href="/tokens" attr:class="banner-link">
                    "API Tokens"
                </A>
                <ActionForm action=logout>
                    <button type="submit" class="link-button">
                        "Log Out"
                    </button>
                </ActionForm>
            </div>
        </header>
    }
}

/// "N actions required" above the menu, for users who may carry them out (Phone or
/// ServiceManagement, Full Access). The count is read in the browser only (after hydration), on
/// every navigation and every two seconds, so it follows edits made in any page.
#[component]
fn PendingBanner(count: RwSignal<Option<usize>>) -> impl IntoView {
    move || {
        count.get().filter(|n| *n > 0).map(|n| view! {
            <p class="pending-banner" role="status" data-testid="pending-banner" data-count=n>
                <strong>{if n == 1 { "1 action required".to_owned() } else { format!("{n} actions required") }}</strong>
                " — "
                <A href="/pending-actions">"see Pending Actions"</A>
            </p>
        })
    }
}

/// Shown when the session check failed: an ended session goes to the login page.
#[component]
fn SessionEnded(error: AppError) -> impl IntoView {
    match error {
        AppError::Unauthenticated => Either::Left(view! { <Redirect path="/login" /> }),
        other => Either::Right(view! {
            <header class="banner">
                <p class="error-box" role="alert">
                    {other.to_string()}
                </p>
            </header>
        }),
    }
}

/// The menu bar: one menu per area with pages the user may read.
#[component]
fn MenuBar(user: CurrentUser) -> impl IntoView {
    let areas = menu::areas(|group| user.may(group, Access::Read));
    view! {
        <nav class="menu-bar" aria-label="Main menu">
            <ul class="menu-areas">
                <li>
                    <A href="/">"Home"</A>
                </li>
                {areas
                    .into_iter()
                    .map(|(area, entries)| {
                        view! {
                            <li class="menu-area">
                                <button type="button" class="menu-title" aria-haspopup="true">
                                    {area.label()}
                                </button>
                                <ul class="menu-items" aria-label=area.label()>
                                    {entries
                                        .into_iter()
                                        .map(|entry| {
                                            view! {
                                                <li>
                                                    <A href=entry.path>{entry.label}</A>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </nav>
    }
}
