// Uses the installed package: enqueue, run, read the result.
#include <omniq/omniq.hpp>

#include <iostream>

int main() {
  omniq::Settings settings;
  settings.backend = omniq::Backend::memory;
  settings.log_level = omniq::LogLevel::warning;
  omniq::OmniQ oq(settings);
  omniq::Registry registry;
  registry.add("math.add", [](int a, int b) { return a + b; });
  omniq::WorkerPool pool = oq.worker(std::move(registry));
  pool.start();
  std::string id = oq.enqueue("math.add", {40, 2});
  auto result = oq.get_result(id, {.wait = true, .timeout = std::chrono::seconds(10)});
  pool.stop();
  std::cout << "omniq " << omniq::kVersion << ": 40 + 2 = " << result->value<int>() << "\n";
  return result->value<int>() == 42 ? 0 : 1;
}
