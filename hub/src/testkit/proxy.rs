//! A TCP proxy in front of a hub that can cut every connection at once: an
//! outage as the client sees it (both directions gone, no close handshake)
//! while the hub itself stays up. It can also stay down (every new
//! connection dropped) while others use the hub directly.

use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
};

use tokio::{net::TcpListener, task::JoinHandle};

/// Forwards a loopback port to `upstream`.
#[derive(Debug)]
pub struct Proxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    /// Connections accepted so far.
    pub accepted: Arc<AtomicU64>,
    down: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
    acceptor: JoinHandle<()>,
}

impl Proxy {
    /// Listens on a free loopback port.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let addr = listener.local_addr().expect("its address");
        let conns: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let accepted = Arc::new(AtomicU64::new(0));
        let down = Arc::new(AtomicBool::new(false));
        let (c, a, d) = (conns.clone(), accepted.clone(), down.clone());
        let acceptor = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if d.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                a.fetch_add(1, Ordering::SeqCst);
                let task = tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                });
                let mut list = switchboard_protocol::sync::lock(&c);
                list.retain(|t| !t.is_finished());
                list.push(task);
            }
        });
        Self {
            addr,
            accepted,
            down,
            conns,
            acceptor,
        }
    }

    /// Its base URL, `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Cuts every connection and drops each new one until [`Proxy::up`]:
    /// the hub is out of reach for this proxy's clients only.
    pub fn down(&self) {
        self.down.store(true, Ordering::SeqCst);
        self.cut();
    }

    /// Forwards again after [`Proxy::down`].
    pub fn up(&self) {
        self.down.store(false, Ordering::SeqCst);
    }

    /// Drops every open connection at once (both directions).
    pub fn cut(&self) {
        for t in switchboard_protocol::sync::lock(&self.conns).drain(..) {
            t.abort();
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.acceptor.abort();
        self.cut();
    }
}
