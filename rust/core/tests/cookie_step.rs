//! The cookie step's cost for what is not a ClientHello: a datagram that does not parse as one
//! (garbage, stray records, a flood of junk) is dropped before OpenSSL or the cookie HMAC sees
//! it, and allocates nothing. Counted with a global allocator of this test binary, per thread.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::Instant;

use common::{client_config, ecdsa_identity, server_config, Rng, HOST};
use openssl_dtls_core::{Accept, Server, Session, Settings};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator unchanged; only counts calls on this thread.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn datagrams_that_are_not_client_hellos_allocate_nothing() {
    let id = ecdsa_identity();
    let now = Instant::now();
    let mut server = Server::new(&server_config(id, Settings::default()), now).unwrap();
    let config = client_config(&id.certificate_pem, HOST, Settings::default());
    let hello = Session::client(&config, now)
        .unwrap()
        .poll_transmit()
        .expect("ClientHello");
    // Warm up: the listening SSL object and its first reply buffer are made once.
    for _ in 0..2 {
        match server.accept(now, b"192.0.2.1:1", &hello) {
            Accept::HelloVerify(reply) => server.recycle(reply),
            _ => panic!("the first ClientHello got no HelloVerifyRequest"),
        }
    }

    let mut rng = Rng::new(7);
    let mut junk: Vec<Vec<u8>> = (0..2000).map(|i| rng.bytes(1 + i % 300)).collect();
    // Records that look like DTLS but are no ClientHello: application data, a later epoch,
    // another handshake message, a truncated ClientHello.
    let mut app = hello.clone();
    app[0] = 23;
    let mut epoch = hello.clone();
    epoch[4] = 1;
    let mut finished = hello.clone();
    finished[13] = 20;
    junk.extend([app, epoch, finished, hello[..20].to_vec(), Vec::new()]);

    let before = allocations();
    for (i, d) in junk.iter().enumerate() {
        let peer = [i as u8; 18];
        assert!(matches!(server.accept(now, &peer, d), Accept::Ignored));
    }
    let spent = allocations() - before;
    println!(
        "cookie step: {} datagrams that are no ClientHello, {spent} allocations",
        junk.len()
    );
    assert_eq!(spent, 0, "the cookie step allocated for junk");

    // ClientHellos still get their HelloVerifyRequest, and a reply buffer handed back is
    // reused: a flood of ClientHellos allocates nothing in the cookie step either.
    let mut replies = Vec::with_capacity(100);
    let before = allocations();
    for i in 0..100u8 {
        match server.accept(now, &[i; 18], &hello) {
            Accept::HelloVerify(reply) => {
                replies.push(reply.len());
                server.recycle(reply);
            }
            _ => panic!("ClientHello {i} got no HelloVerifyRequest"),
        }
    }
    let spent = allocations() - before;
    println!("cookie step: 100 ClientHellos, {spent} allocations");
    assert!(
        replies.iter().all(|&n| n > 13),
        "HelloVerifyRequests: {replies:?}"
    );
    assert_eq!(spent, 0, "the cookie step allocated for ClientHellos");
}
