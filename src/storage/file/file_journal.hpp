// Journal: a file store's redo log for Durability::full, in base_dir/journal/.
//
// Task files are changed in place (appends, renames, new files) without being
// synced. What a durable call changed is then appended to the calling store's
// own journal, which alone is fdatasync()ed, once per call: the call returns
// once its changes are durable there, whatever the kernel has written back of
// the task files themselves. A record holds the frames the change appended to
// the task file, its version and the name the file was left under, and when
// the change had been made (CLOCK_MONOTONIC, after it was made).
//
// Each store writes its own journal, created under a unique name and locked
// (flock) for the store's lifetime; a journal nobody holds belongs to a store
// that is gone. If it was written since the last boot, the task files still
// hold everything (the page cache outlives processes): the file system is
// synced and the journal deleted. If it was written before a reboot (another
// boot id), it is replayed: each task file older than a record (by version)
// gets the record's frames. A journal grown past kCheckpointBytes is emptied
// after syncing the file system, and the checkpoint mark records when that
// sync started, so that records made before it are never replayed (which
// could bring back a task file purged since). Internal to the library; not
// synchronised (the store's mutex guards it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "file_record.hpp"
#include "fs_dir.hpp"

namespace omniq {

struct JournalRecord {
  std::string id;
  RecordKind kind = RecordKind::waiting;  // the name the file was left under
  std::uint32_t version = 0;              // of the change
  std::string frames;                     // the frames the change appended
  std::int64_t made_at = 0;               // ns, CLOCK_MONOTONIC (set by Journal::commit)
};

class Journal {
 public:
  // Journals past this size are emptied by a checkpoint.
  static constexpr std::size_t kCheckpointBytes = 128u << 20;

  // This boot's id (/proc/sys/kernel/random/boot_id), or "" if unknown.
  static std::string boot_id();
  static std::int64_t now_ns();

  // Creates this store's journal in `dir` (through `tmp`, locked before it
  // appears). Throws StorageError.
  Journal(const FsDir& dir, const FsDir& tmp, const std::string& boot);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Stamps the records with the time now, appends them and fdatasyncs. Throws StorageError.
  void commit(std::vector<JournalRecord>& records);
  std::size_t size() const { return size_; }
  // Empties the journal. REQUIRES: its records are durable in the task files.
  void reset();
  // Deletes the journal. REQUIRES: as for reset().
  void discard();

  // A journal of a store that is gone, locked and read.
  struct Orphan {
    std::string name;
    int fd = -1;
    std::string boot;
    std::vector<JournalRecord> records;
  };
  // The journals in `dir` nobody holds (a damaged one is logged and left out).
  static std::vector<Orphan> take_orphans(const FsDir& dir);
  // Deletes an orphan and releases it.
  static void remove(const FsDir& dir, Orphan& orphan);

  // journal/lock, held while journals of gone stores are replayed or the
  // mark moved, so that one store at a time does either.
  class DirLock {
   public:
    explicit DirLock(const FsDir& dir);
    ~DirLock();
    DirLock(const DirLock&) = delete;
    DirLock& operator=(const DirLock&) = delete;

   private:
    int fd_;
  };

  // The checkpoint mark: changes made before `at` (in boot `boot`) are durable.
  struct Mark {
    std::string boot;
    std::int64_t at = 0;
  };
  static std::optional<Mark> read_mark(const FsDir& dir);
  // Moves the mark forward to `mark` (never back), durably. Throws StorageError.
  static void advance_mark(const FsDir& dir, const FsDir& tmp, const Mark& mark);

 private:
  const FsDir& dir_;
  std::string name_;
  int fd_ = -1;
  std::size_t header_ = 0;
  std::size_t size_ = 0;
};

}  // namespace omniq
