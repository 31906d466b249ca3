// Retries and task errors: a flaky task succeeds on a retry, a broken one
// fails for good after its retries, a PermanentError fails at once, and a
// task over its timeout is stopped. Every final failure is recorded as a
// TaskError with six fields: error_type, message, timestamp, traceback,
// retry_count and is_retryable.
//
// Deterministic: the flaky task fails while its attempt number is below 3,
// whatever the timing. The retry backoff is shortened so this runs at once.
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <stdexcept>

#include "omniq/omniq.hpp"

using namespace std::chrono_literals;

namespace {

int failures = 0;
void check(bool ok, const std::string& what) {
  std::cout << (ok ? "  ok    " : "  FAIL  ") << what << "\n";
  failures += ok ? 0 : 1;
}

void print_error(const omniq::TaskError& e) {
  std::cout << "      error_type:   " << e.error_type << "\n"
            << "      message:      " << e.message << "\n"
            << "      timestamp:    " << omniq::format_time(e.timestamp) << "\n"
            << "      traceback:    " << e.traceback.value_or("(none)") << "\n"
            << "      retry_count:  " << e.retry_count << "\n"
            << "      is_retryable: " << std::boolalpha << e.is_retryable << "\n";
}

}  // namespace

int main() {
  auto dir = std::filesystem::temp_directory_path() / "omniq-retries-example";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  omniq::Settings settings;
  settings.backend = omniq::Backend::file;
  settings.base_dir = (dir / "store").string();
  // Backoff before retry n: min(base * 2^(n-1), max) with +/-25% jitter.
  settings.retry_backoff_base = 20ms;
  settings.retry_backoff_max = 100ms;
  omniq::OmniQ oq(settings);

  omniq::Registry registry;
  registry.add("net.fetch", [](omniq::TaskContext& ctx, std::string url) {
    if (ctx.attempt() < 3) {
      throw std::runtime_error("connection refused by " + url + " (attempt " +
                               std::to_string(ctx.attempt()) + ")");
    }
    return "200 OK from " + url;
  });
  registry.add("csv.parse", [](std::string file) -> int {
    throw std::invalid_argument(file + ": line 3 has 4 columns, expected 5");
  });
  registry.add("card.charge", [](int cents) -> std::string {
    // Retrying cannot help: fail at once, whatever max_retries says.
    throw omniq::PermanentError("card declined for " + std::to_string(cents) + " cents");
  });
  registry.add("slow.job", [](omniq::TaskContext& ctx) {
    // Honours the stop token, which fires when the attempt's timeout passes.
    std::mutex mu;
    std::condition_variable_any cv;
    std::unique_lock lock(mu);
    std::stop_token stop = ctx.stop_token();
    cv.wait_for(lock, stop, 30s, [] { return false; });
    return "finished";
  });
  omniq::WorkerPool pool = oq.worker(std::move(registry), {.concurrency = 4});
  pool.start();

  std::string fetch = oq.enqueue("net.fetch", {"https://example.com"}, {.max_retries = 3});
  std::string parse = oq.enqueue("csv.parse", {"orders.csv"}, {.max_retries = 2});
  std::string charge = oq.enqueue("card.charge", {1999}, {.max_retries = 5});
  std::string slow =
      oq.enqueue("slow.job", omniq::Value::array(), {.max_retries = 0, .timeout = 200ms});
  auto wait = [&](const std::string& id) {
    return *oq.get_result(id, {.wait = true, .timeout = 20s});
  };

  std::cout << "a flaky task (fails twice, max_retries 3):\n";
  omniq::TaskResult r = wait(fetch);
  check(r.status == omniq::TaskStatus::SUCCESS && r.attempts == 3,
        "succeeds on attempt 3: " + r.value<std::string>());

  std::cout << "a broken task (always fails, max_retries 2):\n";
  r = wait(parse);
  check(r.status == omniq::TaskStatus::FAILED && r.attempts == 3,
        "FAILED after 1 + 2 retries = 3 attempts");
  check(r.error && r.error->retry_count == 2 && r.error->error_type == "std::invalid_argument",
        "its TaskError records the exception type and the retries made:");
  if (r.error) print_error(*r.error);

  std::cout << "a PermanentError (max_retries 5):\n";
  r = wait(charge);
  check(r.status == omniq::TaskStatus::FAILED && r.attempts == 1,
        "FAILED on the first attempt, no retries");
  check(r.error && !r.error->is_retryable, "its TaskError says it is not retryable:");
  if (r.error) print_error(*r.error);

  std::cout << "a task over its timeout (200ms, max_retries 0):\n";
  r = wait(slow);
  check(r.status == omniq::TaskStatus::FAILED && r.error && r.error->error_type == "TimeoutError",
        "stopped and FAILED with a TimeoutError: " + (r.error ? r.error->message : ""));

  pool.stop();
  std::filesystem::remove_all(dir);
  std::cout << (failures == 0 ? "all good\n" : "something went wrong\n");
  return failures == 0 ? 0 : 1;
}
