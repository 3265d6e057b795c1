#include "flv_typefind.hpp"

#include "flv/flv_probe.hpp"

namespace rtmpgst {
namespace {

constexpr int kMaxPeeks = 64;

void find_enhanced_flv(GstTypeFind* tf, gpointer) {
  rtmp::FlvProber prober;
  const guint64 length = gst_type_find_get_length(tf);  // 0 when not known
  for (int i = 0; i < kMaxPeeks && prober.result() == rtmp::FlvProbeResult::kPending; ++i) {
    const rtmp::FlvProber::Need need = prober.need();
    size_t size = need.size;
    bool at_end = false;
    if (length > 0 && need.offset + size > length) {
      size = need.offset < length ? static_cast<size_t>(length - need.offset) : 0;
      at_end = true;
    }
    const guint8* data = size > 0 ? gst_type_find_peek(tf, need.offset, size) : nullptr;
    prober.give(rtmp::ByteView(data, data ? size : 0), at_end);
  }
  if (prober.result() != rtmp::FlvProbeResult::kEnhanced) return;
  GstCaps* caps = gst_caps_new_simple("video/x-flv", "enhanced", G_TYPE_BOOLEAN, TRUE, nullptr);
  gst_type_find_suggest(tf, GST_TYPE_FIND_MAXIMUM, caps);
  gst_caps_unref(caps);
}

}  // namespace

gboolean register_enhanced_flv_typefind(GstPlugin* plugin) {
  GstCaps* caps = gst_caps_new_simple("video/x-flv", "enhanced", G_TYPE_BOOLEAN, TRUE, nullptr);
  gboolean ok = gst_type_find_register(plugin, "video/x-flv-enhanced", GST_RANK_PRIMARY + 1,
                                       find_enhanced_flv, "flv", caps, nullptr, nullptr);
  gst_caps_unref(caps);
  return ok;
}

}  // namespace rtmpgst
