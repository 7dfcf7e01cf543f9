//! Auto-update with Tauri's updater: release builds check the project's
//! release feed (signed with the project's updater key; the public key is in
//! `tauri.conf.json`) soon after start and every six hours. A found update is
//! announced to the webview, which offers "Install and restart".

use std::{sync::Mutex, time::Duration};

use switchboard_model::ipc::{UpdateAvailable, events::UpdateFound};
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_updater::{Update, UpdaterExt};

/// The update found, if any.
#[derive(Default)]
pub struct Pending(pub Mutex<Option<Update>>);

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending").finish_non_exhaustive()
    }
}

/// Checks now and then, for the life of the app.
pub fn watch<R: Runtime>(app: AppHandle<R>) {
    app.manage(Pending::default());
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(Duration::from_secs(20)).await;
        loop {
            check(&app).await;
            tokio::time::sleep(Duration::from_secs(6 * 3600)).await;
        }
    });
}

async fn check<R: Runtime>(app: &AppHandle<R>) {
    let found = match app.updater() {
        Ok(u) => u.check().await,
        Err(e) => Err(e),
    };
    match found {
        Ok(Some(update)) => {
            tracing::info!(version = %update.version, "an update is available");
            let available = UpdateAvailable {
                version: update.version.clone(),
                notes: update.body.clone(),
            };
            *switchboard_protocol::sync::lock(&app.state::<Pending>().0) = Some(update);
            let _ = crate::error::emit::<UpdateFound, _>(app, &available);
        }
        Ok(None) => tracing::debug!("up to date"),
        Err(e) => tracing::info!(error = %e, "could not check for updates"),
    }
}

/// Downloads (the signature is verified), installs and restarts.
pub async fn install<R: Runtime>(app: &AppHandle<R>) -> Result<(), String> {
    let update = app
        .try_state::<Pending>()
        .and_then(|p| switchboard_protocol::sync::lock(&p.0).take())
        .ok_or_else(|| "no update to install".to_owned())?;
    update
        .download_and_install(|_, _| {}, || {})
        .await
        .map_err(|e| e.to_string())?;
    app.state::<crate::Shell>().stop_active().await;
    app.restart();
}
