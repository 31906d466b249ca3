// Live progress for long-running commands: on a terminal, a bar redrawn in
// place with '\r' under a scrolling list of events; elsewhere (a pipe, a
// file), the events as plain lines and no bar.
#pragma once

#include <chrono>
#include <cstddef>
#include <iosfwd>
#include <string>

namespace omniq::cli {

class Progress {
 public:
  // tty: draw the bar (use stdout_is_terminal()).
  Progress(std::ostream& out, bool tty, std::size_t total);

  // Prints one event line, prefixed with the time since construction.
  void event(const std::string& text);
  // Redraws the bar: `done` of `total`, and a short status after it.
  void update(std::size_t done, const std::string& status);
  // Clears the bar (on a terminal) so that what follows starts on a clean line.
  void finish();

  double elapsed_seconds() const;

 private:
  void draw();
  void clear();

  std::ostream& out_;
  bool tty_;
  std::size_t total_;
  std::size_t done_ = 0;
  std::string status_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
};

bool stdout_is_terminal();

}  // namespace omniq::cli
