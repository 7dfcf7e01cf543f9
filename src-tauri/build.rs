//! Build script of the desktop app (Tauri's build step comes with the app).
fn main() {}
