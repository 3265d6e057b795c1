#include "flv_demux_caps.hpp"

#include <string_view>

namespace rtmpgst {
namespace {

using Type = rtmp::FormatValue::Type;

GstBuffer* buffer_of(const rtmp::Bytes& b, bool header) {
  GstBuffer* buf = gst_buffer_new_memdup(b.data(), b.size());
  if (header) GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_HEADER);
  return buf;
}

void array_value(const rtmp::FormatValue& v, GValue* out) {
  g_value_init(out, GST_TYPE_ARRAY);
  const size_t n = v.type == Type::kIntArray ? v.ints.size() : v.buffers.size();
  for (size_t i = 0; i < n; ++i) {
    GValue item = G_VALUE_INIT;
    if (v.type == Type::kIntArray) {
      g_value_init(&item, G_TYPE_INT);
      g_value_set_int(&item, static_cast<gint>(v.ints[i]));
    } else {
      g_value_init(&item, GST_TYPE_BUFFER);
      g_value_take_boxed(&item, buffer_of(v.buffers[i], true));
    }
    gst_value_array_append_and_take_value(out, &item);
  }
}

void to_gvalue(const rtmp::FormatValue& v, GValue* out) {
  switch (v.type) {
    case Type::kInt:
      g_value_init(out, G_TYPE_INT);
      g_value_set_int(out, static_cast<gint>(v.number));
      break;
    case Type::kUint:
      g_value_init(out, G_TYPE_UINT);
      g_value_set_uint(out, static_cast<guint>(v.number));
      break;
    case Type::kBool:
      g_value_init(out, G_TYPE_BOOLEAN);
      g_value_set_boolean(out, v.number != 0);
      break;
    case Type::kString:
      g_value_init(out, G_TYPE_STRING);
      g_value_set_string(out, v.text.c_str());
      break;
    case Type::kFraction:
      g_value_init(out, GST_TYPE_FRACTION);
      gst_value_set_fraction(out, static_cast<gint>(v.number), static_cast<gint>(v.denominator));
      break;
    case Type::kBuffer:
      g_value_init(out, GST_TYPE_BUFFER);
      g_value_take_boxed(out, buffer_of(v.buffers.empty() ? rtmp::Bytes{} : v.buffers[0], false));
      break;
    case Type::kBufferArray:
    case Type::kIntArray:
      array_value(v, out);
      break;
  }
}

}  // namespace

GstCaps* caps_from_format(const rtmp::StreamFormat& format) {
  GstStructure* s = gst_structure_new_empty(format.media_type.c_str());
  for (const rtmp::FormatField& f : format.fields) {
    GValue v = G_VALUE_INIT;
    to_gvalue(f.value, &v);
    gst_structure_take_value(s, f.name.c_str(), &v);
  }
  return gst_caps_new_full(s, nullptr);
}

GstTagList* tags_from_metadata(const rtmp::FlvMetadata& m) {
  GstTagList* tags = gst_tag_list_new_empty();
  gst_tag_list_set_scope(tags, GST_TAG_SCOPE_GLOBAL);
  for (const rtmp::MetadataText& t : m.texts) {
    const char* tag = nullptr;
    if (t.key == "title") tag = GST_TAG_TITLE;
    if (t.key == "creator") tag = GST_TAG_ARTIST;
    if (t.key == "encoder" || t.key == "metadatacreator") tag = GST_TAG_ENCODER;
    if (tag && !t.value.empty() && g_utf8_validate(t.value.c_str(), -1, nullptr))
      gst_tag_list_add(tags, GST_TAG_MERGE_REPLACE, tag, t.value.c_str(), nullptr);
  }
  if (m.duration_ns)
    gst_tag_list_add(tags, GST_TAG_MERGE_REPLACE, GST_TAG_DURATION,
                     static_cast<guint64>(*m.duration_ns), nullptr);
  return tags;
}

}  // namespace rtmpgst
