// A small strict JSON reader (objects, arrays, strings, numbers, true,
// false, null) for the files Cascade writes itself (tuned parameters); errors
// name the file, line and what was expected.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace cascade::cli {

struct JsonMember;

struct Json {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject } type = Type::kNull;
  bool boolean = false;
  double number = 0.0;
  std::string string;
  std::vector<Json> array;
  std::vector<JsonMember> object;  // in file order

  const Json* find(const std::string& key) const;
  /// The member `key` of an object; throws naming `where` when absent or of another type.
  const Json& at(const std::string& key, Type want, const std::string& where) const;
};

struct JsonMember {
  std::string key;
  Json value;
};

const char* json_type_name(Json::Type t);
Json parse_json(const std::string& text, const std::string& name);
Json read_json_file(const std::string& path);
std::string json_escape(const std::string& s);
/// A JSON string literal of s, or null when s is empty.
std::string json_string_or_null(const std::string& s);
/// Shortest text that reads back as the same double.
std::string json_number(double v);

}  // namespace cascade::cli
