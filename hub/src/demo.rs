//! Simulated visitors (`--demo`): they open chats and write in Spanish and
//! English at a human pace (typing first, then the message), answer when an
//! agent replies, and leave after a while, so that a new user sees a live
//! queue at once. They go through the same rules as real visitors.
//!
//! With v2.1 the demo also shows what it adds: each visitor comes with a
//! page, referrer, browser, language and time zone; each chat is tagged by
//! topic; the team has canned responses in both languages with variables;
//! and the second demo agent now and then takes a waiting chat and
//! transfers it to the first one (the agent the demo signs in as).

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
    /// The page the visitor writes from.
    page: &'static str,
    /// The chat's tags.
    tags: &'static [&'static str],
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
        page: "https://tienda.example.com/es/mis-pedidos/48213",
        tags: &["pedidos", "envío"],
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
        page: "https://tienda.example.com/es/cuenta/facturas",
        tags: &["facturación"],
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
        page: "https://tienda.example.com/es/login",
        tags: &["cuenta"],
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
        page: "https://shop.example.com/en/shipping",
        tags: &["shipping"],
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
        page: "https://shop.example.com/en/pricing",
        tags: &["sales", "vip"],
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
        page: "https://app.example.com/reports/export",
        tags: &["bug"],
    },
];

const BROWSERS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
];
const REFERRERS: &[Option<&str>] = &[
    Some("https://www.google.com/"),
    Some("https://www.bing.com/"),
    Some("https://newsletter.example.com/diciembre"),
    None,
];

/// The team's canned responses the demo starts with: (shortcut, title, content).
pub const CANNED: &[(&str, &str, &str)] = &[
    (
        "hola",
        "Saludo",
        "¡Hola, {{visitor.name|buenas}}! Soy {{agent.name}}, ¿en qué puedo ayudarte?",
    ),
    (
        "hi",
        "Greeting",
        "Hi {{visitor.name|there}}! I'm {{agent.name}}. How can I help you today?",
    ),
    (
        "pedido",
        "Estado del pedido",
        "Ahora mismo reviso tu pedido. ¿Me confirmas el número y el correo {{visitor.email|con el que compraste}}?",
    ),
    (
        "shipping",
        "Shipping times",
        "We ship to the EU, the UK, the US and Canada. Delivery takes 3 to 5 working days.",
    ),
    (
        "gracias",
        "Despedida",
        "Gracias por escribirnos, {{visitor.name|}}. Si necesitas algo más, aquí estamos. ¡Un saludo!",
    ),
    (
        "bye",
        "Closing",
        "Thanks for reaching out about \"{{chat.subject|your question}}\". Have a great day!",
    ),
];

/// Gives the team the demo's canned responses, if it has none yet (v2.1).
pub fn seed(core: &Core) -> Result<(), crate::error::ApiError> {
    if !core.v21() || core.db().team_canned_count()? > 0 {
        return Ok(());
    }
    let Some(author) = core.db().agents()?.into_iter().next() else {
        return Ok(());
    };
    for (shortcut, title, content) in CANNED {
        core.create_canned(
            &author,
            switchboard_protocol::NewCanned {
                shortcut: (*shortcut).to_owned(),
                title: (*title).to_owned(),
                content: (*content).to_owned(),
                scope: switchboard_protocol::CannedScope::Team,
            },
        )?;
    }
    tracing::info!(count = CANNED.len(), "demo: seeded the team's canned responses");
    Ok(())
}

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
        if core.v21() {
            tokio::spawn(colleague(core.clone(), cfg));
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
    let context = switchboard_protocol::VisitorContext {
        page: Some(script.page.to_owned()),
        referrer: pick(REFERRERS).map(str::to_owned),
        user_agent: Some((*pick(BROWSERS)).to_owned()),
        locale: Some(
            if spanish {
                "es-ES"
            } else {
                pick(&["en-GB", "en-US", "en-CA"])
            }
            .to_string(),
        ),
        timezone: Some(
            if spanish {
                "Europe/Madrid"
            } else {
                pick(&["Europe/London", "America/New_York", "America/Toronto"])
            }
            .to_string(),
        ),
    };
    let (info, _session) = core.create_visitor(name.to_owned(), Some(email), Some(context))?;
    let who = Principal::Visitor(info);
    let chat = core.open_chat(&who, Some(script.subject))?;
    let chat_id = chat.chat_id;
    if core.v21() {
        let tags: Vec<String> = script.tags.iter().map(|t| (*t).to_owned()).collect();
        core.tag_as_hub(&chat_id, &tags)?;
    }
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
        internal: false,
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

/// The second demo agent: now and then it takes a chat that has waited a
/// while, greets the visitor, leaves a note for its colleague and transfers
/// the chat to the first demo agent, so that transfers, their notification
/// and internal notes show in the demo.
async fn colleague(core: Arc<Core>, cfg: DemoConfig) {
    let agents = || -> Result<_, crate::error::ApiError> {
        let db = core.db();
        let sam = db.agent_by_email(crate::DEMO_AGENTS[1].1)?.map(|r| r.agent);
        let alex = db.agent_by_email(crate::DEMO_AGENTS[0].1)?.map(|r| r.agent);
        Ok(sam.zip(alex))
    };
    let Ok(Some((sam, alex))) = agents() else {
        tracing::debug!("demo: no second demo agent, so no transfers");
        return;
    };
    let who = Principal::Agent(sam);
    loop {
        tokio::time::sleep(secs(cfg.pace, 60.0, 120.0)).await;
        if let Err(e) = hand_over(&core, &who, &alex.id, cfg.pace).await {
            tracing::debug!(error = %e.message, "demo: the colleague's transfer did not happen");
        }
    }
}

async fn hand_over(core: &Core, who: &Principal, to: &str, pace: f64) -> Result<(), crate::error::ApiError> {
    let waited = Duration::from_secs_f64(20.0 * pace.max(0.0)).as_millis() as i64;
    let chat = {
        let db = core.db();
        db.pending_chats(50)?
            .into_iter()
            .find(|c| crate::core::now_ms() - c.created_at >= waited)
    };
    let Some(chat) = chat else { return Ok(()) };
    core.accept(who, &chat.id)?;
    let spanish = chat
        .subject
        .as_deref()
        .is_some_and(|s| SCRIPTS_ES.iter().any(|x| x.subject == s));
    let (hello, note) = if spanish {
        (
            "¡Hola! Soy Sam. Te paso con mi compañero Alex, que lleva estos temas; enseguida te atiende.",
            "Alex, te lo paso: es de tu área. Ya le he saludado.",
        )
    } else {
        (
            "Hi! I'm Sam. I'm handing you over to my colleague Alex, who looks after this; one moment.",
            "Alex, this one is yours: I said hello already.",
        )
    };
    for (content, is_internal) in [(hello, false), (note, true)] {
        tokio::time::sleep(secs(pace, 2.0, 5.0)).await;
        core.send_message(
            who,
            SendMessageRequest {
                chat_id: chat.id.clone(),
                content: content.to_owned(),
                kind: MessageType::Text,
                is_internal,
                attachment: None,
                client_message_id: Some(uuid::Uuid::new_v4().to_string()),
            },
        )?;
    }
    core.transfer(who, &chat.id, Some(to))?;
    tracing::info!(chat = %chat.id, "demo: the second agent transferred a chat to the first");
    Ok(())
}
