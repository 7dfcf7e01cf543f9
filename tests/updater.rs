//! Auto-update: Tauri's updater, in the app's configuration, against a
//! local update server, with a key pair generated for this test (the Tauri
//! CLI's `signer`). A correctly signed update downloads; a tampered one is
//! refused.

use std::{
    io::{Read, Write},
    net::TcpListener,
    path::{Path, PathBuf},
    process::Command,
    sync::Arc,
};

use serde_json::json;
use tauri::test::{mock_builder, mock_context, noop_assets};
use tauri_plugin_updater::UpdaterExt;

fn tauri_cli() -> PathBuf {
    let name = if cfg!(windows) { "tauri.cmd" } else { "tauri" };
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("node_modules/.bin")
        .join(name)
}

/// Serves fixed bodies by path on a loopback port, until the test ends.
fn serve(routes: Vec<(String, Vec<u8>)>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let routes = Arc::new(routes);
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let routes = routes.clone();
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 8192];
                let n = conn.read(&mut buf).unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]);
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
                match routes.iter().find(|(p, _)| *p == path) {
                    Some((_, body)) => {
                        let _ = write!(
                            conn,
                            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\ncontent-type: application/octet-stream\r\nconnection: close\r\n\r\n",
                            body.len()
                        );
                        let _ = conn.write_all(body);
                    }
                    None => {
                        let _ = conn.write_all(
                            b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                        );
                    }
                }
            });
        }
    });
    port
}

#[test]
fn a_signed_update_downloads_and_a_tampered_one_is_refused() {
    let cli = tauri_cli();
    if !cli.exists() {
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true"),
            "the Tauri CLI is missing (scripts/setup installs it)"
        );
        eprintln!("skipped: no Tauri CLI in node_modules (run scripts/setup)");
        return;
    }
    let dir = std::env::temp_dir().join(format!("sb-updater-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let key = dir.join("test.key");
    let out = Command::new(&cli)
        .args(["signer", "generate", "--ci", "-p", "", "-w"])
        .arg(&key)
        .output()
        .expect("tauri signer generate");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let pubkey = std::fs::read_to_string(dir.join("test.key.pub")).expect("public key");

    let artifact: Vec<u8> = (0..64 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let file = dir.join("Switchboard_9.9.9_amd64.AppImage.tar.gz");
    std::fs::write(&file, &artifact).expect("artifact");
    let out = Command::new(&cli)
        .args(["signer", "sign", "-p", "", "-f"])
        .arg(&key)
        .arg(&file)
        .output()
        .expect("tauri signer sign");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let signature =
        std::fs::read_to_string(dir.join("Switchboard_9.9.9_amd64.AppImage.tar.gz.sig")).expect("sig");
    let mut tampered = artifact.clone();
    tampered[1000] ^= 0x40;

    let manifest = |port: u16, path: &str| {
        serde_json::to_vec(&json!({
            "version": "9.9.9",
            "notes": "A test update",
            "pub_date": "2026-11-24T00:00:00Z",
            "platforms": {
                "linux-x86_64": {"signature": signature, "url": format!("http://127.0.0.1:{port}{path}")},
                "darwin-aarch64": {"signature": signature, "url": format!("http://127.0.0.1:{port}{path}")},
                "darwin-x86_64": {"signature": signature, "url": format!("http://127.0.0.1:{port}{path}")},
                "windows-x86_64": {"signature": signature, "url": format!("http://127.0.0.1:{port}{path}")}
            }
        }))
        .expect("manifest")
    };
    // The manifests name the server's own port: serve the bodies, then the manifests.
    let files = serve(vec![
        ("/good".to_owned(), artifact.clone()),
        ("/bad".to_owned(), tampered),
    ]);
    let manifests = serve(vec![
        ("/latest.json".to_owned(), manifest(files, "/good")),
        ("/tampered.json".to_owned(), manifest(files, "/bad")),
    ]);

    let mut context = mock_context(noop_assets());
    context.config_mut().plugins.0.insert(
        "updater".to_owned(),
        json!({
            "pubkey": pubkey,
            "endpoints": [format!("http://127.0.0.1:{manifests}/latest.json")],
            // Plain HTTP only because this server is on loopback for the test.
            "dangerousInsecureTransportProtocol": true
        }),
    );
    let app = mock_builder()
        .plugin(tauri_plugin_updater::Builder::new().build())
        .build(context)
        .expect("the app with its updater");

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let update = app
            .updater()
            .expect("updater")
            .check()
            .await
            .expect("check")
            .expect("9.9.9 is newer than 0.1.0");
        assert_eq!(update.version, "9.9.9");
        let bytes = update
            .download(|_, _| {}, || {})
            .await
            .expect("a correctly signed update downloads");
        assert_eq!(bytes, artifact);

        let tampered = app
            .updater_builder()
            .endpoints(vec![
                format!("http://127.0.0.1:{manifests}/tampered.json")
                    .parse()
                    .expect("url"),
            ])
            .expect("endpoints")
            .build()
            .expect("updater")
            .check()
            .await
            .expect("check")
            .expect("an update");
        let err = tampered
            .download(|_, _| {}, || {})
            .await
            .expect_err("a tampered update must be refused");
        let msg = err.to_string().to_lowercase();
        assert!(msg.contains("signature"), "refused for its signature: {err}");
    });
    let _ = std::fs::remove_dir_all(dir);
}
