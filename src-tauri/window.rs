//! The main window: bringing it up (at a chat), and its size and place,
//! kept in `<data dir>/window.json` and restored at start. Every other part
//! of the shell goes through here to show or focus the window.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use switchboard_model::ipc::events::OpenChat;
use tauri::{AppHandle, Manager, PhysicalPosition, PhysicalSize, Runtime, WebviewWindow};

/// Brings the window up at a chat.
pub fn open_at<R: Runtime>(app: &AppHandle<R>, chat_id: Option<String>) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
    }
    if let Some(id) = chat_id {
        let _ = crate::error::emit::<OpenChat, _>(app, &id);
    }
}

/// The window's place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Geometry {
    /// Left, physical pixels.
    pub x: i32,
    /// Top.
    pub y: i32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
    /// Maximized.
    pub maximized: bool,
}

fn geometry_path(data_dir: &Path) -> PathBuf {
    data_dir.join("window.json")
}

/// Saves where the window is.
pub fn save_geometry<R: Runtime>(window: &tauri::Window<R>, data_dir: &Path) {
    let (Ok(pos), Ok(size)) = (window.outer_position(), window.inner_size()) else {
        return;
    };
    if size.width == 0 || size.height == 0 || window.is_minimized().unwrap_or(false) {
        return;
    }
    let g = Geometry {
        x: pos.x,
        y: pos.y,
        width: size.width,
        height: size.height,
        maximized: window.is_maximized().unwrap_or(false),
    };
    if let Ok(json) = serde_json::to_vec(&g) {
        let _ = std::fs::write(geometry_path(data_dir), json);
    }
}

/// Puts the window back where it was (if that still fits a screen).
pub fn restore_geometry<R: Runtime>(window: &WebviewWindow<R>, data_dir: &Path) {
    let Some(g) = std::fs::read(geometry_path(data_dir))
        .ok()
        .and_then(|b| serde_json::from_slice::<Geometry>(&b).ok())
    else {
        return;
    };
    if g.width < 400 || g.height < 300 {
        return;
    }
    let on_a_screen = window.available_monitors().is_ok_and(|ms| {
        ms.iter().any(|m| {
            let (p, s) = (m.position(), m.size());
            g.x >= p.x - 50
                && g.y >= p.y - 50
                && g.x < p.x + s.width as i32 - 50
                && g.y < p.y + s.height as i32 - 50
        })
    });
    let _ = window.set_size(PhysicalSize::new(g.width, g.height));
    if on_a_screen {
        let _ = window.set_position(PhysicalPosition::new(g.x, g.y));
    }
    if g.maximized {
        let _ = window.maximize();
    }
}

/// Restores the main window's place at start.
pub fn restore_main<R: Runtime>(app: &AppHandle<R>, data_dir: &Path) {
    if let Some(w) = app.get_webview_window("main") {
        restore_geometry(&w, data_dir);
    }
}
