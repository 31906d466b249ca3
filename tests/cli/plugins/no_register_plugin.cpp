// A shared library that is not an omniq plugin: it has no omniq_register.
extern "C" int omniq_not_the_entry_point() {
  return 42;
}
