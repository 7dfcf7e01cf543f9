//! One instance per data directory, and the window where the agent left it.
//!
//! The first instance holds an exclusive lock on `<data dir>/instance.lock`
//! and listens on a loopback port written to `<data dir>/instance.port`; a
//! second launch finds the lock taken, asks the first to come to the front,
//! and exits. The window's size and position go to `<data dir>/window.json`.

use std::{
    fs::File,
    io::{Read, Write},
    net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream},
    path::{Path, PathBuf},
    time::Duration,
};

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, PhysicalPosition, PhysicalSize, Runtime, WebviewWindow};

/// What the lock decided.
#[derive(Debug)]
pub enum Instance {
    /// This is the only instance: keep the guard for the life of the app.
    First(Guard),
    /// Another instance runs (and was asked to show itself).
    Second,
}

/// Holds the lock and the wake-up listener.
#[derive(Debug)]
pub struct Guard {
    _lock: File,
    listener: TcpListener,
}

const WAKE: &[u8] = b"show\n";

/// Takes the data directory's instance lock, or wakes the instance holding it.
pub fn acquire(data_dir: &Path) -> std::io::Result<Instance> {
    std::fs::create_dir_all(data_dir)?;
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(data_dir.join("instance.lock"))?;
    for _ in 0..20 {
        if lock.try_lock().is_ok() {
            let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
            std::fs::write(
                data_dir.join("instance.port"),
                listener.local_addr()?.port().to_string(),
            )?;
            return Ok(Instance::First(Guard {
                _lock: lock,
                listener,
            }));
        }
        if wake(data_dir) {
            return Ok(Instance::Second);
        }
        // The holder is starting or ending: ask again shortly.
        std::thread::sleep(Duration::from_millis(150));
    }
    Err(std::io::Error::other(
        "another Switchboard holds this data directory and does not answer",
    ))
}

fn wake(data_dir: &Path) -> bool {
    let Some(port) = std::fs::read_to_string(data_dir.join("instance.port"))
        .ok()
        .and_then(|p| p.trim().parse::<u16>().ok())
    else {
        return false;
    };
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(WAKE).is_err() {
        return false;
    }
    // The first instance answers once it has shown itself.
    let mut ok = [0u8; 3];
    s.read_exact(&mut ok).is_ok() && &ok == b"ok\n"
}

impl Guard {
    /// Shows the window whenever a second launch asks.
    pub fn serve<R: Runtime>(self, app: AppHandle<R>) {
        std::thread::spawn(move || {
            let _lock = self._lock;
            for conn in self.listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
                let mut buf = [0u8; 5];
                if conn.read_exact(&mut buf).is_ok() && buf == WAKE {
                    tracing::info!("a second launch: showing this window instead");
                    crate::notify::open_at(&app, None);
                    let _ = conn.write_all(b"ok\n");
                }
            }
        });
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_instance_wakes_the_first_and_a_released_lock_is_taken() {
        let dir = std::env::temp_dir().join(format!("sb-instance-{}", uuid::Uuid::new_v4()));
        let Instance::First(guard) = acquire(&dir).unwrap() else {
            panic!("the first takes the lock");
        };
        // A stand-in for the app: answer one wake-up.
        let listener = guard.listener.try_clone().unwrap();
        let answered = std::thread::spawn(move || {
            let (mut c, _) = listener.accept().unwrap();
            let mut buf = [0u8; 5];
            c.read_exact(&mut buf).unwrap();
            c.write_all(b"ok\n").unwrap();
            buf
        });
        assert!(matches!(acquire(&dir).unwrap(), Instance::Second));
        assert_eq!(&answered.join().unwrap(), WAKE);
        drop(guard);
        assert!(matches!(acquire(&dir).unwrap(), Instance::First(_)));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
