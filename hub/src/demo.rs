//! Simulated visitors (`--demo`): they open chats and write in Spanish and
//! English at a human pace (typing first, then the message), answer when an
//! agent replies, and leave after a while, so that a new user sees a live
//! queue at once. They go through the same rules as real visitors.

use std::{sync::Arc, time::Duration};

use rand::Rng;
use switchboard_protocol::{ChatStatus, MessageType, SendMessageRequest, TypingEvent, chat_room, server};

use crate::{auth::Principal, core::Core, store::PageQuery};

/// How busy the simulated website is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DemoConfig {
    /// New chats per minute (on average).
    pub chats_per_minute: f64,
    /// Chats opened straight away at start.
    pub initial_chats: usize,
    /// At most this many simulated chats open at once.
    pub max_open: usize,
    /// Multiplies every pause (1.0 is a human pace; 0.1 is ten times faster).
    pub pace: f64,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self {
            chats_per_minute: 2.0,
            initial_chats: 3,
            max_open: 8,
            pace: 1.0,
        }
    }
}

struct Script {
    subject: &'static str,
    lines: &'static [&'static str],
    thanks: &'static str,
    bye: &'static str,
}

const NAMES_ES: &[&str] = &[
    "Lucía Fernández",
    "Mateo García",
    "Sofía Martínez",
    "Hugo López",
    "Valentina Ruiz",
    "Daniel Sánchez",
    "Martina Gómez",
    "Pablo Díaz",
    "Carmen Moreno",
    "Javier Romero",
];
const NAMES_EN: &[&str] = &[
    "Emily Carter",
    "James Wilson",
    "Olivia Brown",
    "Noah Taylor",
    "Ava Johnson",
    "Liam Anderson",
    "Grace Thompson",
    "Ethan Walker",
    "Chloe Harris",
    "Samuel Clark",
];

const SCRIPTS_ES: &[Script] = &[
    Script {
        subject: "Problema con mi pedido",
        lines: &[
            "Hola, buenas tardes",
            "Hice un pedido hace cinco días y todavía no me ha llegado",
            "El número de pedido es el 48213",
            "¿Me podéis decir dónde está?",
        ],
        thanks: "¡Muchas gracias por la ayuda!",
        bye: "Vale, espero noticias. Un saludo",
    },
    Script {
        subject: "Facturación",
        lines: &[
            "Hola, tengo una duda con la factura de este mes",
            "Me habéis cobrado dos veces la suscripción",
            "¿Se puede devolver uno de los cargos?",
        ],
        thanks: "Perfecto, gracias",
        bye: "Gracias, hasta luego",
    },
    Script {
        subject: "No puedo entrar en mi cuenta",
        lines: &[
            "Buenos días",
            "No consigo iniciar sesión, me dice que la contraseña es incorrecta",
            "Ya he probado a restablecerla pero no me llega el correo",
        ],
        thanks: "Genial, ya funciona. ¡Gracias!",
        bye: "Lo intentaré más tarde, gracias",
    },
];

const SCRIPTS_EN: &[Script] = &[
    Script {
        subject: "Shipping question",
        lines: &[
            "Hi there!",
            "Do you ship to Canada?",
            "And how long does delivery usually take?",
        ],
        thanks: "Great, thanks a lot!",
        bye: "Thanks, bye!",
    },
    Script {
        subject: "Upgrade my plan",
        lines: &[
            "Hello, I'd like to upgrade to the Pro plan",
            "Will I keep my current data?",
            "Also, is there a discount for annual billing?",
        ],
        thanks: "Perfect, that helps. Thank you!",
        bye: "OK, I'll think about it. Bye",
    },
    Script {
        subject: "Bug report",
        lines: &[
            "Hey, the export button doesn't do anything",
            "I'm on Firefox, latest version",
            "It worked fine last week",
        ],
        thanks: "Awesome, thanks for the quick answer",
        bye: "No worries, I'll check back later",
    },
];

fn pick<T>(items: &[T]) -> &T {
    &items[rand::rng().random_range(0..items.len())]
}

fn secs(pace: f64, lo: f64, hi: f64) -> Duration {
    Duration::from_secs_f64(rand::rng().random_range(lo..hi) * pace.max(0.0))
}

