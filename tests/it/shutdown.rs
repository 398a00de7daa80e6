//! SIGTERM on the real binary: it stops accepting, lets the requests in flight finish, and exits;
//! a request that does not finish within the grace period does not keep it alive.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::server::Server;
use crate::support::{fixture, LayerDir};

/// Starts `bourg serve` on a free port over a one-layer catalogue.
fn start(dir: &LayerDir, grace_secs: u64) -> Server {
    Server::start([
        "--no-cache".as_ref(),
        "--layers".as_ref(),
        dir.path().as_os_str(),
        "--web".as_ref(),
        concat!(env!("CARGO_MANIFEST_DIR"), "/web").as_ref(),
        "--shutdown-grace-secs".as_ref(),
        grace_secs.to_string().as_ref(),
    ])
}

fn sigterm(server: &Server) {
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

fn small() -> LayerDir {
    let dir = LayerDir::new();
    std::fs::copy(fixture("wgs84.geojson"), dir.path().join("a.geojson")).expect("copy");
    dir.layer("a", "path = \"a.geojson\"", "name = \"string\"");
    dir
}

const BODY: &str =
    r#"{"type":"Polygon","coordinates":[[[2.8,50.4],[2.9,50.4],[2.9,50.5],[2.8,50.4]]]}"#;

/// Sends the head of an upload and half of its body: a request in flight.
fn half_sent(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let head = format!(
        "POST /api/territories/stats HTTP/1.1\r\nHost: test\r\nContent-Type: application/geo+json\r\nContent-Length: {}\r\n\r\n",
        BODY.len()
    );
    stream.write_all(head.as_bytes()).expect("head");
    stream
        .write_all(&BODY.as_bytes()[..BODY.len() / 2])
        .expect("half");
    stream.flush().expect("flush");
    stream
}

fn wait_exit(server: &mut Server, within: Duration) -> Option<std::process::ExitStatus> {
    let started = Instant::now();
    while started.elapsed() < within {
        if let Some(status) = server.child.try_wait().expect("wait") {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[test]
fn sigterm_stops_accepting_and_finishes_the_requests_in_flight() {
    let dir = small();
    let mut server = start(&dir, 10);
    let mut stream = half_sent(server.addr);
    std::thread::sleep(Duration::from_millis(300));
    sigterm(&server);
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        TcpStream::connect_timeout(&server.addr, Duration::from_secs(1)).is_err(),
        "a new connection is refused once stopping"
    );
    assert!(
        server.child.try_wait().expect("wait").is_none(),
        "still running"
    );
    stream
        .write_all(&BODY.as_bytes()[BODY.len() / 2..])
        .expect("the rest of the body");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("answer");
    let status: u16 = answer
        .strip_prefix("HTTP/1.1 ")
        .and_then(|r| r.get(..3))
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("an HTTP answer: {answer:?}"));
    assert!(status < 500, "{answer}");
    let exit = wait_exit(&mut server, Duration::from_secs(5)).expect("exits once drained");
    assert!(exit.success(), "{exit:?}");
}

#[test]
fn a_request_that_never_ends_does_not_outlive_the_grace_period() {
    let dir = small();
    let mut server = start(&dir, 1);
    let _stream = half_sent(server.addr);
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    sigterm(&server);
    let exit = wait_exit(&mut server, Duration::from_secs(6)).expect("exits after the grace");
    assert!(exit.success(), "{exit:?}");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900),
        "waited the grace: {took:?}"
    );
}
