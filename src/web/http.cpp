#include "web/http.hpp"

#include "omniq/error.hpp"

namespace omniq::web {

Reply json_reply(const Value& v, int status) {
  return Reply{status, "application/json",
               v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

Reply error_reply(int status, const std::string& message) {
  return json_reply(Value{{"error", message}}, status);
}

Reply reply_for(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const HttpError& e) {
    return error_reply(e.status(), e.what());
  } catch (const ValidationError& e) {
    return error_reply(400, e.what());
  } catch (const NotFoundError& e) {
    return error_reply(404, e.what());
  } catch (const InvalidTransitionError& e) {
    return error_reply(409, e.what());
  } catch (const std::exception& e) {
    return error_reply(500, std::string("internal error: ") + e.what());
  } catch (...) {
    return error_reply(500, "internal error");
  }
}

}  // namespace omniq::web
