// Progress: a one-line progress display for `omniq bench` on stderr, redrawn
// a few times a second while a phase runs. Disabled (silent) unless stderr is
// a terminal and the run asked for it.
//
//   Progress p(enabled);
//   std::atomic<std::size_t> done{0};
//   p.begin("drain", n, done);   // shows "drain   1234/10000  5678/s"
//   ...                          // the phase increments `done`
//   p.end();
//
// Thread-safety: begin/end from one thread; `done` from any.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>

namespace omniq::cli::bench {

class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled) {}
  ~Progress() { end(); }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // True when stderr is a terminal (and so a display makes sense).
  static bool stderr_is_terminal();

  // Starts showing `label` with done/total (total 0 = unknown) until end().
  void begin(std::string label, std::size_t total, const std::atomic<std::size_t>& done);
  // Stops the display and leaves its final line on screen.
  void end();
  // Shows a one-line note (for phases without a counter).
  void note(const std::string& text);

 private:
  void draw(bool final);

  bool enabled_;
  std::string label_;
  std::size_t total_ = 0;
  const std::atomic<std::size_t>* done_ = nullptr;
  std::chrono::steady_clock::time_point started_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
};

}  // namespace omniq::cli::bench
