"""The frame of every signed-in page: a sidebar with the app's sections and the signed-in user, a top bar,
and the page's heading.

`@template(route=..., title=..., on_load=...)` wraps a page body in that frame and registers the page,
so pages stay small and the layout lives in one place.
"""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx
from reflex.event import EventType

from reachimpact import routes
from reachimpact.state.app import AppState

APP_NAME = "ReachImpact"
SIDEBAR_WIDTH = "15em"


def _brand() -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.image(src="/logo.svg", width="28px", height="28px", alt=""),
            rx.text(APP_NAME, size="5", weight="bold"),
            align="center",
            spacing="2",
        ),
        href=routes.DASHBOARD,
        underline="none",
        color_scheme="gray",
        high_contrast=True,
    )


def _nav_link(item: routes.NavItem, *, active: bool) -> rx.Component:
    # The active section is known when the page is compiled: each page gets its own highlighted sidebar.
    current = {"aria_current": "page"} if active else {}
    return rx.link(
        rx.hstack(
            rx.icon(item.icon, size=18),
            rx.text(item.label, size="3", weight="medium" if active else "regular"),
            align="center",
            spacing="3",
            padding_x="0.75em",
            padding_y="0.5em",
            border_radius="var(--radius-2)",
            width="100%",
            background_color=rx.color("accent", 3) if active else "transparent",
            color=rx.color("accent", 11) if active else rx.color("gray", 11),
            _hover={"background_color": rx.color("accent", 4) if active else rx.color("gray", 3)},
        ),
        href=item.route,
        underline="none",
        width="100%",
        **current,
    )


# Long names are cut with an ellipsis rather than widening the sidebar.
_ONE_LINE = {"white_space": "nowrap", "overflow": "hidden", "text_overflow": "ellipsis", "width": "100%"}


def _account() -> rx.Component:
    """Who is signed in, in which organization, and the way out."""
    return rx.cond(
        AppState.user_name != "",
        rx.vstack(
            rx.hstack(
                rx.avatar(fallback=AppState.user_name[:1], size="2", radius="full"),
                rx.vstack(
                    rx.text(
                        AppState.user_name, size="2", weight="medium", class_name="user-name", **_ONE_LINE
                    ),
                    rx.text(AppState.organization_name, size="1", color_scheme="gray", **_ONE_LINE),
                    spacing="0",
                    min_width="0",
                    flex="1",
                ),
                align="center",
                spacing="2",
                width="100%",
            ),
            rx.button(
                rx.icon("log-out", size=16),
                "Sign out",
                on_click=AppState.logout,
                variant="soft",
                color_scheme="gray",
                width="100%",
            ),
            spacing="3",
            width="100%",
            padding_top="0.75em",
            border_top=f"1px solid {rx.color('gray', 5)}",
            class_name="account",
        ),
    )


def _in_section(item: routes.NavItem, route: str) -> bool:
    """Whether `route` is the section's page or one below it (/contacts/<id> is under Contacts)."""
    return route == item.route or (item.route != "/" and route.startswith(item.route + "/"))


def sidebar(active_route: str) -> rx.Component:
    return rx.vstack(
        rx.box(_brand(), padding_x="0.75em", padding_y="1em"),
        rx.el.nav(
            rx.vstack(
                *[_nav_link(item, active=_in_section(item, active_route)) for item in routes.NAVIGATION],
                spacing="1",
                width="100%",
            ),
            aria_label="Main",
            width="100%",
        ),
        rx.spacer(),
        _account(),
        padding="0.75em",
        width=SIDEBAR_WIDTH,
        min_width=SIDEBAR_WIDTH,
        height="100vh",
        position="sticky",
        top="0",
        border_right=f"1px solid {rx.color('gray', 5)}",
        background_color=rx.color("gray", 2),
        display=["none", "none", "flex"],
        class_name="sidebar",
    )


def _mobile_menu(active_route: str) -> rx.Component:
    """The sections as a menu, for screens too narrow for the sidebar."""
    return rx.box(
        rx.menu.root(
            rx.menu.trigger(rx.icon_button(rx.icon("menu"), variant="ghost", aria_label="Open navigation")),
            rx.menu.content(
                *[
                    rx.menu.item(
                        rx.link(item.label, href=item.route, underline="none", color="inherit", width="100%"),
                        color=rx.color("accent", 11) if _in_section(item, active_route) else None,
                    )
                    for item in routes.NAVIGATION
                ],
                rx.menu.separator(),
                rx.menu.item("Sign out", on_click=AppState.logout),
            ),
        ),
        display=["block", "block", "none"],
    )


def top_bar(active_route: str) -> rx.Component:
    return rx.el.header(
        rx.hstack(
            _mobile_menu(active_route),
            rx.box(_brand(), display=["block", "block", "none"]),
            rx.spacer(),
            rx.cond(
                AppState.organization_name != "",
                rx.hstack(
                    rx.icon("building-2", size=16, color=rx.color("gray", 10)),
                    rx.text(
                        AppState.organization_name,
                        size="2",
                        color_scheme="gray",
                        class_name="organization-name",
                    ),
                    align="center",
                    spacing="2",
                ),
            ),
            align="center",
            width="100%",
            padding_x="1.5em",
            padding_y="0.75em",
            border_bottom=f"1px solid {rx.color('gray', 5)}",
        ),
        width="100%",
    )


def template(
    route: str,
    title: str,
    on_load: EventType[()] | None = None,
    description: str = "",
) -> Callable[[Callable[[], rx.Component]], Callable[[], rx.Component]]:
    """Register the decorated page body at `route`, framed by the layout, with `title` as its heading."""

    def decorator(page_body: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
        def framed_page() -> rx.Component:
            return rx.flex(
                sidebar(route),
                rx.flex(
                    top_bar(route),
                    rx.el.main(
                        rx.vstack(
                            rx.vstack(
                                rx.heading(title, as_="h1", size="7"),
                                *([rx.text(description, color_scheme="gray")] if description else []),
                                spacing="1",
                            ),
                            page_body(),
                            spacing="5",
                            width="100%",
                            max_width="72em",
                            padding="1.5em",
                        ),
                        width="100%",
                    ),
                    direction="column",
                    flex="1",
                    min_width="0",
                ),
                width="100%",
                min_height="100vh",
            )

        framed_page.__name__ = page_body.__name__
        rx.page(route=route, title=f"{title} · {APP_NAME}", description=description or None, on_load=on_load)(
            framed_page
        )
        return framed_page

    return decorator
