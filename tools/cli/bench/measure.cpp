#include "measure.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <stdexcept>

namespace omniq::cli::bench {

double seconds_since(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

double per_second(std::size_t n, double seconds) {
  return seconds > 0 ? static_cast<double>(n) / seconds : 0.0;
}

std::int64_t realtime_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

double process_cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto secs = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

double peak_rss_mb() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

double current_rss_mb() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0.0;
  long pages_total = 0, pages_resident = 0;
  int got = std::fscanf(f, "%ld %ld", &pages_total, &pages_resident);
  std::fclose(f);
  if (got != 2) return 0.0;
  return static_cast<double>(pages_resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) /
         (1024.0 * 1024.0);
}

void trim_heap() {
  ::malloc_trim(0);
}

void time_raw_loop(const BenchOptions& o, Json& r,
                   const std::function<void(std::size_t first, std::size_t n)>& insert_batch,
                   const std::function<std::size_t()>& drain_step) {
  auto start = SteadyClock::now();
  double cpu = process_cpu_seconds();
  for (std::size_t i = 0; i < o.tasks; i += o.batch)
    insert_batch(i, std::min(o.batch, o.tasks - i));
  double insert_rate = rounded(per_second(o.tasks, seconds_since(start)));
  r["enqueue_per_s"] = insert_rate;
  r["enqueue_many_per_s"] = insert_rate;
  r["enqueue_many_cpu_us_per_task"] = rounded(
      (process_cpu_seconds() - cpu) * 1e6 / static_cast<double>(std::max<std::size_t>(o.tasks, 1)));

  start = SteadyClock::now();
  cpu = process_cpu_seconds();
  std::size_t drained = 0;
  while (std::size_t n = drain_step()) drained += n;
  r["drain_per_s"] = rounded(per_second(drained, seconds_since(start)));
  r["drain_cpu_us_per_task"] = rounded((process_cpu_seconds() - cpu) * 1e6 /
                                       static_cast<double>(std::max<std::size_t>(drained, 1)));
  r["drained"] = drained;
}

double rounded(double v) {
  if (!std::isfinite(v)) return 0.0;
  double scale = std::fabs(v) < 10 ? 1000.0 : 1.0;
  return std::round(v * scale) / scale;
}

void add_percentiles(Json& out, const std::string& prefix, std::vector<double>& values_ms) {
  if (values_ms.empty()) {
    for (const char* k : {"p50_ms", "p90_ms", "p99_ms", "max_ms", "mean_ms"}) {
      out[prefix + k] = nullptr;
    }
    return;
  }
  std::sort(values_ms.begin(), values_ms.end());
  auto at = [&](double q) {
    // Nearest rank: the smallest value with at least q of the samples at or below it.
    auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values_ms.size())));
    return values_ms[std::clamp<std::size_t>(rank, 1, values_ms.size()) - 1];
  };
  double mean = std::accumulate(values_ms.begin(), values_ms.end(), 0.0) /
                static_cast<double>(values_ms.size());
  out[prefix + "p50_ms"] = rounded(at(0.50));
  out[prefix + "p90_ms"] = rounded(at(0.90));
  out[prefix + "p99_ms"] = rounded(at(0.99));
  out[prefix + "max_ms"] = rounded(values_ms.back());
  out[prefix + "mean_ms"] = rounded(mean);
}

double fsync_ms(const std::string& dir, int rounds) {
  std::string path = dir + "/fsync-probe";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot create " + path);
  std::vector<char> block(4096, 'x');
  std::vector<double> ms;
  for (int i = 0; i < rounds; ++i) {
    auto start = SteadyClock::now();
    if (::pwrite(fd, block.data(), block.size(), static_cast<off_t>(i) * 4096) < 0 ||
        ::fdatasync(fd) != 0) {
      break;
    }
    ms.push_back(seconds_since(start) * 1000.0);
  }
  ::close(fd);
  ::unlink(path.c_str());
  if (ms.empty()) return 0.0;
  std::sort(ms.begin(), ms.end());
  return rounded(ms[ms.size() / 2]);
}

RssSampler::RssSampler(std::chrono::milliseconds interval) : interval_(interval) {
  first_ = max_ = last_ = current_rss_mb();
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, interval_, [this] { return stop_; })) sample();
  });
}

RssSampler::~RssSampler() {
  stop();
}

void RssSampler::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  sample();
}

void RssSampler::sample() {
  last_ = current_rss_mb();
  max_ = std::max(max_, last_);
}

}  // namespace omniq::cli::bench
