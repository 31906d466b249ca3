// Keyword arguments into a struct: the original library's first example,
// enqueue(send_email, to=..., subject=...), in C++. A handler with one
// parameter receives the task's kwargs decoded into it (any type with a
// from_json); the same task can be enqueued from Python with keyword arguments.
#include <iostream>
#include <omniq/omniq.hpp>

struct Email {
  std::string to;
  std::string subject;
  std::string body = "";
};

// nlohmann::json's way of reading a type: missing keys throw, so a task
// without "to" fails with an ArgumentError (not retried).
void from_json(const omniq::Value& v, Email& e) {
  e.to = v.at("to").get<std::string>();
  e.subject = v.at("subject").get<std::string>();
  e.body = v.value("body", "");
}

int main() {
  omniq::OmniQ oq = omniq::OmniQ::from_env();

  omniq::Registry registry;
  registry.add("send_email",
               [](const Email& email) { return "sent \"" + email.subject + "\" to " + email.to; });
  omniq::WorkerPool pool = oq.worker(std::move(registry));
  pool.start();

  std::string id =
      oq.enqueue("send_email", {}, {.kwargs = {{"to", "ada@example.com"}, {"subject", "Welcome"}}});
  std::string bad = oq.enqueue("send_email", {}, {.kwargs = {{"subject", "no recipient"}}});

  auto sent = oq.get_result(id, {.wait = true, .timeout = std::chrono::seconds(10)});
  auto failed = oq.get_result(bad, {.wait = true, .timeout = std::chrono::seconds(10)});
  std::cout << sent->value<std::string>() << "\n";  // sent "Welcome" to ada@example.com
  std::cout << failed->error->error_type << ": " << failed->error->message << "\n";
  return sent->value<std::string>() == "sent \"Welcome\" to ada@example.com" &&
                 failed->error->error_type == "ArgumentError"
             ? 0
             : 1;
}
