//! One instance per data directory.
//!
//! The first instance holds an exclusive lock on `<data dir>/instance.lock`
//! and listens on a loopback port written to `<data dir>/instance.port`; a
//! second launch finds the lock taken, asks the first to come to the front,
//! and exits.

use std::{
    fs::File,
    io::{Read, Write},
    net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream},
    path::Path,
    time::Duration,
};

use tauri::{AppHandle, Runtime};

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
                    crate::window::open_at(&app, None);
                    let _ = conn.write_all(b"ok\n");
                }
            }
        });
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
