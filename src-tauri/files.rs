//! Links and files from messages, handed to the system: a link opens in
//! the default browser (http and https only); a file that cannot run code
//! is downloaded from the signed-in server into the data directory's
//! `downloads/` and opened with its default application. Nothing here
//! decides from what the sender claimed: the name's real extension does.

use std::path::{Path, PathBuf};

use switchboard_model::files::{display_name, opens_safely};
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_dialog::DialogExt;
use tauri_plugin_opener::OpenerExt;

use crate::error::{CommandError, CommandResult, ErrorCode};

/// The folder opened files are copied to (emptied at each start).
pub fn downloads_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("downloads")
}

/// Removes the copies an earlier run opened.
pub fn clear_downloads(data_dir: &Path) {
    let dir = downloads_dir(data_dir);
    if dir.exists()
        && let Err(e) = std::fs::remove_dir_all(&dir)
    {
        tracing::warn!(error = %e, dir = %dir.display(), "could not clear the downloads folder");
    }
}

/// Checks that `url` is a web link (http or https, with a host).
pub fn web_link(url: &str) -> CommandResult<url::Url> {
    let parsed = url::Url::parse(url)
        .map_err(|e| CommandError::new(ErrorCode::Invalid, format!("not a link: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(CommandError::new(
            ErrorCode::Invalid,
            "only http and https links are opened".to_owned(),
        ));
    }
    Ok(parsed)
}

/// Opens a web link in the system's browser.
pub fn open_link<R: Runtime>(app: &AppHandle<R>, url: &str) -> CommandResult<()> {
    let url = web_link(url)?;
    tracing::info!(host = url.host_str().unwrap_or_default(), "opening a link");
    app.opener()
        .open_url(url.as_str(), None::<&str>)
        .map_err(|e| CommandError::new(ErrorCode::Shell, format!("the browser could not be started: {e}")))
}

/// Refuses a file that could run code (it can only be saved).
pub fn refuse_unsafe(file_name: &str) -> CommandResult<()> {
    if opens_safely(file_name) {
        return Ok(());
    }
    Err(CommandError::new(
        ErrorCode::Invalid,
        format!(
            "{} could run code: save it instead of opening it",
            display_name(file_name)
        ),
    ))
}

/// Writes `bytes` as `file_name` in a folder of its own under `downloads/`
/// and opens it with the default application. A file that could run code
/// is refused: it can only be saved.
pub fn open_file<R: Runtime>(
    app: &AppHandle<R>,
    data_dir: &Path,
    file_name: &str,
    bytes: &[u8],
) -> CommandResult<PathBuf> {
    refuse_unsafe(file_name)?;
    let dir = downloads_dir(data_dir).join(uuid::Uuid::new_v4().to_string());
    let path = dir.join(display_name(file_name));
    std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&path, bytes))
        .map_err(|e| CommandError::new(ErrorCode::Store, format!("the file could not be written: {e}")))?;
    app.opener()
        .open_path(path.display().to_string(), None::<&str>)
        .map_err(|e| CommandError::new(ErrorCode::Shell, format!("no application opened it: {e}")))?;
    Ok(path)
}

/// The image on the system clipboard as PNG, if it holds one (a
/// screenshot taken with the system's tool, say).
pub fn clipboard_png() -> CommandResult<Option<Vec<u8>>> {
    let shell =
        |e: &dyn std::fmt::Display| CommandError::new(ErrorCode::Shell, format!("the clipboard: {e}"));
    let mut clipboard = arboard::Clipboard::new().map_err(|e| shell(&e))?;
    let image = match clipboard.get_image() {
        Ok(i) => i,
        Err(arboard::Error::ContentNotAvailable) => return Ok(None),
        Err(e) => return Err(shell(&e)),
    };
    encode_png(image.width as u32, image.height as u32, &image.bytes).map(Some)
}

/// Encodes 8-bit RGBA pixels as a PNG.
pub fn encode_png(width: u32, height: u32, rgba: &[u8]) -> CommandResult<Vec<u8>> {
    let fail = |e: png::EncodingError| CommandError::new(ErrorCode::Invalid, format!("not an image: {e}"));
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(fail)?;
    writer.write_image_data(rgba).map_err(fail)?;
    writer.finish().map_err(fail)?;
    Ok(out)
}

/// Asks where to save `file_name` with the system's save dialog (in the
/// Downloads folder, under the file's real name). `None`: cancelled.
pub async fn ask_where_to_save<R: Runtime>(
    app: &AppHandle<R>,
    file_name: &str,
) -> CommandResult<Option<PathBuf>> {
    let name = display_name(file_name);
    let mut dialog = app.dialog().file().set_title(&name).set_file_name(&name);
    if let Some(dir) = dirs::download_dir().filter(|d| d.is_dir()) {
        dialog = dialog.set_directory(dir);
    }
    if let Some(main) = app.get_webview_window("main") {
        dialog = dialog.set_parent(&main);
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    dialog.save_file(move |chosen| {
        let _ = tx.send(chosen);
    });
    let chosen = rx.await.map_err(|_| {
        CommandError::new(
            ErrorCode::Shell,
            "the save dialog closed without an answer".to_owned(),
        )
    })?;
    chosen
        .map(|p| {
            p.into_path()
                .map_err(|e| CommandError::new(ErrorCode::Invalid, format!("not a place to save to: {e}")))
        })
        .transpose()
}

/// Writes `bytes` to `path` whole or not at all: a temporary file beside
/// it, renamed over it once written.
pub fn write_whole(path: &Path, bytes: &[u8]) -> CommandResult<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".switchboard-{}.part", uuid::Uuid::new_v4()));
    let written = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(CommandError::new(
            ErrorCode::Store,
            format!("{} could not be written: {e}", path.display()),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_file_is_written_whole_and_replaces_the_old_one() {
        let dir = std::env::temp_dir().join(format!("sb-save-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("factura.pdf");
        std::fs::write(&path, b"old").unwrap();
        write_whole(&path, b"%PDF-1.4 new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"%PDF-1.4 new");
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file is left");
        let nowhere = dir.join("no-such-dir").join("x.pdf");
        assert!(write_whole(&nowhere, b"x").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn clipboard_pixels_become_a_png_the_console_previews() {
        let red = [255u8, 0, 0, 255].repeat(4);
        let png = encode_png(2, 2, &red).unwrap();
        assert_eq!(switchboard_model::files::sniff_image(&png), Some("image/png"));
        assert!(encode_png(3, 3, &red).is_err(), "too few pixels for 3×3");
    }

    #[test]
    fn only_web_links_are_opened() {
        assert!(web_link("https://example.com/a?b=c").is_ok());
        assert!(web_link("http://example.com").is_ok());
        for bad in [
            "file:///etc/passwd",
            "javascript:alert(1)",
            "ftp://x",
            "https://",
            "not a url",
            "smb://host/share",
        ] {
            assert!(web_link(bad).is_err(), "{bad}");
        }
    }
}
