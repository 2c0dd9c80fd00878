// The command line the bridge's example programs share: `--name value` or `--name=value`, and
// flags that take no value. Each option reaches `handle(name, value)` in order; a problem reaches
// `usage(problem)`, which does not return.
#pragma once

#include <functional>
#include <set>
#include <stdexcept>
#include <string>

namespace ns3ts_examples {

// A std::logic_error thrown by `handle` (std::stoll's invalid_argument and out_of_range) becomes
// "<name>: got "<value>", expected an integer".
inline void ForEachOption(int argc, char** argv, const std::set<std::string>& flags,
                          const std::function<void(const std::string& name, const std::string& value)>& handle,
                          const std::function<void(const std::string& problem)>& usage) {
  for (int i = 1; i < argc; ++i) {
    std::string name = argv[i], value;
    const auto eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (flags.count(name) == 0) {
      if (i + 1 >= argc) usage(name + ": missing value");
      value = argv[++i];
    }
    try {
      handle(name, value);
    } catch (const std::logic_error&) {
      usage(name + ": got \"" + value + "\", expected an integer");
    }
  }
}

}  // namespace ns3ts_examples
