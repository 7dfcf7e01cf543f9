//! Small line icons as inline SVG (shapes after Feather, MIT), so the UI
//! needs no icon font and no emoji font.

use dioxus::prelude::*;

/// Which icon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Icon {
    /// Notifications.
    Bell,
    /// Internal note.
    Lock,
    /// Attach a file.
    Clip,
    /// Details panel.
    Info,
    /// A reply.
    Chat,
    /// An image.
    Image,
    /// Settings.
    Gear,
}

/// An icon at text size.
#[component]
pub fn Svg(icon: Icon) -> Element {
    let body = match icon {
        Icon::Bell => rsx! {
            path { d: "M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9" }
            path { d: "M13.73 21a2 2 0 0 1-3.46 0" }
        },
        Icon::Lock => rsx! {
            rect { x: "5", y: "11", width: "14", height: "10", rx: "2" }
            path { d: "M8 11V7a4 4 0 0 1 8 0v4" }
        },
        Icon::Clip => rsx! {
            path { d: "M21.44 11.05l-9.19 9.19a6 6 0 0 1-8.49-8.49l9.19-9.19a4 4 0 0 1 5.66 5.66l-9.2 9.19a2 2 0 0 1-2.83-2.83l8.49-8.48" }
        },
        Icon::Info => rsx! {
            circle { cx: "12", cy: "12", r: "10" }
            path { d: "M12 16v-4M12 8h.01" }
        },
        Icon::Chat => rsx! {
            path { d: "M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z" }
        },
        Icon::Image => rsx! {
            rect { x: "3", y: "3", width: "18", height: "18", rx: "2" }
            circle { cx: "8.5", cy: "8.5", r: "1.5" }
            path { d: "M21 15l-5-5L5 21" }
        },
        Icon::Gear => rsx! {
            circle { cx: "12", cy: "12", r: "3" }
            path { d: "M19.4 15a1.65 1.65 0 0 0 .33 1.82l.06.06a2 2 0 1 1-2.83 2.83l-.06-.06a1.65 1.65 0 0 0-1.82-.33 1.65 1.65 0 0 0-1 1.51V21a2 2 0 1 1-4 0v-.09A1.65 1.65 0 0 0 9 19.4a1.65 1.65 0 0 0-1.82.33l-.06.06a2 2 0 1 1-2.83-2.83l.06-.06A1.65 1.65 0 0 0 4.68 15a1.65 1.65 0 0 0-1.51-1H3a2 2 0 1 1 0-4h.09A1.65 1.65 0 0 0 4.6 9a1.65 1.65 0 0 0-.33-1.82l-.06-.06a2 2 0 1 1 2.83-2.83l.06.06A1.65 1.65 0 0 0 9 4.68a1.65 1.65 0 0 0 1-1.51V3a2 2 0 1 1 4 0v.09a1.65 1.65 0 0 0 1 1.51 1.65 1.65 0 0 0 1.82-.33l.06-.06a2 2 0 1 1 2.83 2.83l-.06.06A1.65 1.65 0 0 0 19.4 9a1.65 1.65 0 0 0 1.51 1H21a2 2 0 1 1 0 4h-.09a1.65 1.65 0 0 0-1.51 1z" }
        },
    };
    rsx! {
        svg {
            class: "icon",
            view_box: "0 0 24 24",
            width: "1em",
            height: "1em",
            fill: "none",
            stroke: "currentColor",
            stroke_width: "2",
            stroke_linecap: "round",
            stroke_linejoin: "round",
            "aria-hidden": "true",
            {body}
        }
    }
}
