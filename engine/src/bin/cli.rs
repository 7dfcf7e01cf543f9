//! `switchboard-cli`: the headless console over the same engine as the
//! desktop app, for scripts and support teams. Data on stdout (JSON lines or
//! a table), diagnostics on stderr, and exit codes a script can use:
//! 0 done, 1 error, 2 queued but not yet delivered, 3 sign-in needed.

use std::{path::PathBuf, process::ExitCode, time::Duration};

use clap::{Parser, Subcommand};
use switchboard_engine::{Delivery, Engine, EngineConfig, EngineError, paths};
use url::Url;

#[derive(Debug, Parser)]
#[command(
    name = "switchboard-cli",
    version,
    about = "The Switchboard console, headless"
)]
struct Cli {
    /// The server's URL (remembered after `login`).
    #[arg(long, global = true, env = "SWITCHBOARD_SERVER")]
    server: Option<Url>,
    /// The agent's e-mail (remembered after `login`).
    #[arg(long, global = true, env = "SWITCHBOARD_EMAIL")]
    email: Option<String>,
    /// Where the local cache lives (default: the OS data directory).
    #[arg(long, global = true, env = "SWITCHBOARD_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Keep the token in memory only (for machines with no keychain); the
    /// password then comes from SWITCHBOARD_PASSWORD on every run.
    #[arg(long, global = true)]
    no_keychain: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sign in with SWITCHBOARD_PASSWORD; the token goes to the OS keychain.
    Login,
    /// Forget the token (the local cache stays).
    Logout,
    /// List chats with unread counts (syncs first when the server is reachable).
    Chats {
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
        /// Do not contact the server: print the cache.
        #[arg(long)]
        offline: bool,
    },
    /// Connect, sync, follow every chat, and print one JSON line per change.
    Watch {
        /// Stop after this many seconds (default: until SIGINT/SIGTERM).
        #[arg(long)]
        duration: Option<f64>,
    },
    /// Send a message through the outbox; returns once the server has it.
    Send {
        /// The chat.
        #[arg(long)]
        chat: String,
        /// The text (the caption, with --file).
        #[arg(long, default_value = "")]
        text: String,
        /// A file to attach (images show as images); up to 10 MiB.
        #[arg(long)]
        file: Option<PathBuf>,
        /// An internal note (agents only).
        #[arg(long)]
        internal: bool,
        /// How long to wait for the server, in seconds.
        #[arg(long, default_value_t = 30.0)]
        timeout: f64,
    },
    /// Print a chat's cached messages, oldest first, one JSON per line (offline).
    History {
        /// The chat.
        #[arg(long)]
        chat: String,
    },
    /// Take a chat from the queue; prints the chat as it is now.
    Accept {
        /// The chat.
        #[arg(long)]
        chat: String,
    },
    /// Close a chat.
    Close {
        /// The chat.
        #[arg(long)]
        chat: String,
    },
    /// Hand a chat to a colleague, or back to the queue (protocol v2.1).
    Transfer {
        /// The chat.
        #[arg(long)]
        chat: String,
        /// The agent: its id or its name (any case), or `queue`.
        #[arg(long)]
        to: String,
    },
    /// Open a closed chat again, held by me (protocol v2.1).
    Reopen {
        /// The chat.
        #[arg(long)]
        chat: String,
    },
    /// Replace a chat's tags (protocol v2.1); none clears them.
    Tags {
        /// The chat.
        #[arg(long)]
        chat: String,
        /// The tags, e.g. `vip billing`.
        tags: Vec<String>,
    },
    /// List the canned responses, the team's and mine (protocol v2.1).
    Canned {
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
        /// Do not contact the server: print the cache.
        #[arg(long)]
        offline: bool,
    },
    /// What the server offers beyond protocol v2, as JSON.
    Capabilities,
    /// What is queued and not yet applied by the server, one JSON per line
    /// (offline): messages, and actions (refused ones say why).
    Queue,
    /// Let a refused action go, so its chat's held messages are sent.
    Dismiss {
        /// The action's id (from `queue`).
        id: String,
    },
    /// Search cached messages (offline), newest first, one JSON per line.
    Search {
        /// Words to find.
        query: String,
        /// At most this many results.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Remembered {
    server: String,
    email: String,
}

/// A user-facing failure with its exit code.
struct Fail(u8, String);

impl From<EngineError> for Fail {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::NeedsLogin => Fail(
                3,
                "sign-in needed: run `switchboard-cli login` (password in SWITCHBOARD_PASSWORD)".to_owned(),
            ),
            other => Fail(1, other.to_string()),
        }
    }
}

