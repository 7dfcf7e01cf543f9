//! The Switchboard desktop shell: a thin Tauri v2 layer over the engine.
//! Commands forward to the engine ([`commands`]); engine changes reach the
//! webview as batched events ([`session`]); errors cross as `{code, message}`
//! ([`error`]). The UI is the Dioxus crate in `ui/`, built to `ui/dist`.

pub mod commands;
pub mod error;
pub mod notify;
pub mod session;
pub mod settings;

pub use session::{Options, Shell};
use tauri::{Manager, Runtime};

/// Installs the shell's state and commands on a builder (the real runtime in
/// [`run`], the mock runtime in tests).
pub fn builder<R: Runtime>(builder: tauri::Builder<R>, options: Options) -> tauri::Builder<R> {
    with_shell(builder, Shell::new(options))
}

/// Installs a given shell (tests give one with their own notifier).
pub fn with_shell<R: Runtime>(builder: tauri::Builder<R>, shell: Shell) -> tauri::Builder<R> {
    builder
        .manage(shell)
        .on_window_event(|window, event| {
            if let tauri::WindowEvent::Focused(focused) = event {
                let shell = window.state::<Shell>();
                shell.desk().attend(|a| a.focused = *focused);
            }
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
            commands::accept,
            commands::close,
            commands::mark_read,
            commands::typing,
            commands::set_presence,
            commands::agents,
            commands::notifications,
            commands::read_notifications,
            commands::search,
            commands::attachment,
            commands::set_locale,
            commands::settings,
            commands::set_settings,
            commands::mute,
            commands::viewing,
        ])
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new("info,switchboard_engine=info,switchboard_hub=warn,rust_socketio=warn")
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Runs the desktop app.
pub fn run() {
    init_tracing();
    let options = Options::from_args(std::env::args());
    tracing::info!(data_dir = %options.data_dir.display(), demo = options.demo, keychain = options.keychain, "starting Switchboard");
    let app = builder(tauri::Builder::default(), options)
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
