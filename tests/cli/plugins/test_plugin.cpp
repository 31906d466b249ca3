// A plugin for the CLI tests: registers test.multiply.
#include "omniq/registry.hpp"

extern "C" void omniq_register(omniq::Registry& registry) {
  registry.add("test.multiply", [](long long a, long long b) { return a * b; });
}