#[allow(clippy::print_stdout)]
fn out(line: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) ends the output quietly.
    let _ = writeln!(stdout, "{line}");
}

fn json_line<T: serde::Serialize>(v: &T) {
    match serde_json::to_string(v) {
        Ok(s) => out(&s),
        Err(e) => tracing::error!(error = %e, "cannot serialise output"),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fail(code, msg)) => {
            eprintln!("switchboard-cli: {msg}");
            ExitCode::from(code)
        }
    }
}

async fn run(cli: Cli) -> Result<(), Fail> {
    let data_dir = match cli.data_dir.clone() {
        Some(d) => d,
        None => {
            // The app's data directory; a cache an older CLI left elsewhere moves there.
            let d = paths::default_data_dir();
            match paths::adopt_legacy_cli_data(&d) {
                Ok(Some(old)) => {
                    tracing::info!(from = %old.display(), to = %d.display(), "moved the CLI's cache to the app's data directory")
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "could not move the CLI's old cache; it stays where it was")
                }
            }
            d
        }
    };
    let remembered_path = data_dir.join("cli.json");
    let remembered: Option<Remembered> = std::fs::read(&remembered_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let server = cli
        .server
        .clone()
        .or_else(|| remembered.as_ref().and_then(|r| Url::parse(&r.server).ok()))
        .ok_or_else(|| {
            Fail(
                1,
                "no server: pass --server URL (e.g. http://127.0.0.1:4800)".to_owned(),
            )
        })?;
    let email = cli
        .email
        .clone()
        .or_else(|| remembered.as_ref().map(|r| r.email.clone()))
        .ok_or_else(|| Fail(1, "no account: pass --email".to_owned()))?;
    let mut config = EngineConfig::new(server.clone(), email.clone(), data_dir.clone());
    config.keychain = !cli.no_keychain;
    let engine = Engine::open(config).await?;
    let password = std::env::var("SWITCHBOARD_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());

    // Sign in when asked, or when there is no token but a password.
    let ensure_session = |engine: Engine| {
        let password = password.clone();
        async move {
            if engine.has_session() {
                return Ok::<(), Fail>(());
            }
            match password {
                Some(p) => {
                    engine.login(&p).await?;
                    Ok(())
                }
                None => Err(EngineError::NeedsLogin.into()),
            }
        }
    };

    match cli.command {
        Command::Login => {
            let p = password.ok_or_else(|| Fail(1, "set SWITCHBOARD_PASSWORD to sign in".to_owned()))?;
            let agent = engine.login(&p).await?;
            std::fs::create_dir_all(&data_dir).map_err(|e| Fail(1, e.to_string()))?;
            let r = Remembered {
                server: server.to_string(),
                email,
            };
            let _ = std::fs::write(
                &remembered_path,
                serde_json::to_vec_pretty(&r).unwrap_or_default(),
            );
            eprintln!("signed in as {} <{}>", agent.name, agent.email);
            json_line(&agent);
        }
        Command::Logout => {
            engine.logout().await?;
            eprintln!(
                "signed out; the local cache stays in {}",
                engine.db_path().display()
            );
        }
        Command::Chats { json, offline } => {
            if !offline {
                match ensure_session(engine.clone()).await {
                    Ok(()) => {
                        if !catch_up(&engine, Duration::from_secs(15)).await {
                            eprintln!("switchboard-cli: could not sync; showing the local cache");
                        }
                    }
                    Err(Fail(_, msg)) => eprintln!("switchboard-cli: {msg}; showing the local cache"),
                }
            }
            let chats = engine.chats()?;
            if json {
                chats.iter().for_each(json_line);
            } else {
                out(&format!(
                    "{:<36}  {:<11}  {:>6}  {:<24}  LAST MESSAGE",
                    "CHAT", "STATUS", "UNREAD", "VISITOR"
                ));
                for c in &chats {
                    let last = c
                        .last_message
                        .as_ref()
                        .map(|m| m.content.replace(['\n', '\r'], " "))
                        .unwrap_or_default();
                    out(&format!(
                        "{:<36}  {:<11}  {:>6}  {:<24}  {}",
                        c.chat_id,
                        c.status.as_str(),
                        c.unread,
                        truncate(&c.visitor.name, 24),
                        truncate(&last, 60)
                    ));
                }
                eprintln!("{} chats, {} unread", chats.len(), engine.total_unread()?);
            }
            engine.shutdown().await;
        }
        Command::Watch { duration } => {
            ensure_session(engine.clone()).await?;
            let mut changes = engine.subscribe();
            engine.start();
            let deadline = async {
                match duration {
                    Some(s) => tokio::time::sleep(Duration::from_secs_f64(s.max(0.0))).await,
                    None => std::future::pending().await,
                }
            };
            tokio::pin!(deadline);
            let signal = shutdown_signal();
            tokio::pin!(signal);
            loop {
                tokio::select! {
                    _ = &mut deadline => break,
                    _ = &mut signal => break,
                    c = changes.recv() => match c {
                        Ok(change) => json_line(&change),
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                            eprintln!("switchboard-cli: output fell behind; {n} changes not printed (all are stored)");
                        }
                        Err(_) => break,
                    }
                }
            }
            engine.shutdown().await;
            while let Ok(change) = changes.try_recv() {
                json_line(&change);
            }
        }
        Command::Send {
            chat,
            text,
            file,
            internal,
            timeout,
        } => {
            if engine.chat(&chat)?.is_none() {
                ensure_session(engine.clone()).await?;
                // Unknown locally: learn the chat first.
                if !catch_up(&engine, Duration::from_secs(15)).await || engine.chat(&chat)?.is_none() {
                    return Err(Fail(1, format!("unknown chat {chat}")));
                }
            }
            let message = match &file {
                Some(path) => engine.send_file(&chat, path, &text, internal)?,
                None => engine.send(&chat, &text, internal)?,
            };
            let cmid = message.client_message_id.clone().unwrap_or_default();
            match ensure_session(engine.clone()).await {
                Ok(()) => {}
                Err(Fail(3, msg)) => {
                    return Err(Fail(
                        3,
                        format!("{msg}; the message is queued and will be sent on the next run"),
                    ));
                }
                Err(Fail(_, msg)) => {
                    return Err(Fail(
                        2,
                        format!("not delivered yet ({msg}); it is queued and will be sent on the next run"),
                    ));
                }
            }
            engine.start();
            let d = engine
                .wait_delivered(&cmid, Duration::from_secs_f64(timeout.max(0.0)))
                .await?;
            engine.shutdown().await;
            match d {
                Delivery::Sent(m) => json_line(&m),
                Delivery::Failed(reason) => {
                    return Err(Fail(1, format!("the server refused the message: {reason}")));
                }
                Delivery::Pending { error, .. } => {
                    return Err(Fail(
                        2,
                        format!(
                            "not delivered yet ({}); it is queued and will be sent on the next run",
                            error.unwrap_or_else(|| "no answer".to_owned())
                        ),
                    ));
                }
                Delivery::Unknown => return Err(Fail(1, "the message vanished from the outbox".to_owned())),
            }
        }
        Command::Accept { chat } => {
            act(&engine, &chat, ensure_session(engine.clone()).await).await?;
            let before = queued_ids(&engine)?;
            let entry = engine.accept(&chat).await?;
            settle(&engine, &chat, before, entry).await?;
        }
        Command::Close { chat } => {
            act(&engine, &chat, ensure_session(engine.clone()).await).await?;
            let before = queued_ids(&engine)?;
            let entry = engine.close(&chat).await?;
            settle(&engine, &chat, before, entry).await?;
        }
        Command::Transfer { chat, to } => {
            act(&engine, &chat, ensure_session(engine.clone()).await).await?;
            let target = if to.eq_ignore_ascii_case("queue") {
                None
            } else {
                let agents = engine.agents().await?;
                let found = agents
                    .iter()
                    .find(|a| a.id == to)
                    .or_else(|| agents.iter().find(|a| a.name.to_lowercase() == to.to_lowercase()))
                    .ok_or_else(|| {
                        let names: Vec<_> = agents.iter().map(|a| a.name.as_str()).collect();
                        Fail(1, format!("no agent {to:?}; the team: {}", names.join(", ")))
                    })?;
                Some(found.id.clone())
            };
            let before = queued_ids(&engine)?;
            let entry = engine.transfer(&chat, target.as_deref()).await?;
            settle(&engine, &chat, before, entry).await?;
        }
        Command::Reopen { chat } => {
            act(&engine, &chat, ensure_session(engine.clone()).await).await?;
            let before = queued_ids(&engine)?;
            let entry = engine.reopen(&chat).await?;
            settle(&engine, &chat, before, entry).await?;
        }
        Command::Tags { chat, tags } => {
            act(&engine, &chat, ensure_session(engine.clone()).await).await?;
            let before = queued_ids(&engine)?;
            let entry = engine.set_tags(&chat, &tags).await?;
            settle(&engine, &chat, before, entry).await?;
        }
        Command::Queue => {
            for c in engine.chats()? {
                for m in engine
                    .history(&c.chat_id)?
                    .into_iter()
                    .filter(|m| m.message_id.is_none())
                {
                    json_line(&serde_json::json!({"queued": "message", "message": m}));
                }
            }
            for a in engine.queued_actions()? {
                json_line(&serde_json::json!({"queued": "action", "action": a}));
            }
        }
        Command::Dismiss { id } => {
            engine.dismiss_action(&id)?;
            eprintln!("let go; that chat's held messages will be sent on the next run (or `watch`)");
        }
        Command::Canned { json, offline } => {
            let list = if offline {
                engine.canned()?
            } else {
                match ensure_session(engine.clone()).await {
                    Ok(()) => match engine.refresh_canned().await {
                        Ok(list) => list,
                        Err(EngineError::Unsupported(_)) => {
                            return Err(Fail(
                                1,
                                "this server has no canned responses (protocol v2)".to_owned(),
                            ));
                        }
                        Err(e) => {
                            eprintln!("switchboard-cli: {e}; showing the local cache");
                            engine.canned()?
                        }
                    },
                    Err(Fail(_, msg)) => {
                        eprintln!("switchboard-cli: {msg}; showing the local cache");
                        engine.canned()?
                    }
                }
            };
            if json {
                list.iter().for_each(json_line);
            } else {
                out(&format!(
                    "{:<16}  {:<8}  {:<24}  CONTENT",
                    "SHORTCUT", "SCOPE", "TITLE"
                ));
                for c in &list {
                    out(&format!(
                        "/{:<15}  {:<8}  {:<24}  {}",
                        c.shortcut,
                        c.scope.as_str(),
                        truncate(&c.title, 24),
                        truncate(&c.content.replace(['\n', '\r'], " "), 60)
                    ));
                }
            }
        }
        Command::Capabilities => {
            ensure_session(engine.clone()).await?;
            if !catch_up(&engine, Duration::from_secs(15)).await {
                eprintln!("switchboard-cli: could not sync; showing what was known");
            }
            json_line(&engine.capabilities()?);
        }
        Command::History { chat } => {
            engine.history(&chat)?.iter().for_each(json_line);
        }
        Command::Search { query, limit } => {
            // The messages, as `history` prints them (no snippet markers).
            engine
                .search(&query, limit)?
                .iter()
                .map(|h| &h.message)
                .for_each(json_line);
        }
    }
    Ok(())
}

