// Bytes waiting to be sent, kept as a list of slices so that a transport can send them with one
// gathering write (sendmsg/writev) and a media payload is never copied on its way out.
//
// Small parts (chunk headers, commands, short payload pieces) are copied into blocks the queue
// owns; large payload pieces are referenced inside message payloads moved into the queue
// (adopt()). A block is released as soon as every slice pointing into it has been consumed.
// Adjacent appends to the same block merge into one slice, so a stream of copied bytes is one
// contiguous slice.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>

#include "rtmp/payload.hpp"
#include "util/bytes.hpp"

namespace rtmp {

class OutputQueue {
 public:
  // Handle of an adopted payload, for append_ref().
  using Handle = uint64_t;

  // Copies `bytes` to the end.
  void append_copy(ByteView bytes);
  static constexpr Handle kNoHandle = ~Handle{0};
  // Takes ownership of `payload` (its heap buffer stays where it is) without queueing any of it.
  Handle adopt(Bytes&& payload);
  // The same for memory `owner` keeps alive: the queue holds the owner until every slice of
  // `bytes` was consumed.
  Handle adopt(const PayloadOwner& owner, ByteView bytes);
  // Queues `size` bytes at `offset` of an adopted payload (not copied). The range must lie in
  // the payload.
  void append_ref(Handle payload, size_t offset, size_t size);

  size_t size() const { return size_; }  // bytes pending
  bool empty() const { return size_ == 0; }
  // Fills out[0..max) with views of the pending bytes, in order, and returns how many it filled
  // (fewer when fewer slices are pending). The views are valid until the next non-const call.
  size_t slices(ByteView* out, size_t max) const;
  // The first `n` pending bytes (n <= size()) were sent.
  void consume(size_t n);
  // All pending bytes as one contiguous view; copies them into one block first if they are in
  // several slices. Valid until the next non-const call.
  ByteView linear();
  // Drops everything pending.
  void clear();

 private:
  struct Block {
    Bytes bytes;
    PayloadOwner owner;  // set: the block is `external`, memory the owner keeps alive
    ByteView external;
    size_t refs = 0;  // slices pointing into it
    const uint8_t* data() const { return owner ? external.data() : bytes.data(); }
  };
  struct Slice {
    Handle block;
    size_t offset;
    size_t size;
  };
  static constexpr Handle kNone = kNoHandle;

  Block& block(Handle h) { return blocks_[static_cast<size_t>(h - first_block_)]; }
  const Block& block(Handle h) const { return blocks_[static_cast<size_t>(h - first_block_)]; }
  Handle add_block(Bytes&& bytes);
  void push_slice(Handle h, size_t offset, size_t size);
  void unref(Handle h);
  void drop_released_front();

  std::deque<Block> blocks_;
  Handle first_block_ = 0;     // handle of blocks_.front()
  Handle copy_block_ = kNone;  // block that append_copy() appends to
  std::deque<Slice> slices_;
  size_t size_ = 0;
  Bytes spare_;  // storage of a released copy block, reused by the next one
};

}  // namespace rtmp
