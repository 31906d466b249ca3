// The first program of the README, kept compiling and running by CTest.
#include <iostream>
#include <omniq/omniq.hpp>

int main() {
  omniq::OmniQ oq = omniq::OmniQ::from_env();  // SQLite ./omniq.db by default

  omniq::Registry registry;
  registry.add("math.add", [](int a, int b) { return a + b; });
  omniq::WorkerPool pool = oq.worker(std::move(registry), {.concurrency = 4});
  pool.start();

  std::string id = oq.enqueue("math.add", {2, 3});
  auto result = oq.get_result(id, {.wait = true, .timeout = std::chrono::seconds(10)});
  std::cout << result->value<int>() << "\n";  // 5
}  // the pool stops gracefully
