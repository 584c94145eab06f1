//! The page shell of every logged-in page: banner with the user, menu bar by area, content.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};
use leptos_router::hooks::use_location;

use crate::api::{get_current_user, Logout};
use crate::error::AppError;
use crate::model::CurrentUser;
use crate::pages::menu;
use crate::PRODUCT_NAME;

/// The shell around every logged-in page. The session is checked again on every navigation, so a
/// session that ended on the server sends the browser to the login page, and a user who must
/// change their password is kept on that page.
#[component]
pub fn Layout() -> impl IntoView {
    let location = use_location();
    let user = Resource::new(move || location.pathname.get(), |_| get_current_user());
    view! {
        <a class="skip-link" href="#content">"Skip to content"</a>
        <header class="banner">
            <div class="brand">
                <span class="product">{PRODUCT_NAME}</span>
                <span class="subtitle">"Cisco CallManager Administration"</span>
            </div>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(user) => {
                            let path = location.pathname.get_untracked();
                            let must_change = user.must_change_password
                                && path != "/change-password";
                            Either::Left(
                                view! {
                                    <UserBadge user />
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
        </header>
        <MenuBar />
        <main id="content" class="content">
            <Outlet />
        </main>
    }
}

/// The logged-in user and the logout button.
#[component]
fn UserBadge(user: CurrentUser) -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    view! {
        <div class="user-badge">
            <span class="logged-in">
                "Logged in as " <strong data-testid="current-user">{user.name.clone()}</strong>
            </span>
            <ActionForm action=logout>
                <button type="submit" class="link-button">
                    "Log Out"
                </button>
            </ActionForm>
        </div>
    }
}

/// Shown when the session check failed: an ended session goes to the login page.
#[component]
fn SessionEnded(error: AppError) -> impl IntoView {
    match error {
        AppError::Unauthenticated => Either::Left(view! { <Redirect path="/login" /> }),
        other => Either::Right(view! {
            <p class="error-box" role="alert">
                {other.to_string()}
            </p>
        }),
    }
}

/// The menu bar: one menu per area that has pages, each listing its pages.
#[component]
fn MenuBar() -> impl IntoView {
    view! {
        <nav class="menu-bar" aria-label="Main menu">
            <ul class="menu-areas">
                <li>
                    <A href="/">"Home"</A>
                </li>
                {menu::areas()
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
