// FileStorage::Impl: the file store's state and the steps its calls are made
// of: taking the lock, catching up with other processes' changes, loading a
// task file and committing changes; and Inotify, which it uses. Internal;
// used under `mu`.
#pragma once

#include <sys/file.h>

#include <functional>
#include <initializer_list>
#include <mutex>

#include "file_dir.hpp"
#include "file_index.hpp"
#include "file_record.hpp"
#include "file_storage.hpp"
#include "omniq/error.hpp"

namespace omniq {

// The names that arrive in, leave or are written in some directories: the
// store keeps one on queue/, and gives one to idle workers as ChangeWatch.
class Inotify final : public ChangeWatch {
 public:
  // Watches `dirs` for `mask` (IN_* bits); logs and stays inactive on failure.
  Inotify(const std::vector<std::string>& dirs, std::uint32_t mask);
  ~Inotify() override { ::close(fd_); }
  Inotify(const Inotify&) = delete;
  Inotify& operator=(const Inotify&) = delete;

  bool active() const { return fd_ >= 0; }
  int fd() const override { return fd_; }
  void consume() override { drain(nullptr); }
  // Passes the name of each pending event to `on_name`. Returns false if
  // events were lost (the kernel's queue overflowed).
  bool drain(const std::function<void(std::string_view)>& on_name);

 private:
  int fd_ = -1;
};

inline constexpr bool kChange = true;  // Impl::locked: exclusive, the index caught up
inline constexpr bool kRead = false;   // shared (readers may fix files: see load())

struct FileStorage::Impl {
  explicit Impl(Options options);
  ~Impl() { ::close(lock_fd); }

  struct Change {  // a task's record, and the slot of its file (none: a new task)
    Record record;
    std::optional<Slot> from;
    std::string temp{};  // its new bytes in tmp/, once written
  };
  class Batch;  // one write() (file_write.cpp)

  // Runs `f` holding the lock (kChange or kRead).
  template <class F>
  auto locked(bool change, F&& f) {
    std::lock_guard lock(mu);
    if (closed) throw StorageError("file store " + base.path() + " is closed");
    lock_file(change ? LOCK_EX : LOCK_SH);
    struct Unlock {
      Impl& s;
      ~Unlock() {
        s.note_events();
        ::flock(s.lock_fd, LOCK_UN);
      }
    } unlock{*this};
    if (change) catch_up();
    return f();
  }
  void lock_file(int how);  // flock(); throws StorageError
  bool durable() const { return opt.durability == Durability::full; }

  // Brings the index up to date with other processes' changes: reloads the
  // ids inotify named, or every one in queue/ when it cannot tell.
  void catch_up();
  // Drains inotify: ids this holder of the lock did not touch are dirty.
  void note_events();

  // Finds task `id` in the first of `slots` holding it, moving a corrupt file
  // aside and renaming one whose record does not fit its name (readers too:
  // only one of them can make a given rename).
  std::optional<Change> load(std::string_view id, std::initializer_list<Slot> slots);
  void quarantine(const std::string& name, std::string_view why);

  // Writes every change to tmp/, then renames each into place in order,
  // updates the index and syncs queue/.
  void commit(std::vector<Change>& changes);

  Options opt;
  std::shared_ptr<const Serializer> serializer;
  FileDir base, queue, tmp, corrupt, paused;
  int lock_fd = -1;
  std::unique_ptr<Inotify> events;
  FileIndex index;
  std::mutex mu;
  bool closed = false;
  bool rescan = true;  // the index needs a listing of queue/
  std::chrono::steady_clock::time_point scanned{};
  std::set<std::string> dirty;    // ids other processes changed: reload before use
  std::set<std::string> touched;  // ids this holder of the lock changed
};

}  // namespace omniq
