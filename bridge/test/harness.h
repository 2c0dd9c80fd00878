// A minimal test harness for the bridge's ctest programs (no framework dependency).
#pragma once

#include <cstdio>
#include <exception>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace harness {

struct Case {
  const char* name;
  std::function<void()> body;
};

inline std::vector<Case>& cases() {
  static std::vector<Case> all;
  return all;
}

struct Failure : std::exception {
  std::string message;
  explicit Failure(std::string m) : message(std::move(m)) {}
  const char* what() const noexcept override { return message.c_str(); }
};

struct Register {
  Register(const char* name, std::function<void()> body) { cases().push_back({name, std::move(body)}); }
};

inline int runAll() {
  int failed = 0;
  for (const Case& c : cases()) {
    try {
      c.body();
      std::printf("ok   %s\n", c.name);
    } catch (const std::exception& e) {
      ++failed;
      std::printf("FAIL %s: %s\n", c.name, e.what());
    }
  }
  std::printf("%zu cases, %d failed\n", cases().size(), failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace harness

#define HARNESS_CAT2(a, b) a##b
#define HARNESS_CAT(a, b) HARNESS_CAT2(a, b)
#define TEST_CASE(name)                                                                  \
  static void HARNESS_CAT(test_fn_, __LINE__)();                                         \
  static harness::Register HARNESS_CAT(test_reg_, __LINE__)(name, &HARNESS_CAT(test_fn_, __LINE__)); \
  static void HARNESS_CAT(test_fn_, __LINE__)()

#define CHECK(cond)                                                                                 \
  do {                                                                                              \
    if (!(cond)) {                                                                                  \
      std::ostringstream harness_out;                                                               \
      harness_out << __FILE__ << ":" << __LINE__ << ": CHECK(" #cond ") failed";                    \
      throw harness::Failure(harness_out.str());                                                    \
    }                                                                                               \
  } while (0)

#define CHECK_EQ(a, b)                                                                              \
  do {                                                                                              \
    const auto& harness_a = (a);                                                                    \
    const auto& harness_b = (b);                                                                    \
    if (!(harness_a == harness_b)) {                                                                \
      std::ostringstream harness_out;                                                               \
      harness_out << __FILE__ << ":" << __LINE__ << ": CHECK_EQ(" #a ", " #b ") failed: " << harness_a \
                  << " != " << harness_b;                                                           \
      throw harness::Failure(harness_out.str());                                                    \
    }                                                                                               \
  } while (0)

// Checks that `expr` throws `Type` and that its message contains `fragment`.
#define CHECK_THROWS(expr, Type, fragment)                                                          \
  do {                                                                                              \
    bool harness_thrown = false;                                                                    \
    try {                                                                                           \
      (void)(expr);                                                                                 \
    } catch (const Type& harness_e) {                                                               \
      harness_thrown = true;                                                                        \
      if (std::string(harness_e.what()).find(fragment) == std::string::npos) {                      \
        throw harness::Failure(std::string(__FILE__) + ":" + std::to_string(__LINE__) +             \
                               ": message \"" + harness_e.what() + "\" lacks \"" + (fragment) + "\""); \
      }                                                                                             \
    }                                                                                               \
    if (!harness_thrown)                                                                            \
      throw harness::Failure(std::string(__FILE__) + ":" + std::to_string(__LINE__) +               \
                             ": " #expr " did not throw " #Type);                                   \
  } while (0)

#define TEST_MAIN() \
  int main() { return harness::runAll(); }
