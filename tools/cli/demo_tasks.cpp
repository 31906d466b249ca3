#include "demo_tasks.hpp"

#include <condition_variable>
#include <mutex>
#include <stdexcept>

// The demo's error types (their names are what a TaskError records).
namespace demo {
struct ConnectionReset : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct MalformedInput : std::runtime_error {
  using std::runtime_error::runtime_error;
};
}  // namespace demo

namespace omniq::cli {

using std::chrono::milliseconds;

namespace {

// Stands in for work: waits, returning early (by throwing) if told to stop.
void work_for(const TaskContext& ctx, milliseconds ms) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  std::stop_token stop = ctx.stop_token();
  cv.wait_for(lock, stop, ms, [] { return false; });
  if (stop.stop_requested()) throw std::runtime_error("stopped");
}

Value make_thumbnail(TaskContext& ctx, std::string photo, int width) {
  work_for(ctx, milliseconds(120 + static_cast<int>(photo.size() * 37 % 5) * 70));
  std::string stem = photo.substr(0, photo.rfind('.'));
  return {{"thumbnail", stem + "-" + std::to_string(width) + "px.jpg"}, {"width", width}};
}

int word_count(TaskContext& ctx, std::string text) {
  work_for(ctx, milliseconds(50));
  int words = 0;
  bool in_word = false;
  for (char c : text) {
    bool space = c == ' ' || c == '\n' || c == '\t';
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}

std::string flaky_upload(TaskContext& ctx, std::string file, int failures) {
  work_for(ctx, milliseconds(100));
  if (ctx.attempt() <= failures) {
    throw demo::ConnectionReset("connection reset by storage.example.com while uploading " + file +
                                " (attempt " + std::to_string(ctx.attempt()) + ")");
  }
  return "uploaded " + file + " on attempt " + std::to_string(ctx.attempt());
}

Value import_csv(TaskContext& ctx, std::string file) {
  work_for(ctx, milliseconds(60));
  throw demo::MalformedInput(file + " line 3: expected 5 columns (id,sku,qty,price,date), found 4");
}

std::string send_reminder(TaskContext& ctx, std::string email) {
  work_for(ctx, milliseconds(80));
  return "reminder sent to " + email;
}

}  // namespace

Registry demo_registry(std::shared_ptr<DemoState> state) {
  Registry r;
  r.add("demo.thumbnail", make_thumbnail);
  r.add("demo.word_count", word_count);
  r.add("demo.flaky_upload", flaky_upload);
  r.add("demo.import_csv", import_csv);
  r.add("demo.send_reminder", send_reminder);
  r.add(kDemoHeartbeat, [state](TaskContext& ctx) -> Value {
    work_for(ctx, milliseconds(20));
    return {{"beat", ++state->heartbeats}};
  });
  return r;
}

std::vector<DemoTask> demo_plan() {
  using std::chrono::seconds;
  std::vector<DemoTask> plan;
  const char* photos[] = {"beach.jpg",  "city.jpg",   "forest.jpg",  "harbour.jpg", "market.jpg",
                          "bridge.jpg", "desert.jpg", "glacier.jpg", "canyon.jpg",  "lake.jpg"};
  int width = 160;
  for (const char* p : photos) {
    plan.push_back({"demo.thumbnail", Value::array({p, width}), {}});
    width = width == 320 ? 160 : width + 80;
  }
  plan.push_back(
      {"demo.word_count", Value::array({"the quick brown fox jumps over the lazy dog"}), {}});
  plan.push_back({"demo.word_count", Value::array({"background tasks without a server"}), {}});
  plan.push_back({"demo.flaky_upload", Value::array({"report-q3.pdf", 1}), {.max_retries = 3}});
  plan.push_back({"demo.flaky_upload", Value::array({"invoices.zip", 2}), {.max_retries = 3}});
  plan.push_back({"demo.flaky_upload", Value::array({"avatar.png", 1}), {.max_retries = 3}});
  plan.push_back({"demo.import_csv", Value::array({"orders.csv"}), {.max_retries = 2}});
  plan.push_back(
      {"demo.send_reminder", Value::array({"ada@example.com"}), {.delay = milliseconds(1500)}});
  plan.push_back(
      {"demo.send_reminder", Value::array({"alan@example.com"}), {.delay = milliseconds(2500)}});
  plan.push_back(
      {"demo.send_reminder", Value::array({"grace@example.com"}), {.delay = milliseconds(3500)}});
  plan.push_back({kDemoHeartbeat, Value::array(), {.interval = seconds(1)}});
  return plan;
}

}  // namespace omniq::cli
