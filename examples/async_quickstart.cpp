// Async quickstart: enqueue tasks from a coroutine, run them with a worker
// pool on the same event loop, and await their results.
//
// Runs on a throw-away SQLite file in a temporary directory.
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <filesystem>
#include <iostream>

#include "omniq/async.hpp"

using namespace std::chrono_literals;

// A typed task: its name and signature, checked when enqueued.
const omniq::TaskDef<int(int, int)> add{"math.add"};

asio::awaitable<std::string> fetch(std::string url) {
  // Stands in for real I/O: waits on the event loop without blocking a thread.
  asio::steady_timer timer(co_await asio::this_coro::executor, 20ms);
  co_await timer.async_wait(asio::use_awaitable);
  co_return "<html>" + url + "</html>";
}

asio::awaitable<int> run(omniq::AsyncOmniQ& oq) {
  omniq::Registry registry;
  registry.add(add, [](int a, int b) { return a + b; });  // sync: runs on a worker thread
  registry.add("web.fetch", fetch);                       // async: runs on the event loop

  auto executor = co_await asio::this_coro::executor;
  auto pool = oq.worker(std::move(registry), {.concurrency = 4}, executor);
  pool.start();

  std::string sum_id = co_await oq.enqueue(add(2, 3));
  // (g++ 12 cannot keep a braced list alive across co_await: build the arguments first.)
  omniq::Value fetch_args = {"example.com"};
  std::string page_id = co_await oq.enqueue("web.fetch", fetch_args);

  auto sum = co_await oq.get_result(sum_id, {.wait = true, .timeout = 10s});
  auto page = co_await oq.get_result(page_id, {.wait = true, .timeout = 10s});
  std::cout << "2 + 3 = " << sum->value<int>() << "\n";
  std::cout << "fetched " << page->value<std::string>() << "\n";

  co_await pool.stop();
  co_return sum->value<int>() == 5 && page->value<std::string>() == "<html>example.com</html>" ? 0
                                                                                               : 1;
}

int main() {
  auto dir = std::filesystem::temp_directory_path() / "omniq-async-quickstart";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  omniq::Settings settings;
  settings.database_url = (dir / "queue.db").string();
  omniq::AsyncOmniQ oq(settings);

  asio::io_context ctx;
  int status = 1;
  asio::co_spawn(ctx, run(oq), [&](std::exception_ptr e, int s) {
    if (e) std::rethrow_exception(e);
    status = s;
  });
  ctx.run();
  std::filesystem::remove_all(dir);
  return status;
}
