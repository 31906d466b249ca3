// Uses the installed omniq::web component: a dashboard on a free port of an
// io_context of the program's own, started and stopped.
#include <omniq/web.hpp>

#include <asio/io_context.hpp>
#include <iostream>

int main() {
  omniq::Settings settings;
  settings.backend = omniq::Backend::memory;
  asio::io_context io;
  omniq::web::Dashboard dashboard(omniq::AsyncOmniQ(settings), {.port = 0}, io.get_executor());
  dashboard.start();
  std::cout << "dashboard listened on port " << dashboard.port() << "\n";
  bool ok = dashboard.port() != 0;
  dashboard.stop();
  io.run();
  return ok ? 0 : 1;
}