/// Before an action on `chat`: the session (a failure is for later, since
/// the action is queued anyway, unless sign-in is needed), and the chat
/// known locally (learnt from the server when it is not). Returns the chat.
async fn act(engine: &Engine, chat: &str, session: Result<(), Fail>) -> Result<(), Fail> {
    match session {
        Err(Fail(3, msg)) => return Err(Fail(3, msg)),
        Err(Fail(_, msg)) => eprintln!("switchboard-cli: {msg}"),
        Ok(()) => {
            if engine.chat(chat)?.is_none() && !catch_up(engine, Duration::from_secs(15)).await {
                eprintln!("switchboard-cli: could not sync");
            }
        }
    }
    if engine.chat(chat)?.is_none() {
        return Err(Fail(1, format!("unknown chat {chat}")));
    }
    Ok(())
}

/// The ids of what is queued now (to tell the action a command adds).
fn queued_ids(engine: &Engine) -> Result<std::collections::BTreeSet<String>, Fail> {
    Ok(engine.queued_actions()?.into_iter().map(|a| a.id).collect())
}

/// After an action is queued: sends it, and prints the chat once the server
/// has applied it (exit 0); refused, why (exit 1); not sent yet, or waiting
/// behind an earlier refused action, that it stays queued (exit 2). An
/// action that changed nothing (the chat was already so) prints the chat.
async fn settle(
    engine: &Engine,
    chat: &str,
    before: std::collections::BTreeSet<String>,
    queued: switchboard_engine::ChatEntry,
) -> Result<(), Fail> {
    let new = engine
        .queued_actions()?
        .into_iter()
        .find(|a| !before.contains(&a.id) && a.chat_id.as_deref() == Some(chat));
    let Some(new) = new else {
        json_line(&queued);
        return Ok(());
    };
    engine.start();
    let now = engine.wait_action(&new.id, Duration::from_secs(30)).await?;
    engine.shutdown().await;
    match now {
        None => {
            json_line(&engine.chat(chat)?.unwrap_or(queued));
            Ok(())
        }
        Some(a) if a.state == switchboard_engine::ActionState::Refused => Err(Fail(
            1,
            format!(
                "the server refused the {}: {} (`switchboard-cli dismiss {}` lets it go)",
                a.action.name(),
                a.error.clone().unwrap_or_default(),
                a.id
            ),
        )),
        Some(a) => {
            json_line(&queued);
            let held = engine
                .queued_actions()?
                .iter()
                .any(|b| b.chat_id == a.chat_id && b.state == switchboard_engine::ActionState::Refused);
            Err(Fail(
                2,
                if held {
                    "queued behind an earlier action in this chat that the server refused \
                     (`switchboard-cli queue` shows it; `dismiss` lets it go)"
                        .to_owned()
                } else {
                    "not applied yet: it is queued and will be sent on the next run".to_owned()
                },
            ))
        }
    }
}

/// Connects and waits for the first catch-up (or gives up after `limit`).
async fn catch_up(engine: &Engine, limit: Duration) -> bool {
    let mut changes = engine.subscribe();
    engine.start();
    let done = tokio::time::timeout(limit, async {
        loop {
            match changes.recv().await {
                Ok(switchboard_engine::Change::CaughtUp { .. }) => return true,
                Ok(switchboard_engine::Change::Connection {
                    state: switchboard_engine::ConnectionState::NeedsLogin,
                }) => return false,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => return false,
            }
        }
    })
    .await
    .unwrap_or(false);
    engine.shutdown().await;
    done
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(t) => t,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {},
            _ = term.recv() => {},
        }
    }
    // Ctrl+C, Ctrl+Break, or the console window closing.
    #[cfg(windows)]
    {
        use tokio::signal::windows;
        let (Ok(mut brk), Ok(mut close)) = (windows::ctrl_break(), windows::ctrl_close()) else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {},
            _ = brk.recv() => {},
            _ = close.recv() => {},
        }
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
