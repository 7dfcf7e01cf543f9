//! Editing a chat's tags (protocol v2.1) in the visitor panel: its tags as
//! chips that come off with ✕, and a field that suggests the team's tags
//! as one types (arrows and Enter, or a click). A tag typed in another case
//! than one in use takes the spelling in use. Changes go through the outbox,
//! so they work offline too.

use super::*;

/// Suggestions shown at most.
const SUGGESTIONS: usize = 6;

/// The tags in use that match what is typed, best first: those that start
/// with it, then those that contain it (any case), leaving out the chat's
/// own; every tag in use (most used first) for an empty field.
pub fn suggest<'a>(
    known: &'a [switchboard_protocol::TagCount],
    typed: &str,
    on_chat: &[String],
) -> Vec<&'a str> {
    let typed = typed.trim().to_lowercase();
    let has = |n: &str| on_chat.iter().any(|t| t.to_lowercase() == n.to_lowercase());
    let mut starts: Vec<&str> = Vec::new();
    let mut contains: Vec<&str> = Vec::new();
    for t in known.iter().filter(|t| !has(&t.name)) {
        let lower = t.name.to_lowercase();
        if lower.starts_with(&typed) {
            starts.push(&t.name);
        } else if lower.contains(&typed) {
            contains.push(&t.name);
        }
    }
    starts.extend(contains);
    starts.truncate(SUGGESTIONS);
    starts
}

/// The tag to add for what is typed: trimmed, in the spelling in use when
/// it is a known tag in another case; or why it cannot be added.
pub fn tag_to_add(
    lang: Lang,
    known: &[switchboard_protocol::TagCount],
    typed: &str,
    on_chat: &[String],
) -> Result<Option<String>, String> {
    let t = typed.trim().trim_start_matches('#').trim();
    if t.is_empty() {
        return Ok(None);
    }
    if t.chars().count() > switchboard_protocol::MAX_TAG_CHARS {
        return Err(match lang {
            Lang::En => format!(
                "A tag is at most {} characters.",
                switchboard_protocol::MAX_TAG_CHARS
            ),
            Lang::Es => format!(
                "Una etiqueta tiene como mucho {} caracteres.",
                switchboard_protocol::MAX_TAG_CHARS
            ),
        });
    }
    if on_chat.iter().any(|o| o.to_lowercase() == t.to_lowercase()) {
        return Ok(None);
    }
    if on_chat.len() >= switchboard_protocol::MAX_TAGS {
        return Err(match lang {
            Lang::En => format!("A chat has at most {} tags.", switchboard_protocol::MAX_TAGS),
            Lang::Es => format!(
                "Un chat tiene como mucho {} etiquetas.",
                switchboard_protocol::MAX_TAGS
            ),
        });
    }
    Ok(Some(
        known
            .iter()
            .find(|k| k.name.to_lowercase() == t.to_lowercase())
            .map_or_else(|| t.to_owned(), |k| k.name.clone()),
    ))
}

/// Sends a chat's new tags.
fn save(ctx: Ctx, chat_id: String, tags: Vec<String>) {
    spawn_forever(async move {
        match ipc::invoke(&cmd::SetTags { chat_id, tags }).await {
            Ok(_) if !crate::controller::online(ctx) => crate::toast::queued(ctx, crate::toast::Doing::Tags),
            Ok(_) => {}
            Err(e) => crate::toast::fail(ctx, crate::toast::Doing::Tags, &e),
        }
    });
}

