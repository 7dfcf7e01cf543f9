//! Build script of the desktop app: Tauri's build step (config, capabilities, icons).
fn main() {
    tauri_build::build();
}
