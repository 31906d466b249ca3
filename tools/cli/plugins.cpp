#include "plugins.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "commands.hpp"

namespace omniq::cli {

namespace {

using RegisterFn = void(Registry&);

std::string last_dlerror() {
  const char* e = ::dlerror();
  return e ? e : "unknown error";
}

}  // namespace

std::vector<std::string> load_plugin(const std::string& path, Registry& registry) {
  const std::string expected =
      "expected a shared library exporting extern \"C\" void omniq_register(omniq::Registry&)";
  // dlopen searches the library path for a bare name; a plugin is a file.
  std::string file = path;
  if (file.find('/') == std::string::npos) file = "./" + file;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    throw UsageError("--plugin " + path + ": no such file; " + expected);
  }
  ::dlerror();
  void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    throw UsageError("--plugin " + path + ": cannot load it: " + last_dlerror() + "; " + expected);
  }
  ::dlerror();
  void* symbol = ::dlsym(handle, kPluginEntryPoint);
  if (symbol == nullptr) {
    std::string why = last_dlerror();
    ::dlclose(handle);
    throw UsageError("--plugin " + path + ": it has no " + kPluginEntryPoint + " (" + why + "); " +
                     expected);
  }
  RegisterFn* entry = nullptr;
  static_assert(sizeof entry == sizeof symbol);
  std::memcpy(&entry, &symbol, sizeof entry);  // object pointer to function pointer (POSIX)

  std::vector<std::string> before = registry.names();
  try {
    entry(registry);
  } catch (const std::exception& e) {
    throw CommandFailed("--plugin " + path + ": omniq_register failed: " + e.what());
  }
  std::vector<std::string> added;
  for (const std::string& name : registry.names()) {
    if (!std::binary_search(before.begin(), before.end(), name)) added.push_back(name);
  }
  return added;
}

}  // namespace omniq::cli
