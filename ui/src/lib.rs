//! The Switchboard console's UI: Dioxus components compiled to WebAssembly
//! and hosted by the Tauri shell. It holds no truth of its own: it renders
//! the engine's snapshot and applies the engine's changes ([`state`], pure
//! and unit-tested); it talks to the shell only through [`ipc`].

pub mod app;
pub mod bell;
pub mod canned_manager;
pub mod console;
pub mod controller;
pub mod conversation;
pub mod dialog;
pub mod i18n;
pub mod icons;
pub mod ipc;
pub mod links;
pub mod rows;
pub mod search;
pub mod settings;
pub mod signin;
pub mod state;
pub mod switcher;
pub mod toast;
