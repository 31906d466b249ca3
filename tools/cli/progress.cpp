#include "progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <ostream>

namespace omniq::cli {

namespace {
constexpr std::size_t kBarWidth = 24;
}

bool stdout_is_terminal() {
  return ::isatty(STDOUT_FILENO) == 1;
}

Progress::Progress(std::ostream& out, bool tty, std::size_t total)
    : out_(out), tty_(tty), total_(total), start_(std::chrono::steady_clock::now()) {}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::event(const std::string& text) {
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "%6.2fs  ", elapsed_seconds());
  clear();
  out_ << stamp << text << "\n";
  if (tty_) {
    draw();
  } else {
    out_.flush();
  }
}

void Progress::update(std::size_t done, const std::string& status) {
  done_ = done;
  status_ = status;
  if (tty_) draw();
}

void Progress::finish() {
  clear();
  out_.flush();
}

void Progress::draw() {
  std::size_t filled = total_ == 0 ? kBarWidth : kBarWidth * done_ / total_;
  std::string bar(filled, '#');
  bar.append(kBarWidth - filled, '.');
  char head[96];
  std::snprintf(head, sizeof head, "\r[%s] %zu/%zu  %5.1fs  ", bar.c_str(), done_, total_,
                elapsed_seconds());
  out_ << head << status_ << "\x1b[K" << std::flush;  // \x1b[K: erase the rest of the line
  drawn_ = true;
}

void Progress::clear() {
  if (tty_ && drawn_) out_ << "\r\x1b[K";
  drawn_ = false;
}

}  // namespace omniq::cli
