// The C++ feasibility projection against the shared vectors (test/vectors/projection.json, path
// given as the first argument) that the TypeScript side checks too: both agree to 1e-6.
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"
#include "ns3ts-bridge/bridge.h"

namespace {

// Just enough JSON for the vector file: objects, arrays, numbers, strings, true/false/null.
struct Json {
  enum class Kind { Null, Bool, Number, String, Array, Object } kind = Kind::Null;
  double number = 0.0;
  std::string text;
  std::vector<Json> items;
  std::map<std::string, Json> fields;

  const Json& operator[](const std::string& key) const {
    auto it = fields.find(key);
    if (it == fields.end()) throw harness::Failure("vector file: missing field \"" + key + "\"");
    return it->second;
  }
};

class JsonReader {
 public:
  explicit JsonReader(std::string text) : text_(std::move(text)) {}

  Json Parse() {
    Json value = Value();
    Space();
    if (pos_ != text_.size()) Fail("trailing characters");
    return value;
  }

 private:
  [[noreturn]] void Fail(const std::string& what) const {
    throw harness::Failure("vector file: " + what + " at offset " + std::to_string(pos_));
  }
  void Space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool Eat(char c) {
    Space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void Expect(char c) {
    if (!Eat(c)) Fail(std::string("expected '") + c + "'");
  }
  std::string String() {
    Expect('"');
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;
      out += text_[pos_++];
    }
    Expect('"');
    return out;
  }
  Json Value() {
    Space();
    if (pos_ >= text_.size()) Fail("unexpected end");
    Json v;
    const char c = text_[pos_];
    if (c == '{') {
      v.kind = Json::Kind::Object;
      ++pos_;
      if (Eat('}')) return v;
      do {
        std::string key = String();
        Expect(':');
        v.fields[key] = Value();
      } while (Eat(','));
      Expect('}');
    } else if (c == '[') {
      v.kind = Json::Kind::Array;
      ++pos_;
      if (Eat(']')) return v;
      do v.items.push_back(Value());
      while (Eat(','));
      Expect(']');
    } else if (c == '"') {
      v.kind = Json::Kind::String;
      v.text = String();
    } else if (text_.compare(pos_, 4, "null") == 0) {
      pos_ += 4;
    } else if (text_.compare(pos_, 4, "true") == 0 || text_.compare(pos_, 5, "false") == 0) {
      v.kind = Json::Kind::Bool;
      v.number = text_[pos_] == 't' ? 1.0 : 0.0;
      pos_ += text_[pos_] == 't' ? 4 : 5;
    } else {
      v.kind = Json::Kind::Number;
      const char* begin = text_.c_str() + pos_;
      char* end = nullptr;
      v.number = std::strtod(begin, &end);
      if (end == begin) Fail("expected a value");
      pos_ += static_cast<size_t>(end - begin);
    }
    return v;
  }

  std::string text_;
  size_t pos_ = 0;
};

// A number, or one of the strings "NaN", "Infinity", "-Infinity" (JSON has no non-finite numbers).
double Number(const Json& v) {
  if (v.kind == Json::Kind::Number || v.kind == Json::Kind::Bool) return v.number;
  if (v.kind == Json::Kind::String) {
    if (v.text == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (v.text == "Infinity") return std::numeric_limits<double>::infinity();
    if (v.text == "-Infinity") return -std::numeric_limits<double>::infinity();
  }
  throw harness::Failure("vector file: got \"" + v.text + "\", expected a number, NaN or +-Infinity");
}

std::vector<double> Numbers(const Json& v) {
  std::vector<double> out;
  for (const Json& item : v.items) out.push_back(Number(item));
  return out;
}

std::string g_vectorPath;

Json LoadVectors() {
  std::ifstream in(g_vectorPath);
  if (!in) throw harness::Failure("vector file: cannot read \"" + g_vectorPath + "\"");
  std::stringstream text;
  text << in.rdbuf();
  return JsonReader(text.str()).Parse();
}

TEST_CASE("projection: every shared vector to 1e-6") {
  const Json file = LoadVectors();
  const double tolerance = file["tolerance"].number;
  CHECK(tolerance > 0.0 && tolerance <= 1e-6);
  CHECK(file["cases"].items.size() >= 10);
  for (const Json& c : file["cases"].items) {
    const std::vector<double> values = Numbers(c["values"]);
    bridge::ShareBounds bounds;
    if (c["lower"].kind == Json::Kind::Array) bounds.lower = Numbers(c["lower"]);
    if (c["upper"].kind == Json::Kind::Array) bounds.upper = Numbers(c["upper"]);
    std::vector<bool> active;
    for (const Json& a : c["active"].items) active.push_back(Number(a) >= 0.5);
    const std::vector<double> expected = Numbers(c["expected"]);
    const std::vector<double> x = bridge::ProjectFeasible(values, bounds, c["budget"].number, active);
    CHECK_EQ(x.size(), expected.size());
    for (size_t s = 0; s < x.size(); ++s) {
      if (!(std::fabs(x[s] - expected[s]) <= tolerance)) {
        std::ostringstream what;
        what << "case \"" << c["name"].text << "\" slice " << s << ": got " << x[s] << ", expected "
             << expected[s];
        throw harness::Failure(what.str());
      }
    }
  }
}

TEST_CASE("projection: a feasible allocation is its own projection") {
  const std::vector<double> x = {0.25, 0.5, 0.125};
  CHECK(bridge::ProjectFeasible(x) == x);
  const std::vector<double> y = bridge::ProjectFeasible({0.9, 0.8, 0.05});
  CHECK(bridge::ProjectFeasible(y) == y);
}

TEST_CASE("projection: bad bounds and sizes are refused, naming the field") {
  CHECK_THROWS(bridge::ProjectFeasible({0.5, 0.5}, {{0.0, 0.6}, {1.0, 0.4}}), bridge::Error,
               "bounds of slice 1: got floor 0.6 and cap 0.4, expected finite 0 <= floor <= cap");
  CHECK_THROWS(bridge::ProjectFeasible({0.5, 0.5}, {{0.1}, {}}), bridge::Error,
               "projection floors: got 1 entries, expected 2");
  CHECK_THROWS(bridge::ProjectFeasible({0.5}, {}, std::nan("")), bridge::Error,
               "projection budget: got nan");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <test/vectors/projection.json>\n", argv[0]);
    return 2;
  }
  g_vectorPath = argv[1];
  return harness::runAll();
}