/// Starts the simulation; it runs until the returned task is aborted.
pub fn spawn(core: Arc<Core>, cfg: DemoConfig) -> tokio::task::JoinHandle<()> {
    tracing::info!(
        chats_per_minute = cfg.chats_per_minute,
        "demo traffic on: simulated visitors will open chats"
    );
    tokio::spawn(async move {
        let open = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let start = |core: &Arc<Core>| {
            let (core, open) = (core.clone(), open.clone());
            open.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(async move {
                if let Err(e) = visitor(&core, cfg).await {
                    tracing::warn!(error = %e.message, "demo visitor stopped");
                }
                open.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
            });
        };
        for _ in 0..cfg.initial_chats {
            start(&core);
        }
        if cfg.chats_per_minute <= 0.0 {
            return;
        }
        let mean = 60.0 / cfg.chats_per_minute;
        loop {
            let pause = secs(mean, 0.5, 1.5);
            tokio::time::sleep(pause).await;
            if open.load(std::sync::atomic::Ordering::SeqCst) < cfg.max_open {
                start(&core);
            }
        }
    })
}

async fn visitor(core: &Arc<Core>, cfg: DemoConfig) -> Result<(), crate::error::ApiError> {
    let spanish = rand::rng().random_bool(0.5);
    let (name, script) = if spanish {
        (*pick(NAMES_ES), pick(SCRIPTS_ES))
    } else {
        (*pick(NAMES_EN), pick(SCRIPTS_EN))
    };
    let email = format!(
        "{}@example.com",
        name.split(' ').next().unwrap_or("visitor").to_lowercase()
    );
    let (info, _session) = core.create_visitor(name.to_owned(), Some(email))?;
    let who = Principal::Visitor(info);
    let chat = core.open_chat(&who, Some(script.subject))?;
    let chat_id = chat.chat_id;
    let mut answered = false;
    for (i, line) in script.lines.iter().enumerate() {
        // Visitors open the chat to ask: the first line comes quickly.
        let (lo, hi) = if i == 0 { (0.3, 2.0) } else { (4.0, 14.0) };
        tokio::time::sleep(secs(cfg.pace, lo, hi)).await;
        if !say(core, &who, &chat_id, line, cfg.pace).await? {
            return Ok(());
        }
    }
    // Wait for an agent; thank them when they answer, give up after a while.
    for _ in 0..30 {
        tokio::time::sleep(secs(cfg.pace, 6.0, 10.0)).await;
        let (state, recent) = {
            let db = core.db();
            let state = db.chat(&chat_id)?;
            let (recent, _) = db.page(
                &chat_id,
                PageQuery {
                    limit: 5,
                    ..Default::default()
                },
            )?;
            (state, recent)
        };
        if state.is_none_or(|s| s.status == ChatStatus::Closed) {
            return Ok(());
        }
        if !answered
            && recent
                .last()
                .is_some_and(|m| m.sender_type == switchboard_protocol::SenderType::Agent)
        {
            answered = true;
            tokio::time::sleep(secs(cfg.pace, 3.0, 8.0)).await;
            if !say(core, &who, &chat_id, script.thanks, cfg.pace).await? {
                return Ok(());
            }
        }
    }
    if !answered {
        say(core, &who, &chat_id, script.bye, cfg.pace).await?;
    }
    tokio::time::sleep(secs(cfg.pace, 20.0, 40.0)).await;
    core.close(&who, &chat_id)?;
    Ok(())
}

/// Types for a moment, then sends. `false` when the chat was closed meanwhile.
async fn say(
    core: &Core,
    who: &Principal,
    chat_id: &str,
    text: &str,
    pace: f64,
) -> Result<bool, crate::error::ApiError> {
    let typing = TypingEvent {
        user_id: who.id().to_owned(),
        chat_id: chat_id.to_owned(),
    };
    core.emit(vec![chat_room(chat_id)], None, server::USER_TYPING, &typing);
    tokio::time::sleep(secs(pace, 1.5, 4.0)).await;
    core.emit(vec![chat_room(chat_id)], None, server::USER_STOP_TYPING, &typing);
    let req = SendMessageRequest {
        chat_id: chat_id.to_owned(),
        content: text.to_owned(),
        kind: MessageType::Text,
        is_internal: false,
        attachment: None,
        client_message_id: Some(uuid::Uuid::new_v4().to_string()),
    };
    match core.send_message(who, req) {
        Ok(_) => Ok(true),
        Err(e) if e.status == axum::http::StatusCode::CONFLICT => Ok(false),
        Err(e) => Err(e),
    }
}