/// A chat's tags, editable.
#[component]
pub fn TagEditor(chat_id: String, tags: Vec<String>) -> Element {
    let mut ctx = use_context::<Ctx>();
    let lang = *ctx.lang.read();
    let mut typed = use_signal(String::new);
    let mut known = use_signal(Vec::<switchboard_protocol::TagCount>::new);
    let mut open = use_signal(|| false);
    let mut at = use_signal(|| None::<usize>);
    let mut problem = use_signal(|| None::<String>);
    let text = typed.read().clone();
    let choices: Vec<String> = if *open.read() {
        suggest(&known.read(), &text, &tags)
            .into_iter()
            .map(str::to_owned)
            .collect()
    } else {
        Vec::new()
    };
    let highlighted = (*at.read()).filter(|i| *i < choices.len());
    let add = {
        let (chat_id, tags) = (chat_id.clone(), tags.clone());
        move |t: String| match tag_to_add(lang, &known.peek(), &t, &tags) {
            Ok(Some(t)) => {
                let mut next = tags.clone();
                next.push(t);
                typed.set(String::new());
                at.set(None);
                problem.set(None);
                save(ctx, chat_id.clone(), next);
            }
            Ok(None) => typed.set(String::new()),
            Err(p) => problem.set(Some(p)),
        }
    };
    let mut add_key = add.clone();
    let choices_key = choices.clone();
    rsx! {
        h3 { {lang.pick("Tags", "Etiquetas")} }
        div { class: "tag-editor", id: "tag-editor",
            div { class: "tags", id: "visitor-tags",
                for t in tags.iter().cloned() {
                    span { class: "tag", "data-tag": "{t}",
                        button {
                            class: "tag-filter-by link",
                            title: lang.pick("Show the chats with this tag", "Mostrar los chats con esta etiqueta"),
                            onclick: {
                                let t = t.clone();
                                move |_| ctx.tag_filter.set(Some(t.clone()))
                            },
                            "{t}"
                        }
                        button {
                            class: "tag-remove link",
                            title: match lang { Lang::En => format!("Remove the tag {t}"), Lang::Es => format!("Quitar la etiqueta {t}") },
                            onclick: {
                                let (chat_id, tags, t) = (chat_id.clone(), tags.clone(), t.clone());
                                move |_| {
                                    let next: Vec<String> = tags.iter().filter(|x| **x != t).cloned().collect();
                                    save(ctx, chat_id.clone(), next);
                                }
                            },
                            "✕"
                        }
                    }
                }
            }
            div { class: "tag-input-wrap",
                input {
                    id: "tag-input",
                    r#type: "text",
                    autocomplete: "off",
                    maxlength: "60",
                    placeholder: lang.pick("Add a tag…", "Añadir una etiqueta…"),
                    "aria-label": lang.pick("Add a tag", "Añadir una etiqueta"),
                    value: "{text}",
                    onfocus: move |_| {
                        open.set(true);
                        spawn_forever(async move {
                            if let Ok(list) = ipc::invoke(&cmd::ListTags {}).await {
                                known.set(list);
                            }
                        });
                    },
                    onblur: move |_| open.set(false),
                    oninput: move |e| {
                        typed.set(e.value());
                        at.set(None);
                        problem.set(None);
                        open.set(true);
                    },
                    onkeydown: move |e: KeyboardEvent| {
                        // The console's own keys stay out of the field.
                        e.stop_propagation();
                        let n = choices_key.len();
                        match e.key() {
                            Key::ArrowDown if n > 0 => {
                                e.prevent_default();
                                let next = at.peek().map_or(0, |i| (i + 1).min(n - 1));
                                at.set(Some(next));
                            }
                            Key::ArrowUp if n > 0 => {
                                e.prevent_default();
                                let next = at.peek().and_then(|i| i.checked_sub(1));
                                at.set(next);
                            }
                            Key::Enter => {
                                e.prevent_default();
                                let pick = (*at.peek()).and_then(|i| choices_key.get(i).cloned());
                                let t = pick.unwrap_or_else(|| typed.peek().clone());
                                add_key(t);
                            }
                            Key::Escape => {
                                typed.set(String::new());
                                open.set(false);
                                problem.set(None);
                            }
                            _ => {}
                        }
                    },
                }
                if !choices.is_empty() {
                    ul { class: "menu tag-suggestions", id: "tag-suggestions", role: "listbox",
                        for (i, c) in choices.into_iter().enumerate() {
                            li {
                                class: if highlighted == Some(i) { "suggestion active" } else { "suggestion" },
                                role: "option",
                                "aria-selected": highlighted == Some(i),
                                "data-tag": "{c}",
                                // Before the field's blur closes the list.
                                onmousedown: {
                                    let mut add = add.clone();
                                    let c = c.clone();
                                    move |e: MouseEvent| {
                                        e.prevent_default();
                                        add(c.clone());
                                    }
                                },
                                "{c}"
                            }
                        }
                    }
                }
            }
            if let Some(p) = problem.read().as_ref() {
                p { class: "field-error small", id: "tag-problem", role: "alert", "{p}" }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_protocol::TagCount;

    fn known() -> Vec<TagCount> {
        ["vip", "factura", "envío", "reembolso", "VIP-plus"]
            .into_iter()
            .enumerate()
            .map(|(i, n)| TagCount {
                name: n.into(),
                count: 10 - i as u64,
            })
            .collect()
    }

    #[test]
    fn suggestions_start_with_what_is_typed_then_contain_it_and_skip_the_chats_own() {
        let k = known();
        assert_eq!(suggest(&k, "v", &[]), ["vip", "VIP-plus", "envío"]);
        assert_eq!(suggest(&k, "V", &["vip".into()]), ["VIP-plus", "envío"]);
        assert_eq!(suggest(&k, "", &[]).len(), 5, "all, most used first");
        assert!(suggest(&k, "zz", &[]).is_empty());
    }

    #[test]
    fn a_typed_tag_takes_the_spelling_in_use_and_the_limits_are_told() {
        let k = known();
        assert_eq!(
            tag_to_add(Lang::En, &k, " #Factura ", &[]),
            Ok(Some("factura".into()))
        );
        assert_eq!(tag_to_add(Lang::En, &k, "nuevo", &[]), Ok(Some("nuevo".into())));
        assert_eq!(
            tag_to_add(Lang::En, &k, "VIP", &["vip".into()]),
            Ok(None),
            "already there"
        );
        assert_eq!(tag_to_add(Lang::En, &k, "   ", &[]), Ok(None));
        assert!(
            tag_to_add(Lang::Es, &k, &"x".repeat(41), &[])
                .unwrap_err()
                .contains("40")
        );
        let full: Vec<String> = (0..20).map(|i| format!("t{i}")).collect();
        assert!(
            tag_to_add(Lang::En, &k, "one-more", &full)
                .unwrap_err()
                .contains("20")
        );
    }
}
