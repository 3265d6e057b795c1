// Message bytes that stay where they are: pieces of memory that others own (a GstBuffer the
// element mapped, a block of bytes), each kept alive by a shared owner until the last view of it
// is gone. This is how published media goes from the pipeline's buffers to sendmsg() without a
// copy (ChunkWriter queues the pieces into OutputQueue as references).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "util/bytes.hpp"

namespace rtmp {

// Keeps a piece's memory alive (type-erased: the element's owner unmaps and unrefs a GstBuffer).
using PayloadOwner = std::shared_ptr<const void>;

class Payload {
 public:
  struct Piece {
    PayloadOwner owner;
    ByteView bytes;
  };

  Payload() = default;
  // One piece that the payload owns.
  explicit Payload(Bytes&& owned);

  // Appends `bytes` as a view into memory `owner` keeps alive (merged with the last piece when
  // it continues it in the same memory).
  void append(const PayloadOwner& owner, ByteView bytes);
  // Appends a copy of `bytes` (for small prefixes such as "@setDataFrame").
  void append_copy(ByteView bytes);
  void prepend_copy(ByteView bytes);

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const std::vector<Piece>& pieces() const { return pieces_; }
  // The first min(n, size()) bytes: a view into the first piece when it holds them, else
  // copied into `scratch` (which must hold n bytes).
  ByteView front(size_t n, uint8_t* scratch) const;
  // All bytes in one buffer (a copy; moved out when the payload is one piece it owns alone).
  Bytes to_bytes() const;

 private:
  std::vector<Piece> pieces_;
  size_t size_ = 0;
};

}  // namespace rtmp
