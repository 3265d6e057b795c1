// Fuzzes the client's whole receive path: after a valid server handshake, the input is the
// server's chunk stream, delivered in pieces whose sizes come from the input itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "rtmp/client_connection.hpp"

using namespace rtmp;

static Bytes server_handshake_bytes(ClientConnection& c) {
  ServerHandshake server(Bytes(1528, 0x33), 0);
  Bytes out;
  size_t used = 0;
  server.feed(c.output(), &used, out);
  c.consume_output(c.output().size());
  return out;  // S0 S1 S2
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  ClientConfig cfg;
  cfg.connect.app = "live";
  cfg.stream = "s";
  cfg.mode = (data[0] & 1) ? ClientMode::kPlay : ClientMode::kPublish;
  size_t piece = 1 + (data[1] % 64) * 37;
  data += 2;
  size -= 2;
  ClientConnection c(cfg, Bytes(1528, 1), 0);
  c.start();
  Bytes hs = server_handshake_bytes(c);
  c.receive(hs, 1);
  if (c.phase() != ClientPhase::kConnectingApp) abort();  // a valid handshake must succeed
  for (size_t pos = 0; pos < size; pos += piece) {
    size_t n = size - pos < piece ? size - pos : piece;
    c.receive(ByteView(data + pos, n), 2);
    c.consume_output(c.output().size());
    ClientEvent ev;
    while (c.next_event(&ev)) {
    }
    if (c.phase() == ClientPhase::kStreaming) {
      Message m;
      m.type = 9;
      m.chunk_stream = csid::kVideo;
      m.payload = Bytes(300, 0x17);
      c.send_media(m);
    }
  }
  c.finish();
  return 0;
}
