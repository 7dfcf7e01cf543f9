//! Entry point of the Switchboard desktop app.
fn main() {
    eprintln!(
        "Switchboard desktop shell (protocol {}): the app is not built yet; run `switchboard-hub --demo` for the hub.",
        switchboard_app::PROTOCOL_VERSION
    );
}
