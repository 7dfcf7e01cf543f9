//! The Switchboard desktop shell: a thin Tauri v2 layer over the engine.
//! Commands forward to the engine ([`commands`]); engine changes reach the
//! webview as batched events ([`session`]); errors cross as `{code, message}`
//! ([`error`]). The UI is the Dioxus crate in `ui/`, built to `ui/dist`.

pub mod autostart;
pub mod away;
pub mod badge;
pub mod commands;
pub mod error;
pub mod files;
mod forward;
pub mod instance;
pub mod notify;
pub mod options;
pub mod prefs;
pub mod session;
pub mod settings;
pub mod tray;
pub mod update;
pub mod window;

pub use options::Options;
pub use session::Shell;
use tauri::{Manager, Runtime};

/// Installs the shell's state and commands on a builder (the real runtime in
/// [`run`], the mock runtime in tests).
pub fn builder<R: Runtime>(builder: tauri::Builder<R>, options: Options) -> tauri::Builder<R> {
    with_shell(builder, Shell::new(options))
}

/// Installs a given shell (tests give one with their own notifier).
pub fn with_shell<R: Runtime>(builder: tauri::Builder<R>, shell: Shell) -> tauri::Builder<R> {
    builder
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_dialog::init())
        .manage(shell)
        .manage(badge::Badge::default())
        .on_window_event(|window, event| match event {
            tauri::WindowEvent::Focused(focused) => {
                let shell = window.state::<Shell>();
                shell.desk().attend(|a| a.focused = *focused);
            }
            tauri::WindowEvent::CloseRequested { api, .. } => {
                let shell = window.state::<Shell>();
                window::save_geometry(window, &shell.options().data_dir);
                let has_tray = window.state::<badge::Badge>().shown();
                if has_tray && shell.desk().settings().close_to_tray {
                    // Keep running in the tray; Quit in its menu quits.
                    api.prevent_close();
                    let _ = window.hide();
                } else {
                    tray::quit(window.app_handle());
                    api.prevent_close();
                }
            }
            _ => {}
        })
        .invoke_handler(tauri::generate_handler![
            commands::boot,
            commands::sign_in,
            commands::start_demo,
            commands::sign_out,
            commands::snapshot,
            commands::chat,
            commands::messages,
            commands::load_older,
            commands::send,
            commands::send_file,
            commands::retry,
            commands::discard,
            commands::send_held,
            commands::transfer,
            commands::reopen,
            commands::canned,
            commands::set_tags,
            commands::tags,
            commands::visitor_chats,
            commands::chat_history,
            commands::set_max_chats,
            commands::create_canned,
            commands::update_canned,
            commands::delete_canned,
            commands::cancel_sign_in,
            commands::log_warning,
            commands::messages_around,
            commands::accept,
            commands::close,
            commands::mark_read,
            commands::save_draft,
            commands::stage_file,
            commands::unstage_file,
            commands::staged_file,
            commands::send_staged,
            commands::typing,
            commands::set_presence,
            commands::agents,
            commands::notifications,
            commands::read_notifications,
            commands::read_notification,
            commands::search,
            commands::attachment,
            commands::open_link,
            commands::open_attachment,
            commands::save_attachment,
            commands::clipboard_image,
            commands::set_locale,
            commands::settings,
            commands::set_settings,
            commands::mute,
            commands::viewing,
            commands::install_update,
        ])
}

/// Logs to stderr and to a daily file (seven kept) in the log directory.
/// Nothing logged carries a token or a password.
fn init_tracing(log_dir: &std::path::Path) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    use tracing_subscriber::{EnvFilter, Layer, layer::SubscriberExt, util::SubscriberInitExt};
    let filter = || {
        EnvFilter::try_from_default_env().unwrap_or_else(|_| {
            EnvFilter::new("info,switchboard_engine=info,switchboard_hub=warn,rust_socketio=warn")
        })
    };
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(filter());
    let file = std::fs::create_dir_all(log_dir).ok().and_then(|()| {
        tracing_appender::rolling::Builder::new()
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .max_log_files(7)
            .filename_prefix("switchboard")
            .filename_suffix("log")
            .build(log_dir)
            .ok()
    });
    match file {
        Some(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let file = tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(writer)
                .with_filter(filter());
            let _ = tracing_subscriber::registry().with(stderr).with(file).try_init();
            Some(guard)
        }
        None => {
            let _ = tracing_subscriber::registry().with(stderr).try_init();
            None
        }
    }
}

/// Runs the desktop app.
pub fn run() {
    if let Some(exit) = options::early_exit(std::env::args()) {
        use std::io::Write;
        let code = match exit {
            options::EarlyExit::Print(text) => {
                let _ = std::io::stdout().write_all(text.as_bytes());
                0
            }
            options::EarlyExit::Usage(text) => {
                let _ = std::io::stderr().write_all(text.as_bytes());
                2
            }
        };
        std::process::exit(code);
    }
    let options = Options::from_args(std::env::args());
    let _log_guard = init_tracing(&options.log_dir);
    let guard = match instance::acquire(&options.data_dir) {
        Ok(instance::Instance::First(guard)) => Some(guard),
        Ok(instance::Instance::Second) => {
            tracing::info!("Switchboard is already running with this data directory: showed it instead");
            return;
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not check for another instance; starting anyway");
            None
        }
    };
    let data_dir = options.data_dir.clone();
    files::clear_downloads(&data_dir);
    tracing::info!(data_dir = %options.data_dir.display(), logs = %options.log_dir.display(), demo = options.demo, keychain = options.keychain, "starting Switchboard");
    let app = builder(tauri::Builder::default(), options)
        .plugin(tauri_plugin_updater::Builder::new().build())
        .setup(move |app| {
            window::restore_main(app.handle(), &data_dir);
            tray::install(app.handle());
            away::watch(app.handle().clone());
            if let Some(guard) = guard {
                guard.serve(app.handle().clone());
            }
            // Release builds follow the project's signed release feed.
            if !cfg!(debug_assertions) && std::env::var_os("SWITCHBOARD_NO_UPDATE_CHECK").is_none() {
                update::watch(app.handle().clone());
            }
            Ok(())
        })
        .build(tauri::generate_context!())
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "the app could not start");
            std::process::exit(1);
        });
    app.run(|handle, event| {
        if let tauri::RunEvent::Exit = event {
            // Stop the link and the workers; everything is already on disk.
            let shell = handle.state::<Shell>();
            tauri::async_runtime::block_on(shell.stop_active());
        }
    });
}
