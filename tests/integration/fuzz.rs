//! Property-based fuzzing of everything that parses bytes from a server:
//! the Engine.IO payloads (v3 length prefixes, v4 separators), the open
//! packet, the error bodies, Socket.IO packets, chunked bodies, HTTP
//! response heads, /proc/net/tcp lines and netlink replies. Whatever the
//! input, they return, never panic. `PROPTEST_CASES` sets how many inputs
//! (the test suite runs a few hundred; the long run is in the notes).

use proptest::prelude::*;

use rtdoctor::os::linux::procfs::parse_proc_net_tcp;
use rtdoctor::probe::handshake::parse_head;
use rtdoctor::probe::ws::dechunk;
use rtdoctor::protocol::engineio::{self, Eio};
use rtdoctor::protocol::socketio;

/// Bytes that look like what servers send: mostly protocol characters,
/// digits and separators, so the fuzzing reaches past the first check.
fn wire() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(b"0123456789:{}[]\",/4?&=\x1eb-ab\r\n ".to_vec()),
            1 => any::<u8>(),
        ],
        0..300,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn engineio_decoders_never_panic(bytes in wire()) {
        let _ = engineio::decode_payload(&bytes, Eio::V3);
        let _ = engineio::decode_payload(&bytes, Eio::V4);
        let _ = engineio::parse_handshake(&bytes, Eio::V3);
        let _ = engineio::parse_handshake(&bytes, Eio::V4);
        let _ = engineio::decode_error(&bytes);
        let _ = engineio::sniff(&bytes);
    }

    #[test]
    fn v3_payloads_round_trip(texts in prop::collection::vec("[a-z0-9{}\\[\\]\":,é😀]{0,20}", 1..6)) {
        let packets: Vec<engineio::Packet> = texts.iter().map(|t| engineio::Packet::new(engineio::Kind::Message, t.clone())).collect();
        let encoded = engineio::encode_payload(&packets, Eio::V3);
        prop_assert_eq!(engineio::decode_payload(encoded.as_bytes(), Eio::V3).unwrap(), packets);
    }

    #[test]
    fn socketio_decoder_never_panics(text in "[0-9/a-z,{}\\[\\]\":\\-?=]{0,80}") {
        if let Ok(p) = socketio::decode(&text) {
            let _ = socketio::connect_reply(&p, "/");
        }
    }

    #[test]
    fn http_heads_and_chunks_never_panic(bytes in wire()) {
        let _ = parse_head(&bytes);
        let _ = dechunk(&bytes);
        let mut head = b"HTTP/1.1 101 Switching Protocols\r\n".to_vec();
        head.extend_from_slice(&bytes);
        let _ = parse_head(&head);
    }

    #[test]
    fn proc_net_tcp_lines_never_panic(lines in prop::collection::vec("[ 0-9A-F:]{0,160}", 0..10)) {
        let text = lines.join("\n");
        let _ = parse_proc_net_tcp(&text, false);
        let _ = parse_proc_net_tcp(&text, true);
    }

    #[test]
    fn netlink_replies_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = rtdoctor::os::linux::diag::parse_messages(&bytes);
    }
}
