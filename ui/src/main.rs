//! Entry point of the UI (wasm32): mounts the app on `#main`.

fn main() {
    dioxus::launch(switchboard_ui::app::App);
}
