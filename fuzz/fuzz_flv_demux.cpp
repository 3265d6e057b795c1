// The enhanced FLV demuxer core: FLV bytes in, every decision out. The events must be the same
// for the input in one piece and split at two points taken from the input itself (and with an
// input time given, for the rebasing path); a buffer's data must be no larger than the input;
// formats must have a media type; the announcement comes at most once; after an error nothing
// more. The first bytes are also run through the FLV prober.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "flv/flv_demuxer.hpp"
#include "flv/flv_probe.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

std::vector<std::string> run(rtmp::ByteView in, size_t a, size_t b, int64_t time) {
  rtmp::FlvDemuxer d;
  std::vector<rtmp::DemuxEvent> events;
  d.feed(in.first(a), time, events);
  d.feed(in.subspan(a, b - a), time, events);
  if (b > a && in[a] % 7 == 0) d.discontinuity();
  d.feed(in.subspan(b), time, events);
  d.finish(events);
  std::vector<std::string> out;
  int announced = 0;
  bool failed = false;
  for (const rtmp::DemuxEvent& e : events) {
    check(!failed);
    if (e.kind == rtmp::DemuxEventKind::kError) failed = true;
    if (e.kind == rtmp::DemuxEventKind::kAllTracksAdded) ++announced;
    if (e.kind == rtmp::DemuxEventKind::kTrackAdded ||
        e.kind == rtmp::DemuxEventKind::kFormatChanged)
      check(!e.format.empty());
    if (e.kind == rtmp::DemuxEventKind::kBuffer)
      check(e.buffer.data.size() <= in.size() && e.buffer.pts_ns >= 0 && e.buffer.dts_ns >= 0);
    out.push_back(rtmp::describe(e));
  }
  check(announced <= 1 && failed == d.failed());
  return out;
}

void probe(rtmp::ByteView in) {
  rtmp::FlvProber p;
  for (int i = 0; i < 64 && p.result() == rtmp::FlvProbeResult::kPending; ++i) {
    const rtmp::FlvProber::Need n = p.need();
    const size_t off = n.offset < in.size() ? static_cast<size_t>(n.offset) : in.size();
    const size_t size = std::min(n.size, in.size() - off);
    p.give(in.subspan(off, size), true);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const rtmp::ByteView in(data, size);
  const size_t a = size > 0 ? data[0] % (size + 1) : 0;
  const size_t b = size > 1 ? a + data[1] % (size - a + 1) : a;
  const std::vector<std::string> whole = run(in, 0, 0, -1);
  // The discontinuity in run() changes flags: compare only when none is made.
  if (!(b > a && in[a] % 7 == 0)) check(run(in, a, b, -1) == whole);
  check(run(in, a, b, 1000000) == run(in, a, b, 1000000));
  probe(in);
  return 0;
}
