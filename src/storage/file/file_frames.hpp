// Task files and journals as append-only logs of frames: the framing,
// independent of what the frames hold.
//
// A frame is a payload followed by a fixed-size text footer
//   "\n@omniq <kind> <version> <payload length> <crc32c>\n"
// (numbers as 8 hex digits) whose checksum covers the payload and the footer
// up to the checksum. A task file starts with a seal frame whose payload is
// the task's record as the serializer wrote it, then holds the frames
// appended by each later change, all of one change with the same version, one
// more than the change before: a delta (the record's fields that changed), a
// result, "result cleared". A change thus costs one short write and no new
// file. With the JSON serializer every payload and footer is a line of its own.
//
// Frames are read from the end backwards. A write cut short (a killed process,
// a full disk, a power loss) leaves a torn tail with no valid footer: it is
// ignored, and the next writer cuts it off. A file with no valid footer at all
// is a plain record, as files were written before frames existed (or by hand).
// Internal to the library; pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace omniq {

enum class FrameKind : char {
  seal = 'S',       // first: the record a task file was written with (a journal's header)
  task = 'T',       // the whole task record, replacing those before
  delta = 'D',      // the fields of the task record a change set (null: removed)
  claim = 'C',      // a delta made by a claim: it counts once the file was .running
  result = 'R',     // the task's result, replacing any before
  no_result = 'X',  // empty; the result was purged
  journal = 'J',    // a journal record (file_journal.hpp)
};

inline constexpr std::size_t kFooterBytes = 37;

// CRC-32C (Castagnoli) of `data`, continuing from `crc` (0 to start).
std::uint32_t crc32c(std::string_view data, std::uint32_t crc = 0);

// Appends a frame holding `payload` to `out`.
void append_frame(std::string& out, FrameKind kind, std::uint32_t version,
                  std::string_view payload);

struct Frame {
  FrameKind kind;
  std::uint32_t version;
  std::string_view payload;
};

// Where the intact frames of `bytes` end: past the last valid footer (a torn
// tail may follow), or nullopt when there is none (a plain record).
std::optional<std::size_t> frames_end(std::string_view bytes);

// The same for a log whose frames hold frames of their own (a journal's hold
// task files' frames): only a footer of kind `outer`, or the seal that starts
// the log, ends the intact part, so a torn tail's nested frames are not taken
// for the log's.
std::optional<std::size_t> frames_end(std::string_view bytes, FrameKind outer);

// Visits the frames ending at `end`, newest first, until visit returns false,
// a seal has been visited, or `start` is reached. Returns where the oldest
// frame visited starts. Throws SerializationError at a damaged frame, or
// where a seal does not start at `start`.
template <class Visit>
std::size_t walk_frames(std::string_view bytes, std::size_t end, std::size_t start, Visit&& visit);

// What a task file's bytes hold, as views into them.
struct Frames {
  // False for a plain record (no frame at all): `task` is then the whole file
  // and a change has to rewrite the file rather than append to it.
  bool sealed = false;
  std::string_view task;                   // the newest whole task record that counts
  std::vector<std::string_view> deltas;    // that count after it, oldest first
  std::optional<std::string_view> result;  // the newest result, unless none or cleared
  std::uint32_t version = 0;               // of the newest frame that counts
  // End of the newest frame that counts: a torn append, or claims that never
  // took place (in a .task file), may follow, for the next change to cut off.
  std::size_t end = 0;
};

// Splits a task file's bytes into its newest record, the deltas after it, and
// its result. The newest frames, if claims, count only when `claims_count`
// (the file is .running or .done): in a .task file they are claims that never
// took place (a claim that did is followed by the change that gave the task
// back). Throws SerializationError when frames are damaged other than at the
// very end.
Frames parse_frames(std::string_view bytes, bool claims_count);

// --- implementation of the template ---

namespace frames_detail {
// The frame ending at `end`, if a valid one does.
std::optional<Frame> frame_at(std::string_view bytes, std::size_t end);
[[noreturn]] void damaged(std::size_t at);
}  // namespace frames_detail

template <class Visit>
std::size_t walk_frames(std::string_view bytes, std::size_t end, std::size_t start, Visit&& visit) {
  while (end > start) {
    auto f = frames_detail::frame_at(bytes, end);
    if (!f || end - start < kFooterBytes + f->payload.size()) frames_detail::damaged(end);
    end -= kFooterBytes + f->payload.size();
    if (f->kind == FrameKind::seal && end != start) frames_detail::damaged(end);
    if (!visit(*f) || f->kind == FrameKind::seal) break;
  }
  return end;
}

}  // namespace omniq
