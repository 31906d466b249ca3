#include "file_frames.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#include "omniq/error.hpp"

namespace omniq {
namespace {

constexpr std::string_view kMagic = "\n@omniq ";
// Footer layout: magic, kind, ' ', version, ' ', length, ' ', crc, '\n'
// (numbers as 8 lower-case hex digits).
constexpr std::size_t kKindAt = 8;
constexpr std::size_t kVersionAt = 10;
constexpr std::size_t kLengthAt = 19;
constexpr std::size_t kCrcAt = 28;
static_assert(kCrcAt + 8 + 1 == kFooterBytes);

using CrcTables = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr CrcTables make_crc_tables() {
  CrcTables t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    t[0][i] = c;
  }
  for (std::size_t s = 1; s < 8; ++s) {
    for (std::size_t i = 0; i < 256; ++i) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
  }
  return t;
}

constexpr CrcTables kCrc = make_crc_tables();

void put_hex(char* at, std::uint32_t v) {
  constexpr char kHex[] = "0123456789abcdef";
  for (int i = 7; i >= 0; --i, v >>= 4) at[i] = kHex[v & 0xf];
}

std::optional<std::uint32_t> get_hex(std::string_view s) {
  std::uint32_t v = 0;
  for (char c : s) {
    std::uint32_t d;
    if (c >= '0' && c <= '9') {
      d = static_cast<std::uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      d = static_cast<std::uint32_t>(c - 'a' + 10);
    } else {
      return std::nullopt;
    }
    v = (v << 4) | d;
  }
  return v;
}

bool known_kind(char c) {
  for (FrameKind k : {FrameKind::seal, FrameKind::task, FrameKind::delta, FrameKind::claim,
                      FrameKind::result, FrameKind::no_result, FrameKind::journal}) {
    if (c == static_cast<char>(k)) return true;
  }
  return false;
}

}  // namespace

namespace frames_detail {

std::optional<Frame> frame_at(std::string_view bytes, std::size_t end) {
  if (end < kFooterBytes || end > bytes.size()) return std::nullopt;
  std::string_view f = bytes.substr(end - kFooterBytes, kFooterBytes);
  if (!f.starts_with(kMagic) || !known_kind(f[kKindAt]) || f[kVersionAt - 1] != ' ' ||
      f[kLengthAt - 1] != ' ' || f[kCrcAt - 1] != ' ' || f.back() != '\n') {
    return std::nullopt;
  }
  auto version = get_hex(f.substr(kVersionAt, 8));
  auto length = get_hex(f.substr(kLengthAt, 8));
  auto crc = get_hex(f.substr(kCrcAt, 8));
  if (!version || !length || !crc || *length > end - kFooterBytes) return std::nullopt;
  std::string_view payload = bytes.substr(end - kFooterBytes - *length, *length);
  if (crc32c(f.substr(0, kCrcAt), crc32c(payload)) != *crc) return std::nullopt;
  return Frame{static_cast<FrameKind>(f[kKindAt]), *version, payload};
}

void damaged(std::size_t at) {
  throw SerializationError("damaged frame before byte " + std::to_string(at) +
                           " (the file was changed by something other than omniq)");
}

}  // namespace frames_detail

std::uint32_t crc32c(std::string_view data, std::uint32_t crc) {
  crc = ~crc;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t n = data.size();
  if constexpr (std::endian::native == std::endian::little) {
    for (; n >= 8; p += 8, n -= 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      auto lo = static_cast<std::uint32_t>(w) ^ crc;
      auto hi = static_cast<std::uint32_t>(w >> 32);
      crc = kCrc[7][lo & 0xff] ^ kCrc[6][(lo >> 8) & 0xff] ^ kCrc[5][(lo >> 16) & 0xff] ^
            kCrc[4][lo >> 24] ^ kCrc[3][hi & 0xff] ^ kCrc[2][(hi >> 8) & 0xff] ^
            kCrc[1][(hi >> 16) & 0xff] ^ kCrc[0][hi >> 24];
    }
  }
  for (; n > 0; ++p, --n) crc = kCrc[0][(crc ^ *p) & 0xff] ^ (crc >> 8);
  return ~crc;
}

void append_frame(std::string& out, FrameKind kind, std::uint32_t version,
                  std::string_view payload) {
  out.append(payload);
  char f[kFooterBytes];
  std::memcpy(f, kMagic.data(), kMagic.size());
  f[kKindAt] = static_cast<char>(kind);
  f[kVersionAt - 1] = ' ';
  put_hex(f + kVersionAt, version);
  f[kLengthAt - 1] = ' ';
  put_hex(f + kLengthAt, static_cast<std::uint32_t>(payload.size()));
  f[kCrcAt - 1] = ' ';
  put_hex(f + kCrcAt, crc32c(std::string_view(f, kCrcAt), crc32c(payload)));
  f[kFooterBytes - 1] = '\n';
  out.append(f, kFooterBytes);
}

namespace {

template <class Accept>
std::optional<std::size_t> last_frame_end(std::string_view bytes, Accept&& accept) {
  auto f = frames_detail::frame_at(bytes, bytes.size());
  if (f && accept(*f, bytes.size())) return bytes.size();
  // A torn append: the newest intact frame ends where a footer's magic does.
  for (std::size_t at = bytes.size(); at > 0;) {
    at = bytes.rfind(kMagic, at - 1);
    if (at == std::string_view::npos) break;
    f = frames_detail::frame_at(bytes, at + kFooterBytes);
    if (f && accept(*f, at + kFooterBytes)) return at + kFooterBytes;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::size_t> frames_end(std::string_view bytes) {
  return last_frame_end(bytes, [](const Frame&, std::size_t) { return true; });
}

std::optional<std::size_t> frames_end(std::string_view bytes, FrameKind outer) {
  return last_frame_end(bytes, [&](const Frame& f, std::size_t end) {
    return f.kind == outer || (f.kind == FrameKind::seal && end == kFooterBytes + f.payload.size());
  });
}

Frames parse_frames(std::string_view bytes, bool claims_count) {
  Frames out;
  auto end = frames_end(bytes);
  if (!end) {
    out.task = bytes;
    out.end = bytes.size();
    return out;
  }
  out.sealed = true;
  out.end = *end;
  bool counting = false, have_task = false, have_result = false;
  walk_frames(bytes, *end, 0, [&](const Frame& f) {
    if (f.kind == FrameKind::claim && !claims_count && !counting) {
      // A claim that never took place (the newest frames of a .task file):
      // the next change cuts it off.
      out.end = static_cast<std::size_t>(f.payload.data() - bytes.data());
      return true;
    }
    if (!counting) out.version = f.version;
    counting = true;
    if (f.kind == FrameKind::result || f.kind == FrameKind::no_result) {
      if (!have_result && f.kind == FrameKind::result) out.result = f.payload;
      have_result = true;
    } else if (have_task) {
      // Older than the newest whole record: superseded.
    } else if (f.kind == FrameKind::task || f.kind == FrameKind::seal) {
      out.task = f.payload;
      have_task = true;
    } else {
      out.deltas.push_back(f.payload);
    }
    return true;
  });
  if (!have_task) frames_detail::damaged(0);  // no seal: frames without a record
  std::reverse(out.deltas.begin(), out.deltas.end());
  return out;
}

}  // namespace omniq
