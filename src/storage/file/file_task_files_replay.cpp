// TaskFiles: dealing with the journals of stores that are gone (see
// file_journal.hpp), at open and on each recover_expired.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "file_frames.hpp"
#include "file_task_files.hpp"
#include "fs_temp_files.hpp"
#include "omniq/error.hpp"
#include "omniq/logging.hpp"

namespace omniq {
namespace {

// A task file's content as replay folds records into it.
struct Image {
  std::string task;                 // the newest whole record
  std::vector<std::string> deltas;  // after it, oldest first
  std::optional<std::string> result;
  std::uint32_t version = 0;
  std::optional<RecordKind> kind;  // the name it is under
};

// Applies the frames of one record, oldest first.
void fold(Image& image, const JournalRecord& r) {
  std::vector<Frame> frames;
  walk_frames(r.frames, r.frames.size(), 0, [&](const Frame& f) {
    frames.push_back(f);
    return true;
  });
  for (auto it = frames.rbegin(); it != frames.rend(); ++it) {
    if (it->kind == FrameKind::task || it->kind == FrameKind::seal) {
      image.task = std::string(it->payload);
      image.deltas.clear();
    } else if (it->kind == FrameKind::delta || it->kind == FrameKind::claim) {
      image.deltas.emplace_back(it->payload);
    } else if (it->kind == FrameKind::result) {
      image.result = std::string(it->payload);
    } else if (it->kind == FrameKind::no_result) {
      image.result.reset();
    }
  }
  image.version = r.version;
  image.kind = r.kind;
}

}  // namespace

void TaskFiles::recover_journals() {
  // One store at a time, so that two never replay records of one task at once.
  Journal::DirLock lock(journal_dir_);
  std::vector<Journal::Orphan> orphans = Journal::take_orphans(journal_dir_);
  if (orphans.empty()) return;
  auto mark = Journal::read_mark(journal_dir_);
  std::map<std::string, std::vector<const JournalRecord*>> by_id;
  std::size_t replayed = 0;
  for (const Journal::Orphan& o : orphans) {
    if (o.boot == boot_ && !boot_.empty()) continue;  // the page cache still holds it all
    for (const JournalRecord& r : o.records) {
      if (mark && mark->boot == o.boot && r.made_at < mark->at) continue;  // durable already
      by_id[r.id].push_back(&r);
      ++replayed;
    }
  }
  if (!by_id.empty()) {
    logger()->warn("file store {}: replaying {} journal records left before a restart",
                   base_.path(), replayed);
    replay(by_id);
  }
  queue_.sync_fs();
  for (Journal::Orphan& o : orphans) Journal::remove(journal_dir_, o);
}

void TaskFiles::replay(const std::map<std::string, std::vector<const JournalRecord*>>& by_id) {
  for (auto [id, records] : by_id) {
    if (!is_valid_id(id)) continue;
    std::sort(records.begin(), records.end(), [](const JournalRecord* a, const JournalRecord* b) {
      return a->version < b->version;
    });
    Image image;
    std::vector<RecordKind> present;
    for (RecordKind k : {RecordKind::waiting, RecordKind::running, RecordKind::done}) {
      std::string name = record_name(id, k);
      try {
        auto bytes = queue_.read(name, kMaxTaskFileBytes);
        if (!bytes) continue;
        present.push_back(k);
        Frames f = parse_frames(*bytes, k != RecordKind::waiting);
        if (image.kind && f.version <= image.version) continue;
        image = Image{std::string(f.task), {}, std::nullopt, f.version, k};
        for (std::string_view d : f.deltas) image.deltas.emplace_back(d);
        if (f.result) image.result = std::string(*f.result);
      } catch (const SerializationError& e) {
        quarantine(queue_, name, e.what());
      }
    }
    bool changed = false;
    try {
      for (const JournalRecord* r : records) {
        if (image.kind && r->version <= image.version) continue;  // the file has it
        fold(image, *r);
        changed = true;
      }
    } catch (const SerializationError& e) {
      logger()->error("file store: journal record for {} is damaged: {}", id, e.what());
      continue;
    }
    if (!changed) continue;
    if (image.task.empty()) {
      logger()->error("file store: journal records for {} hold no task record", id);
      continue;
    }
    std::string bytes = encode_task_file(image.task, image.result, image.version);
    for (const std::string& d : image.deltas) {
      append_frame(bytes, FrameKind::delta, image.version, d);
    }
    TempFiles temps(tmp_);
    temps.publish(temps.add(bytes), queue_, record_name(id, *image.kind));
    for (RecordKind k : present) {
      if (k != *image.kind) queue_.remove(record_name(id, k));
    }
  }
}

}  // namespace omniq
