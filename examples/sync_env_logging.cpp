// The blocking API, configured from OMNIQ_* environment variables, with
// omniq's log lines routed to the application's own sink.
#include <spdlog/sinks/stdout_sinks.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "omniq/omniq.hpp"

using namespace std::chrono_literals;

int main() {
  auto dir = std::filesystem::temp_directory_path() / "omniq-sync-example";
  std::filesystem::remove_all(dir);
  // Settings come from the environment, as they would in a deployment.
  ::setenv("OMNIQ_BACKEND", "file", 1);
  ::setenv("OMNIQ_BASE_DIR", dir.c_str(), 1);
  ::setenv("OMNIQ_DEFAULT_MAX_RETRIES", "2", 1);
  ::setenv("OMNIQ_LOG_LEVEL", "INFO", 1);

  // omniq logs through the application's sink (here: stdout, plain).
  omniq::set_log_sinks({std::make_shared<spdlog::sinks::stdout_sink_mt>()});

  omniq::OmniQ oq = omniq::OmniQ::from_env();
  std::cout << "base dir: " << oq.settings().base_dir
            << ", max retries: " << oq.settings().default_max_retries << "\n";

  omniq::Registry registry;
  registry.add("text.shout", [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s + "!";
  });
  omniq::WorkerPool pool = oq.worker(std::move(registry), {.concurrency = 2});
  pool.start();

  std::string id = oq.enqueue("text.shout", {"hello"});
  std::optional<omniq::TaskResult> result = oq.get_result(id, {.wait = true, .timeout = 10s});
  std::cout << id << " -> " << result->value<std::string>() << "\n";

  pool.stop();
  std::filesystem::remove_all(dir);
  return result->value<std::string>() == "HELLO!" ? 0 : 1;
}
